package adapter_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gochat/internal/testutil"
	"gochat/wire"
)

// TestSwapAndCloseDoNotWaitForABlockedSend: with the inport full and
// nobody reading it, a request waits to be taken for up to its deadline
// (an hour here); Swap and Close return at once all the same. The
// request moves to the new network after Swap, and one waiting on that
// network is answered 503 after Close.
func TestSwapAndCloseDoNotWaitForABlockedSend(t *testing.T) {
	full := make(chan *wire.Request) // nobody reads
	net, srv := MustAdapter(t, full, time.Hour)
	type answer struct {
		status int
		body   string
	}
	got := make(chan answer, 1)
	get := func() {
		status, body, err := send("GET", srv.URL+"/api/x", "")
		if err != nil {
			t.Error(err)
		}
		got <- answer{status, body}
	}
	go get()
	testutil.WaitFor(t, "a request blocked on the inport", func() bool { return testutil.Blocked("graph.(*feed).send") == 1 })

	next := make(chan *wire.Request)
	testutil.Within(t, "Swap", func() {
		if _, err := net.Swap(rawNetwork(next)); err != nil {
			t.Error(err)
		}
	})
	req := <-next
	req.Complete(wire.Answer{Status: 200})
	if a := <-got; a.status != 200 {
		t.Errorf("the request blocked across Swap: %d %s", a.status, a.body)
	}

	go get()
	testutil.WaitFor(t, "a request blocked on the inport", func() bool { return testutil.Blocked("graph.(*feed).send") == 1 })
	testutil.Within(t, "Close", func() {
		if err := net.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	if a := <-got; a.status != 503 || !strings.Contains(a.body, "shutting down") {
		t.Errorf("the request blocked across Close: %d %s", a.status, a.body)
	}
}
