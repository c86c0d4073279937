package wire

import (
	"context"
	"errors"
	"testing"
)

func TestLeaveContext(t *testing.T) {
	ctx, cancel := NewLeaveContext()
	if _, ok := ctx.Deadline(); ok || ctx.Err() != nil {
		t.Fatalf("a new leave context has a deadline or has ended: %v", ctx.Err())
	}
	ran := make(chan string, 3)
	AfterLeave(ctx, func() { ran <- "first" })
	stop := AfterLeave(ctx, func() { ran <- "stopped" })
	if !stop() || stop() {
		t.Fatal("stop: want true once, then false")
	}
	done := ctx.Done()
	select {
	case <-done:
		t.Fatal("done before cancel")
	default:
	}
	cancel()
	cancel() // twice does nothing more
	<-done
	if got := <-ran; got != "first" || !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatalf("ran %q, Err %v; want first and Canceled", got, ctx.Err())
	}
	AfterLeave(ctx, func() { ran <- "late" }) // after the end: runs at once
	if got := <-ran; got != "late" {
		t.Fatalf("ran %q, want late", got)
	}
	if len(ran) != 0 {
		t.Fatalf("a stopped function ran: %q", <-ran)
	}
	// A context derived from it ends with it.
	ctx2, cancel2 := NewLeaveContext()
	child, stopChild := context.WithCancel(ctx2)
	defer stopChild()
	cancel2()
	<-child.Done()
	// Done asked for only after the end is closed too.
	ctx3, cancel3 := NewLeaveContext()
	cancel3()
	<-ctx3.Done()
}
