package park

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"gochat/internal/testutil"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// rig is an http.Server on loopback whose /hold requests are held, each
// handed to the test on held; every other path answers "plain".
type rig struct {
	p    *Parker
	srv  *http.Server
	addr string
	held chan *Conn // requests held, in order
	gone chan *Conn // held connections whose client left
	done chan error // Serve's result
	// slow counts the /hold/slow requests being served; each waits
	// until release is closed.
	slow    atomic.Int32
	release chan struct{}
}

// newRig starts a rig; opts set up its http.Server. With a
// Config.ServePrefix, the Parker serves what comes under it with the
// rig's handler.
func newRig(t *testing.T, cfg Config, opts ...func(*http.Server)) *rig {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rg := &rig{addr: ln.Addr().String(), held: make(chan *Conn, 16), gone: make(chan *Conn, 16), done: make(chan error, 1), release: make(chan struct{})}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Mine", "kept")
		if r.URL.Path == "/hold/slow" { // a request whose answer takes time
			rg.slow.Add(1)
			<-rg.release
			io.WriteString(w, "slow")
			return
		}
		if r.Method == http.MethodPost {
			io.Copy(w, r.Body) // an echo
			return
		}
		if r.URL.Path != "/hold" {
			io.WriteString(w, "plain")
			return
		}
		c, err := rg.p.Hold(w, r, nil, func(c *Conn) { c.Close(); rg.gone <- c })
		if err != nil {
			t.Errorf("hold: %v", err)
			return
		}
		rg.held <- c
	})
	if cfg.ServePrefix != "" {
		cfg.Handler = handler
	}
	if rg.p, err = New(ln, cfg); err != nil {
		t.Fatal(err)
	}
	rg.srv = &http.Server{Handler: handler}
	for _, o := range opts {
		o(rg.srv)
	}
	go func() { rg.done <- rg.srv.Serve(rg.p.Listener()) }()
	t.Cleanup(func() {
		rg.p.Listener().Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = rg.p.Close(ctx)
		_ = rg.srv.Shutdown(ctx)
		<-rg.done
	})
	return rg
}

// holdRequest is a request the rig holds.
const holdRequest = "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n"

// dial opens a raw connection to the rig.
func (rg *rig) dial(t *testing.T) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", rg.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dialSmallBuffer opens a raw connection to the rig whose receive buffer
// is as small as the system allows: an answer of more than a few KiB
// waits in the server until the test reads it.
func (rg *rig) dialSmallBuffer(t *testing.T) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1024) })
	}}
	c, err := d.Dial("tcp", rg.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// next returns the next held request.
func (rg *rig) next(t *testing.T) *Conn {
	t.Helper()
	select {
	case c := <-rg.held:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no request was held")
		return nil
	}
}

// wantGone waits for h to be reported gone.
func (rg *rig) wantGone(t *testing.T, h *Conn) {
	t.Helper()
	select {
	case g := <-rg.gone:
		if g != h {
			t.Fatal("gone reported another connection")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the client's leaving was not noticed")
	}
}

func readResponse(t *testing.T, br *bufio.Reader) (*http.Response, string) {
	t.Helper()
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return res, string(b)
}

// TestPipelinedRequestAnsweredAfterHeldOne holds a request with a second
// one pipelined behind it on the same connection: the held answer comes
// first, with the handler's headers, then the connection serves the
// second request.
func TestPipelinedRequestAnsweredAfterHeldOne(t *testing.T) {
	rg := newRig(t, Config{SlowTimeout: time.Second})
	c := rg.dial(t)
	io.WriteString(c, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n")
	h := rg.next(t)
	if rg.p.Held() != 1 {
		t.Fatalf("held %d, want 1", rg.p.Held())
	}
	h.Write(201, []byte("Content-Type: text/plain\r\n"), []byte("answer"), nil)
	br := bufio.NewReader(c)
	res, body := readResponse(t, br)
	if res.StatusCode != 201 || body != "answer" || res.Header.Get("X-Mine") != "kept" || res.Header.Get("Content-Type") != "text/plain" || res.Close {
		t.Fatalf("held answer: %d %q %v", res.StatusCode, body, res.Header)
	}
	res, body = readResponse(t, br)
	if res.StatusCode != 200 || body != "plain" {
		t.Fatalf("pipelined answer: %d %q", res.StatusCode, body)
	}
	// And the connection keeps serving, held again.
	io.WriteString(c, holdRequest)
	rg.next(t).Write(200, nil, []byte("again"), nil)
	if _, body = readResponse(t, br); body != "again" {
		t.Fatalf("second held answer %q", body)
	}
	testutil.WaitFor(t, "no connection held", func() bool { return rg.p.Held() == 0 })
}

// TestHTTP10AndConnectionClose: an HTTP/1.0 request without keep-alive,
// or one with Connection: close, is answered with Connection: close and
// its connection closed; HTTP/1.0 with keep-alive is kept alive.
func TestHTTP10AndConnectionClose(t *testing.T) {
	rg := newRig(t, Config{SlowTimeout: time.Second})
	for _, tc := range []struct {
		req, proto, conn string
		closed           bool
	}{
		{"GET /hold HTTP/1.0\r\n\r\n", "HTTP/1.0", "close", true},
		{"GET /hold HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1", "close", true},
		{"GET /hold HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "HTTP/1.0", "keep-alive", false},
	} {
		c := rg.dial(t)
		io.WriteString(c, tc.req)
		rg.next(t).Write(200, nil, []byte("ok"), nil)
		br := bufio.NewReader(c)
		line, _ := br.ReadString('\n')
		if !strings.HasPrefix(line, tc.proto+" 200 OK") {
			t.Fatalf("%q: status line %q", tc.req, line)
		}
		res, body := readResponse(t, bufio.NewReader(io.MultiReader(strings.NewReader("HTTP/1.1 200 OK\r\n"), br)))
		conn := res.Header.Get("Connection")
		if res.Close { // ReadResponse takes "Connection: close" out
			conn = "close"
		}
		if body != "ok" || conn != tc.conn {
			t.Fatalf("%q: body %q, Connection %q, want %q", tc.req, body, conn, tc.conn)
		}
		if tc.closed {
			if n, err := br.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Fatalf("%q: connection not closed after the answer: %d, %v", tc.req, n, err)
			}
			continue
		}
		io.WriteString(c, "GET /after HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		if _, body := readResponse(t, br); body != "plain" {
			t.Fatalf("%q: next request answered %q", tc.req, body)
		}
	}
}

// TestClientLeavingIsNoticed: a client that closes its connection while
// held is reported through gone, at once and without a goroutine of its
// own, and the connection is no longer held.
func TestClientLeavingIsNoticed(t *testing.T) {
	rg := newRig(t, Config{SlowTimeout: time.Second})
	c := rg.dial(t)
	io.WriteString(c, holdRequest)
	h := rg.next(t)
	c.Close()
	rg.wantGone(t, h)
	testutil.WaitFor(t, "no connection held", func() bool { return rg.p.Held() == 0 })
}

// TestSlowClientIsDropped: a client that does not read an answer larger
// than its socket buffers is dropped after SlowTimeout, and Write does
// not wait for it meanwhile.
func TestSlowClientIsDropped(t *testing.T) {
	var dropped atomic.Int32
	rg := newRig(t, Config{SlowTimeout: 300 * time.Millisecond, OnDrop: func() { dropped.Add(1) }})
	c := rg.dialSmallBuffer(t)
	io.WriteString(c, holdRequest)
	h := rg.next(t)
	testutil.Within(t, "Write to a client that does not read", func() {
		h.Write(200, nil, make([]byte, 32<<20), nil) // more than any socket buffer takes
	})
	testutil.WaitFor(t, "the slow client dropped", func() bool { return dropped.Load() == 1 && rg.p.Held() == 0 })
}

// TestLargeAnswerArrivesWhole: an answer larger than the socket takes at
// once reaches a client that reads it only later, byte for byte, even
// though the caller reuses the body it gave Write as soon as Write
// returns (the rest is the slow writer's own copy).
func TestLargeAnswerArrivesWhole(t *testing.T) {
	rg := newRig(t, Config{SlowTimeout: 10 * time.Second})
	c := rg.dialSmallBuffer(t)
	io.WriteString(c, holdRequest)
	h := rg.next(t)
	body := make([]byte, 4<<20)
	for i := range body {
		body[i] = byte(i % 251)
	}
	want := slices.Clone(body)
	h.Write(200, nil, body, nil)
	clear(body) // the caller's to reuse
	res, got := readResponse(t, bufio.NewReader(c))
	if res.StatusCode != 200 || got != string(want) {
		t.Fatalf("got %s with %d bytes, want 200 with the %d bytes written", res.Status, len(got), len(want))
	}
}

// TestCloseClosesWhatWasNotAnswered: Close waits for held connections
// until its context ends, then closes them through gone and says so.
func TestCloseClosesWhatWasNotAnswered(t *testing.T) {
	rg := newRig(t, Config{SlowTimeout: time.Second})
	c := rg.dial(t)
	io.WriteString(c, holdRequest)
	rg.next(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := rg.p.Close(ctx); err == nil || !strings.Contains(err.Error(), "1 held connections") {
		t.Fatalf("Close: %v, want it to say one connection was not answered", err)
	}
	<-rg.gone
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("connection still open after Close: %d, %v", n, err)
	}
}

// TestLeavingNoticedOnAConnectionHeldAgain: a connection answered, handed
// back and held again is watched again (its descriptor re-armed), and a
// client leaving while net/http serves it is not mistaken for a held one.
func TestLeavingNoticedOnAConnectionHeldAgain(t *testing.T) {
	rg := newRig(t, Config{SlowTimeout: time.Second})
	c := rg.dial(t)
	br := bufio.NewReader(c)
	io.WriteString(c, holdRequest)
	rg.next(t).Write(200, nil, []byte("one"), nil)
	if _, body := readResponse(t, br); body != "one" {
		t.Fatalf("first answer %q", body)
	}
	io.WriteString(c, holdRequest)
	h := rg.next(t)
	c.Close()
	rg.wantGone(t, h)

	// Answered and handed back, then the client leaves while net/http
	// has it: nothing held is reported gone.
	c2 := rg.dial(t)
	br2 := bufio.NewReader(c2)
	io.WriteString(c2, holdRequest)
	rg.next(t).Write(200, nil, []byte("two"), nil)
	if _, body := readResponse(t, br2); body != "two" {
		t.Fatalf("answer %q", body)
	}
	c2.Close()
	// A third connection held and answered shows the watcher still works
	// and reported nothing for the second.
	c3 := rg.dial(t)
	io.WriteString(c3, holdRequest)
	rg.next(t).Write(200, nil, []byte("three"), nil)
	if _, body := readResponse(t, bufio.NewReader(c3)); body != "three" {
		t.Fatalf("answer %q", body)
	}
	select {
	case g := <-rg.gone:
		t.Fatalf("a connection not held was reported gone: %p", g)
	default:
	}
	testutil.WaitFor(t, "no connection held", func() bool { return rg.p.Held() == 0 })
}
