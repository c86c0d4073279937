package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
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

// BenchmarkFileAppend measures appends from 32 writers at once, each to a
// room of its own, as the bench's write scenario makes them: every one is
// on disk when it returns, and concurrent ones share a commit.
func BenchmarkFileAppend(b *testing.B) {
	const writers = 32
	f, err := store.OpenFile(store.FileConfig{Path: filepath.Join(b.TempDir(), "chat.db"), History: 100, MaxRooms: writers})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.SetParallelism((writers + 1) / 2) // 2 cores: 16 goroutines each
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		room := fmt.Sprint("room", next.Add(1)%writers)
		for pb.Next() {
			if _, err := f.Append(context.Background(), room, store.Draft{Author: "ann", Text: strings.Repeat("x", 200), Time: time.Now()}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(f.Commits())/float64(b.N), "commits/op")
}
