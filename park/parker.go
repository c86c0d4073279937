package park

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"gochat/wire"
)

// ErrUnsupported is returned by New where connections cannot be held
// (everywhere but Linux).
var ErrUnsupported = errors.New("park: holding connections needs Linux")

// MaxSlowWriters is how many answers that did not fit their socket at
// once may be written out at the same time, each by a goroutine of its
// own; past it, such a client is dropped at once.
const MaxSlowWriters = 1024

// Config sets up a Parker.
type Config struct {
	// SlowTimeout bounds how long a client whose answer did not fit its
	// socket at once has to take the rest; past it the connection is
	// closed.
	SlowTimeout time.Duration
	Log         *slog.Logger // where dropped clients are logged
	// OnDrop, if set, is told of each client dropped for not taking its
	// answer in time.
	OnDrop func()
	// Handler, if set, serves the requests under ServePrefix of new
	// connections and of connections whose request was answered (held
	// or not): the Parker reads and parses them itself, with no
	// goroutine for the connection while it is idle (see serve.go). Nil
	// hands every answered connection back to the Listener, for net/http
	// to serve.
	Handler http.Handler
	// ServePrefix is the path prefix of the requests the Parker serves
	// with Handler (the API's, whose reads park); it hands others back.
	ServePrefix string
	// IdleTimeout closes a connection the Parker serves that sends no
	// request this long after an answer; 0 means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// HeaderTimeout closes a new connection that sends nothing this long
	// (with a Handler, the Parker serves new connections' first requests
	// too); 0 means DefaultHeaderTimeout. A header begun but not all
	// there goes to net/http, whose own ReadHeaderTimeout bounds it.
	HeaderTimeout time.Duration
	// IdleGrace is how long Close lets a connection idle when the
	// shutdown began bring its next request, counted from its answer;
	// then it is closed.
	IdleGrace time.Duration
	// Readers is how many goroutines read and serve those requests while
	// they come quickly; more start while all are stuck on slow requests
	// (see readQueue). 0 means DefaultReaders.
	Readers int
}

// Parker holds connections whose requests wait, and answers them.
type Parker struct {
	cfg     Config
	ln      *Listener
	watcher *watcher

	mu      sync.Mutex       // guards conns, lastID, closing, and each Conn's id and idle
	conns   map[uint64]*Conn // the held and idle connections being watched, by id
	lastID  uint64           // the last id given; 0 is the watcher's own
	closing bool             // Close began: Hold refuses, so open only falls
	queue   readQueue        // idle connections whose next request came, for the readers
	readers sync.WaitGroup   // one per reader goroutine; added to under queue.mu, before the queue stops
	bufs    sync.Pool        // *requestBuf, for the readers
	heads   sync.Pool        // *[]byte, the answers' status and header lines as Conn.Write encodes them
	own     http.Header      // the header keys Conn.Write sets itself, for the readers' answers
	// lastIdle is when a connection last went idle (Unix nanoseconds),
	// for Close's IdleGrace.
	lastIdle atomic.Int64

	draining  atomic.Bool              // answers close their connections
	slow      atomic.Int64             // slow writers running
	held      atomic.Int64             // connections held, until handed back or closed
	lastDate  atomic.Pointer[dateText] // the Date of the last answer
	open      sync.WaitGroup           // one per held connection until it is handed back or closed
	closeOnce sync.Once                // Close runs once
	closeErr  error                    // what it returned
}

// New returns a Parker whose Listener serves ln.
func New(ln net.Listener, cfg Config) (*Parker, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.OnDrop == nil {
		cfg.OnDrop = func() {}
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.HeaderTimeout <= 0 {
		cfg.HeaderTimeout = DefaultHeaderTimeout
	}
	if cfg.Readers <= 0 {
		cfg.Readers = DefaultReaders
	}
	p := &Parker{cfg: cfg, conns: make(map[uint64]*Conn)}
	p.heads.New = func() any { b := make([]byte, 0, 512); return &b }
	p.queue.init(cfg.Readers, MaxReaders, p.startReader)
	w, err := newWatcher(p.event)
	if err != nil {
		return nil, err
	}
	p.watcher = w
	var adopt func(net.Conn) bool
	if cfg.Handler != nil {
		p.startReaders()
		adopt = p.adopt
	}
	p.ln = newListener(ln, adopt)
	return p, nil
}

// Listener returns the listener to serve: it accepts new connections and
// those handed back after their held request was answered.
func (p *Parker) Listener() *Listener { return p.ln }

// Held returns how many connections are held now.
func (p *Parker) Held() int64 { return p.held.Load() }

// Drain makes every answer from now on close its connection, for a
// shutdown.
func (p *Parker) Drain() { p.draining.Store(true) }

// Close waits until every held connection was answered and handed back
// or closed, or ctx ends; then it closes what is left. Connections idle
// after an answer get Config.IdleGrace from it to bring a request, which
// is served (its answer closes the connection), and are then closed.
// Then it stops reading and watching. Call it after the listener is
// closed and the requests were answered. Later calls return the first
// call's result.
func (p *Parker) Close(ctx context.Context) error {
	p.closeOnce.Do(func() { p.closeErr = p.close(ctx) })
	return p.closeErr
}

func (p *Parker) close(ctx context.Context) error {
	p.Drain()
	p.mu.Lock()
	p.closing = true
	p.mu.Unlock()
	done := make(chan struct{})
	go func() { p.open.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		left, gones := p.take(false)
		for i, c := range left {
			gones[i](c)
		}
		err = fmt.Errorf("park: %d held connections were not answered in time: %w", len(left), ctx.Err())
		<-done // gone answers or closes each; slow writers end by their deadline
	}
	p.awaitIdle(ctx)
	idle, _ := p.take(true)
	for _, c := range idle {
		c.closeIdle()
	}
	p.watcher.stop() // no more requests are reported
	p.stopReaders()  // after those already reported are served
	return err
}

// take forgets and returns the watched connections that are idle, or
// those held, each with its gone callback as it is now (read under mu,
// as the watcher reads it).
func (p *Parker) take(idle bool) (cs []*Conn, gones []func(*Conn)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, c := range p.conns {
		if c.idle == idle {
			delete(p.conns, id)
			cs, gones = append(cs, c), append(gones, c.onGone)
		}
	}
	return cs, gones
}

// awaitIdle waits until the connection that went idle last has been
// idle for Config.IdleGrace, or ctx ends.
func (p *Parker) awaitIdle(ctx context.Context) {
	wait := time.Until(time.Unix(0, p.lastIdle.Load()).Add(p.cfg.IdleGrace))
	if p.lastIdle.Load() == 0 || wait <= 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// event is the watcher's report about the connection of id: the client
// of a held one left, or an idle one sent bytes (or left).
func (p *Parker) event(id uint64) {
	p.mu.Lock()
	c := p.conns[id]
	delete(p.conns, id)
	idle := c != nil && c.idle
	var gone func(*Conn)
	if c != nil && !idle {
		// Read under mu: once c is answered, a reader may serve its next
		// request and set its onGone anew.
		gone = c.onGone
	}
	p.mu.Unlock()
	switch {
	case idle:
		p.queue.push(c)
	case c != nil:
		gone(c) // one-shot: fd is no longer reported
	}
}

// unwatch forgets c, unless the watcher already took it: a report for it
// from then on is ignored (see watcher.watch).
func (p *Parker) unwatch(c *Conn) {
	p.mu.Lock()
	delete(p.conns, c.id)
	p.mu.Unlock()
}

// Conn is a held connection: what is needed to answer its request and
// serve it on. With a Config.Handler, the same Conn stays the
// connection's record while the Parker serves it: idle, its next
// request being served, held again.
type Conn struct {
	p      *Parker
	id     uint64       // its key in Parker.conns
	tc     *net.TCPConn // the connection
	sock   sock         // its socket, for reads and writes that never wait
	fd     int          // its descriptor, for the watcher
	rest   []byte       // bytes the client sent past the request, to replay
	head   []byte       // the request's own header lines, encoded
	proto  string       // "HTTP/1.1" or "HTTP/1.0"
	close  bool         // the answer closes the connection
	alive  bool         // HTTP/1.0 keep-alive: say so
	onGone func(*Conn)  // the client left before its answer; set before c is watched, read under Parker.mu by the watcher and Close
	ended  atomic.Bool  // handed back, closed or gone idle, since the last Hold
	// held says the connection's request is held (Hold), rather than
	// served by a reader (Config.Handler).
	held bool
	// idle says the connection waits for its next request, watched for
	// it under id (guarded by Parker.mu).
	idle bool
	// idleUntil is when an idle connection is closed; idleTimer does it.
	idleUntil time.Time
	idleTimer *time.Timer
	remote    string // the client's address, for the requests a reader serves
	// blank is how many CR or LF bytes may still be skipped before the
	// next request a reader serves: maxBlankAfterPost after a POST, else 0.
	blank int
}

// attach makes tc c's connection: its descriptor, for the watcher, and
// its socket, for the reads and writes that never wait.
func (c *Conn) attach(tc *net.TCPConn) error {
	rc, err := tc.SyscallConn()
	if err != nil {
		return err
	}
	if err := rc.Control(func(fd uintptr) { c.fd = int(fd) }); err != nil {
		return err
	}
	c.tc = tc
	c.sock.init(rc)
	return nil
}

// Hold takes over the connection of r, which must not have been answered:
// the handler returns right after. w's header, as it is now, is sent with
// the answer, under the answer's own (see Write), but for the keys in
// skip, which every answer sets itself. gone is called with the Conn,
// from the watcher's goroutine, if the client leaves before Write; it
// must not block, and calls Close unless an answer is being written.
//
// A request the Parker serves itself (Config.Handler) is held on the
// Conn it already has.
//
// If the connection cannot be held, or Close has begun, Hold returns an
// error and the handler answers as usual. Once it was taken but cannot
// be held (not a TCP connection), it is closed and Hold returns an error
// saying so.
func (p *Parker) Hold(w http.ResponseWriter, r *http.Request, skip http.Header, gone func(*Conn)) (*Conn, error) {
	if rw := readerWriterOf(w); rw != nil {
		return p.holdAgain(rw, r, skip, gone)
	}
	c := &Conn{p: p, onGone: gone, held: true}
	c.answering(r)
	c.head = headerLines(c.head[:0], w.Header(), skip, &c.close)
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		return nil, errors.New("park: hold: the parker is closed")
	}
	p.open.Add(1) // before Close can wait: see closing
	p.mu.Unlock()
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		p.open.Done()
		return nil, fmt.Errorf("park: hold: %w", err)
	}
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		c.rest = slices.Clone(b)
	}
	again := false // held before and handed back: fd is in the epoll instance already
	var tc *net.TCPConn
	switch x := nc.(type) {
	case *replayConn:
		tc = x.TCPConn
		c.rest = append(c.rest, x.rest...)
		again = true
	case *net.TCPConn:
		tc = x
	default:
		nc.Close()
		p.open.Done()
		return nil, fmt.Errorf("park: hold: a %T cannot be held; it was closed", nc)
	}
	if err := c.attach(tc); err != nil {
		tc.Close()
		p.open.Done()
		return nil, fmt.Errorf("park: hold: %w", err)
	}
	p.held.Add(1)
	p.mu.Lock()
	p.lastID++
	c.id = p.lastID
	p.conns[c.id] = c
	p.mu.Unlock()
	if err := p.watcher.watch(c.fd, c.id, again); err != nil {
		p.unwatch(c)
		c.Close()
		return nil, fmt.Errorf("park: hold: %w", err)
	}
	return c, nil
}

// answering sets how c answers r: its protocol and whether the answer
// closes the connection.
func (c *Conn) answering(r *http.Request) {
	c.proto, c.alive = "HTTP/1.1", false
	if !r.ProtoAtLeast(1, 1) {
		c.proto = "HTTP/1.0"
		c.alive = !r.Close
	}
	c.close = r.Close
}

// headerLines appends h, but for the keys in skip and Connection, as
// header lines to dst; a Connection: close sets *closing.
func headerLines(dst []byte, h, skip http.Header, closing *bool) []byte {
	for k, vs := range h {
		if k == "Connection" {
			*closing = *closing || slices.Contains(vs, "close")
			continue
		}
		if _, ok := skip[k]; ok {
			continue
		}
		for _, v := range vs {
			dst = wire.HeaderLine(dst, k, v)
		}
	}
	return dst
}

// Close closes the connection with nothing written: the client left, or
// will get no answer.
func (c *Conn) Close() {
	c.p.unwatch(c)
	c.end(false)
}

// end closes the connection, or serves it again, once: the Parker
// reads its next request if it has a Config.Handler, else it is handed
// back to the Listener.
func (c *Conn) end(again bool) {
	if !c.ended.CompareAndSwap(false, true) {
		return
	}
	held := c.held
	switch {
	case !again:
		c.tc.Close()
	case c.p.cfg.Handler != nil:
		c.p.serveNext(c)
	default:
		c.handBack(c.rest)
	}
	if held {
		c.p.held.Add(-1)
		c.p.open.Done()
	}
}

// handBack gives the connection back to net/http, which reads rest
// before the socket.
func (c *Conn) handBack(rest []byte) {
	c.p.ln.handBack(&replayConn{TCPConn: c.tc, rest: rest})
}

// Write answers the held request with status, the header lines lines
// (see wire.HeaderLines), then the request's own (see Hold), and body.
// It writes what the socket takes at once; the rest goes to a slow writer
// that has Config.SlowTimeout, and drops the client past it. Then the connection is served again, or closed if
// the answer says so: through later, which may hold that back until a
// batch of answers is written (nil does it at once). Write never blocks;
// call it once.
func (c *Conn) Write(status int, lines, body []byte, later func(func())) {
	c.p.unwatch(c)
	closing := c.close || c.p.draining.Load()
	hp := c.p.heads.Get().(*[]byte)
	b := append((*hp)[:0], c.proto...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	b = append(b, "\r\n"...)
	b = append(b, lines...)
	b = append(b, c.head...)
	b = wire.HeaderLine(b, "Date", c.p.date())
	b = wire.HeaderLine(b, "Content-Length", strconv.Itoa(len(body)))
	switch {
	case closing:
		b = wire.HeaderLine(b, "Connection", "close")
	case c.alive:
		b = wire.HeaderLine(b, "Connection", "keep-alive")
	}
	b = append(b, "\r\n"...)
	n, err := c.sock.writeNow(b, body)
	var rest []byte
	if err == nil && n < len(b)+len(body) {
		// The slow writer outlives body, which the caller may reuse.
		rest = make([]byte, 0, len(b)+len(body)-n)
		rest = append(rest, b[min(n, len(b)):]...)
		rest = append(rest, body[max(n-len(b), 0):]...)
	}
	if cap(b) <= maxPooledHead {
		*hp = b
		c.p.heads.Put(hp)
	}
	switch {
	case err != nil:
		c.end(false) // the client is gone
	case rest != nil:
		c.writeSlowly(rest, closing)
	case later != nil:
		later(func() { c.end(!closing) })
	default:
		c.end(!closing)
	}
}

// writeSlowly writes the rest of an answer from a goroutine of its own,
// within Config.SlowTimeout, and drops the client past it.
func (c *Conn) writeSlowly(rest []byte, closing bool) {
	if c.p.slow.Add(1) > MaxSlowWriters {
		c.p.slow.Add(-1)
		c.drop("too many clients are slow to take their answers")
		return
	}
	go func() {
		defer c.p.slow.Add(-1)
		_ = c.tc.SetWriteDeadline(time.Now().Add(c.p.cfg.SlowTimeout))
		switch _, err := c.tc.Write(rest); {
		case errors.Is(err, os.ErrDeadlineExceeded):
			c.drop("its answer was not taken in time")
			return
		case err != nil:
			c.end(false) // the client is gone
			return
		}
		_ = c.tc.SetWriteDeadline(time.Time{})
		c.end(!closing)
	}()
}

// drop closes the connection of a client that does not take its answer.
func (c *Conn) drop(why string) {
	c.p.cfg.OnDrop()
	c.p.cfg.Log.Warn("dropped a client that did not take its answer", "client", c.tc.RemoteAddr().String(), "timeout", c.p.cfg.SlowTimeout, "reason", why)
	c.end(false)
}

// date returns the Date header's value for now, formatted once a second.
func (p *Parker) date() string {
	now := time.Now()
	if d := p.lastDate.Load(); d != nil && d.unix == now.Unix() {
		return d.text
	}
	d := &dateText{unix: now.Unix(), text: now.UTC().Format(http.TimeFormat)}
	p.lastDate.Store(d)
	return d.text
}

// dateText is a Date header's value and the second it is for.
type dateText struct {
	unix int64  // the second
	text string // formatted as http.TimeFormat
}
