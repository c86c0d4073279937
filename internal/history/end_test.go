package history

import (
	"context"
	"testing"
)

// TestEnd: readers poll under one context until Set, which cancels it;
// then a reader behind polls again without end, and one at the last id
// under the last epoch is done.
func TestEnd(t *testing.T) {
	h := New(0)
	ahead, behind := h.Reader("r"), h.Reader("r")
	e := NewEnd()
	defer e.Stop()
	ctx, done, err := e.Poll(ahead)
	if done || err != nil || ctx.Err() != nil {
		t.Fatalf("before Set: %v %v %v, want a live poll", ctx.Err(), done, err)
	}
	ahead.Saw(0, "", Answer{Epoch: "e", Last: 2, Messages: msgs(1, 2)})
	behind.Saw(0, "", Answer{Epoch: "e", Last: 1, Messages: msgs(1)})
	e.Set(2, "e")
	if ctx.Err() != context.Canceled {
		t.Errorf("Set left the poll in flight: %v", ctx.Err())
	}
	if _, done, err := e.Poll(ahead); !done || err != nil {
		t.Errorf("a reader at the last id: done %v, %v", done, err)
	}
	if ctx, done, err := e.Poll(behind); done || err != nil || ctx.Err() != nil {
		t.Errorf("a reader behind: %v %v %v, want a poll again", ctx, done, err)
	}
}
