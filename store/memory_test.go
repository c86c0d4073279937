package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"gochat/store"
)

func MustMemory(tb testing.TB, history, maxRooms int) *store.Memory {
	tb.Helper()
	m, err := store.NewMemory(history, maxRooms)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func TestMemoryRing(t *testing.T) {
	ctx := context.Background()
	m := MustMemory(t, 3, 10)
	p, err := m.Read(ctx, "r", 0)
	if err != nil || p.Epoch != "" || p.Last != 0 || p.First != 0 || p.Messages == nil || len(p.Messages) != 0 {
		t.Fatalf("unknown room: %+v %v", p, err)
	}
	if m.Rooms() != 0 {
		t.Errorf("a read created a room")
	}
	for i := 1; i <= 7; i++ {
		msg, err := m.Append(ctx, "r", store.Draft{Author: "a", Text: "t"})
		if err != nil || msg.ID != uint64(i) {
			t.Fatalf("append %d: %+v %v", i, msg, err)
		}
		for since := uint64(0); since <= uint64(i)+1; since++ {
			p, _ := m.Read(ctx, "r", since)
			first := uint64(max(1, i-2))
			if p.Last != uint64(i) || p.First != first {
				t.Fatalf("after %d: last %d first %d", i, p.Last, p.First)
			}
			want := first
			if since >= first {
				want = since + 1
			}
			for _, got := range p.Messages {
				if got.ID != want {
					t.Fatalf("after %d since %d: ids %+v", i, since, p.Messages)
				}
				want++
			}
			if want != uint64(i)+1 && since < uint64(i) {
				t.Fatalf("after %d since %d: missing messages %+v", i, since, p.Messages)
			}
		}
	}
	p1, _ := m.Read(ctx, "r", 0)
	p2, _ := m.Read(ctx, "r", 0)
	if p1.Epoch == "" || p1.Epoch != p2.Epoch {
		t.Errorf("epoch not stable: %q %q", p1.Epoch, p2.Epoch)
	}
	if other := MustMemory(t, 3, 10); true {
		other.Append(ctx, "r", store.Draft{Text: "x"})
		p3, _ := other.Read(ctx, "r", 0)
		if p3.Epoch == p1.Epoch {
			t.Errorf("two lives of a room share epoch %q", p1.Epoch)
		}
	}
}

func TestMemoryRoomLimit(t *testing.T) {
	ctx := context.Background()
	m := MustMemory(t, 3, 2)
	for _, room := range []string{"a", "b", "a"} {
		if _, err := m.Append(ctx, room, store.Draft{Text: "x"}); err != nil {
			t.Fatalf("append to %s: %v", room, err)
		}
	}
	if _, err := m.Append(ctx, "c", store.Draft{Text: "x"}); !errors.Is(err, store.ErrRoomLimit) {
		t.Errorf("third room: %v, want ErrRoomLimit", err)
	}
	if m.Rooms() != 2 {
		t.Errorf("rooms: %d, want 2", m.Rooms())
	}
	if _, err := store.NewMemory(0, 1); err == nil {
		t.Error("history 0 accepted")
	}
	if _, err := store.NewMemory(1, 0); err == nil {
		t.Error("max rooms 0 accepted")
	}
}

func TestMessageJSON(t *testing.T) {
	m := store.Message{ID: 18, Room: "lobby", Author: "ann", Text: "hello",
		Time: time.Date(2026, 11, 23, 5, 0, 0, 123456789, time.FixedZone("x", 3600))}
	b, err := json.Marshal(m)
	want := `{"id":18,"room":"lobby","author":"ann","text":"hello","time":"2026-11-23T04:00:00.123Z"}`
	if err != nil || string(b) != want {
		t.Errorf("got %s %v, want %s", b, err, want)
	}
}
