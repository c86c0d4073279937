package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gochat/store"
)

// BenchmarkFileOpen measures how long a file store with 1,000 rooms of
// 100 messages (200 characters each) takes to open: the check of the file
// and the load of every room into memory, what gochat's start-up waits
// for with -store file:PATH.
func BenchmarkFileOpen(b *testing.B) {
	const rooms, perRoom = 1000, 100
	cfg := store.FileConfig{Path: filepath.Join(b.TempDir(), "chat.db"), History: perRoom, MaxRooms: rooms}
	f, err := store.OpenFile(cfg)
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("x", 200)
	at := time.Now()
	for r := range rooms {
		room := store.Room{Name: fmt.Sprint("room", r), Epoch: fmt.Sprint("e", r), Last: perRoom}
		for id := range uint64(perRoom) {
			room.Messages = append(room.Messages, store.Message{ID: id + 1, Room: room.Name, Author: "ann", Text: text, Time: at})
		}
		if err := f.PutRoom(context.Background(), room); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		f, err := store.OpenFile(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if n := f.Messages(); n != rooms*perRoom {
			b.Fatalf("%d messages loaded, want %d", n, rooms*perRoom)
		}
		b.StopTimer()
		f.Close()
		b.StartTimer()
	}
}
