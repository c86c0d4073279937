package server_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"gochat/server"
)

// Raw is a client speaking HTTP/1.1 by hand over one TCP connection, for
// what net/http's client never does: bodies that stop half-way, trickle,
// or are refused before they are sent.
type Raw struct {
	tb   testing.TB
	conn net.Conn
	r    *bufio.Reader
}

// Dial connects a Raw client to the server at base (http://host:port/).
// Every read and write on it gives up after the tests' timeout.
func Dial(tb testing.TB, base string) *Raw {
	tb.Helper()
	conn, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(timeout))
	return &Raw{tb: tb, conn: conn, r: bufio.NewReader(conn)}
}

// Send writes s as it is.
func (c *Raw) Send(s string) {
	c.tb.Helper()
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.tb.Fatalf("send: %v", err)
	}
}

// Answer reads one answer; it fails the test if none comes.
func (c *Raw) Answer() (*http.Response, string) {
	c.tb.Helper()
	res, err := http.ReadResponse(c.r, nil)
	if err != nil {
		c.tb.Fatalf("read an answer: %v", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.tb.Fatalf("read the answer's body: %v", err)
	}
	return res, string(b)
}

// Closed reports whether the server closed the connection without
// sending anything more.
func (c *Raw) Closed() bool {
	c.tb.Helper()
	b, err := c.r.ReadByte()
	if err == nil {
		rest, _ := c.r.Peek(c.r.Buffered())
		c.tb.Errorf("the connection is still open and carries %q", append([]byte{b}, rest...))
		return false
	}
	return true
}

// wantError checks that res is a JSON error answer with status.
func wantError(t *testing.T, what string, res *http.Response, body string, status int) {
	t.Helper()
	var e struct {
		Error struct {
			Status  int    `json:"status"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if res.StatusCode != status || json.Unmarshal([]byte(body), &e) != nil || e.Error.Status != status || e.Error.Message == "" {
		t.Errorf("%s: %d %s, want a JSON error %d", what, res.StatusCode, body, status)
	}
}

const post = "POST /api/rooms/edge/messages HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n%s\r\n"

// TestBodyTimeout: a body that stops half-way, or trickles in too
// slowly, is answered 408 once the body timeout passes, and its
// connection is closed; nothing is stored and the server serves on.
func TestBodyTimeout(t *testing.T) {
	s, c := MustOpen(t, server.Config{BodyTimeout: 500 * time.Millisecond})
	host := strings.TrimSuffix(strings.TrimPrefix(s.URL(), "http://"), "/")

	stalled := Dial(t, s.URL())
	stalled.Send(fmt.Sprintf(post, host, 1000, "") + "text=hell")
	res, body := stalled.Answer()
	wantError(t, "a body that stops", res, body, http.StatusRequestTimeout)
	if !res.Close {
		t.Errorf("a body that stops: the answer does not close the connection: %v", res.Header)
	}
	stalled.Closed()

	slow := Dial(t, s.URL())
	slow.Send(fmt.Sprintf(post, host, 1000, "") + "text=")
	done := make(chan struct{})
	go func() { // a byte every 50 ms: 50 s for the whole body
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if _, err := slow.conn.Write([]byte("x")); err != nil {
					return
				}
			}
		}
	}()
	res, body = slow.Answer()
	close(done)
	wantError(t, "a body that trickles", res, body, http.StatusRequestTimeout)
	if !res.Close {
		t.Errorf("a body that trickles: the answer does not close the connection: %v", res.Header)
	}

	if a := c.Get("edge", ""); a.Status != 200 || a.Read.Last != 0 {
		t.Errorf("after the slow bodies: %d %s, want an empty room", a.Status, a.Raw)
	}
	c.Post("edge", "", "still serving")
}

// TestExpectContinueTooLarge: a body announced larger than the limit is
// refused with 413 before the server asks for it with 100 Continue.
func TestExpectContinueTooLarge(t *testing.T) {
	s, c := MustOpen(t, server.Config{})
	host := strings.TrimSuffix(strings.TrimPrefix(s.URL(), "http://"), "/")
	raw := Dial(t, s.URL())
	raw.Send(fmt.Sprintf(post, host, 1000000, "Expect: 100-continue\r\n"))
	res, body := raw.Answer()
	wantError(t, "an announced body of 1,000,000 bytes", res, body, http.StatusRequestEntityTooLarge)
	if !res.Close {
		t.Errorf("the 413 does not close the connection: %v", res.Header)
	}
	raw.Closed()

	// A body within the limit still gets its 100 Continue.
	ok := Dial(t, s.URL())
	ok.Send(fmt.Sprintf(post, host, len("text=hi"), "Expect: 100-continue\r\n"))
	if res, _ := ok.Answer(); res.StatusCode != http.StatusContinue {
		t.Fatalf("a small body with Expect: got %d, want 100 Continue", res.StatusCode)
	}
	ok.Send("text=hi")
	if res, body := ok.Answer(); res.StatusCode != http.StatusCreated {
		t.Errorf("a small body after 100 Continue: %d %s", res.StatusCode, body)
	}
	if a := c.Get("edge", ""); a.Read.Last != 1 {
		t.Errorf("room holds %d messages, want the one small post", a.Read.Last)
	}
}

// TestHalfClosedLongPoll: a client that shuts down its sending side
// while its long-poll is parked cannot be told from one that left (both
// read as end of stream), so its read is released and the connection is
// closed with nothing written: never an answer that looks like an empty
// 200.
func TestHalfClosedLongPoll(t *testing.T) {
	s, c := MustOpen(t, server.Config{})
	host := strings.TrimSuffix(strings.TrimPrefix(s.URL(), "http://"), "/")
	raw := Dial(t, s.URL())
	raw.Send("GET /api/rooms/half/messages?wait=55 HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
	WaitParked(t, s.Stats(), 1)
	if err := raw.conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	raw.Closed()
	WaitParked(t, s.Stats(), 0)
	if a := c.Get("half", ""); a.Status != 200 {
		t.Errorf("after the half-close: %d %s", a.Status, a.Raw)
	}
}
