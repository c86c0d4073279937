package graph_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"gochat/graph"
	"gochat/internal/testutil"
	"gochat/wire"
)

// rawNetwork is a network that is only its inport: the test reads it, or
// does not, and closes done.
func rawNetwork(buffer int) (n *graph.Network, in chan *wire.Request, done chan struct{}) {
	in, done = make(chan *wire.Request, buffer), make(chan struct{})
	return &graph.Network{In: in, Done: done}, in, done
}

// TestSwapAndCloseDoNotWaitForABlockedInject: with an inport nobody
// reads, an Inject waits (for up to an hour); Swap and Close return at
// once all the same. The Inject moves to the new network after Swap, and
// returns ErrClosed after Close.
func TestSwapAndCloseDoNotWaitForABlockedInject(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	n1, in1, done1 := rawNetwork(0) // nobody reads
	l := graph.NewLifecycle(n1)
	req1 := wire.NewRequest(ctx)
	injected := make(chan error, 1)
	go func() { injected <- l.Inject(ctx, req1) }()
	testutil.WaitFor(t, "an Inject blocked on the full inport", func() bool { return testutil.Blocked("graph.(*feed).send") == 1 })

	n2, in2, done2 := rawNetwork(1)
	var old *graph.Network
	var err error
	testutil.Within(t, "Swap", func() { old, err = l.Swap(n2) })
	if err != nil || old != n1 {
		t.Fatalf("Swap returned %v, %v; want the first network", old, err)
	}
	if _, open := <-in1; open {
		t.Fatal("Swap did not close the old network's inport")
	}
	close(done1)
	if err := <-injected; err != nil {
		t.Fatalf("the blocked Inject after Swap: %v", err)
	}
	if got := <-in2; got != req1 {
		t.Fatal("the blocked Inject did not reach the new network")
	}
	if l.Current() != n2 {
		t.Error("Current is not the new network")
	}

	// Fill n2's inport, block another Inject on it, and close.
	if err := l.Inject(ctx, wire.NewRequest(ctx)); err != nil {
		t.Fatal(err)
	}
	go func() { injected <- l.Inject(ctx, wire.NewRequest(ctx)) }()
	testutil.WaitFor(t, "an Inject blocked on the full inport", func() bool { return testutil.Blocked("graph.(*feed).send") == 1 })
	closed := make(chan error, 1)
	go func() { closed <- l.Close(ctx) }()
	testutil.Within(t, "Close", func() { err = <-injected })
	if !errors.Is(err, graph.ErrClosed) {
		t.Errorf("the blocked Inject after Close: %v, want ErrClosed", err)
	}
	for range in2 { // the request n2 took, then the inport closes
	}
	close(done2)
	testutil.Within(t, "Close", func() { err = <-closed })
	if err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := l.Inject(ctx, wire.NewRequest(ctx)); !errors.Is(err, graph.ErrClosed) {
		t.Errorf("Inject after Close: %v, want ErrClosed", err)
	}
	n3, in3, _ := rawNetwork(0)
	if _, err := l.Swap(n3); !errors.Is(err, graph.ErrClosed) {
		t.Errorf("Swap after Close: %v, want ErrClosed", err)
	}
	if _, open := <-in3; open {
		t.Error("Swap after Close left the network it was given running")
	}
}

// TestInjectHonoursItsContext: an Inject the network does not take
// returns when its context ends, and Close waits for the networks only
// until its own context ends.
func TestInjectHonoursItsContext(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n, in, done := rawNetwork(0)
	l := graph.NewLifecycle(n)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Inject(ctx, wire.NewRequest(ctx)); !errors.Is(err, context.Canceled) {
		t.Errorf("Inject with its context ended: %v", err)
	}
	if err := l.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Close with its context ended and the network running: %v", err)
	}
	if _, open := <-in; open {
		t.Error("Close did not close the inport")
	}
	close(done)
	if err := l.Close(context.Background()); err != nil {
		t.Errorf("Close again, once the network stopped: %v", err)
	}
}

// TestTryInjectNeverWaits: TryInject hands a request to an inport that
// takes it at once, reports false without waiting when it does not, and
// returns ErrClosed once the Lifecycle is closed.
func TestTryInjectNeverWaits(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx := context.Background()
	n, in, done := rawNetwork(1)
	l := graph.NewLifecycle(n)
	first, second := wire.NewRequest(ctx), wire.NewRequest(ctx)
	if sent, err := l.TryInject(first); !sent || err != nil {
		t.Fatalf("TryInject with room in the inport: %v, %v", sent, err)
	}
	testutil.Within(t, "TryInject into a full inport", func() {
		if sent, err := l.TryInject(second); sent || err != nil {
			t.Errorf("TryInject into a full inport: %v, %v; want false, nil", sent, err)
		}
	})
	if got := <-in; got != first {
		t.Error("the inport holds another request than the one TryInject sent")
	}
	closed := make(chan error, 1)
	go func() { closed <- l.Close(ctx) }()
	for range in { // Close closes the inport
	}
	close(done)
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if sent, err := l.TryInject(second); sent || !errors.Is(err, graph.ErrClosed) {
		t.Errorf("TryInject after Close: %v, %v; want ErrClosed", sent, err)
	}
}

// TestSwapsLoseNoRequest: many Injects at once, through repeated Swaps,
// each reach exactly one network exactly once.
func TestSwapsLoseNoRequest(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const injectors, each, swaps = 8, 300, 50
	var delivered [injectors * each]atomic.Int32
	var readers sync.WaitGroup
	var total atomic.Int64 // requests taken, by all networks
	// start runs a network that counts what it takes until its inport
	// closes; small buffers and slow reads keep Injects waiting on it.
	start := func(buffer int) *graph.Network {
		n, in, done := rawNetwork(buffer)
		readers.Add(1)
		go func() {
			defer readers.Done()
			defer close(done)
			for req := range in {
				delivered[req.ID].Add(1)
				total.Add(1)
				runtime.Gosched()
			}
		}()
		return n
	}
	l := graph.NewLifecycle(start(0))
	ctx := context.Background()
	var injecting sync.WaitGroup
	var failed atomic.Int32
	for i := range injectors {
		injecting.Add(1)
		go func() {
			defer injecting.Done()
			for j := range each {
				req := wire.NewRequest(ctx)
				req.ID = uint64(i*each + j)
				if err := l.Inject(ctx, req); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	for i := range swaps {
		// Spread the swaps over the Injects.
		testutil.WaitFor(t, "requests taken", func() bool { return total.Load() >= int64(i*injectors*each/swaps) })
		if _, err := l.Swap(start(i % 3)); err != nil {
			t.Fatal(err)
		}
	}
	injecting.Wait()
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	readers.Wait()
	if n := failed.Load(); n > 0 {
		t.Errorf("%d Injects failed", n)
	}
	for id := range delivered {
		if n := delivered[id].Load(); n != 1 {
			t.Errorf("request %d delivered %d times", id, n)
		}
	}
}
