package wire

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
)

// countHolder counts the answers delivered to it.
type countHolder struct{ n atomic.Int32 }

func (h *countHolder) Deliver(_ Answer, b *Batch) { b.Later(func() { h.n.Add(1) }) }

func TestParkedSignalsOnceAndOnlyWhenAllowed(t *testing.T) {
	r := NewRequest(context.Background())
	r.Parked() // not allowed: nothing to signal
	if r.ParkedSignal() != nil {
		t.Fatal("a request not allowed to be held has a parked signal")
	}
	r = NewRequest(context.Background())
	r.AllowHold()
	r.Parked()
	r.Parked() // twice must not panic on a closed channel
	select {
	case <-r.ParkedSignal():
	default:
		t.Fatal("parked signal not ready after Parked")
	}
}

func TestHoldThenCompleteDeliversToHolder(t *testing.T) {
	r := NewRequest(context.Background())
	r.AllowHold()
	h := &countHolder{}
	if !r.Hold(h) {
		t.Fatal("Hold of an unanswered request failed")
	}
	if !r.Complete(Answer{Status: 200}) || r.Complete(Answer{Status: 500}) {
		t.Fatal("want the first Complete to win and the second to lose")
	}
	if h.n.Load() != 1 || len(r.Answer()) != 0 {
		t.Fatalf("holder got %d answers, channel holds %d; want 1 and 0", h.n.Load(), len(r.Answer()))
	}
}

func TestCompleteThenHoldLeavesAnswerOnChannel(t *testing.T) {
	r := NewRequest(context.Background())
	r.AllowHold()
	r.Complete(Answer{Status: 200})
	h := &countHolder{}
	if r.Hold(h) {
		t.Fatal("Hold of an answered request succeeded")
	}
	if a := <-r.Answer(); a.Status != 200 || h.n.Load() != 0 {
		t.Fatalf("got %d on the channel and %d delivered; want 200 and 0", a.Status, h.n.Load())
	}
}

// TestHoldRacingCompleteAnswersOnce races Hold against Complete: the
// answer must reach exactly one of the channel (when Hold fails, the
// handler then delivers it itself) and the Holder.
func TestHoldRacingCompleteAnswersOnce(t *testing.T) {
	for range 2000 {
		r := NewRequest(context.Background())
		r.AllowHold()
		h := &countHolder{}
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); r.Complete(Answer{Status: 200}) }()
		go func() {
			defer wg.Done()
			if !r.Hold(h) {
				h.Deliver(<-r.Answer(), nil)
			}
		}()
		wg.Wait()
		if h.n.Load() != 1 || len(r.Answer()) != 0 {
			t.Fatalf("answer delivered %d times, %d left on the channel; want once and none", h.n.Load(), len(r.Answer()))
		}
	}
}

func TestBatchHoldsBackUntilDone(t *testing.T) {
	var b Batch
	var got []int
	b.Later(func() { got = append(got, 1) })
	b.Later(func() { got = append(got, 2) })
	if len(got) != 0 {
		t.Fatal("work ran before the batch was done")
	}
	b.Done()
	var none *Batch
	none.Later(func() { got = append(got, 3) })
	if len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Fatalf("ran %v, want [1 2 3]", got)
	}
	b.Done() // empty: nothing runs again
	if len(got) != 3 {
		t.Fatalf("Done ran work twice: %v", got)
	}
}
