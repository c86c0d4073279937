package park

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gochat/internal/testutil"
)

// newServingRig is a rig whose Parker serves the requests under /hold
// itself, on new connections and on those it answered; news counts the
// connections net/http saw as new (handed back to it).
func newServingRig(t *testing.T, cfg Config, opts ...func(*http.Server)) (rg *rig, news *atomic.Int32) {
	t.Helper()
	news = new(atomic.Int32)
	cfg.ServePrefix = "/hold"
	opts = append(opts, func(s *http.Server) {
		s.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				news.Add(1)
			}
		}
	})
	return newRig(t, cfg, opts...), news
}

// holdAndAnswer sends a held request on c and answers it with body.
func (rg *rig) holdAndAnswer(t *testing.T, c net.Conn, br *bufio.Reader, body string) *Conn {
	t.Helper()
	io.WriteString(c, holdRequest)
	h := rg.next(t)
	h.Write(200, nil, []byte(body), nil)
	if _, got := readResponse(t, br); got != body {
		t.Fatalf("answer %q, want %q", got, body)
	}
	return h
}

// wantClosed waits for the server to close c with nothing more sent.
func wantClosed(t *testing.T, c net.Conn, br *bufio.Reader) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(testutil.Timeout))
	if n, err := br.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("the connection was not closed: %d, %v", n, err)
	}
}

// TestRepollHeldAgainOnTheSameConn: the first request on a connection,
// and the next one once it was answered, are read by the Parker and
// held on the same Conn; net/http never sees the connection.
func TestRepollHeldAgainOnTheSameConn(t *testing.T) {
	rg, news := newServingRig(t, Config{SlowTimeout: time.Second})
	c := rg.dial(t)
	br := bufio.NewReader(c)
	first := rg.holdAndAnswer(t, c, br, "one")
	io.WriteString(c, holdRequest)
	again := rg.next(t)
	if again != first {
		t.Error("the re-poll was held on a new Conn")
	}
	if rg.p.Held() != 1 {
		t.Errorf("held %d, want 1", rg.p.Held())
	}
	again.Write(200, []byte("Content-Type: text/plain\r\n"), []byte("two"), nil)
	res, body := readResponse(t, br)
	if body != "two" || res.Header.Get("X-Mine") != "kept" || res.Header.Get("Content-Type") != "text/plain" || res.Close {
		t.Fatalf("the re-poll's answer: %q %v", body, res.Header)
	}
	if n := news.Load(); n != 0 {
		t.Errorf("net/http saw %d new connections, want none", n)
	}
	testutil.WaitFor(t, "no connection held", func() bool { return rg.p.Held() == 0 })
}

// TestRepollPipelinedInOrder: requests pipelined behind a held one are
// answered after it, in order: those the Parker serves itself (/hold
// again), a POST outside its prefix, which it hands to net/http, and a read
// net/http then holds.
func TestRepollPipelinedInOrder(t *testing.T) {
	rg, news := newServingRig(t, Config{SlowTimeout: time.Second})
	c := rg.dial(t)
	br := bufio.NewReader(c)
	rg.holdAndAnswer(t, c, br, "one")
	io.WriteString(c, holdRequest+holdRequest+"POST /after HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody"+holdRequest)
	for _, want := range []string{"two", "three", "body", "four"} {
		if want != "body" { // the POST's echo
			rg.next(t).Write(200, nil, []byte(want), nil)
		}
		if _, body := readResponse(t, br); body != want {
			t.Fatalf("pipelined answer %q, want %q", body, want)
		}
	}
	if n := news.Load(); n != 1 {
		t.Errorf("net/http saw %d new connections, want 1: the POST's", n)
	}
}

// TestIdleConnectionTimesOut: a connection the Parker keeps after an
// answer, that sends nothing, is closed after IdleTimeout.
func TestIdleConnectionTimesOut(t *testing.T) {
	rg, _ := newServingRig(t, Config{SlowTimeout: time.Second, IdleTimeout: 100 * time.Millisecond})
	c := rg.dial(t)
	br := bufio.NewReader(c)
	rg.holdAndAnswer(t, c, br, "one")
	wantClosed(t, c, br)
	testutil.WaitFor(t, "the Parker to forget it", func() bool { return rg.watched() == 0 })
}

// TestHalfSentHeaderTimesOut: a request header that does not all come
// on a connection the Parker keeps is given to net/http, whose
// ReadHeaderTimeout closes the connection, long before IdleTimeout.
func TestHalfSentHeaderTimesOut(t *testing.T) {
	rg, news := newServingRig(t, Config{SlowTimeout: time.Second, IdleTimeout: time.Hour},
		func(s *http.Server) { s.ReadHeaderTimeout = 100 * time.Millisecond })
	c := rg.dial(t)
	br := bufio.NewReader(c)
	rg.holdAndAnswer(t, c, br, "one")
	io.WriteString(c, "GET /hold HTTP/1.1\r\nHost: x\r\n")
	wantClosed(t, c, br)
	if n := news.Load(); n != 1 {
		t.Errorf("net/http saw %d new connections, want 1: the half-sent header was not handed to it", n)
	}
}

// TestRequestsNotServedAreHandedBack: what the Parker does not serve
// itself (outside the prefix, with a body, an upgrade, a bad request)
// is answered by net/http, on the same connection.
func TestRequestsNotServedAreHandedBack(t *testing.T) {
	for _, tc := range []struct{ req, want string }{
		{"GET /after HTTP/1.1\r\nHost: x\r\n\r\n", "200"},
		{"GET /hold HTTP/1.1\r\n\r\n", "400"},                                   // no Host
		{"GET /hold HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", "400"},             // two
		{"GET /hold HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n", "held"}, // net/http's to decide
		{"BREW /hold HTTP/1.1\r\nHost: x\r\n\r\n", "held"},
		{"GET http://x/hold HTTP/1.1\r\nHost: x\r\n\r\n", "held"},
		{"GET /hold HTTP/9.9\r\nHost: x\r\n\r\n", "505"},
	} {
		rg, news := newServingRig(t, Config{SlowTimeout: time.Second})
		c := rg.dial(t)
		br := bufio.NewReader(c)
		rg.holdAndAnswer(t, c, br, "one")
		io.WriteString(c, tc.req)
		if tc.want == "held" {
			rg.next(t).Write(200, nil, []byte("held"), nil)
		}
		line, err := br.ReadString('\n')
		if err != nil || !strings.Contains(line, " "+strings.Replace(tc.want, "held", "200", 1)+" ") {
			t.Errorf("%q: %q, %v; want %s", tc.req, line, err, tc.want)
		}
		if n := news.Load(); n != 1 {
			t.Errorf("%q: net/http saw %d new connections, want 1", tc.req, n)
		}
	}
}

// TestPostWithItsBodyServed: a POST whose body came with its header is
// served by the Parker, with that body, and a request pipelined behind
// it is answered after it; a POST whose body is still coming, or comes
// chunked, goes to net/http with every byte.
func TestPostWithItsBodyServed(t *testing.T) {
	rg, news := newServingRig(t, Config{SlowTimeout: time.Second})
	c := rg.dial(t)
	br := bufio.NewReader(c)
	io.WriteString(c, "POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\ntext=hiGET /holdnot HTTP/1.1\r\nHost: x\r\n\r\n")
	for _, want := range []string{"text=hi", "plain"} {
		if _, body := readResponse(t, br); body != want {
			t.Fatalf("answer %q, want %q", body, want)
		}
	}
	rg.holdAndAnswer(t, c, br, "one")
	if n := news.Load(); n != 0 {
		t.Errorf("net/http saw %d new connections, want none", n)
	}

	for i, parts := range [][]string{
		{"POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\ntext=", "hello"},
		{"POST /hold HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\ntext=\r\n", "5\r\nhello\r\n0\r\n\r\n"},
	} {
		c := rg.dial(t)
		br := bufio.NewReader(c)
		rg.holdAndAnswer(t, c, br, "one")
		io.WriteString(c, parts[0])
		testutil.WaitFor(t, "the connection handed to net/http", func() bool { return news.Load() == int32(i+1) })
		io.WriteString(c, parts[1])
		if _, body := readResponse(t, br); body != "text=hello" {
			t.Errorf("%q: answer %q, want the whole body", parts[0], body)
		}
	}
}

// TestSlowRequestsDoNotHoldTheOthersUp: requests whose answers take
// time (a stalled store) do not keep the Parker from reading the next
// ones: more of them than Config.Readers are all being served at once,
// and a re-poll behind them is still held at once.
func TestSlowRequestsDoNotHoldTheOthersUp(t *testing.T) {
	const readers, slow = 2, 10
	rg, _ := newServingRig(t, Config{SlowTimeout: time.Second, Readers: readers})
	release := sync.OnceFunc(func() { close(rg.release) })
	defer release() // before the rig's cleanup, which waits for the readers
	var conns []*bufio.Reader
	for range slow {
		c := rg.dial(t)
		io.WriteString(c, "GET /hold/slow HTTP/1.1\r\nHost: x\r\n\r\n")
		conns = append(conns, bufio.NewReader(c))
	}
	testutil.WaitFor(t, "every slow request being served", func() bool { return rg.slow.Load() == slow })
	c := rg.dial(t)
	br := bufio.NewReader(c)
	rg.holdAndAnswer(t, c, br, "held")
	release()
	for _, br := range conns {
		if _, body := readResponse(t, br); body != "slow" {
			t.Fatalf("answer %q, want slow", body)
		}
	}
}

// TestClientLeavingWhileIdle: a client that closes a connection the
// Parker keeps idle is forgotten at once.
func TestClientLeavingWhileIdle(t *testing.T) {
	rg, _ := newServingRig(t, Config{SlowTimeout: time.Second})
	c := rg.dial(t)
	br := bufio.NewReader(c)
	rg.holdAndAnswer(t, c, br, "one")
	testutil.WaitFor(t, "the connection watched, idle", func() bool { return rg.watched() == 1 })
	c.Close()
	testutil.WaitFor(t, "the Parker to forget it", func() bool { return rg.watched() == 0 })
}

// TestCloseServesThenClosesIdle: Close gives a connection idle when it
// began IdleGrace to bring a request, answers it with Connection: close,
// and closes the connections still idle.
func TestCloseServesThenClosesIdle(t *testing.T) {
	rg, _ := newServingRig(t, Config{SlowTimeout: time.Second, IdleGrace: time.Minute})
	late := rg.dial(t)
	lbr := bufio.NewReader(late)
	rg.holdAndAnswer(t, late, lbr, "one")
	quiet := rg.dial(t)
	qbr := bufio.NewReader(quiet)
	rg.holdAndAnswer(t, quiet, qbr, "two")
	testutil.WaitFor(t, "both connections watched, idle", func() bool { return rg.watched() == 2 })
	closed := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { closed <- rg.p.Close(ctx) }()
	// Within the grace, under the prefix but not held: the Parker serves it.
	io.WriteString(late, "GET /holdnot HTTP/1.1\r\nHost: x\r\n\r\n")
	res, body := readResponse(t, lbr)
	if body != "plain" || !res.Close {
		t.Errorf("a request during the grace: %q close=%v", body, res.Close)
	}
	wantClosed(t, late, lbr)
	cancel() // the grace ends
	wantClosed(t, quiet, qbr)
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
}

// watched returns how many connections the Parker watches.
func (rg *rig) watched() int {
	rg.p.mu.Lock()
	defer rg.p.mu.Unlock()
	return len(rg.p.conns)
}

// TestNewConnectionSilentTimesOut: a new connection that sends nothing
// is closed after HeaderTimeout, by the Parker, which adopted it.
func TestNewConnectionSilentTimesOut(t *testing.T) {
	rg, news := newServingRig(t, Config{SlowTimeout: time.Second, HeaderTimeout: 100 * time.Millisecond})
	c := rg.dial(t)
	wantClosed(t, c, bufio.NewReader(c))
	if n := news.Load(); n != 0 {
		t.Errorf("net/http saw %d new connections, want none", n)
	}
}

// TestFirstRequestNotServedIsHandedBack: a new connection whose first
// request the Parker does not serve itself goes to net/http, which
// answers it and the ones after it.
func TestFirstRequestNotServedIsHandedBack(t *testing.T) {
	rg, news := newServingRig(t, Config{SlowTimeout: time.Second})
	c := rg.dial(t)
	br := bufio.NewReader(c)
	io.WriteString(c, "GET /after HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, body := readResponse(t, br); body != "plain" {
		t.Fatalf("answer %q", body)
	}
	rg.holdAndAnswer(t, c, br, "held")
	if n := news.Load(); n != 1 {
		t.Errorf("net/http saw %d new connections, want 1", n)
	}
}

// TestAnsweredAtOnceStaysWithTheParker: a connection whose request the
// Parker answered at once, without holding it, stays with the Parker
// (whose answer is one writev, with no goroutine while idle): net/http
// never sees it, and its next requests, held, are held on its Conn.
func TestAnsweredAtOnceStaysWithTheParker(t *testing.T) {
	rg, news := newServingRig(t, Config{SlowTimeout: time.Second})
	c := rg.dial(t)
	br := bufio.NewReader(c)
	io.WriteString(c, "GET /holdnot HTTP/1.1\r\nHost: x\r\n\r\n") // under the prefix, not held
	if _, body := readResponse(t, br); body != "plain" {
		t.Fatalf("answer %q", body)
	}
	first := rg.holdAndAnswer(t, c, br, "one")
	if again := rg.holdAndAnswer(t, c, br, "two"); again != first {
		t.Error("the re-poll after a held request was not held on its Conn")
	}
	if n := news.Load(); n != 0 {
		t.Errorf("net/http saw %d new connections, want none", n)
	}
}

// TestHandedBackIdleOnly: HandedBack tells net/http's connection tracker
// that a connection handed back is idle only when it carries no request
// to serve.
func TestHandedBackIdleOnly(t *testing.T) {
	if !HandedBack(&replayConn{}) {
		t.Error("a connection handed back with nothing pending is not idle")
	}
	if HandedBack(&replayConn{rest: []byte("POST / HTTP/1.1\r\n")}) {
		t.Error("a connection handed over with a request is idle")
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if HandedBack(a) {
		t.Error("a new connection is handed back")
	}
}

// TestBlankLinesAfterPostIgnored: as net/http does (RFC 9112 section 2.2,
// for old clients), up to four CR or LF bytes a client sends after a
// POST's body are ignored, whether they come with the POST or on their
// own: the request after them is served.
func TestBlankLinesAfterPostIgnored(t *testing.T) {
	const post = "POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\ntext=hi"
	for _, writes := range [][]string{
		{post + "\r\nGET /holdnot HTTP/1.1\r\nHost: x\r\n\r\n"},
		{post + "\r\n", "GET /holdnot HTTP/1.1\r\nHost: x\r\n\r\n"},
		{post, "\r\n", "GET /holdnot HTTP/1.1\r\nHost: x\r\n\r\n"},
	} {
		rg, _ := newServingRig(t, Config{SlowTimeout: time.Second})
		c := rg.dial(t)
		br := bufio.NewReader(c)
		io.WriteString(c, writes[0])
		if _, body := readResponse(t, br); body != "text=hi" {
			t.Fatalf("%q: the POST's answer %q", writes, body)
		}
		for _, w := range writes[1:] {
			io.WriteString(c, w)
		}
		_ = c.SetReadDeadline(time.Now().Add(testutil.Timeout))
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%q: the GET after the POST: %v", writes, err)
		}
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || string(body) != "plain" {
			t.Errorf("%q: the GET after the POST answered %d %q, want 200 plain", writes, res.StatusCode, body)
		}
	}
}

// TestLeavingWhileAnsweredThenServedOn: a client that pipelines a request
// behind a held one and then shuts down its sending side is reported
// gone while its held request is being answered (the holder, which
// claimed the answer, does nothing); the connection then serves the
// pipelined request, answered at once. The watcher's look at the gone
// callback must not race with the reader that serves that request.
func TestLeavingWhileAnsweredThenServedOn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var p *Parker
	held := make(chan *Conn, 1)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hold" {
			io.WriteString(w, "plain")
			return
		}
		c, err := p.Hold(w, r, nil, func(*Conn) {}) // its answer is on its way
		if err != nil {
			t.Errorf("hold: %v", err)
			return
		}
		held <- c
	})
	if p, err = New(ln, Config{SlowTimeout: time.Second, Handler: handler, ServePrefix: "/hold"}); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(p.Listener()) }()
	defer func() {
		p.Listener().Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Close(ctx)
		_ = srv.Shutdown(ctx)
		<-done
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	io.WriteString(c, holdRequest+"GET /holdnot HTTP/1.1\r\nHost: x\r\n\r\n")
	var h *Conn
	select {
	case h = <-held:
	case <-time.After(testutil.Timeout):
		t.Fatal("no request was held")
	}
	c.(*net.TCPConn).CloseWrite()
	rg := &rig{p: p}
	testutil.WaitFor(t, "the watcher to report the client gone", func() bool { return rg.watched() == 0 })
	h.Write(200, nil, []byte("one"), nil)
	for _, want := range []string{"one", "plain"} {
		if _, body := readResponse(t, br); body != want {
			t.Fatalf("answer %q, want %q", body, want)
		}
	}
}
