package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"

	"gochat/internal/testutil"
	"gochat/server"
)

// These tests pin down what a parked long-poll must keep, however it is
// held: the connection serves on after the answer, a request pipelined
// behind a parked read is answered after it, and a client that leaves
// frees its slot at once.

// TestLongPollKeepsConnection: after a long-poll is answered, the same
// TCP connection serves the client's next request.
func TestLongPollKeepsConnection(t *testing.T) {
	s, c := MustOpen(t, server.Config{})
	poster := NewClient(t, s.URL())
	reused := make(chan bool, 2)
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) { reused <- info.Reused }}
	ctx := httptrace.WithClientTrace(context.Background(), trace)
	woken := make(chan Answer, 1)
	go func() {
		a, err := c.Do(ctx, http.MethodGet, "api/rooms/keep/messages?since=0&wait=30", "", "")
		if err != nil {
			t.Error(err)
		}
		woken <- a
	}()
	WaitParked(t, s.Stats(), 1)
	poster.Post("keep", "ann", "wake up")
	if a := <-woken; a.Status != 200 || len(a.Read.Messages) != 1 {
		t.Fatalf("the long-poll: %d %s", a.Status, a.Raw)
	}
	<-reused // the long-poll's own connection
	if a, err := c.Do(ctx, http.MethodGet, "api/rooms/keep/messages?since=1", "", ""); err != nil || a.Status != 200 {
		t.Fatalf("the next read: %v %d %s", err, a.Status, a.Raw)
	}
	if !<-reused {
		t.Error("the request after a long-poll answer opened a new connection")
	}
}

// TestPipelinedBehindParkedRead: a POST sent on one connection right
// behind a parked GET is answered after the GET's answer, and nothing is
// lost.
func TestPipelinedBehindParkedRead(t *testing.T) {
	s, c := MustOpen(t, server.Config{})
	host := s.Addr()
	raw := Dial(t, s.URL())
	body := "text=pipelined"
	raw.Send(fmt.Sprintf("GET /api/rooms/pipe/messages?since=0&wait=30 HTTP/1.1\r\nHost: %s\r\n\r\n", host) +
		fmt.Sprintf("POST /api/rooms/pipe/messages HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", host, len(body), body))
	WaitParked(t, s.Stats(), 1)
	c.Post("pipe", "other", "first")
	res, got := raw.Answer()
	if res.StatusCode != 200 || !strings.Contains(got, `"text":"first"`) || strings.Contains(got, "pipelined") {
		t.Errorf("the parked GET: %d %s", res.StatusCode, got)
	}
	res, got = raw.Answer()
	if res.StatusCode != 201 || !strings.Contains(got, `"id":2`) {
		t.Errorf("the pipelined POST: %d %s", res.StatusCode, got)
	}
	if a := c.Get("pipe", "since=0"); a.Read.Last != 2 || len(a.Read.Messages) != 2 {
		t.Errorf("the room after both: %s", a.Raw)
	}
}

// TestLeavingFreesSlotAtOnce: a client that closes its socket while
// parked frees its slot at once: the parked count in /metrics drops, and
// the per-client limit admits a new read from the same client.
func TestLeavingFreesSlotAtOnce(t *testing.T) {
	s, c := MustOpen(t, server.Config{Graph: tightLimits(t)}) // 2 parked reads per client
	host, metrics := s.Addr(), s.URL()+"metrics"
	park := func() *Raw {
		raw := Dial(t, s.URL())
		// From loopback, a trusted proxy: the client is 198.51.100.9.
		raw.Send(fmt.Sprintf("GET /api/rooms/leave/messages?wait=30 HTTP/1.1\r\nHost: %s\r\nX-Real-IP: 198.51.100.9\r\n\r\n", host))
		return raw
	}
	first, _ := park(), park()
	testutil.WaitFor(t, "two parked reads in /metrics", func() bool { return scrape(t, c, metrics)["gochat_parked_readers"] == 2 })
	third := park()
	if res, body := third.Answer(); res.StatusCode != 429 {
		t.Fatalf("a third parked read from one client: %d %s", res.StatusCode, body)
	}
	first.conn.Close()
	testutil.WaitFor(t, "the slot to be freed", func() bool { return scrape(t, c, metrics)["gochat_parked_readers"] == 1 })
	park()
	testutil.WaitFor(t, "the new read to park", func() bool { return scrape(t, c, metrics)["gochat_parked_readers"] == 2 })
}
