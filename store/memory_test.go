package store_test

import (
	"encoding/json"
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
