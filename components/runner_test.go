package components

import (
	"context"
	"errors"
	"testing"
	"time"

	"gochat/store"
	"gochat/wire"
)

// within bounds every wait in the internal tests.
const within = 10 * time.Second

// callStore is a memory store whose reads first report their context on
// calls, then wait for gate (if any) or their context to end.
type callStore struct {
	*store.Memory
	calls chan call     // each read, as it starts
	gate  chan struct{} // nil: reads do not wait
}

// call is what a read's context was as the read started.
type call struct {
	err      error     // ctx.Err()
	deadline time.Time // ctx.Deadline()
}

func (c *callStore) Read(ctx context.Context, room string, since uint64) (store.Page, error) {
	d, _ := ctx.Deadline()
	c.calls <- call{err: ctx.Err(), deadline: d}
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-ctx.Done():
			return store.Page{}, ctx.Err()
		}
	}
	return c.Memory.Read(ctx, room, since)
}

func newCallStore(t *testing.T) *callStore {
	t.Helper()
	mem, err := store.NewMemory(10, 10)
	if err != nil {
		t.Fatal(err)
	}
	return &callStore{Memory: mem, calls: make(chan call, 16)}
}

// TestRunnerInline: with concurrency 0 a call runs on the caller's
// goroutine and is finished before run returns; nothing counts as running.
func TestRunnerInline(t *testing.T) {
	st := newCallStore(t)
	r := newRunner(st, 0)
	w := &job{kind: jobWrite, room: "r", c: &WriteCommand{Req: wire.NewRequest(context.Background()), Room: "r", Author: "ann", Text: "hi", Key: "k"}}
	var finished []*job
	r.run(w, func(j *job) { finished = append(finished, j) })
	if len(finished) != 1 || finished[0] != w || w.err != nil || w.msg.ID != 1 || w.msg.Author != "ann" || w.msg.Text != "hi" {
		t.Fatalf("write: finished %v, msg %+v, err %v", finished, w.msg, w.err)
	}
	rd := &job{kind: jobRead, room: "r", since: 0}
	r.run(rd, func(j *job) { finished = append(finished, j) })
	if len(finished) != 2 || rd.err != nil || len(rd.page.Messages) != 1 || rd.page.Messages[0].Text != "hi" {
		t.Fatalf("read: finished %d, page %+v, err %v", len(finished), rd.page, rd.err)
	}
	if !r.idle() || r.full() {
		t.Errorf("inline: idle %v full %v, want idle and not full", r.idle(), r.full())
	}
}

// TestRunnerGoroutines: calls run on goroutines up to the bound, count as
// running until drained, and come back through the results inbox.
func TestRunnerGoroutines(t *testing.T) {
	st := newCallStore(t)
	st.gate = make(chan struct{})
	r := newRunner(st, 2)
	never := func(j *job) { t.Errorf("finish called for a call on a goroutine: %+v", j) }
	a, b := &job{kind: jobRead, room: "a"}, &job{kind: jobRead, room: "b"}
	r.run(a, never)
	if r.idle() || r.full() {
		t.Errorf("one call of two: idle %v full %v", r.idle(), r.full())
	}
	r.run(b, never)
	if !r.full() {
		t.Error("two calls of two: not full")
	}
	for range 2 {
		recvWithin(t, st.calls)
	}
	close(st.gate)
	got := map[*job]bool{}
	for len(got) < 2 {
		recvWithin(t, r.ready())
		for _, j := range r.drain() {
			got[j] = true
		}
	}
	if !got[a] || !got[b] {
		t.Errorf("drained %v, want a and b", got)
	}
	if !r.idle() || r.full() {
		t.Errorf("all drained: idle %v full %v", r.idle(), r.full())
	}
}

// TestRunnerTimeout: a call on a goroutine is bounded by its job's
// timeout, or by storeTimeout, and not by its client's context; an
// inline call, to a store that never waits, gets no deadline.
func TestRunnerTimeout(t *testing.T) {
	st := newCallStore(t)
	st.gate = make(chan struct{}) // never opened: reads wait for their deadline
	r := newRunner(st, 1)
	j := &job{kind: jobFlush, room: "r", timeout: time.Millisecond}
	r.exec(j)
	recvWithin(t, st.calls)
	if !errors.Is(j.err, context.DeadlineExceeded) {
		t.Errorf("a call past its timeout: err %v, want DeadlineExceeded", j.err)
	}

	st.gate = nil
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the client left before the call
	j = &job{kind: jobRead, room: "r", q: &ReadQuery{Req: wire.NewRequest(ctx), Room: "r"}}
	r.exec(j)
	c := recvWithin(t, st.calls)
	if j.err != nil || c.err != nil {
		t.Errorf("a call for a client that left: err %v, ctx %v; want it made", j.err, c.err)
	}
	if c.deadline.IsZero() || time.Until(c.deadline) > storeTimeout {
		t.Errorf("default deadline %v, want at most storeTimeout away", c.deadline)
	}

	// An inline store never waits: its calls get no deadline to keep.
	newRunner(st, 0).run(&job{kind: jobRead, room: "r"}, func(*job) {})
	if c := recvWithin(t, st.calls); !c.deadline.IsZero() {
		t.Errorf("an inline call has deadline %v, want none", c.deadline)
	}
}

// recvWithin receives one value from ch or fails the test.
func recvWithin[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(within):
		t.Fatalf("nothing arrived in %v", within)
		panic("unreachable")
	}
}
