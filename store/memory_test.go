package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
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

func TestNewMemoryBounds(t *testing.T) {
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

func TestMemoryByteBound(t *testing.T) {
	ctx := context.Background()
	m := MustMemory(t, 2, 10)
	m.SetMaxBytes(3 * (96 + 1 + 10)) // three messages of room "r" with a 10-byte text
	for i := range 3 {
		if _, err := m.Append(ctx, "r", store.Draft{Text: "0123456789"}); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	// The ring holds two, so the third replaced the first: room for one more.
	if _, err := m.Append(ctx, "r", store.Draft{Text: "0123456789"}); err != nil {
		t.Fatalf("append within the bound: %v", err)
	}
	if _, err := m.Append(ctx, "s", store.Draft{Text: strings.Repeat("x", 200)}); !errors.Is(err, store.ErrFull) {
		t.Errorf("append past the bound: %v", err)
	}
	if m.Rooms() != 1 {
		t.Errorf("a refused append left a room behind: %d rooms", m.Rooms())
	}
}

// TestMemoryForgetsKeysOfIdleRooms: a key past KeyWindow stops counting
// against the byte bound at the next append to any room, not only at the
// next keyed append to its own room, so the keys of rooms that went quiet
// cannot fill the store for good.
func TestMemoryForgetsKeysOfIdleRooms(t *testing.T) {
	ctx := context.Background()
	m := MustMemory(t, 1, 10)
	const msg, key = 96 + 1 + 1, 1 + 80 // a message of room "a" or "b" with a 1-byte text; key "k"
	m.SetMaxBytes(2*msg + key - 1)      // two messages, but not both and the key
	at := time.Date(2026, 11, 24, 4, 0, 0, 0, time.UTC)
	if _, err := m.Append(ctx, "a", store.Draft{Text: "x", Time: at, Key: "k"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Append(ctx, "b", store.Draft{Text: "y", Time: at.Add(store.KeyWindow)}); err != nil {
		t.Errorf("an append once the key of a quiet room expired: %v", err)
	}
}
