package store

import (
	"context"
	"fmt"
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
