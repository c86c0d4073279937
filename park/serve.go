package park

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// How the Parker serves the next requests of the connections it answered
// when it has a Config.Handler (see the package doc): the readers, their
// queue and buffers, the ResponseWriter the Handler writes to, and the
// idle timeout.

const (
	// DefaultReaders is how many goroutines read and serve the requests
	// of idle connections, unless Config.Readers says otherwise. Each
	// serves one request at a time, until it is answered or held; while
	// all are stuck on slow requests, more are started (see readQueue),
	// up to MaxReaders.
	DefaultReaders = 32
	// MaxReaders is how many goroutines read and serve requests at most,
	// when that many requests are slow to answer (a stalled store); the
	// next ones wait in the queue.
	MaxReaders = 1024
	// DefaultIdleTimeout closes an idle connection that sends nothing for
	// this long, unless Config.IdleTimeout says otherwise.
	DefaultIdleTimeout = 120 * time.Second
	// DefaultHeaderTimeout closes a new connection that sends nothing for
	// this long, unless Config.HeaderTimeout says otherwise.
	DefaultHeaderTimeout = 10 * time.Second
	// readBufSize is the buffer a request's header is read into: a
	// header that does not fit, or has not all arrived, goes to net/http,
	// which applies the server's header limits and timeouts.
	readBufSize = 4096
	// maxPooledAnswer is the largest answer body buffer a reader keeps
	// for the next request it serves; a larger one is left to the GC.
	maxPooledAnswer = 64 << 10
	// maxPooledHead is the largest buffer of status and header lines
	// Conn.Write keeps for the next answer.
	maxPooledHead = 4 << 10
	// maxBlankAfterPost is how many CR or LF bytes after a POST's body
	// are skipped before the next request, as net/http skips them for
	// old clients that end a body with a line break (RFC 9112, section
	// 2.2).
	maxBlankAfterPost = 4
)

// readQueue hands idle connections whose next request came from the
// watcher to the readers. push never blocks. A reader serves one request
// at a time, until it is answered or held, which a stalled store can make
// long. So besides the few readers that always run, when connections
// wait and no reader has taken one for stallWait (every reader is stuck
// on a slow request), one more reader is started for each, up to most;
// those past the few end once nothing is queued. A burst of quick
// requests starts none: the readers take them all the while.
type readQueue struct {
	mu      sync.Mutex
	ready   *sync.Cond  // signalled when conns grows or stopped is set
	conns   []*Conn     // in the order their requests came
	stopped bool        // no more will come: readers end once conns is empty
	few     int         // readers that always run
	most    int         // readers at most
	running int         // readers started and not ended
	idle    int         // readers waiting in pop that no push has signalled yet
	start   func()      // starts a reader, which loops on pop; it must not block
	taken   uint64      // connections the readers took, ever
	stall   *time.Timer // runs unstall stallWait after connections began to wait
	armed   bool        // stall runs next with taken still at seen, if no reader takes one
	seen    uint64      // taken when stall was armed
}

// stallWait is how long connections may wait while no reader takes one
// before the queue starts a reader for each. It is long: a big wake-up
// keeps every reader waiting on the network for tens of milliseconds (at
// 10 ms, a 5,000-reader fan-out started a thousand readers), and only a
// store that stopped answering keeps them all for a second.
const stallWait = time.Second

func (q *readQueue) init(few, most int, start func()) {
	q.ready = sync.NewCond(&q.mu)
	q.few, q.most, q.start = few, most, start
	q.stall = time.AfterFunc(time.Hour, q.unstall)
	q.stall.Stop()
}

// startFew starts the readers that always run.
func (q *readQueue) startFew() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for ; q.running < q.few; q.running++ {
		q.start()
	}
}

// push queues c; once the queue is stopped it closes c instead.
func (q *readQueue) push(c *Conn) {
	q.mu.Lock()
	if q.stopped {
		q.mu.Unlock()
		c.closeIdle()
		return
	}
	q.conns = append(q.conns, c)
	wake := q.idle > 0
	switch {
	case wake:
		q.idle--
	case !q.armed:
		q.arm()
	}
	q.mu.Unlock()
	if wake {
		q.ready.Signal()
	}
}

// arm makes unstall look at the queue after stallWait. q.mu is held.
func (q *readQueue) arm() {
	q.armed, q.seen = true, q.taken
	q.stall.Reset(stallWait)
}

// unstall starts a reader for each connection waiting, up to most, if
// none was taken since it was armed, and looks again later while any
// wait with no reader free.
func (q *readQueue) unstall() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.armed = false
	if q.stopped || len(q.conns) == 0 || q.idle > 0 {
		return
	}
	if q.taken == q.seen { // every reader is stuck on a slow request
		for n := min(len(q.conns), q.most-q.running); n > 0; n-- {
			q.running++
			q.start() // under mu: stop cannot come between (see Parker.readers)
		}
	}
	q.arm()
}

// pop returns the next connection, waiting for one; false once the
// queue is stopped and empty, or when it is empty and more than few
// readers run: the reader then ends.
func (q *readQueue) pop() (*Conn, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.conns) == 0 {
		if q.stopped || q.running > q.few {
			q.running--
			return nil, false
		}
		q.idle++
		q.ready.Wait()
	}
	c := q.conns[0]
	q.conns[0] = nil
	q.conns = q.conns[1:]
	q.taken++
	return c, true
}

// stop ends the readers once they have served what is queued.
func (q *readQueue) stop() {
	q.mu.Lock()
	q.stopped = true
	q.stall.Stop()
	q.mu.Unlock()
	q.ready.Broadcast()
}

// requestBuf is a reader's buffer: the bytes read, and the reader that
// parses a request's header from them.
type requestBuf struct {
	b      [readBufSize]byte
	rd     bytes.Reader
	br     *bufio.Reader
	body   bodyReader // the request's body, which came with its header
	answer []byte     // the answer's body, as the Handler writes it; reused
	lines  []byte     // the answer's header lines; reused
}

// bodyReader is the Body of a request served from a reader's buffer.
type bodyReader struct{ bytes.Reader }

// Close does nothing: the body is in the reader's buffer.
func (*bodyReader) Close() error { return nil }

// startReaders makes what the readers share and starts Config.Readers
// of them; the queue starts more while all are stuck.
func (p *Parker) startReaders() {
	p.own = http.Header{"Content-Length": nil, "Date": nil, "Transfer-Encoding": nil}
	p.bufs.New = func() any {
		rb := &requestBuf{}
		rb.br = bufio.NewReaderSize(&rb.rd, readBufSize)
		return rb
	}
	p.queue.startFew()
}

// startReader starts a reader: it serves the connections queued until
// pop tells it to end.
func (p *Parker) startReader() {
	p.readers.Add(1)
	go func() {
		defer p.readers.Done()
		for {
			c, ok := p.queue.pop()
			if !ok {
				return
			}
			p.serve(c)
		}
	}()
}

// stopReaders waits for the readers to serve what is queued and end.
func (p *Parker) stopReaders() {
	p.queue.stop()
	p.readers.Wait()
}

// adopt takes a new connection from the Listener, and reports whether
// it did: the Parker serves its first request as it serves the next
// ones, so a long-poll costs no net/http state from its first request on.
// The client has Config.HeaderTimeout to send it.
func (p *Parker) adopt(nc net.Conn) bool {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return false
	}
	c := &Conn{p: p}
	if c.attach(tc) != nil {
		return false
	}
	p.idleFor(c, p.cfg.HeaderTimeout, false)
	return true
}

// serveNext serves c's next request: at once if its client already sent
// it, else once it comes.
func (p *Parker) serveNext(c *Conn) {
	if len(c.rest) > 0 {
		p.queue.push(c)
		return
	}
	p.idleFor(c, p.cfg.IdleTimeout, true)
}

// idleFor watches c for its next request, for d at most; watched says
// its descriptor is in the epoll instance already.
func (p *Parker) idleFor(c *Conn, d time.Duration, watched bool) {
	now := time.Now()
	c.idleUntil = now.Add(d)
	p.lastIdle.Store(now.UnixNano())
	if c.idleTimer == nil {
		c.idleTimer = time.AfterFunc(d, func() { p.idleExpired(c) })
	} else {
		c.idleTimer.Reset(d)
	}
	p.watchIdle(c, watched)
}

// watchIdle watches c for its next request, unless its idle time is
// over or Close has begun: then it closes it.
func (p *Parker) watchIdle(c *Conn, watched bool) {
	p.mu.Lock()
	if p.closing || !time.Now().Before(c.idleUntil) {
		p.mu.Unlock()
		c.closeIdle()
		return
	}
	p.lastID++
	id := p.lastID // c.id may change once the watcher reports it
	c.id, c.idle = id, true
	p.conns[id] = c
	p.mu.Unlock()
	if err := p.watcher.watchRead(c.fd, id, watched); err != nil {
		p.unwatch(c)
		c.closeIdle()
	}
}

// idleExpired closes c if it is still idle, watched, when its idle time
// is over.
func (p *Parker) idleExpired(c *Conn) {
	p.mu.Lock()
	watched := c.idle && p.conns[c.id] == c
	if watched {
		delete(p.conns, c.id)
	}
	p.mu.Unlock()
	if watched {
		c.closeIdle()
	}
}

// closeIdle closes a connection that is not held.
func (c *Conn) closeIdle() {
	c.stopIdle()
	c.tc.Close()
}

// serve reads and serves the next request c's client sent: it answers
// it, or the Handler holds it, or it hands the connection to net/http;
// or, with nothing there after all, it waits on.
func (p *Parker) serve(c *Conn) {
	rb := p.bufs.Get().(*requestBuf)
	defer p.bufs.Put(rb)
	data := c.rest
	c.rest = nil
	replayed := len(data) > 0
	if !replayed {
		n, err := c.sock.readNow(rb.b[:])
		switch {
		case err != nil: // the client left
			c.closeIdle()
			return
		case n == 0: // nothing came after all: wait on
			p.watchIdle(c, true)
			return
		}
		data = rb.b[:n]
	}
	if data = c.skipBlank(data); len(data) == 0 {
		// Only the blank lines a POST may be followed by: wait on.
		if replayed {
			p.serveNext(c) // its idle time starts now
		} else {
			p.watchIdle(c, true)
		}
		return
	}
	end := bytes.Index(data, []byte("\r\n\r\n"))
	if end < 0 {
		c.stopIdle()
		c.handBack(slices.Clone(data)) // the header is not all there: net/http waits for it
		return
	}
	end += len("\r\n\r\n")
	rb.rd.Reset(data[:end])
	rb.br.Reset(&rb.rd)
	r, err := http.ReadRequest(rb.br)
	if err != nil || !strings.HasPrefix(r.RequestURI, p.cfg.ServePrefix) || !servable(r, hostLines(data[:end]), len(data)-end) {
		c.stopIdle()
		c.handBack(slices.Clone(data))
		return
	}
	c.stopIdle()
	c.blank = 0
	if r.Method == http.MethodPost {
		c.blank = maxBlankAfterPost
	}
	if r.ContentLength > 0 {
		bodyEnd := end + int(r.ContentLength)
		rb.body.Reset(data[end:bodyEnd])
		r.Body, end = &rb.body, bodyEnd
	}
	if end < len(data) {
		c.rest = slices.Clone(data[end:]) // pipelined: served after this one
	}
	if c.remote == "" {
		c.remote = c.tc.RemoteAddr().String()
	}
	r.RemoteAddr = c.remote
	w := &readerWriter{c: c, header: make(http.Header), body: rb.answer[:0]}
	if !p.run(w, r) {
		c.tc.Close()
		return
	}
	if w.held {
		return // Hold took it: its answer serves it on
	}
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	c.answering(r)
	c.held, c.onGone = false, nil
	c.ended.Store(false)
	lines := headerLines(rb.lines[:0], w.header, p.own, &c.close)
	c.head = c.head[:0]
	c.Write(status, lines, w.body, nil)
	if cap(w.body) <= maxPooledAnswer {
		rb.answer = w.body
	}
	if cap(lines) <= maxPooledHead {
		rb.lines = lines
	}
}

// skipBlank drops the CR and LF bytes that lead data, as many as c.blank
// still allows, and returns the rest.
func (c *Conn) skipBlank(data []byte) []byte {
	for c.blank > 0 && len(data) > 0 {
		if data[0] != '\r' && data[0] != '\n' {
			c.blank = 0 // a request begins
			break
		}
		data = data[1:]
		c.blank--
	}
	return data
}

// stopIdle stops c's idle timer: it is served.
func (c *Conn) stopIdle() {
	if c.idleTimer != nil {
		c.idleTimer.Stop()
	}
}

// servable reports whether the Parker may serve r, whose header has
// hosts Host lines and after which here bytes have come, itself: a GET
// or a POST whose body (with a Content-Length) has all come, and nothing
// net/http would treat specially.
func servable(r *http.Request, hosts, here int) bool {
	switch {
	case r.Method != http.MethodGet && r.Method != http.MethodPost,
		r.ProtoMajor != 1 || len(r.TransferEncoding) > 0 || r.ContentLength < 0 || r.ContentLength > int64(here),
		!strings.HasPrefix(r.RequestURI, "/"),        // "*" or an absolute URI
		hosts > 1 || r.ProtoMinor >= 1 && hosts == 0, // net/http answers 400
		!validHost(r.Host),
		r.Header["Upgrade"] != nil || r.Header["Expect"] != nil:
		return false
	}
	return true
}

// hostLines counts the Host lines of a request's header (which
// http.ReadRequest takes out of the Header).
func hostLines(header []byte) int {
	n := 0
	for line := range bytes.Lines(header) {
		if len(line) >= len("Host:") && bytes.EqualFold(line[:len("Host:")], []byte("Host:")) {
			n++
		}
	}
	return n
}

// validHost reports whether h has only the characters a Host header may
// have; net/http answers 400 to others.
func validHost(h string) bool {
	for i := 0; i < len(h); i++ {
		if b := h[i]; b <= ' ' || b >= 0x7f || b == '/' || b == '\\' {
			return false
		}
	}
	return true
}

// run serves r with the Handler and reports false if it panicked (as
// net/http does, a panic other than http.ErrAbortHandler is logged): the
// connection is then closed with nothing written.
func (p *Parker) run(w *readerWriter, r *http.Request) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			ok = false
			if v != http.ErrAbortHandler {
				buf := make([]byte, 64<<10)
				buf = buf[:runtime.Stack(buf, false)]
				p.cfg.Log.Error("panic serving a request", "client", w.c.remote, "panic", fmt.Sprint(v), "stack", string(buf))
			}
		}
	}()
	p.cfg.Handler.ServeHTTP(w, r)
	return true
}

// readerWriter is the ResponseWriter of a request a reader serves: it
// keeps the answer, which the reader writes once the Handler returns,
// unless the Handler held the request (Hold).
type readerWriter struct {
	c      *Conn
	header http.Header
	status int    // 0 until WriteHeader or Write
	body   []byte // what Write was given
	held   bool   // Hold took the connection: the reader writes nothing
}

// Header returns the answer's header.
func (w *readerWriter) Header() http.Header { return w.header }

// WriteHeader sets the status, once; informational ones are ignored.
func (w *readerWriter) WriteHeader(status int) {
	if w.status == 0 && status >= 200 {
		w.status = status
	}
}

// Write adds b to the body.
func (w *readerWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body = append(w.body, b...)
	return len(b), nil
}

// FlushError does nothing: the answer is written whole when the Handler
// returns.
func (w *readerWriter) FlushError() error { return nil }

// SetWriteDeadline does nothing: the answer's write is bounded by
// Config.SlowTimeout.
func (w *readerWriter) SetWriteDeadline(time.Time) error { return nil }

// SetReadDeadline does nothing: the request's body, if any, came whole
// with its header.
func (w *readerWriter) SetReadDeadline(time.Time) error { return nil }

// readerWriterOf returns the readerWriter under w, through Unwrap, or nil.
func readerWriterOf(w http.ResponseWriter) *readerWriter {
	for {
		switch x := w.(type) {
		case *readerWriter:
			return x
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return nil
		}
	}
}

// holdAgain is Hold for a request a reader serves: its Conn is held
// again as it is.
func (p *Parker) holdAgain(w *readerWriter, r *http.Request, skip http.Header, gone func(*Conn)) (*Conn, error) {
	c := w.c
	c.answering(r)
	c.head = headerLines(c.head[:0], w.header, skip, &c.close)
	c.onGone, c.held = gone, true
	c.ended.Store(false)
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		return nil, errors.New("park: hold: the parker is closed")
	}
	p.open.Add(1) // before Close can wait: see closing
	p.lastID++
	id := p.lastID // c.id may change once the watcher reports it
	c.id, c.idle = id, false
	p.conns[id] = c
	p.mu.Unlock()
	w.held = true
	p.held.Add(1)
	if err := p.watcher.watch(c.fd, id, true); err != nil {
		p.unwatch(c)
		c.Close()
		return nil, fmt.Errorf("park: hold: %w", err)
	}
	return c, nil
}
