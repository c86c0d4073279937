package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gochat/internal/redistest"
	"gochat/store"
)

// factory makes an empty store for one test.
type factory func(t *testing.T, history, maxRooms int) store.Store

// runSuite is the one test suite every Store passes.
func runSuite(t *testing.T, mk factory) {
	t.Run("ring and since", func(t *testing.T) {
		ctx := context.Background()
		s := mk(t, 3, 10)
		p, err := s.Read(ctx, "r", 0)
		if err != nil || p.Epoch != "" || p.Last != 0 || p.First != 0 || p.Messages == nil || len(p.Messages) != 0 {
			t.Fatalf("unknown room: %+v %v", p, err)
		}
		for i := 1; i <= 7; i++ {
			msg, err := s.Append(ctx, "r", store.Draft{Author: "a", Text: fmt.Sprint("t", i), Time: time.Now()})
			if err != nil || msg.ID != uint64(i) || msg.Room != "r" || msg.Text != fmt.Sprint("t", i) {
				t.Fatalf("append %d: %+v %v", i, msg, err)
			}
			first := uint64(max(1, i-2))
			for since := uint64(0); since <= uint64(i)+1; since++ {
				p, err := s.Read(ctx, "r", since)
				if err != nil || p.Last != uint64(i) || p.First != first {
					t.Fatalf("after %d since %d: last %d first %d %v", i, since, p.Last, p.First, err)
				}
				want := max(first, since+1)
				for _, got := range p.Messages {
					if got.ID != want || got.Text != fmt.Sprint("t", want) || got.Author != "a" {
						t.Fatalf("after %d since %d: %+v", i, since, p.Messages)
					}
					want++
				}
				if want <= uint64(i) {
					t.Fatalf("after %d since %d: missing messages %+v", i, since, p.Messages)
				}
			}
		}
	})

	t.Run("epoch", func(t *testing.T) {
		ctx := context.Background()
		s := mk(t, 3, 10)
		s.Append(ctx, "r", store.Draft{Text: "x", Time: time.Now()})
		p1, _ := s.Read(ctx, "r", 0)
		s.Append(ctx, "r", store.Draft{Text: "y", Time: time.Now()})
		p2, _ := s.Read(ctx, "r", 0)
		s.Append(ctx, "other", store.Draft{Text: "z", Time: time.Now()})
		p3, _ := s.Read(ctx, "other", 0)
		if p1.Epoch == "" || p1.Epoch != p2.Epoch || p3.Epoch == p1.Epoch {
			t.Errorf("epochs: %q %q %q", p1.Epoch, p2.Epoch, p3.Epoch)
		}
	})

	t.Run("message fields", func(t *testing.T) {
		ctx := context.Background()
		s := mk(t, 3, 10)
		at := time.Date(2026, 11, 23, 4, 0, 0, 123e6, time.UTC)
		text := "line 1\nline \"2\" \t <b>é</b> \\ 🙂"
		m, err := s.Append(ctx, "r", store.Draft{Author: "ann", Text: text, Time: at})
		if err != nil {
			t.Fatal(err)
		}
		p, _ := s.Read(ctx, "r", 0)
		if len(p.Messages) != 1 || p.Messages[0].Text != text || p.Messages[0].Author != "ann" || !p.Messages[0].Time.Equal(at) || p.Messages[0].ID != m.ID {
			t.Errorf("stored %+v, read %+v", m, p.Messages)
		}
	})

	t.Run("room limit", func(t *testing.T) {
		ctx := context.Background()
		s := mk(t, 3, 2)
		for _, room := range []string{"a", "b", "a"} {
			if _, err := s.Append(ctx, room, store.Draft{Text: "x", Time: time.Now()}); err != nil {
				t.Fatalf("append to %s: %v", room, err)
			}
		}
		if _, err := s.Append(ctx, "c", store.Draft{Text: "x", Time: time.Now()}); !errors.Is(err, store.ErrRoomLimit) {
			t.Errorf("third room: %v, want ErrRoomLimit", err)
		}
		if p, _ := s.Read(ctx, "c", 0); p.Epoch != "" || p.Last != 0 {
			t.Errorf("a refused room exists: %+v", p)
		}
	})

	t.Run("idempotency keys", func(t *testing.T) {
		ctx := context.Background()
		s := mk(t, 2, 10)
		at := time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)
		draft := store.Draft{Author: "ann", Text: "hello", Time: at, Key: "k1"}
		first, err := s.Append(ctx, "r", draft)
		if err != nil {
			t.Fatal(err)
		}
		// A repeat within the window answers the original, stores nothing.
		again := draft
		again.Time = at.Add(store.KeyWindow - time.Second)
		if m, err := s.Append(ctx, "r", again); err != nil || m.ID != first.ID || !m.Time.Equal(at) || m.Text != "hello" {
			t.Errorf("repeat: %+v %v, want the original %+v", m, err, first)
		}
		// The same key with another text, or another author, is refused.
		for _, d := range []store.Draft{{Author: "ann", Text: "other"}, {Author: "bob", Text: "hello"}} {
			d.Time, d.Key = at, "k1"
			if _, err := s.Append(ctx, "r", d); !errors.Is(err, store.ErrKeyReused) {
				t.Errorf("key reused for %+v: %v, want ErrKeyReused", d, err)
			}
		}
		// Keys are per room, and the same text without a key is stored.
		if m, err := s.Append(ctx, "other", draft); err != nil || m.ID != 1 {
			t.Errorf("same key in another room: %+v %v", m, err)
		}
		if m, err := s.Append(ctx, "r", store.Draft{Author: "ann", Text: "hello", Time: at}); err != nil || m.ID != 2 {
			t.Errorf("same text without a key: %+v %v", m, err)
		}
		// A key is remembered after its message left the history...
		s.Append(ctx, "r", store.Draft{Text: "push", Time: at})
		if m, err := s.Append(ctx, "r", again); err != nil || m.ID != first.ID {
			t.Errorf("repeat after the message left the history: %+v %v", m, err)
		}
		// ...and forgotten after the window.
		late := draft
		late.Time = at.Add(store.KeyWindow)
		if m, err := s.Append(ctx, "r", late); err != nil || m.ID != 4 {
			t.Errorf("after the window: %+v %v, want a new message 4", m, err)
		}
		if p, _ := s.Read(ctx, "r", 0); p.Last != 4 {
			t.Errorf("the room holds %d messages, want 4", p.Last)
		}
	})

	t.Run("notices", func(t *testing.T) {
		ctx := context.Background()
		s := mk(t, 3, 10)
		sub := s.Subscribe()
		defer sub.Close()
		s.Append(ctx, "a", store.Draft{Text: "x", Time: time.Now()})
		s.Append(ctx, "b", store.Draft{Text: "x", Time: time.Now()})
		got := map[string]bool{}
		deadline := time.After(10 * time.Second)
		for !got["a"] || !got["b"] {
			select {
			case <-sub.Ready():
				rooms, _ := sub.Drain()
				for _, r := range rooms {
					got[r] = true
				}
			case <-deadline:
				t.Fatalf("notices: got %v, want a and b", got)
			}
		}
		if err := s.Ping(ctx); err != nil {
			t.Errorf("ping: %v", err)
		}
	})
}

func TestMemoryStore(t *testing.T) {
	runSuite(t, func(t *testing.T, history, maxRooms int) store.Store {
		return MustMemory(t, history, maxRooms)
	})
}

func TestRedisStore(t *testing.T) {
	srv := redistest.Start(t)
	runSuite(t, func(t *testing.T, history, maxRooms int) store.Store {
		return MustRedis(t, srv.URL(), "t:"+strings.ReplaceAll(t.Name(), "/", ":")+":", history, maxRooms)
	})
}

func TestFileStore(t *testing.T) {
	runSuite(t, func(t *testing.T, history, maxRooms int) store.Store {
		return MustFile(t, filepath.Join(t.TempDir(), "chat.db"), history, maxRooms)
	})
}

// MustFile opens a file store at path, closed with the test.
func MustFile(tb testing.TB, path string, history, maxRooms int) *store.File {
	tb.Helper()
	s, err := store.OpenFile(store.FileConfig{Path: path, History: history, MaxRooms: maxRooms})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// MustRedis opens a Redis store under prefix, closed with the test.
func MustRedis(tb testing.TB, url, prefix string, history, maxRooms int) *store.Redis {
	tb.Helper()
	s, err := store.OpenRedis(store.RedisConfig{URL: url, Prefix: prefix, History: history, MaxRooms: maxRooms, StartTimeout: 5 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
