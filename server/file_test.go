package server_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gochat/internal/history"
	"gochat/server"
)

// TestFileStoreRestart: with -store file:PATH, a restart keeps every room:
// a reader at the old last id and epoch is not reset, ids go on, and a
// reader parked on the new server gets the next message.
func TestFileStoreRestart(t *testing.T) {
	cfg := server.Config{Store: "file:" + filepath.Join(t.TempDir(), "chat.db"), History: 1000}
	h := history.New(1000)
	first, c := MustOpen(t, cfg)
	for i := range 3 {
		c.PostTo(h, "keep", "", fmt.Sprint("before ", i))
	}
	before := c.Get("keep", "").Read
	MustClose(t, first)

	s, c := MustOpen(t, cfg)
	a := c.Get("keep", fmt.Sprintf("since=%d&epoch=%s", before.Last, before.Epoch)).Read
	if a.Reset || a.Epoch != before.Epoch || a.Last != 3 || len(a.Messages) != 0 {
		t.Errorf("after a restart: %+v", a)
	}
	reader := h.Reader("keep")
	var wg sync.WaitGroup
	wg.Go(func() { Follow(t, c, reader, 30, Saw(4)) })
	WaitParked(t, s.Stats(), 1)
	if a := c.PostTo(h, "keep", "", "after"); a.Msg.ID != 4 {
		t.Errorf("ids go on: %+v", a)
	}
	wg.Wait()
	h.CheckComplete(t)
}

// TestFileStoreHeld: a second server on the file one holds does not start,
// and says why, naming the file.
func TestFileStoreHeld(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	MustOpen(t, server.Config{Store: "file:" + path})
	s, err := server.Open(server.Config{Store: "file:" + path, Addr: "127.0.0.1:0"})
	if err == nil {
		MustClose(t, s)
		t.Fatal("a second server opened a held file")
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "another process holds the file") {
		t.Errorf("second server: %v", err)
	}
}
