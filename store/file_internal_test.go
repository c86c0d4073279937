package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFileBytesMatchTheFile: the bytes the file store counts as it goes
// (planned per batch) are those it counts reading the file at start, and
// those a Memory given the same posts counts.
func TestFileBytesMatchTheFile(t *testing.T) {
	ctx := context.Background()
	cfg := FileConfig{Path: filepath.Join(t.TempDir(), "chat.db"), History: 3, MaxRooms: 10}
	f, err := OpenFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mem, _ := NewMemory(3, 10)
	at := time.Now()
	for i := range 50 {
		d := Draft{Author: "ann", Text: strings.Repeat("x", i), Time: at}
		if i%3 == 0 {
			d.Key = fmt.Sprint("key", i)
		}
		room := fmt.Sprint("room", i%4)
		if _, err := f.Append(ctx, room, d); err != nil {
			t.Fatal(err)
		}
		mem.Append(ctx, room, d)
	}
	counted := f.mem.bytes
	f.Close()
	f, err = OpenFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.mem.bytes != counted || counted != mem.bytes {
		t.Errorf("bytes counted: %d as posts came, %d reading the file, %d by a Memory", counted, f.mem.bytes, mem.bytes)
	}
}

// TestFileStopsWritingAfterAFault: once a write of the log fails, the
// store answers every append with the error, writes nothing more, and
// Ping tells, until a restart replays the file.
func TestFileStopsWritingAfterAFault(t *testing.T) {
	ctx := context.Background()
	cfg := FileConfig{Path: filepath.Join(t.TempDir(), "chat.db"), History: 3, MaxRooms: 10}
	f, err := OpenFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Append(ctx, "r", Draft{Author: "a", Text: "kept", Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	f.log.f.Close() // the next write fails
	for i := range 2 {
		if m, err := f.Append(ctx, "r", Draft{Author: "a", Text: "lost", Time: time.Now()}); err == nil || !strings.Contains(err.Error(), "restart gochat") {
			t.Errorf("append %d after a failed write: %+v %v", i, m, err)
		}
	}
	if err := f.Ping(ctx); err == nil || !strings.Contains(err.Error(), "restart gochat") {
		t.Errorf("Ping after a failed write: %v", err)
	}
	if p, _ := f.Read(ctx, "r", 0); p.Last != 1 {
		t.Errorf("a failed append shows: %+v", p)
	}
	f.Close()
	f, err = OpenFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if m, err := f.Append(ctx, "r", Draft{Author: "a", Text: "after", Time: time.Now()}); err != nil || m.ID != 2 {
		t.Errorf("after a restart: %+v %v", m, err)
	}
}

// TestFileBatchOverHistory: a batch holding more posts to one room than
// History (many writers at once, a short history) is committed so that
// the file opens again, with the room's newest History messages.
func TestFileBatchOverHistory(t *testing.T) {
	ctx := context.Background()
	cfg := FileConfig{Path: filepath.Join(t.TempDir(), "chat.db"), History: 2, MaxRooms: 10}
	f := openStopped(t, cfg)
	commit := func(rooms []string, n int) {
		var batch []*appendReq
		for i := range n {
			for _, room := range rooms {
				batch = append(batch, &appendReq{room: room, d: Draft{Author: "a", Text: fmt.Sprint("b", i), Time: time.Now()}})
			}
		}
		commitAll(t, f, batch...)
	}
	commit([]string{"old"}, 1)
	commit([]string{"new", "old"}, 5)
	f.Close()
	f, err := OpenFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for room, last := range map[string]uint64{"new": 5, "old": 6} {
		p, _ := f.Read(ctx, room, 0)
		if p.Last != last || p.First != last-1 || len(p.Messages) != 2 || p.Messages[1].Text != "b4" {
			t.Errorf("room %s after a restart: %+v", room, p)
		}
	}
}

// TestFileBytesAfterSweep: forgetting an idle room frees what it counts,
// its idempotency keys too, as reading the file at start counts it.
func TestFileBytesAfterSweep(t *testing.T) {
	cfg := FileConfig{Path: filepath.Join(t.TempDir(), "chat.db"), History: 3, MaxRooms: 10, RoomTTL: time.Hour}
	f := openStopped(t, cfg) // the test sweeps as run's ticker would
	at := time.Now()
	for i, room := range []string{"idle", "idle", "busy"} {
		req := &appendReq{room: room, d: Draft{Author: "a", Text: "t", Time: at, Key: fmt.Sprint("k", i)}}
		if room == "busy" {
			req.d.Time = at.Add(time.Hour)
		}
		commitAll(t, f, req)
	}
	if err := f.sweep(at.Add(90 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	counted := f.mem.bytes
	f.Close()
	f, err := OpenFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Rooms() != 1 || f.mem.bytes != counted {
		t.Errorf("%d rooms; bytes counted: %d after the sweep, %d reading the file", f.Rooms(), counted, f.mem.bytes)
	}
}

// TestFileRewriteDirSyncFails: once a rewrite has renamed the new file
// over the log, a failed sync of the folder (the new name may not survive
// a power loss) stops the store, as a failed sync of the log does, rather
// than acknowledging posts in a file that may not be there after it.
func TestFileRewriteDirSyncFails(t *testing.T) {
	cfg := FileConfig{Path: filepath.Join(t.TempDir(), "chat.db"), History: 1, MaxRooms: 10}
	f := openStopped(t, cfg) // the test rewrites as run does
	defer f.log.close()
	text := strings.Repeat("x", fileMaxPost-100)
	for f.log.off <= FileRewriteSlack+2*f.mem.bytes {
		commitAll(t, f, &appendReq{room: "r", d: Draft{Author: "a", Text: text, Time: time.Now()}})
	}
	f.rewriteIfDue()
	if f.rewriting == nil {
		t.Fatal("no rewrite started")
	}
	err := <-f.rewriting.done
	f.rewriting.n.path = filepath.Join(t.TempDir(), "gone", "chat.db") // the folder's sync, after the rename, fails
	f.finishRewrite(err)
	if err := f.failed(); err == nil || !strings.Contains(err.Error(), "sync directory") {
		t.Errorf("the store after the folder's sync failed: %v, want it stopped", err)
	}
}

// openStopped opens the file store cfg names with its run goroutine
// ended, so that the test commits, sweeps and rewrites as run would. Its
// quit is open again: a rewrite stops at a closed one.
func openStopped(t *testing.T, cfg FileConfig) *File {
	t.Helper()
	f, err := OpenFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.once.Do(func() { close(f.quit) })
	f.done.Wait()
	f.quit = make(chan struct{})
	return f
}

// commitAll commits reqs as one batch, as run would, and fails the test
// on any append's error.
func commitAll(t *testing.T, f *File, reqs ...*appendReq) {
	t.Helper()
	for _, req := range reqs {
		req.reply = make(chan appendRes, 1)
	}
	f.commit(reqs)
	for _, req := range reqs {
		if res := <-req.reply; res.err != nil {
			t.Fatal(res.err)
		}
	}
}

// TestFileCrashWhileDroppingATornWrite: a crash while a start zeroes a
// torn multi-frame transaction (a room written whole, its last frame
// torn) leaves a file the next start opens, whatever part of a zeroing
// step reached the disk: the steps are synced one by one, and each one
// whose pages land in any order reads as a torn last write again.
func TestFileCrashWhileDroppingATornWrite(t *testing.T) {
	crashWhileDropping(t, 0)
}

// TestFileCrashWhileDroppingAfterACutGrowth: the same, in a file whose
// last growth a crash cut short (its size not a whole number of chunks):
// the transaction's frames are synced one by one, so a power loss while
// the file grew for its next frame leaves them whole and unfinished, and
// the start both drops them and grows the file again.
func TestFileCrashWhileDroppingAfterACutGrowth(t *testing.T) {
	crashWhileDropping(t, 3*4096)
}

// crashWhileDropping writes a room whole in several frames and tears its
// last frame (or, with cut > 0, leaves it unwritten and adds cut bytes of
// a growth a crash cut short), and checks that a crash anywhere in the
// start's writes to that file leaves one the next start opens, with what
// was committed before.
func crashWhileDropping(t *testing.T, cut int) {
	ctx := context.Background()
	at := time.Now()
	dir := t.TempDir()
	cfg := FileConfig{Path: filepath.Join(dir, "chat.db"), History: 100, MaxRooms: 10}
	f, err := OpenFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := f.Append(ctx, "r", Draft{Author: "a", Text: fmt.Sprint("t", i+1), Time: at}); err != nil {
			t.Fatal(err)
		}
	}
	big := Room{Name: "big", Epoch: "e1", Last: 100}
	for id := range uint64(100) {
		big.Messages = append(big.Messages, Message{ID: id + 1, Room: "big", Author: "a", Text: strings.Repeat("z", 2000), Time: at})
	}
	if err := f.PutRoom(ctx, big); err != nil {
		t.Fatal(err)
	}
	f.Close()
	torn, err := os.ReadFile(cfg.Path)
	if err != nil {
		t.Fatal(err)
	}
	n := len(bytes.TrimRight(torn, "\x00"))
	if cut == 0 {
		clear(torn[n-100 : n]) // its last frame torn
	} else {
		// Its last frame never written: the file grew for it, and a power
		// loss kept cut bytes of that growth.
		clear(torn[n-frameHeader-len(lastFrame(t, torn)) : n])
		torn = append(torn, make([]byte, cut)...)
	}

	// The plan a start makes for this file.
	l := replayed(t, torn, func([][]byte) error { return nil })
	steps := l.mendSteps()
	if len(l.tornFrames) < 2 {
		t.Fatalf("the room was written in %d whole frames before the torn one; want several", len(l.tornFrames))
	}

	const page = 4096
	for i, st := range steps {
		for _, part := range []struct {
			name     string
			from, to int64 // of the step, what reached the disk
		}{
			{"its first page", st.from, min(st.to, st.from+page)},
			{"its last page", max(st.from, st.to-page), st.to},
			{"all but its first page", min(st.to, st.from+page), st.to},
		} {
			t.Run(fmt.Sprintf("step %d of %d, %s", i+1, len(steps), part.name), func(t *testing.T) {
				b := bytes.Clone(torn)
				for _, done := range steps[:i] {
					b = zeroed(b, done.from, done.to)
				}
				b = zeroed(b, part.from, part.to)
				path := filepath.Join(t.TempDir(), "chat.db")
				if err := os.WriteFile(path, b, 0o600); err != nil {
					t.Fatal(err)
				}
				c := cfg
				c.Path = path
				f, err := OpenFile(c)
				if err != nil {
					t.Fatalf("the start after the crash: %v", err)
				}
				defer f.Close()
				if p, _ := f.Read(ctx, "r", 0); p.Last != 10 || len(p.Messages) != 10 {
					t.Errorf("room r after the crash: last %d, %d messages", p.Last, len(p.Messages))
				}
				if p, _ := f.Read(ctx, "big", 0); p.Epoch != "" {
					t.Errorf("the torn room is there: last %d", p.Last)
				}
				if m, err := f.Append(ctx, "r", Draft{Author: "a", Text: "t11", Time: at}); err != nil || m.ID != 11 {
					t.Errorf("the next post: %+v %v", m, err)
				}
			})
		}
	}
}

// zeroed returns b with zeros written over from to to, as a write there
// would leave the file: longer if they reach past its end (a hole before
// them reads as zeros).
func zeroed(b []byte, from, to int64) []byte {
	if n := int(to) - len(b); n > 0 {
		b = append(b, make([]byte, n)...)
	}
	clear(b[from:to])
	return b
}

// lastFrame returns the payload of the last frame of the log b holds.
func lastFrame(t *testing.T, b []byte) []byte {
	var last []byte
	replayed(t, b, func(frames [][]byte) error {
		last = frames[len(frames)-1]
		return nil
	})
	return last
}

// replayed replays the log b holds, from a file of its own, with apply,
// and returns the log as replay left it (its file closed).
func replayed(t *testing.T, b []byte, apply func(frames [][]byte) error) *logFile {
	t.Helper()
	path := filepath.Join(t.TempDir(), "log.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := &logFile{path: path, f: f, size: int64(len(b))}
	if err := l.replay(apply); err != nil {
		t.Fatal(err)
	}
	return l
}
