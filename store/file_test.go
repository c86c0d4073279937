package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	at := time.Now().UTC() // keys older than KeyWindow are not loaded
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

// used returns how many bytes of the file hold data: the offset after its
// last byte that is not zero (the rest is zeros written ahead).
func used(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return len(bytes.TrimRight(data, "\x00"))
}

// TestFileCorrupt: a damaged frame with data after it, garbage over the
// frames, a damaged header, a file truncated within its frames and a file
// that is not a store are refused, naming the file.
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
	n := used(t, good)
	if n < 2*store.FileMaxFrame {
		t.Fatalf("only %d bytes of frames: too few to damage one with more than a frame after it", n)
	}
	for _, c := range []struct {
		name string
		data func() []byte
		want string
	}{
		{"a frame damaged", func() []byte {
			b := bytes.Clone(data)
			b[n/3] ^= 0x10
			return b
		}, "damaged at byte"},
		{"garbage over the frames", func() []byte {
			b := bytes.Clone(data)
			for i := 8192; i < len(b); i += 3 {
				b[i] = 0xA5
			}
			return b
		}, "damaged at byte"},
		{"header overwritten", func() []byte {
			b := bytes.Clone(data)
			copy(b, "garbage!garbage!")
			return b
		}, "not a gochat store file"},
		{"truncated within the frames", func() []byte { return data[:n/2] }, "truncated"},
		{"not a store file", func() []byte { return []byte("hello, this is not a database\n") }, "not a gochat store file"},
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
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("the error does not name the file and say %q: %v", c.want, err)
			}
			t.Log(err)
		})
	}
}

// TestFileTornWrite: what a crash can leave after the last whole write
// (part of a frame that was never acknowledged, or the first frames of a
// room written whole) is dropped at start with a warning, every earlier
// message is kept, and the store goes on from there, across another
// restart too.
func TestFileTornWrite(t *testing.T) {
	ctx := context.Background()
	at := time.Now()
	for _, c := range []struct {
		name string
		tear func(t *testing.T, s *store.File, path string) // leaves room r at 10 messages
	}{
		{"a partial frame after the last", func(t *testing.T, s *store.File, path string) {
			s.Close()
			n := used(t, path)
			writeAt(t, path, n, bytes.Repeat([]byte{0x5A}, 1000))
		}},
		{"the last frame torn", func(t *testing.T, s *store.File, path string) {
			n := used(t, path)
			if _, err := s.Append(ctx, "r", store.Draft{Author: "a", Text: strings.Repeat("y", 3000), Time: at}); err != nil {
				t.Fatal(err)
			}
			s.Close()
			writeAt(t, path, n+1000, make([]byte, 1000)) // a page of it not written
		}},
		{"the last frame torn, in a file whose growth a power loss cut short", func(t *testing.T, s *store.File, path string) {
			s.Close()
			n := used(t, path)
			if err := os.Truncate(path, int64(n+20000)); err != nil { // not a whole number of chunks
				t.Fatal(err)
			}
			s = openFile(t, store.FileConfig{Path: path, History: 100, MaxRooms: 10})
			if _, err := s.Append(ctx, "r", store.Draft{Author: "a", Text: strings.Repeat("y", 3000), Time: at}); err != nil {
				t.Fatal(err)
			}
			s.Close()
			writeAt(t, path, n+1000, make([]byte, 1000))
		}},
		{"a room written whole, torn after its first frames", func(t *testing.T, s *store.File, path string) {
			big := store.Room{Name: "big", Epoch: "e1", Last: 100}
			for id := range uint64(100) {
				big.Messages = append(big.Messages, store.Message{ID: id + 1, Room: "big", Author: "a", Text: strings.Repeat("z", 2000), Time: at})
			}
			if err := s.PutRoom(ctx, big); err != nil {
				t.Fatal(err)
			}
			s.Close()
			n := used(t, path)
			writeAt(t, path, n-100, make([]byte, 100)) // its last frame torn
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "chat.db")
			cfg := store.FileConfig{Path: path, History: 100, MaxRooms: 10}
			s := openFile(t, cfg)
			for i := range 10 {
				if _, err := s.Append(ctx, "r", store.Draft{Author: "a", Text: fmt.Sprint("t", i+1), Time: at}); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := s.Read(ctx, "r", 0)
			c.tear(t, s, path)

			var log bytes.Buffer
			cfg.Log = slog.New(slog.NewTextHandler(&log, nil))
			s = openFile(t, cfg)
			after, _ := s.Read(ctx, "r", 0)
			if after.Epoch != before.Epoch || after.Last != 10 || len(after.Messages) != 10 {
				t.Fatalf("after the torn write: %+v, before %+v", after, before)
			}
			if p, _ := s.Read(ctx, "big", 0); p.Epoch != "" {
				t.Errorf("a room torn in the middle of its writing is there: last %d", p.Last)
			}
			if !strings.Contains(log.String(), "dropped a torn last write") {
				t.Errorf("no warning of the torn write: %q", log.String())
			}
			if m, err := s.Append(ctx, "r", store.Draft{Author: "a", Text: "t11", Time: at}); err != nil || m.ID != 11 {
				t.Fatalf("the next post: %+v %v", m, err)
			}
			s.Close()
			s = openFile(t, store.FileConfig{Path: path, History: 100, MaxRooms: 10})
			defer s.Close()
			if p, _ := s.Read(ctx, "r", 0); p.Last != 11 || len(p.Messages) != 11 || p.Messages[10].Text != "t11" {
				t.Errorf("after another restart: %+v", p)
			}
		})
	}
}

// TestFileTruncatedAtAChunk: a file cut at a whole number of chunks, in
// the middle of a frame, is refused as truncated, not read as a torn
// last write: the file grows ahead of its frames, so a whole frame header
// whose frame runs past the file's end is never a crash's.
func TestFileTruncatedAtAChunk(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) // the same frames every run
	path := filepath.Join(t.TempDir(), "chat.db")
	s := openFile(t, store.FileConfig{Path: path, History: 50, MaxRooms: 100})
	for i := 0; used(t, path) < store.FileChunk+store.FileMaxFrame; i++ {
		for j := range 100 {
			if _, err := s.Append(ctx, fmt.Sprint("room", (i*100+j)%20), store.Draft{Author: "a", Text: strings.Repeat("x", 300+j), Time: at}); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.Close()
	refusedCutAtAChunk(t, store.FileConfig{Path: path, History: 50, MaxRooms: 100})
}

// TestFileTruncatedWithinAFrameHeader: a file cut at a whole number of
// chunks within a frame's header (fewer than its 16 bytes before the end)
// is refused as truncated too: no crash leaves data there, as a frame is
// written only where the file has grown to hold all of it.
func TestFileTruncatedWithinAFrameHeader(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "chat.db")
	s := openFile(t, store.FileConfig{Path: path, History: 1000, MaxRooms: 10})
	post := func(n int) int { // the bytes its frame took
		t.Helper()
		before := used(t, path)
		if _, err := s.Append(ctx, "r", store.Draft{Author: "a", Text: strings.Repeat("x", n), Time: at}); err != nil {
			t.Fatal(err)
		}
		return used(t, path) - before
	}
	for used(t, path) < store.FileChunk-20000 {
		post(8000)
	}
	for used(t, path) < store.FileChunk-10000 {
		post(2000)
	}
	// Posts of 1000 to 16000 bytes take a frame of the same overhead: the
	// next frame ends 8 bytes before the chunk's end, and the one after
	// it starts there.
	overhead := post(1000) - 1000
	size := store.FileChunk - 8 - used(t, path) - overhead
	if got := post(size); used(t, path) != store.FileChunk-8 {
		t.Fatalf("a post of %d bytes took %d, and the log ends at byte %d; want %d", size, got, used(t, path), store.FileChunk-8)
	}
	post(100)
	s.Close()
	refusedCutAtAChunk(t, store.FileConfig{Path: path, History: 1000, MaxRooms: 10})
}

// refusedCutAtAChunk cuts the file cfg names at its first chunk's end and
// checks that OpenFile refuses it as truncated, naming the file.
func refusedCutAtAChunk(t *testing.T, cfg store.FileConfig) {
	t.Helper()
	if err := os.Truncate(cfg.Path, store.FileChunk); err != nil {
		t.Fatal(err)
	}
	s, err := store.OpenFile(cfg)
	if err == nil {
		s.Close()
		t.Fatal("a file cut at a chunk's end was opened")
	}
	if !strings.Contains(err.Error(), cfg.Path) || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("the error does not name the file and say it is truncated: %v", err)
	}
	t.Log(err)
}

// TestFileCrashWhileCreated: a file a crash left while gochat was making
// it new, zeros without the header yet (some or all of its first chunk),
// opens as a new store.
func TestFileCrashWhileCreated(t *testing.T) {
	ctx := context.Background()
	for _, size := range []int{10, store.FileChunk} {
		t.Run(fmt.Sprint(size, " zeros"), func(t *testing.T) {
			cfg := store.FileConfig{Path: filepath.Join(t.TempDir(), "chat.db"), History: 10, MaxRooms: 10}
			if err := os.WriteFile(cfg.Path, make([]byte, size), 0o600); err != nil {
				t.Fatal(err)
			}
			if rep, err := store.CheckFile(cfg.Path); err != nil || rep.Rooms != 0 || rep.Torn != 0 {
				t.Errorf("store check, which reads the file as a start does: %+v %v", rep, err)
			}
			s := openFile(t, cfg)
			if m, err := s.Append(ctx, "r", store.Draft{Author: "a", Text: "t1", Time: time.Now()}); err != nil || m.ID != 1 {
				t.Fatalf("the first post: %+v %v", m, err)
			}
			s.Close()
			s = openFile(t, cfg)
			defer s.Close()
			if p, _ := s.Read(ctx, "r", 0); p.Last != 1 || len(p.Messages) != 1 {
				t.Errorf("after a restart: %+v", p)
			}
		})
	}
}

// writeAt overwrites the file at path from byte off.
func writeAt(t *testing.T, path string, off int, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, int64(off)); err != nil {
		t.Fatal(err)
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

// TestFileRewrite: once the log outgrows what the store holds, it is
// rewritten with only that: the file shrinks, and after a restart every
// room has its epoch, messages and idempotency keys, and ids go on.
func TestFileRewrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chat.db")
	cfg := store.FileConfig{Path: path, History: 5, MaxRooms: 10}
	s := openFile(t, cfg)
	text := strings.Repeat("x", 2000)
	const posts = 4000 // 8 MB of texts: more than FileRewriteSlack
	var largest, shrunk int64
	for i := range posts {
		if _, err := s.Append(ctx, fmt.Sprint("room", i%3), store.Draft{Author: "a", Text: text, Time: time.Now(), Key: fmt.Sprint("k", i)}); err != nil {
			t.Fatal(err)
		}
		info, _ := os.Stat(path)
		if info.Size() < largest {
			shrunk = info.Size()
		}
		largest = max(largest, info.Size())
	}
	if shrunk == 0 {
		t.Fatalf("the log was never rewritten: it grew to %d bytes", largest)
	}
	t.Logf("the log grew to %d bytes, and was rewritten to %d", largest, shrunk)
	before := map[string]store.Page{}
	for r := range 3 {
		before[fmt.Sprint("room", r)], _ = s.Read(ctx, fmt.Sprint("room", r), 0)
	}
	s.Close()
	s = openFile(t, cfg)
	defer s.Close()
	for room, b := range before {
		a, _ := s.Read(ctx, room, 0)
		if a.Epoch != b.Epoch || a.Last != b.Last || len(a.Messages) != 5 || a.Messages[0].ID != b.Messages[0].ID {
			t.Errorf("room %s after a rewrite and a restart: last %d, %d messages; before: last %d", room, a.Last, len(a.Messages), b.Last)
		}
	}
	m, err := s.Append(ctx, "room0", store.Draft{Author: "a", Text: text, Time: time.Now(), Key: fmt.Sprint("k", posts-1)}) // room0's last post
	if err != nil || m.ID != before["room0"].Last {
		t.Errorf("a key's repeat after a rewrite and a restart: %d %v, want the original id %d", m.ID, err, before["room0"].Last)
	}
	if m, err := s.Append(ctx, "room0", store.Draft{Author: "a", Text: "next", Time: time.Now()}); err != nil || m.ID != before["room0"].Last+1 {
		t.Errorf("the next post: %d %v", m.ID, err)
	}
}

// TestFileStaysBounded: over 100,000 posts with a small history, the
// file stays within FileRewriteSlack and two chunks, as the log is
// rewritten whenever it outgrows what the store holds.
func TestFileStaysBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 fsynced posts")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chat.db")
	s := MustFile(t, path, 100, 100)
	const posts, rooms, writers = 100_000, 10, 32
	const bound = store.FileRewriteSlack + 2*store.FileChunk // 2 × 300 KB held, rounded up to a chunk
	text := strings.Repeat("x", 200)
	var largest int64
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
		if i%1000 == 0 {
			info, _ := os.Stat(path)
			largest = max(largest, info.Size())
		}
		next <- i
	}
	close(next)
	wg.Wait()
	t.Logf("%d posts in %d commits; the file at most %d KiB", posts, s.Commits(), largest>>10)
	if largest > bound {
		t.Errorf("the file grew to %d bytes, past %d", largest, bound)
	}
	s.Close()
	s = MustFile(t, path, 100, 100)
	for r := range rooms {
		if p, _ := s.Read(ctx, fmt.Sprint("room", r), 0); p.Last != posts/rooms || len(p.Messages) != 100 {
			t.Errorf("room%d after a restart: last %d, %d messages", r, p.Last, len(p.Messages))
		}
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

// TestFilePutRoomTooLarge: a room whose message is larger than the file
// store takes is refused, naming it, and the store goes on writing.
func TestFilePutRoomTooLarge(t *testing.T) {
	ctx := context.Background()
	s := openFile(t, store.FileConfig{Path: filepath.Join(t.TempDir(), "chat.db"), History: 10, MaxRooms: 10})
	defer s.Close()
	big := store.Room{Name: "big", Epoch: "e1", Last: 2, Messages: []store.Message{
		{ID: 1, Room: "big", Author: "a", Text: "small", Time: time.Now()},
		{ID: 2, Room: "big", Author: "a", Text: strings.Repeat("x", 2*store.FileMaxFrame), Time: time.Now()},
	}}
	if err := s.PutRoom(ctx, big); err == nil || !strings.Contains(err.Error(), `room "big"`) || strings.Contains(err.Error(), "restart") {
		t.Errorf("put a room with a message too large: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping after a room too large: %v", err)
	}
	if m, err := s.Append(ctx, "r", store.Draft{Author: "a", Text: "t", Time: time.Now()}); err != nil || m.ID != 1 {
		t.Errorf("a post after a room too large: %+v %v", m, err)
	}
}
