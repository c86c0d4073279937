package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"gochat/internal/testutil"
	"gochat/store"
)

func openFile(t *testing.T, cfg store.FileConfig) *store.File {
	t.Helper()
	s, err := store.OpenFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFileRestart: after Close and a new OpenFile on the same file, every
// room has its messages, last id and epoch, ids go on from the last one,
// and idempotency keys are still remembered.
func TestFileRestart(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx := context.Background()
	cfg := store.FileConfig{Path: filepath.Join(t.TempDir(), "chat.db"), History: 3, MaxRooms: 10}
	s := openFile(t, cfg)
	at := time.Date(2026, 11, 24, 4, 0, 0, 0, time.UTC)
	for i := 1; i <= 5; i++ {
		if _, err := s.Append(ctx, "r", store.Draft{Author: "ann", Text: fmt.Sprint("t", i), Time: at, Key: fmt.Sprint("k", i)}); err != nil {
			t.Fatal(err)
		}
	}
	s.Append(ctx, "other", store.Draft{Author: "bob", Text: "x", Time: at})
	before, _ := s.Read(ctx, "r", 0)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openFile(t, cfg)
	defer s.Close()
	after, err := s.Read(ctx, "r", 0)
	if err != nil || after.Epoch != before.Epoch || after.Last != 5 || after.First != 3 || len(after.Messages) != 3 {
		t.Fatalf("after a restart: %+v %v, before %+v", after, err, before)
	}
	for i, m := range after.Messages {
		if m.ID != uint64(3+i) || m.Text != fmt.Sprint("t", 3+i) || m.Author != "ann" || !m.Time.Equal(at) || m.Room != "r" {
			t.Errorf("message %d after a restart: %+v", i, m)
		}
	}
	if m, err := s.Append(ctx, "r", store.Draft{Author: "ann", Text: "t6", Time: at}); err != nil || m.ID != 6 {
		t.Errorf("the next post: %+v %v, want id 6", m, err)
	}
	if m, err := s.Append(ctx, "r", store.Draft{Author: "ann", Text: "t2", Time: at, Key: "k2"}); err != nil || m.ID != 2 {
		t.Errorf("a repeat of a key after a restart: %+v %v, want the original id 2", m, err)
	}
	if p, _ := s.Read(ctx, "other", 0); p.Last != 1 || p.Epoch == "" || p.Epoch == before.Epoch {
		t.Errorf("room other after a restart: %+v", p)
	}
}

// TestFileSecondInstance: a second OpenFile on a file another holds fails
// within about FileLockTimeout, naming the file.
func TestFileSecondInstance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	s := openFile(t, store.FileConfig{Path: path, History: 3, MaxRooms: 10})
	defer s.Close()
	start := time.Now()
	_, err := store.OpenFile(store.FileConfig{Path: path, History: 3, MaxRooms: 10})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "another process holds the file") {
		t.Fatalf("second open: %v", err)
	}
	if d := time.Since(start); d > 10*store.FileLockTimeout {
		t.Errorf("the second open took %v to fail", d)
	}
}

// TestFileCorrupt: a file with damaged pages, a truncated file and a
// file that is not a database are refused, naming the file.
func TestFileCorrupt(t *testing.T) {
	ctx := context.Background()
	good := filepath.Join(t.TempDir(), "good.db")
	s := openFile(t, store.FileConfig{Path: good, History: 50, MaxRooms: 100})
	for i := range 2000 {
		if _, err := s.Append(ctx, fmt.Sprint("room", i%20), store.Draft{Author: "a", Text: strings.Repeat("x", 100), Time: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	for _, c := range []struct {
		name string
		data func() []byte
	}{
		{"pages overwritten", func() []byte {
			b := append([]byte(nil), data...)
			for i := 2 * page; i < len(b); i += 3 {
				b[i] = 0xA5
			}
			return b
		}},
		{"meta pages overwritten", func() []byte {
			b := append([]byte(nil), data...)
			copy(b, strings.Repeat("garbage!", page/4))
			return b
		}},
		{"truncated", func() []byte { return data[:len(data)/3] }},
		{"not a database", func() []byte { return []byte("hello, this is not a database\n") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "chat.db")
			if err := os.WriteFile(path, c.data(), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := store.OpenFile(store.FileConfig{Path: path, History: 50, MaxRooms: 100})
			if err == nil {
				s.Close()
				t.Fatal("a damaged file was opened")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("the error does not name the file: %v", err)
			}
			t.Log(err)
		})
	}
}

// TestFileBatch: concurrent appends share commits, and every one gets
// its own id.
func TestFileBatch(t *testing.T) {
	ctx := context.Background()
	s := MustFile(t, filepath.Join(t.TempDir(), "chat.db"), 1000, 10)
	const writers, each = 32, 20
	var wg sync.WaitGroup
	ids := make(chan uint64, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				m, err := s.Append(ctx, "r", store.Draft{Author: "a", Text: fmt.Sprint(w, " ", i), Time: time.Now()})
				if err != nil {
					t.Error(err)
					return
				}
				ids <- m.ID
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[uint64]bool{}
	for id := range ids {
		if seen[id] || id < 1 || id > writers*each {
			t.Fatalf("id %d twice or out of range", id)
		}
		seen[id] = true
	}
	if len(seen) != writers*each {
		t.Fatalf("%d ids, want %d", len(seen), writers*each)
	}
	if n := s.Commits(); n >= writers*each {
		t.Errorf("%d appends in %d commits: none shared one", writers*each, n)
	} else {
		t.Logf("%d appends in %d commits", writers*each, n)
	}
}

// TestFileBounds: -max-bytes and -max-rooms hold as with the memory
// store, a refused append leaves nothing, and a shorter history at start
// trims the file.
func TestFileBounds(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chat.db")
	s := openFile(t, store.FileConfig{Path: path, History: 2, MaxRooms: 2, MaxBytes: 3 * (96 + 1 + 10)})
	for i := range 4 {
		if _, err := s.Append(ctx, "r", store.Draft{Text: "0123456789", Time: time.Now()}); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	if _, err := s.Append(ctx, "s", store.Draft{Text: strings.Repeat("x", 200), Time: time.Now()}); !errors.Is(err, store.ErrFull) {
		t.Errorf("append past the byte bound: %v", err)
	}
	if s.Rooms() != 1 {
		t.Errorf("a refused append left a room: %d rooms", s.Rooms())
	}
	s.Close()
	s = openFile(t, store.FileConfig{Path: path, History: 1, MaxRooms: 2})
	defer s.Close()
	if p, _ := s.Read(ctx, "r", 0); p.Last != 4 || p.First != 4 || len(p.Messages) != 1 {
		t.Errorf("after a restart with a shorter history: %+v", p)
	}
	if _, err := s.Append(ctx, "s", store.Draft{Text: "x", Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "t", store.Draft{Text: "x", Time: time.Now()}); !errors.Is(err, store.ErrRoomLimit) {
		t.Errorf("a third room: %v, want ErrRoomLimit", err)
	}
}

// TestFileRoomTTL: a room without a post for the TTL is forgotten, in
// memory and in the file.
func TestFileRoomTTL(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chat.db")
	cfg := store.FileConfig{Path: path, History: 2, MaxRooms: 10, RoomTTL: 100 * time.Millisecond}
	s := openFile(t, cfg)
	s.Append(ctx, "old", store.Draft{Text: "x", Time: time.Now()})
	testutil.WaitFor(t, "the idle room to be forgotten", func() bool { return s.Rooms() == 0 })
	s.Close()
	cfg.RoomTTL = 0
	s = openFile(t, cfg)
	defer s.Close()
	if p, _ := s.Read(ctx, "old", 0); p.Epoch != "" {
		t.Errorf("the forgotten room is back after a restart: %+v", p)
	}
}

// TestFileStaysBounded: over 100,000 posts with a small history, the
// file stops growing: bbolt reuses the pages trimming frees.
func TestFileStaysBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 fsynced posts")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chat.db")
	s := MustFile(t, path, 100, 100)
	const posts, rooms, writers = 100_000, 10, 32
	text := strings.Repeat("x", 200)
	var sizeAt10k int64
	var wg sync.WaitGroup
	next := make(chan int)
	for range writers {
		wg.Go(func() {
			for i := range next {
				if _, err := s.Append(ctx, fmt.Sprint("room", i%rooms), store.Draft{Author: "author", Text: text, Time: time.Now()}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for i := range posts {
		if i == 10_000 {
			info, _ := os.Stat(path)
			sizeAt10k = info.Size()
		}
		next <- i
	}
	close(next)
	wg.Wait()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d posts in %d commits; file %d KiB after 10,000 posts, %d KiB after %d", posts, s.Commits(), sizeAt10k>>10, info.Size()>>10, posts)
	if info.Size() > 2*sizeAt10k {
		t.Errorf("the file grew from %d to %d bytes", sizeAt10k, info.Size())
	}
}

// TestFileByteBoundAfterLargerHistory: after a restart with a larger
// -history, a room holds fewer messages than it may, and a post frees
// nothing until it is full: the byte bound counts as much.
func TestFileByteBoundAfterLargerHistory(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chat.db")
	const msg = 96 + 1 + 10 // a message of room "r" with a 10-byte text
	s := openFile(t, store.FileConfig{Path: path, History: 2, MaxRooms: 10})
	for i := range 5 {
		if _, err := s.Append(ctx, "r", store.Draft{Text: "0123456789", Time: time.Now()}); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	s.Close()
	s = openFile(t, store.FileConfig{Path: path, History: 4, MaxRooms: 10, MaxBytes: 3*msg + 50})
	defer s.Close()
	if _, err := s.Append(ctx, "r", store.Draft{Text: "0123456789", Time: time.Now()}); err != nil {
		t.Fatalf("a third message: %v", err)
	}
	if m, err := s.Append(ctx, "r", store.Draft{Text: "0123456789", Time: time.Now()}); !errors.Is(err, store.ErrFull) {
		t.Errorf("a fourth message past the byte bound: %+v %v, want ErrFull", m, err)
	}
}
