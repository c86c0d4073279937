package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"gochat/internal/testutil"
	"gochat/server"
)

// These tests pin down how a connection whose parked read was answered
// serves its next request (issue 13): the Parker reads the re-poll
// itself and parks it again on the same connection, with no goroutine
// and no net/http state, and hands anything else to net/http in order.

// repoll is the request of a reader of room that has seen since, as
// HTTP/1.1 on host.
func repoll(host, room string, since int) string {
	return fmt.Sprintf("GET /api/rooms/%s/messages?since=%d&wait=50 HTTP/1.1\r\nHost: %s\r\n\r\n", room, since, host)
}

// answeredOnce opens a server and a raw connection whose long-poll of
// room parked and was answered by a post ("first", id 1): its next
// request is a re-poll.
func answeredOnce(t *testing.T, room string) (*server.Server, *Client, *Raw) {
	t.Helper()
	s, c := MustOpen(t, server.Config{})
	raw := Dial(t, s.URL())
	raw.Send(repoll(s.Addr(), room, 0))
	WaitParked(t, s.Stats(), 1)
	c.Post(room, "ann", "first")
	if res, body := raw.Answer(); res.StatusCode != http.StatusOK {
		t.Fatalf("the first read: %d %s", res.StatusCode, body)
	}
	return s, c, raw
}

// TestRepollParksAgainWithoutGoroutines: raw connections park a read,
// get a message, and send their next read on the same connection; those
// park again without the server starting a goroutine for them, as
// /metrics counts goroutines created, and the next post wakes them on
// the same connections.
func TestRepollParksAgainWithoutGoroutines(t *testing.T) {
	const (
		readers = 200
		most    = 50 // goroutines the re-polls and the scrapes may start in all
		room    = "again"
	)
	s, c := MustOpen(t, server.Config{})
	host, metrics := s.Addr(), s.URL()+"metrics"
	raws := make([]*Raw, readers)
	for i := range raws {
		raws[i] = Dial(t, s.URL())
		raws[i].Send(repoll(host, room, 0))
	}
	WaitParked(t, s.Stats(), readers)
	c.Post(room, "ann", "one")
	for i, raw := range raws {
		if res, body := raw.Answer(); res.StatusCode != http.StatusOK || !strings.Contains(body, `"text":"one"`) {
			t.Fatalf("reader %d, first read: %d %s", i, res.StatusCode, body)
		}
	}
	WaitParked(t, s.Stats(), 0)

	before := scrape(t, c, metrics)
	for _, raw := range raws {
		raw.Send(repoll(host, room, 1))
	}
	WaitParked(t, s.Stats(), readers)
	after := scrape(t, c, metrics)
	const created = "go_sched_goroutines_created_goroutines_total"
	if _, ok := before[created]; !ok {
		t.Fatalf("/metrics has no %s", created)
	}
	grew := after[created] - before[created]
	t.Logf("%d re-polls started %.0f goroutines", readers, grew)
	if grew > most {
		t.Errorf("%d re-polls started %.0f goroutines, want at most %d", readers, grew, most)
	}
	if held := after["gochat_held_connections"]; held != readers {
		t.Errorf("gochat_held_connections: %.0f, want %d", held, readers)
	}

	c.Post(room, "ann", "two")
	for i, raw := range raws {
		if res, body := raw.Answer(); res.StatusCode != http.StatusOK || !strings.Contains(body, `"text":"two"`) || strings.Contains(body, `"text":"one"`) {
			t.Fatalf("reader %d, the re-poll: %d %s", i, res.StatusCode, body)
		}
	}
}

// TestPipelinedPostBehindRepoll: a POST pipelined on one connection right
// behind a re-poll that parks is answered after the re-poll's answer,
// and both it and the message that woke the re-poll are stored.
func TestPipelinedPostBehindRepoll(t *testing.T) {
	s, c, raw := answeredOnce(t, "pipe2")
	host := s.Addr()
	body := "text=pipelined"
	raw.Send(repoll(host, "pipe2", 1) +
		fmt.Sprintf("POST /api/rooms/pipe2/messages HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", host, len(body), body))
	WaitParked(t, s.Stats(), 1)
	c.Post("pipe2", "bob", "second")
	res, got := raw.Answer()
	if res.StatusCode != http.StatusOK || !strings.Contains(got, `"text":"second"`) || strings.Contains(got, "pipelined") {
		t.Errorf("the re-poll: %d %s", res.StatusCode, got)
	}
	res, got = raw.Answer()
	if res.StatusCode != http.StatusCreated || !strings.Contains(got, `"id":3`) {
		t.Errorf("the pipelined POST: %d %s", res.StatusCode, got)
	}
	if a := c.Get("pipe2", "since=0"); a.Read.Last != 3 || len(a.Read.Messages) != 3 {
		t.Errorf("the room after all: %s", a.Raw)
	}
}

// TestLeavingWhileReparkedFreesSlot: a client that closes its socket
// while its re-poll is parked frees its slot at once.
func TestLeavingWhileReparkedFreesSlot(t *testing.T) {
	s, c, raw := answeredOnce(t, "leave2")
	host := s.Addr()
	raw.Send(repoll(host, "leave2", 1))
	WaitParked(t, s.Stats(), 1)
	raw.conn.Close()
	WaitParked(t, s.Stats(), 0)
	testutil.WaitFor(t, "no held connection in /metrics", func() bool {
		return scrape(t, c, s.URL()+"metrics")["gochat_held_connections"] == 0
	})
}

// TestRepollHTTP10: an HTTP/1.0 client that asks for keep-alive keeps its
// connection through a parked re-poll, and one that does not has it
// closed after the answer.
func TestRepollHTTP10(t *testing.T) {
	s, c := MustOpen(t, server.Config{})
	host := s.Addr()
	raw := Dial(t, s.URL())
	read := func(since int, keep bool) string {
		h := ""
		if keep {
			h = "Connection: keep-alive\r\n"
		}
		return fmt.Sprintf("GET /api/rooms/old/messages?since=%d&wait=50 HTTP/1.0\r\nHost: %s\r\n%s\r\n", since, host, h)
	}
	raw.Send(read(0, true))
	WaitParked(t, s.Stats(), 1)
	c.Post("old", "ann", "first")
	if res, body := raw.Answer(); res.StatusCode != http.StatusOK || res.Close || res.ProtoMinor != 0 {
		t.Fatalf("the first read: %s %d close=%v %s", res.Proto, res.StatusCode, res.Close, body)
	}
	raw.Send(read(1, true))
	WaitParked(t, s.Stats(), 1)
	c.Post("old", "ann", "second")
	if res, body := raw.Answer(); res.StatusCode != http.StatusOK || res.Close || !strings.Contains(body, `"text":"second"`) {
		t.Fatalf("the kept-alive re-poll: %d close=%v %s", res.StatusCode, res.Close, body)
	}
	raw.Send(read(2, false))
	WaitParked(t, s.Stats(), 1)
	c.Post("old", "ann", "third")
	if res, body := raw.Answer(); res.StatusCode != http.StatusOK || !strings.Contains(body, `"text":"third"`) {
		t.Fatalf("the last re-poll: %d %s", res.StatusCode, body)
	}
	if !raw.Closed() {
		t.Error("an HTTP/1.0 answer without keep-alive left the connection open")
	}
}
