// nbiosrv: prototype (b) — the whole server on nbio/nbhttp v1.6.8.
//
// A GET /poll hijacks nbhttp's Response (so nbhttp writes nothing when the
// handler returns; the Response is released), clears the KeepaliveTime read
// deadline and returns: the parked read is a small record keyed by the
// *nbio.Conn. nbio's poller keeps reading the conn: a disconnect comes through
// Engine.OnClose (no goroutine per conn), and a request pipelined behind the
// parked poll reaches our handler at once — it is copied, hijacked and queued
// on the record, and served (into a small recorder) after the poll's answer.
// POST /post writes one shared pre-encoded answer to every parked conn from
// one goroutine; nbio's Conn.Write never blocks (it queues, bounded by
// MaxWriteBufferSize and the write deadline, then closes).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/lesismal/nbio"
	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"

	"gochat-parking-prototypes/common"
)

const maxDeferred = 16

type deferredReq struct {
	req  *http.Request // a copy: nbhttp recycles the original after the handler
	body []byte
}

type cstate struct {
	parked   bool
	kind     uint8
	deferred []*deferredReq
}

type hub struct {
	mu        sync.Mutex
	conns     map[*nbio.Conn]*cstate // conns with a parked poll or deferred requests
	nParked   int
	closing   bool
	wdl       time.Duration
	keepalive time.Duration
	writers   int
}

func nbConn(c net.Conn) *nbio.Conn {
	switch x := c.(type) {
	case *nbio.Conn:
		return x
	case *nbhttp.Conn:
		if nc, ok := x.Conn.(*nbio.Conn); ok {
			return nc
		}
	}
	return nil
}

func (h *hub) parked() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.nParked
}

// ServeHTTP runs on nbhttp's handler pool, one request of a conn at a time.
func (h *hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	res := w.(*nbhttp.Response)
	nc := nbConn(res.Parser.Conn)
	h.mu.Lock()
	st := h.conns[nc]
	if st == nil {
		h.mu.Unlock()
		h.route(nc, w, r)
		return
	}
	// Pipelined behind a parked poll: answer it later, in order.
	if len(st.deferred) >= maxDeferred {
		h.mu.Unlock()
		res.Hijack()
		nc.Close()
		return
	}
	h.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	dr := &deferredReq{req: r.Clone(context.Background()), body: body}
	common.Deferred.Add(1)
	res.Hijack()
	h.mu.Lock()
	if st = h.conns[nc]; st != nil {
		st.deferred = append(st.deferred, dr)
		h.mu.Unlock()
		return
	}
	h.mu.Unlock()
	// the poll was answered meanwhile and nothing else queued: serve it now
	h.serveDeferred(nc, dr)
}

func (h *hub) route(nc *nbio.Conn, w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == "GET" && r.URL.Path == "/poll":
		h.park(nc, w, r)
	case r.Method == "POST" && r.URL.Path == "/post":
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<21))
		if err != nil {
			http.Error(w, err.Error(), 413)
			return
		}
		t := time.Now()
		h.wake(common.Encode(200, b), false)
		common.LastWake.Store(time.Since(t).Microseconds())
		w.WriteHeader(201)
	case r.URL.Path == "/ping":
		io.WriteString(w, "pong")
	case r.URL.Path == "/stats":
		common.Stats(w, r, h.parked)
	default:
		http.NotFound(w, r)
	}
}

func (h *hub) park(nc *nbio.Conn, w http.ResponseWriter, r *http.Request) {
	kind := common.Kind(r)
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		w.Header().Set("Connection", "close")
		http.Error(w, "shutting down", 503)
		return
	}
	st := h.conns[nc]
	if st == nil {
		st = &cstate{}
		h.conns[nc] = st
	}
	st.parked, st.kind = true, uint8(kind)
	h.nParked++
	h.mu.Unlock()
	if res, ok := w.(*nbhttp.Response); ok {
		res.Hijack() // nbhttp writes nothing when we return
	} else {
		w.(*recorder).parked = true
	}
	_ = nc.SetReadDeadline(time.Time{}) // else KeepaliveTime closes the parked conn
}

// onClose is nbio's disconnect notice (from the poller, via the conn's job queue).
func (h *hub) onClose(c net.Conn, err error) {
	nc := nbConn(c)
	h.mu.Lock()
	if st := h.conns[nc]; st != nil {
		if st.parked {
			h.nParked--
		}
		delete(h.conns, nc)
	}
	h.mu.Unlock()
}

// wake writes the one shared answer to every parked conn from this goroutine.
func (h *hub) wake(a *common.Answer, final bool) {
	type item struct {
		nc   *nbio.Conn
		kind int
	}
	h.mu.Lock()
	if final {
		h.closing = true
	}
	list := make([]item, 0, h.nParked)
	for nc, st := range h.conns {
		if st.parked {
			list = append(list, item{nc, int(st.kind)})
		}
	}
	h.mu.Unlock()
	now := time.Now()
	each := func(list []item) {
		for _, it := range list {
			kind := it.kind
			if final {
				kind = common.KindClose
			}
			_ = it.nc.SetWriteDeadline(now.Add(h.wdl))
			if _, err := it.nc.Write(a.For(kind)); err != nil {
				continue // closed; OnClose cleans up
			}
			if kind == common.KindClose {
				it.nc.Close() // NB: nbio drops a still-queued tail on Close
				continue
			}
			_ = it.nc.SetReadDeadline(now.Add(h.keepalive))
			h.mu.Lock()
			st := h.conns[it.nc]
			drain := false
			if st != nil && st.parked {
				st.parked = false
				h.nParked--
				if len(st.deferred) == 0 {
					delete(h.conns, it.nc)
				} else {
					drain = true
				}
			}
			h.mu.Unlock()
			if drain {
				nc := it.nc
				nc.Execute(func() { h.drain(nc) }) // on the conn's own job queue, in order
			}
		}
	}
	common.Split(len(list), h.writers, func(i, j int) { each(list[i:j]) })
}

// drain serves requests that were pipelined behind a poll, until one parks.
func (h *hub) drain(nc *nbio.Conn) {
	for {
		h.mu.Lock()
		st := h.conns[nc]
		if st == nil || st.parked {
			h.mu.Unlock()
			return
		}
		if len(st.deferred) == 0 {
			delete(h.conns, nc)
			h.mu.Unlock()
			return
		}
		dr := st.deferred[0]
		st.deferred = st.deferred[1:]
		h.mu.Unlock()
		if !h.serveDeferred(nc, dr) {
			return
		}
	}
}

// serveDeferred runs one copied request into a recorder; false if it parked or closed.
func (h *hub) serveDeferred(nc *nbio.Conn, dr *deferredReq) bool {
	dr.req.Body = io.NopCloser(bytes.NewReader(dr.body))
	rec := &recorder{h: http.Header{}, kind: common.Kind(dr.req)}
	h.route(nc, rec, dr.req)
	if rec.parked {
		return false
	}
	_ = nc.SetWriteDeadline(time.Now().Add(h.wdl))
	if _, err := nc.Write(rec.bytes()); err != nil {
		return false
	}
	if rec.kind == common.KindClose {
		nc.Close()
		return false
	}
	return true
}

// recorder is a minimal http.ResponseWriter for deferred requests.
type recorder struct {
	h      http.Header
	status int
	body   bytes.Buffer
	kind   int
	parked bool
}

func (r *recorder) Header() http.Header { return r.h }
func (r *recorder) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
}
func (r *recorder) Write(b []byte) (int, error) { r.WriteHeader(200); return r.body.Write(b) }
func (r *recorder) bytes() []byte {
	r.WriteHeader(200)
	if r.h.Get("Connection") == "close" {
		r.kind = common.KindClose
	}
	var b bytes.Buffer
	proto := "HTTP/1.1"
	if r.kind == common.KindKeepAlive10 {
		proto = "HTTP/1.0"
		r.h.Set("Connection", "keep-alive")
	} else if r.kind == common.KindClose {
		r.h.Set("Connection", "close")
	}
	r.h.Set("Content-Length", fmt.Sprint(r.body.Len()))
	fmt.Fprintf(&b, "%s %d %s\r\n", proto, r.status, http.StatusText(r.status))
	keys := make([]string, 0, len(r.h))
	for k := range r.h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range r.h[k] {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	b.Write(r.body.Bytes())
	return b.Bytes()
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8083", "listen address")
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
	logging.SetLevel(logging.LevelError)

	h := &hub{conns: map[*nbio.Conn]*cstate{}, wdl: *wdl, keepalive: 120 * time.Second, writers: *writers}
	engine := nbhttp.NewEngine(nbhttp.Config{
		Network:            "tcp",
		Addrs:              []string{*addr},
		Handler:            h,
		MaxLoad:            1 << 20,
		ReadLimit:          4 << 20, // header + body bytes the parser may hold
		MaxHTTPBodySize:    2 << 20,
		MaxWriteBufferSize: 8 << 20, // a non-reader is closed past this much queued (must exceed the largest answer!)
		WriteTimeout:       *wdl,
		KeepaliveTime:      h.keepalive,
	})
	engine.OnClose(h.onClose)
	if err := engine.Start(); err != nil {
		log.Fatal(err)
	}
	log.Printf("nbiosrv on %s", *addr)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	h.wake(common.Encode(503, []byte(`{"error":"shutting down"}`)), true)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	engine.Shutdown(ctx)
}
