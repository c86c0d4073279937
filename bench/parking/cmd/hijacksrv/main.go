// hijacksrv: prototype (a) — net/http for everything, but a parked GET /poll
// is hijacked and its handler returns. The parked read is a small record; one
// epoll instance (one goroutine, no goroutine per conn) watches parked fds
// for EPOLLRDHUP/HUP/ERR to notice disconnects; POST /post wakes all parked
// records from one goroutine which writes the shared pre-encoded answer with
// a non-blocking write (a connection whose socket buffer is full gets its own
// goroutine with a write deadline, then is dropped), then hands the connection
// back to net/http through a listener whose Accept returns re-queued conns,
// replaying pipelined bytes that net/http's bufio.Reader had already read.
package main

import (
	"context"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"gochat-parking-prototypes/common"
)

// ---------- the re-queueing listener ----------

type acceptRes struct {
	c   net.Conn
	err error
}

type requeueListener struct {
	net.Listener
	mu     sync.Mutex
	q      []net.Conn
	sig    chan struct{} // 1-buffered: queue not empty
	acc    chan acceptRes
	done   chan struct{}
	closed sync.Once
}

func newRequeueListener(ln net.Listener) *requeueListener {
	l := &requeueListener{Listener: ln, sig: make(chan struct{}, 1), acc: make(chan acceptRes), done: make(chan struct{})}
	go func() {
		for {
			c, err := ln.Accept()
			select {
			case l.acc <- acceptRes{c, err}:
			case <-l.done:
				if c != nil {
					c.Close()
				}
				return
			}
			if err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					continue
				}
				return
			}
		}
	}()
	return l
}

// Requeue never blocks (the waker must not wait for net/http's accept loop).
func (l *requeueListener) Requeue(c net.Conn) {
	select {
	case <-l.done:
		c.Close()
		return
	default:
	}
	l.mu.Lock()
	l.q = append(l.q, c)
	l.mu.Unlock()
	select {
	case l.sig <- struct{}{}:
	default:
	}
}

func (l *requeueListener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		if len(l.q) > 0 {
			c := l.q[0]
			l.q[0] = nil
			l.q = l.q[1:]
			if len(l.q) == 0 {
				l.q = nil
			}
			l.mu.Unlock()
			return c, nil
		}
		l.mu.Unlock()
		select {
		case <-l.sig:
		case r := <-l.acc:
			return r.c, r.err
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
}

func (l *requeueListener) Close() error {
	l.closed.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// replayConn returns bytes already read from the socket (by net/http's
// bufio.Reader before the hijack) before reading the socket again.
type replayConn struct {
	*net.TCPConn
	rest []byte
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.rest) > 0 {
		n := copy(p, c.rest)
		c.rest = c.rest[n:]
		if len(c.rest) == 0 {
			c.rest = nil
		}
		return n, nil
	}
	return c.TCPConn.Read(p)
}

// ---------- parked reads ----------

const (
	stParked = iota
	stAnswering
	stGone
)

type parked struct {
	id    int32
	state int32 // guarded by hub.mu
	kind  uint8
	c     *net.TCPConn
	rc    syscall.RawConn
	fd    int
	rest  []byte // pipelined bytes read before the hijack
}

type hub struct {
	mu       sync.Mutex
	waiting  map[int32]*parked
	nextID   int32
	ep       int
	ln       *requeueListener
	closing  bool
	wdl      time.Duration
	writers  int
	answered int64
}

func newHub(ln *requeueListener, wdl time.Duration) *hub {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		log.Fatal(err)
	}
	h := &hub{waiting: map[int32]*parked{}, ep: ep, ln: ln, wdl: wdl}
	go h.watch()
	return h
}

// watch is the only goroutine that notices disconnects of parked conns.
func (h *hub) watch() {
	evs := make([]unix.EpollEvent, 256)
	for {
		n, err := unix.EpollWait(h.ep, evs, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			log.Printf("epoll_wait: %v", err)
			return
		}
		for i := 0; i < n; i++ {
			id := evs[i].Fd
			h.mu.Lock()
			p := h.waiting[id]
			if p != nil && p.state == stParked {
				p.state = stGone
				delete(h.waiting, id)
			} else {
				p = nil
			}
			h.mu.Unlock()
			if p != nil {
				_ = unix.EpollCtl(h.ep, unix.EPOLL_CTL_DEL, p.fd, nil)
				p.c.Close()
			}
		}
	}
}

func (h *hub) parked() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.waiting)
}

// park hijacks the request's connection; the handler then returns.
func (h *hub) park(w http.ResponseWriter, r *http.Request) {
	kind := common.Kind(r)
	c, brw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	var tc *net.TCPConn
	var rest []byte
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		rest = append(rest, b...)
	}
	switch x := c.(type) {
	case *replayConn:
		tc = x.TCPConn
		rest = append(rest, x.rest...) // bytes the bufio.Reader had not yet taken
	case *net.TCPConn:
		tc = x
	default:
		c.Close()
		return
	}
	_ = tc.SetDeadline(time.Time{}) // clear net/http's read/write deadlines
	rc, err := tc.SyscallConn()
	if err != nil {
		tc.Close()
		return
	}
	p := &parked{kind: uint8(kind), c: tc, rc: rc, rest: rest}
	_ = rc.Control(func(fd uintptr) { p.fd = int(fd) })

	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		h.finish(p, common.Encode(503, []byte(`{"error":"shutting down"}`)), true)
		return
	}
	h.nextID++
	for h.waiting[h.nextID] != nil || h.nextID == 0 {
		h.nextID++
	}
	p.id = h.nextID
	h.waiting[p.id] = p
	// Only RDHUP (plus the implied HUP and ERR): a pipelined request does not
	// wake us, a FIN or RST does. Level-triggered, so a conn already closed
	// before this call is reported at once.
	ev := unix.EpollEvent{Events: unix.EPOLLRDHUP, Fd: p.id}
	err = unix.EpollCtl(h.ep, unix.EPOLL_CTL_ADD, p.fd, &ev)
	if err != nil {
		delete(h.waiting, p.id)
		h.mu.Unlock()
		tc.Close()
		return
	}
	h.mu.Unlock()
}

// wake answers every parked read with one shared answer, from this goroutine.
func (h *hub) wake(a *common.Answer, final bool) {
	h.mu.Lock()
	list := make([]*parked, 0, len(h.waiting))
	for id, p := range h.waiting {
		p.state = stAnswering
		list = append(list, p)
		delete(h.waiting, id)
	}
	if final {
		h.closing = true
	}
	h.mu.Unlock()
	each := func(part []*parked) {
		for _, p := range part {
			_ = unix.EpollCtl(h.ep, unix.EPOLL_CTL_DEL, p.fd, nil)
			h.finish(p, a, final)
		}
	}
	common.Split(len(list), h.writers, func(i, j int) { each(list[i:j]) })
}

// finish writes the answer without blocking; then hands the conn back.
func (h *hub) finish(p *parked, a *common.Answer, forceClose bool) {
	kind := int(p.kind)
	if forceClose {
		kind = common.KindClose
	}
	buf := a.For(kind)
	written := 0
	var werr error
	_ = p.rc.Write(func(fd uintptr) bool {
		for written < len(buf) {
			n, err := unix.Write(int(fd), buf[written:])
			if n > 0 {
				written += n
			}
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				if err != unix.EAGAIN {
					werr = err
				}
				break
			}
		}
		return true // never wait in the netpoller here
	})
	if werr != nil {
		p.c.Close()
		return
	}
	if written < len(buf) {
		// Socket buffer full: this one client gets a goroutine and a deadline.
		common.Slow.Add(1)
		go func() {
			_ = p.c.SetWriteDeadline(time.Now().Add(h.wdl))
			if _, err := p.c.Write(buf[written:]); err != nil {
				p.c.Close()
				return
			}
			_ = p.c.SetWriteDeadline(time.Time{})
			h.handBack(p, kind)
		}()
		return
	}
	h.handBack(p, kind)
}

func (h *hub) handBack(p *parked, kind int) {
	if kind == common.KindClose {
		_ = p.c.CloseWrite()
		p.c.Close()
		return
	}
	h.ln.Requeue(&replayConn{TCPConn: p.c, rest: p.rest})
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8082", "listen address")
	wdl := flag.Duration("write-deadline", 5*time.Second, "deadline for a parked answer a client does not read")
	writers := flag.Int("writers", 1, "goroutines writing one wake's answers")
	cpuprof := flag.String("cpuprofile", "", "write a CPU profile until SIGTERM")
	flag.Parse()
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	common.RaiseNofile()

	inner, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	ln := newRequeueListener(inner)
	h := newHub(ln, *wdl)
	h.writers = *writers
	mux := http.NewServeMux()
	mux.HandleFunc("GET /poll", h.park)
	mux.HandleFunc("POST /post", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<21))
		if err != nil {
			http.Error(w, err.Error(), 413)
			return
		}
		t := time.Now()
		h.wake(common.Encode(200, b), false)
		common.LastWake.Store(time.Since(t).Microseconds())
		w.WriteHeader(201)
	})
	mux.HandleFunc("GET /ping", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "pong") })
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) { common.Stats(w, r, h.parked) })

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		// Stop accepting (and re-queueing), then answer every parked read with
		// Connection: close; net/http's Shutdown drains the rest.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		sd := make(chan struct{})
		go func() { srv.Shutdown(ctx); close(sd) }()
		h.wake(common.Encode(503, []byte(`{"error":"shutting down"}`)), true)
		<-sd
	}()
	log.Printf("hijacksrv on %s", *addr)
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		log.Fatal(err)
	}
	<-stopped
}
