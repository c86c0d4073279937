package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"gochat/internal/history"
	"gochat/internal/redistest"
	"gochat/internal/testutil"
	"gochat/store"
)

// post posts text to room on b from any goroutine: the answer's status
// and body, or the error of a post that got no answer.
func (b *Binary) post(room, text string) (int, []byte, error) {
	body, _ := json.Marshal(map[string]string{"author": "w", "text": text})
	res, err := b.client.Post(b.base+"api/rooms/"+room+"/messages", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res.StatusCode, raw, err
}

// TestFileStoreKill9 kills the binary (SIGKILL) while 16 writers post to
// two rooms with -store file:, and starts it again on the same file: every
// post answered 201 is there, ids run from 1 without a hole, each room
// keeps its epoch (a reader at its old place is not reset), and the next
// post takes the next id.
func TestFileStoreKill9(t *testing.T) {
	const writers, rooms, acksBeforeKill = 16, 2, 400
	path := filepath.Join(t.TempDir(), "chat.db")
	args := []string{"-store", "file:" + path, "-history", "100000"}
	b := StartBinary(t, args...)
	h := history.New(0)
	var acked atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := 0; ; i++ {
				room := fmt.Sprint("room", (w+i)%rooms)
				status, raw, err := b.post(room, fmt.Sprintf("w%d-%d", w, i))
				if err != nil {
					return // killed: this post's fate is unknown
				}
				if status != http.StatusCreated {
					t.Errorf("post: %d %s", status, raw)
					return
				}
				m, err := history.ParseMessage(raw)
				if err != nil {
					t.Error(err)
					return
				}
				h.Acked(room, m)
				acked.Add(1)
			}
		})
	}
	testutil.WaitFor(t, fmt.Sprint(acksBeforeKill, " posts acknowledged"), func() bool { return acked.Load() >= acksBeforeKill })
	before := map[string]history.Answer{}
	for r := range rooms {
		room := fmt.Sprint("room", r)
		a, err := history.ParseRead([]byte(b.Get(room, "").body))
		if err != nil {
			t.Fatal(err)
		}
		before[room] = a
	}
	if err := b.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-b.exited
	wg.Wait()
	t.Logf("%d posts acknowledged before the kill", acked.Load())

	b = StartBinary(t, args...)
	for r := range rooms {
		room := fmt.Sprint("room", r)
		old := before[room]
		a, err := history.ParseRead([]byte(b.Get(room, fmt.Sprintf("since=%d&epoch=%s", old.Last, old.Epoch)).body))
		if err != nil {
			t.Fatal(err)
		}
		if a.Reset || a.Gap || a.Epoch != old.Epoch || a.Last < old.Last {
			t.Errorf("%s: a reader at id %d of epoch %s after the restart: %+v", room, old.Last, old.Epoch, a)
		}
		reader := h.Reader(room)
		since, epoch := reader.Next()
		all := b.Get(room, fmt.Sprintf("since=%d&epoch=%s", since, epoch))
		a, err = history.ParseRead([]byte(all.body))
		if err != nil {
			t.Fatal(err)
		}
		reader.Saw(since, epoch, a)
		for i, m := range a.Messages {
			if m.ID != uint64(i+1) {
				t.Fatalf("%s: id %d where %d belongs", room, m.ID, i+1)
			}
		}
		if uint64(len(a.Messages)) != a.Last || a.Epoch != old.Epoch {
			t.Errorf("%s: %d messages up to id %d under epoch %s, want ids 1 to %d under %s", room, len(a.Messages), a.Last, a.Epoch, a.Last, old.Epoch)
		}
		status, raw, err := b.post(room, "after the restart")
		if err != nil || status != http.StatusCreated {
			t.Fatalf("post after the restart: %d %s %v", status, raw, err)
		}
		if m, _ := history.ParseMessage(raw); m.ID != a.Last+1 {
			t.Errorf("%s: the next post took id %d, want %d", room, m.ID, a.Last+1)
		}
	}
	h.CheckComplete(t)
}

// TestFileStoreRefusals: a second gochat on a file one holds, and a
// gochat on a corrupt file, exit 1 at once, saying why and naming the
// file.
func TestFileStoreRefusals(t *testing.T) {
	dir := t.TempDir()
	held := filepath.Join(dir, "held.db")
	StartBinary(t, "-store", "file:"+held)
	code, _, stderr := runBinary(t, "-addr", "127.0.0.1:0", "-store", "file:"+held)
	if code != 1 || !strings.Contains(stderr, held) || !strings.Contains(stderr, "another process holds the file") {
		t.Errorf("a second gochat on %s: exit %d\n%s", held, code, stderr)
	}

	corrupt := filepath.Join(dir, "corrupt.db")
	if err := os.WriteFile(corrupt, bytes.Repeat([]byte("not a database "), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runBinary(t, "-addr", "127.0.0.1:0", "-store", "file:"+corrupt)
	if code != 1 || !strings.Contains(stderr, corrupt) || !strings.Contains(stderr, "not a gochat store file") {
		t.Errorf("gochat on a corrupt file: exit %d\n%s", code, stderr)
	}
}

// TestStoreCopyCommand: `gochat store copy` moves rooms from a file to
// Redis and from Redis to another file, with their ids and epochs: a
// gochat on the last one serves the rooms as they were and goes on with
// their ids. The memory store is refused.
func TestStoreCopyCommand(t *testing.T) {
	dir := t.TempDir()
	first, second := "file:"+filepath.Join(dir, "first.db"), "file:"+filepath.Join(dir, "second.db")
	b := StartBinary(t, "-store", first)
	for i := range 5 {
		b.Post(fmt.Sprint("room", i%2), "ann", fmt.Sprint("t", i))
	}
	before, err := history.ParseRead([]byte(b.Get("room0", "").body))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Stop(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	srv := redistest.Start(t)
	for _, c := range [][2]string{{first, srv.URL()}, {srv.URL(), second}} {
		code, stdout, stderr := runBinary(t, "store", "copy", c[0], c[1])
		if code != 0 || !strings.Contains(stdout, "copied 2 rooms, 5 messages") {
			t.Fatalf("store copy %s %s: exit %d\n%s%s", c[0], c[1], code, stdout, stderr)
		}
	}
	b = StartBinary(t, "-store", second)
	after, err := history.ParseRead([]byte(b.Get("room0", fmt.Sprintf("since=0&epoch=%s", before.Epoch)).body))
	if err != nil || !reflect.DeepEqual(after, before) {
		t.Errorf("room0 after two copies: %+v %v, want %+v", after, err, before)
	}
	if a := b.Post("room0", "ann", "next"); !strings.Contains(a.body, `"id":4`) {
		t.Errorf("the next post: %d %s, want id 4", a.status, a.body)
	}

	code, _, stderr := runBinary(t, "store", "copy", "memory", second)
	if code != 1 || !strings.Contains(stderr, "memory store holds nothing") {
		t.Errorf("store copy from memory: exit %d\n%s", code, stderr)
	}
}

// TestStoreCheckCommand: `gochat store check` reports what a file holds,
// a torn last write (which it leaves in place) and damage (exit 1).
func TestStoreCheckCommand(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chat.db")
	b := StartBinary(t, "-store", "file:"+path)
	for i := range 5 {
		b.Post(fmt.Sprint("room", i%2), "ann", fmt.Sprint("t", i))
	}
	if err := b.Stop(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runBinary(t, "store", "check", path)
	if code != 0 || !strings.Contains(stdout, path+": OK: 2 rooms, 5 messages") {
		t.Errorf("store check of a good file: exit %d\n%s%s", code, stdout, stderr)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	end := len(bytes.TrimRight(data, "\x00"))
	torn := bytes.Clone(data)
	copy(torn[end:], "a torn write")
	if err := os.WriteFile(path, torn, 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runBinary(t, "store", "check", path)
	if code != 0 || !strings.Contains(stdout, "OK: 2 rooms, 5 messages") || !strings.Contains(stdout, "torn last write of 12 bytes") {
		t.Errorf("store check of a torn file: exit %d\n%s%s", code, stdout, stderr)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, torn) {
		t.Error("store check changed the file")
	}

	damaged := bytes.Clone(data)
	damaged[end/2] ^= 1
	copy(damaged[end+store.FileMaxFrame+100:], "data far after the damage")
	if err := os.WriteFile(path, damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runBinary(t, "store", "check", path)
	if code != 1 || !strings.Contains(stderr, path) || !strings.Contains(stderr, "damaged at byte") {
		t.Errorf("store check of a damaged file: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestStoreCopyWhileGochatRuns: `gochat store copy` reads a file a
// running gochat holds (a backup without a stop) while writers post, as
// `gochat store check` does: the
// copy holds every message acknowledged before it began, and what it holds
// of each room is that room as the running gochat stored it, from the
// first retained id on, without a hole.
func TestStoreCopyWhileGochatRuns(t *testing.T) {
	dir := t.TempDir()
	live, backup := filepath.Join(dir, "live.db"), filepath.Join(dir, "backup.db")
	b := StartBinary(t, "-store", "file:"+live)
	acked := map[string]int{}
	for i := range 40 {
		room := fmt.Sprint("room", i%4)
		if status, body, err := b.post(room, fmt.Sprint("before ", i)); err != nil || status != 201 {
			t.Fatalf("post: %d %s %v", status, body, err)
		}
		acked[room]++
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if status, body, err := b.post(fmt.Sprint("room", w), fmt.Sprint("during ", i)); err != nil || status != 201 {
					t.Errorf("post during the copy: %d %s %v", status, body, err)
					return
				}
			}
		})
	}
	code, stdout, stderr := runBinary(t, "store", "check", live)
	if code != 0 || !strings.Contains(stdout, ": OK: 4 rooms") || !strings.Contains(stdout, "a running gochat") {
		t.Errorf("store check of a file gochat holds: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runBinary(t, "store", "copy", "file:"+live, "file:"+backup)
	close(stop)
	wg.Wait()
	if code != 0 || !strings.Contains(stdout, "copied 4 rooms") {
		t.Fatalf("store copy of a file gochat holds: exit %d\n%s%s", code, stdout, stderr)
	}
	want := map[string]history.Answer{}
	for r := range 4 {
		room := fmt.Sprint("room", r)
		if want[room], _ = history.ParseRead([]byte(b.Get(room, "").body)); want[room].Epoch == "" {
			t.Fatalf("%s: no epoch", room)
		}
	}
	if err := b.Stop(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	c := StartBinary(t, "-store", "file:"+backup)
	for room, w := range want {
		got, err := history.ParseRead([]byte(c.Get(room, "").body))
		if err != nil || got.Epoch != w.Epoch || got.Last < uint64(acked[room]) {
			t.Errorf("%s in the copy: %+v %v; the running gochat had epoch %s, %d posts acknowledged before the copy", room, got, err, w.Epoch, acked[room])
			continue
		}
		byID := map[uint64]string{}
		for _, m := range w.Messages {
			byID[m.ID] = m.Text
		}
		for i, m := range got.Messages {
			if m.ID != got.Messages[0].ID+uint64(i) || (byID[m.ID] != "" && byID[m.ID] != m.Text) {
				t.Errorf("%s in the copy: message %d %q, the running gochat stored %q", room, m.ID, m.Text, byID[m.ID])
				break
			}
		}
	}
}
