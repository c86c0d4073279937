package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"gochat/graph"
	"gochat/internal/history"
	"gochat/server"
)

func TestLongPollWake(t *testing.T) {
	s, c := MustOpen(t, server.Config{})
	epoch := c.Get("lobby", "").Read.Epoch // "": the room does not exist yet
	got := make(chan Answer, 1)
	go func() {
		a, err := c.Read("lobby", "since=0&wait=30&epoch="+epoch)
		if err != nil {
			t.Error(err)
		}
		got <- a
	}()
	WaitParked(t, s.Stats(), 1)
	m := c.Post("lobby", "ann", "wake up")
	a := <-got
	if a.Status != 200 || len(a.Read.Messages) != 1 || a.Read.Messages[0] != m || a.Read.Reset || a.Read.Epoch == "" {
		t.Errorf("woken read: %s", a.Raw)
	}
}

func TestLongPollTimeoutAndClamp(t *testing.T) {
	_, c := MustOpen(t, server.Config{MaxWait: time.Second})
	c.Post("lobby", "", "x")
	// wait=3600 is clamped to the server's one second: the read ends empty.
	a := c.Get("lobby", "since=1&wait=3600")
	if a.Status != 200 || a.Read.Last != 1 || len(a.Read.Messages) != 0 || !strings.Contains(a.Raw, `"messages":[]`) {
		t.Errorf("expired read: %d %s", a.Status, a.Raw)
	}
}

func TestConcurrentWritersAndReaders(t *testing.T) {
	const writers, perWriter, readers = 8, 50, 10
	const total = writers * perWriter
	s, c := MustOpen(t, server.Config{History: total})

	h := history.New(total)
	var rg sync.WaitGroup
	for range readers {
		rg.Add(1)
		r := h.Reader("busy")
		go func() {
			defer rg.Done()
			Follow(t, c, r, 30, Saw(total))
		}()
	}
	WaitParked(t, s.Stats(), readers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				if a, err := c.Write(h, "busy", fmt.Sprint("w", w), fmt.Sprint(i), ""); err != nil || a.Status != 201 {
					t.Errorf("post: %v %d %s", err, a.Status, a.Raw)
				}
			}
		}()
	}
	wg.Wait()
	rg.Wait()
	h.CheckComplete(t)
}

func TestDisconnectReleasesWaiters(t *testing.T) {
	const clients = 500
	ignore := goleak.IgnoreCurrent()
	s, c := MustOpen(t, server.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, clients)
	for range clients {
		go func() {
			_, err := c.Do(ctx, http.MethodGet, "api/rooms/lobby/messages?wait=55", "", "")
			errs <- err
		}()
	}
	WaitParked(t, s.Stats(), clients)
	cancel()
	// Released at once: long before their 55 s wait would end.
	WaitParked(t, s.Stats(), 0)
	for range clients {
		if err := <-errs; err == nil {
			t.Error("a cancelled request got an answer")
		}
	}
	if a := c.Get("lobby", ""); a.Status != 200 {
		t.Errorf("after the disconnects: %d %s", a.Status, a.Raw)
	}
	MustClose(t, s)
	c.http.CloseIdleConnections()
	goleak.VerifyNone(t, ignore)
}

func TestGracefulShutdown(t *testing.T) {
	const parked = 5
	s, c := MustOpen(t, server.Config{})
	c.Post("lobby", "", "x")
	got := make(chan Answer, parked)
	for range parked {
		go func() {
			a, err := c.Read("lobby", "since=1&wait=55")
			if err != nil {
				t.Error(err)
			}
			got <- a
		}()
	}
	WaitParked(t, s.Stats(), parked)
	closed := make(chan struct{})
	go func() {
		MustClose(t, s)
		close(closed)
	}()
	for range parked {
		if a := <-got; a.Status != 200 || a.Read.Last != 1 || len(a.Read.Messages) != 0 {
			t.Errorf("parked read at shutdown: %d %s", a.Status, a.Raw)
		}
	}
	<-closed
	if _, err := c.Do(context.Background(), http.MethodGet, "api/rooms/lobby/messages", "", ""); err == nil {
		t.Error("the server still answers after Close")
	}
}

// TestCloseSoonAfterAnsweredLongPoll: a connection whose long-poll was
// answered, and that then stays quiet, is closed by a shutdown once it
// has been quiet for a moment, as an idle keep-alive connection is, by
// the Parker that keeps it; were it handed to net/http, net/http would
// see it as new, and its Shutdown waits 5 s before it closes a new
// connection that sent nothing.
func TestCloseSoonAfterAnsweredLongPoll(t *testing.T) {
	// Close must be done well before net/http's 5 s for a new connection.
	const closeWithin = 4 * time.Second
	s, c := MustOpen(t, server.Config{})
	woken := make(chan Answer, 1)
	go func() {
		a, err := c.Do(context.Background(), http.MethodGet, "api/rooms/quiet/messages?since=0&wait=30", "", "")
		if err != nil {
			t.Error(err)
		}
		woken <- a
	}()
	WaitParked(t, s.Stats(), 1)
	c.Post("quiet", "ann", "wake up")
	if a := <-woken; a.Status != 200 || len(a.Read.Messages) != 1 {
		t.Fatalf("the long-poll: %d %s", a.Status, a.Raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeWithin)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
}

func TestEpochResetAcrossRestart(t *testing.T) {
	first, c := MustOpen(t, server.Config{})
	for range 3 {
		c.Post("lobby", "", "before")
	}
	old := c.Get("lobby", "").Read
	MustClose(t, first)

	_, c = MustOpen(t, server.Config{})
	// The room does not exist in the new life yet: reset at once, empty.
	if a := c.Get("lobby", fmt.Sprintf("since=%d&wait=30&epoch=%s", old.Last, old.Epoch)).Read; !a.Reset || len(a.Messages) != 0 || a.Last != 0 {
		t.Errorf("old epoch, room not yet recreated: %+v", a)
	}
	m := c.Post("lobby", "", "after")
	a := c.Get("lobby", fmt.Sprintf("since=%d&wait=30&epoch=%s", old.Last, old.Epoch)).Read
	if !a.Reset || a.Epoch == old.Epoch || a.Epoch == "" || len(a.Messages) != 1 || a.Messages[0] != m {
		t.Errorf("old epoch after restart: %+v", a)
	}
	// Without an epoch, an id the room never gave also resets.
	if a := c.Get("lobby", fmt.Sprintf("since=%d&wait=30", old.Last)).Read; !a.Reset || len(a.Messages) != 1 {
		t.Errorf("id from a previous life without epoch: %+v", a)
	}
}

func TestInvalidGraphDoesNotStart(t *testing.T) {
	g := graph.Default()
	var kept []graph.Connection
	for _, conn := range g.Connections {
		if conn.Src.Process != "storage" { // storage's answers would go nowhere
			kept = append(kept, conn)
		}
	}
	g.Connections = kept
	_, err := server.Open(server.Config{Addr: "127.0.0.1:0", Graph: g})
	if err == nil || !strings.Contains(err.Error(), "outport OUT of storage(Storage) goes nowhere") {
		t.Errorf("got %v, want the graph's problem", err)
	}
}
