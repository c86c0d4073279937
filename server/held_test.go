package server_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"gochat/internal/history"
	"gochat/internal/testutil"
	"gochat/server"
	"gochat/wire"
)

// These tests pin down what holding a parked long-poll must cost and
// how the Responder writes its answers (issue 13): a parked read holds
// no goroutine of its own, and a client that never reads its answer is
// dropped without delaying the others.

// TestParkedReadsCostFewGoroutines: 2,000 parked reads add at most a few
// hundred goroutines in all, as /metrics counts them, and one post wakes
// every one of them with the message.
//
// The server runs in the test's process, so go_goroutines counts the
// test's goroutines too. The clients therefore hold none while parked:
// each is a raw connection that this goroutine dials and writes its GET
// on, and nothing reads from any of them until after the post. What
// go_goroutines gains between the two scrapes is the server's alone.
func TestParkedReadsCostFewGoroutines(t *testing.T) {
	const (
		parked = 2000 // within the default parking capacity; loopback has no per-client limit
		most   = 300  // goroutines the parked reads may add in all
		pool   = 16   // goroutines that read the answers after the post
		room   = "held"
	)
	ignore := goleak.IgnoreCurrent()
	s, c := MustOpen(t, server.Config{})
	metrics := s.URL() + "metrics"
	before := scrape(t, c, metrics)["go_goroutines"]

	h := history.New(server.DefaultHistory)
	readers := make([]*history.Reader, parked)
	raws := make([]*Raw, parked)
	for i := range raws {
		readers[i] = h.Reader(room)
		since, epoch := readers[i].Next()
		raws[i] = Dial(t, s.URL())
		raws[i].Send(fmt.Sprintf("GET /api/rooms/%s/messages?since=%d&epoch=%s&wait=50 HTTP/1.1\r\nHost: %s\r\n\r\n", room, since, epoch, s.Addr()))
	}
	testutil.WaitFor(t, fmt.Sprintf("%d parked reads in /metrics", parked), func() bool {
		return scrape(t, c, metrics)["gochat_parked_readers"] == parked
	})
	after := scrape(t, c, metrics)["go_goroutines"]
	if grew := after - before; grew > most {
		t.Errorf("%d parked reads added %.0f goroutines (%.0f to %.0f), want at most %d", parked, grew, before, after, most)
	}

	if a := c.PostTo(h, room, "ann", "wake up"); a.Status != http.StatusCreated {
		t.Fatalf("post: %d %s", a.Status, a.Raw)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range pool {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				since, epoch := readers[i].Next()
				a, err := readRaw(raws[i])
				if err != nil {
					t.Errorf("parked read %d: %v", i, err)
					continue
				}
				if a.Status != http.StatusOK {
					t.Errorf("parked read %d: %d %s", i, a.Status, a.Raw)
					continue
				}
				readers[i].Saw(since, epoch, a.History())
			}
		}()
	}
	for i := range raws {
		next <- i
	}
	close(next)
	wg.Wait()
	h.CheckComplete(t)

	for _, raw := range raws {
		raw.conn.Close()
	}
	MustClose(t, s)
	c.http.CloseIdleConnections()
	goleak.VerifyNone(t, ignore)
}

// readRaw reads one answer from raw, within the tests' timeout.
func readRaw(raw *Raw) (Answer, error) {
	if err := raw.conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return Answer{}, fmt.Errorf("set read deadline: %w", err)
	}
	res, err := http.ReadResponse(raw.r, nil)
	if err != nil {
		return Answer{}, fmt.Errorf("read an answer: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return Answer{}, fmt.Errorf("read an answer's body: %w", err)
	}
	return Answer{Status: res.StatusCode, Header: res.Header, Raw: string(body)}, nil
}

// TestSlowReaderIsDroppedWithoutDelayingOthers: a client that pipelines
// long-polls and never reads their answers fills its socket buffers; the
// readers that do read still get every message, and the server drops the
// one that does not within its SlowClientTimeout.
//
// The bad client asks for the room's messages one at a time, since=0,
// since=1, …: each of its reads parks for the next message, so each of
// its answers is one the Responder writes to a parked connection. Its
// receive buffer is as small as the kernel allows, and it never reads.
// Over loopback here the server's socket takes about 1.6 MB before a
// write blocks (its send buffer grows to net.ipv4.tcp_wmem's 4 MiB); the
// bad client is sent messages*~8 KB, about twice that.
func TestSlowReaderIsDroppedWithoutDelayingOthers(t *testing.T) {
	const (
		messages = 400 // posted, each answered to the bad client on its own
		good     = 8   // readers that follow the room normally
		room     = "slow"
		retained = 8 // the good readers are never more than one behind
	)
	ignore := goleak.IgnoreCurrent()
	s, c := MustOpen(t, server.Config{SlowClientTimeout: 3 * time.Second, History: retained})
	writer := NewClient(t, s.URL())

	bad := dialSmallReceiveBuffer(t, s.Addr())
	var pipelined strings.Builder
	for i := range messages {
		fmt.Fprintf(&pipelined, "GET /api/rooms/%s/messages?since=%d&wait=50 HTTP/1.1\r\nHost: %s\r\n\r\n", room, i, s.Addr())
	}
	if err := bad.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(bad, pipelined.String()); err != nil {
		t.Fatalf("pipeline the bad client's reads: %v", err)
	}

	h := history.New(retained)
	seen := make([]atomic.Int64, good) // what each good reader has seen, for the writer
	var rg sync.WaitGroup
	for i := range good {
		rg.Add(1)
		r := h.Reader(room)
		go func() {
			defer rg.Done()
			Follow(t, c, r, 50, func(r *history.Reader) bool {
				seen[i].Store(int64(r.Seen()))
				return r.Seen() >= messages
			})
		}()
	}
	WaitParked(t, s.Stats(), good+1) // the bad client's first read too

	for i := 1; i <= messages; i++ {
		prefix := fmt.Sprintf("%d ", i)
		// 4 bytes a character: about 8 KB, near the longest text.
		text := prefix + strings.Repeat("😀", wire.MaxTextRunes-len(prefix))
		if a := writer.PostTo(h, room, "writer", text); a.Status != http.StatusCreated {
			t.Fatalf("post %d: %d %s", i, a.Status, a.Raw)
		}
		testutil.WaitFor(t, fmt.Sprintf("every good reader to see message %d", i), func() bool {
			for j := range seen {
				if seen[j].Load() < int64(i) {
					return false
				}
			}
			return true
		})
	}
	rg.Wait()
	h.CheckComplete(t)
	// The server drops the bad client within its SlowClientTimeout, while
	// it still reads nothing: an answer to it does not fit its socket.
	const dropped = "gochat_slow_clients_dropped_total"
	testutil.WaitFor(t, dropped+" ≥ 1 in /metrics", func() bool { return scrape(t, writer, s.URL()+"metrics")[dropped] >= 1 })
	// Its connection is closed: reading what its socket holds ends in
	// EOF, or in a reset if the server closed it with requests unread.
	if err := bad.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, bad)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		t.Errorf("the dropped client is still connected %v later (%d bytes were waiting for it)", timeout, n)
	case err != nil && !errors.Is(err, syscall.ECONNRESET):
		t.Errorf("reading the bad client's connection: %v", err)
	}

	bad.Close()
	MustClose(t, s)
	c.http.CloseIdleConnections()
	writer.http.CloseIdleConnections()
	goleak.VerifyNone(t, ignore)
}

// dialSmallReceiveBuffer connects to addr with a receive buffer as small
// as the kernel allows (SO_RCVBUF set before the connection is made, so
// that the window it advertises is small too), closed with the test.
func dialSmallReceiveBuffer(t *testing.T, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: timeout, Control: func(_, _ string, raw syscall.RawConn) error {
		var err error
		if cerr := raw.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1024)
		}); cerr != nil {
			return fmt.Errorf("control: %w", cerr)
		}
		if err != nil {
			return fmt.Errorf("set SO_RCVBUF: %w", err)
		}
		return nil
	}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
