package components_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"gochat/components"
	"gochat/store"
	"gochat/wire"
)

// heldStore is a memory store whose chosen reads run, then wait for the
// test to release their result: it makes a remote store's interleavings
// happen in the order a test needs.
type heldStore struct {
	*store.Memory
	mu   sync.Mutex
	hold func(since uint64, p store.Page) chan struct{} // nil: pass through
}

func (h *heldStore) Read(ctx context.Context, room string, since uint64) (store.Page, error) {
	p, err := h.Memory.Read(ctx, room, since)
	h.mu.Lock()
	var wait chan struct{}
	if h.hold != nil {
		wait = h.hold(since, p)
	}
	h.mu.Unlock()
	if wait != nil {
		<-wait
	}
	return p, err
}

// TestStorageLateParkerNotAnsweredFromNarrowerCheck proves the cause of
// readers skipping messages on Redis: a check of a room's parked readers
// reads from the lowest since of the readers parked when it starts. A
// reader that parks during that check with a lower since must not be
// answered from the check's page, which lacks the messages it has not
// seen.
func TestStorageLateParkerNotAnsweredFromNarrowerCheck(t *testing.T) {
	mem, _ := store.NewMemory(100, 10)
	st := &heldStore{Memory: mem}
	stats := &components.Stats{}
	reads, writes := make(chan *components.ReadQuery), make(chan *components.WriteCommand)
	out := make(chan *components.Reply, 16)
	s := components.NewStorage(st, 4, stats, slog.New(slog.DiscardHandler))
	s.Read, s.Write, s.Out = reads, writes, out
	done := Start(s)
	defer func() { close(reads); close(writes); <-done }()
	post := func(text string) {
		writes <- &components.WriteCommand{Req: wire.NewRequest(context.Background()), Room: "r", Author: "ann", Text: text}
		if rep := Recv(t, out); rep.Status != 201 {
			t.Fatalf("post: %+v", rep)
		}
	}
	get := func(since uint64) *wire.Request {
		req := wire.NewRequest(context.Background())
		reads <- &components.ReadQuery{Req: req, Room: "r", Since: since, Wait: time.Hour}
		return req
	}

	post("one")
	post("two")
	// B reads since 2 and finds nothing; its result is held back.
	releaseB, heldB := make(chan struct{}), make(chan struct{})
	releaseCheck, heldCheck := make(chan struct{}), make(chan struct{})
	var once, onceCheck sync.Once
	st.mu.Lock()
	st.hold = func(since uint64, p store.Page) chan struct{} {
		switch {
		case since == 2 && len(p.Messages) == 0:
			var w chan struct{}
			once.Do(func() { close(heldB); w = releaseB })
			return w
		case since == 3 && len(p.Messages) > 0:
			var w chan struct{}
			onceCheck.Do(func() { close(heldCheck); w = releaseCheck })
			return w
		}
		return nil
	}
	st.mu.Unlock()
	b := get(2)
	Recv(t, heldB)
	// Meanwhile message 3 arrives, A parks at since 3, message 4
	// arrives, and a check of A (since 3) reads [4]: held back too.
	post("three")
	a := get(3)
	waitParked(t, stats, 1)
	post("four")
	Recv(t, heldCheck)
	// B parks at since 2 while that check is in flight, then the check
	// finishes.
	close(releaseB)
	waitParked(t, stats, 2)
	close(releaseCheck)

	got := map[*wire.Request][]uint64{}
	for len(got) < 2 {
		rep := Recv(t, out)
		ans := readAnswer(t, rep)
		for _, req := range append([]*wire.Request{rep.Req}, rep.Also...) {
			got[req] = ids(ans.Messages)
		}
	}
	if g := got[a]; len(g) != 1 || g[0] != 4 {
		t.Errorf("reader at since 3 got %v, want [4]", g)
	}
	if g := got[b]; len(g) != 2 || g[0] != 3 || g[1] != 4 {
		t.Errorf("reader at since 2 got %v, want [3 4]: it skipped a message", g)
	}
}
