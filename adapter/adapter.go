// Package adapter turns HTTP requests into packets for a gochat network
// and writes the answers the network completes back to their clients.
//
// The adapter is the only code that touches an http.ResponseWriter, and it
// does so only from the handler's own goroutine, before the handler
// returns. A read that Storage parks is held instead, with a Parker: the
// handler gives its connection to the Parker and returns, and the
// Responder's goroutine writes the answer to the connection (see
// heldRequest). Each request is answered exactly once: by the network, or
// by the adapter itself when the network is shutting down or does not
// answer in time (a bug or a mis-wired graph).
package adapter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gochat/graph"
	"gochat/park"
	"gochat/wire"
)

// Config sets up an Adapter.
type Config struct {
	// Net is the network requests enter; once it is closed, they are
	// answered 503.
	Net     *graph.Lifecycle
	MaxWait time.Duration // the longest long-poll; see Grace
	// Grace is how much longer than a request's wait the network has to
	// answer before the adapter answers 503 itself.
	Grace time.Duration
	// BodyTimeout bounds reading a request body.
	BodyTimeout time.Duration
	// TrustedProxies are the peers whose X-Real-IP and X-Forwarded-For
	// name the client (see ClientAddr).
	TrustedProxies []netip.Prefix
	// IPv6Prefix is the prefix length by which the per-client limits
	// count IPv6 clients (see ClientKey); 0 means DefaultIPv6Prefix.
	IPv6Prefix int
	Log        *slog.Logger
	// Observe, if set, is told of every answered request, for metrics.
	Observe func(route, method string, status int, d time.Duration)
	// Parker, if set, holds the connections of parked reads, so that
	// their handlers return; nil keeps each in its handler.
	Parker *park.Parker
	// SlowTimeout, if set, bounds the writing of each answer: a client
	// that does not take it in time is dropped.
	SlowTimeout time.Duration
	// OnDrop, if set, is told of each client dropped so.
	OnDrop func()
}

// Adapter is the http.Handler of the API.
type Adapter struct {
	cfg    Config
	lastID atomic.Uint64
	idBase string      // random prefix of generated request ids
	routes *wire.Table // names the route of each request, for logs and metrics
	// timers are stopped timers, each bounding one request's wait for the
	// network while it waits: reused, they cost no allocation.
	timers sync.Pool
}

// New returns an Adapter feeding cfg.Net.
func New(cfg Config) *Adapter {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	a := &Adapter{cfg: cfg, idBase: hex.EncodeToString(b), routes: wire.NewTable()}
	a.timers.New = func() any {
		t := time.NewTimer(time.Hour)
		t.Stop()
		return t
	}
	return a
}

// requestID returns the request id of r: its X-Request-Id if that is 1 to
// 64 characters of [A-Za-z0-9._-], or a new one.
func (a *Adapter) requestID(r *http.Request, n uint64) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 64 && strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == "" {
		return id
	}
	return a.idBase + "-" + strconv.FormatUint(n, 10)
}

// StatusClientGone is the status logged and counted for a request whose
// client left before its answer (nginx's 499): nothing was written.
const StatusClientGone = 499

// Logged returns next with the request log: every request gets an
// X-Request-Id, one log line and one metrics sample (Config.Observe)
// with the status it really got, whoever answers it. route names the
// route of a path for both; its values must be few (a pattern, not the
// path). A request that next passes to the Adapter, with the
// ResponseWriter next was given (as a guard such as CORS does), is logged
// by the Adapter instead, when it is answered: a held read only once its
// answer is written or its client leaves.
func (a *Adapter) Logged(next http.Handler, route func(path string) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := a.begin(w, r, route(r.URL.Path))
		next.ServeHTTP(rec, r)
		if rec.taken {
			return // the Adapter logs it
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK // what net/http answers for a handler that wrote nothing
		}
		a.logAnswer(r.Context(), rec.entry, status, rec.bytes)
	})
}

// begin starts the log entry of r, under a new request number, sets its
// X-Request-Id and returns the recorder that notes its answer.
func (a *Adapter) begin(w http.ResponseWriter, r *http.Request, route string) *recorder {
	n := a.lastID.Add(1)
	l := entry{began: time.Now(), n: n, method: r.Method, route: route, path: r.URL.Path, client: ClientAddr(r, a.cfg.TrustedProxies)}
	l.id = a.requestID(r, n)
	w.Header().Set("X-Request-Id", l.id)
	return &recorder{ResponseWriter: w, entry: l}
}

// RouteOf names the route of an API path for logs and metrics (see
// wire.Table.RouteOf).
func (a *Adapter) RouteOf(path string) string { return a.routes.RouteOf(path) }

// ServeHTTP injects r as a packet, writes the network's answer and logs
// one line for the request (a held read is logged when it is answered).
// When the client leaves before its answer, the request is logged with
// StatusClientGone and ServeHTTP panics with http.ErrAbortHandler, so
// net/http closes the connection with nothing written.
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec, ok := w.(*recorder)
	if !ok { // not under Logged
		rec = a.begin(w, r, a.routes.RouteOf(r.URL.Path))
	}
	rec.taken, rec.timeout = true, a.cfg.SlowTimeout
	l := rec.entry
	if a.serve(rec, r, l) {
		return // held: logged when answered
	}
	status := rec.status
	if status == 0 {
		// The connection reached end of stream: the client left, or only
		// shut down its sending side, which looks the same.
		status = StatusClientGone
	}
	// The log line comes before the answer leaves: whoever has the answer
	// can find its line.
	a.logAnswer(r.Context(), l, status, rec.bytes)
	if rec.status != 0 {
		rec.flush()
	}
	if errors.Is(rec.err, os.ErrDeadlineExceeded) {
		if a.cfg.OnDrop != nil {
			a.cfg.OnDrop()
		}
		a.cfg.Log.Warn("dropped a client that did not take its answer", "client", l.client, "timeout", a.cfg.SlowTimeout, "request_id", l.id)
	}
	if rec.status == 0 {
		// Close the connection with nothing written, rather than let
		// net/http answer a default 200 with an empty body.
		panic(http.ErrAbortHandler)
	}
}

// entry is what the log line and the metrics of a request say.
type entry struct {
	began                           time.Time // when the request arrived
	n                               uint64    // the request's number, from 1
	method, route, path, client, id string    // see logAnswer
}

// Outcomes of requests, in the log line's outcome: what a status means
// for whoever reads the logs.
const (
	outcomeOK          = "ok"           // answered below 400
	outcomeClientError = "client_error" // answered 4xx: the request was refused
	outcomeServerError = "server_error" // answered 5xx
	outcomeClientGone  = "client_gone"  // StatusClientGone: the client left before its answer
)

// outcome returns the outcome of a request answered with status.
func outcome(status int) string {
	switch {
	case status == StatusClientGone:
		return outcomeClientGone
	case status >= 500:
		return outcomeServerError
	case status >= 400:
		return outcomeClientError
	}
	return outcomeOK
}

// logAnswer logs one line for an answered request, at info, and observes
// it.
func (a *Adapter) logAnswer(ctx context.Context, l entry, status, bytes int) {
	took := time.Since(l.began)
	if a.cfg.Observe != nil {
		a.cfg.Observe(l.route, l.method, status, took)
	}
	a.cfg.Log.LogAttrs(ctx, slog.LevelInfo, "request", slog.String("method", l.method), slog.String("route", l.route),
		slog.String("path", l.path), slog.Int("status", status), slog.String("outcome", outcome(status)), slog.Int("bytes", bytes),
		slog.Duration("duration", took), slog.String("client", l.client), slog.String("request_id", l.id))
}

// recorder notes the status and size of an answer, for the log, and
// bounds its writing in time.
type recorder struct {
	http.ResponseWriter
	entry         entry // the request's log entry
	taken         bool  // the Adapter logs the request, not Logged
	status, bytes int
	timeout       time.Duration // to write the answer; 0: net/http's WriteTimeout alone
	err           error         // the first write error
}

// WriteHeader notes the status, sets the write deadline and passes the
// status on.
func (rec *recorder) WriteHeader(status int) {
	rec.status = status
	if rec.timeout > 0 {
		_ = http.NewResponseController(rec.ResponseWriter).SetWriteDeadline(time.Now().Add(rec.timeout))
	}
	rec.ResponseWriter.WriteHeader(status)
}

// Write counts the bytes and passes them on; a first Write without
// WriteHeader answers 200, as net/http does.
func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += n
	if rec.err == nil {
		rec.err = err
	}
	return n, err
}

// flush sends what is buffered, within the deadline, noting an error.
func (rec *recorder) flush() {
	if err := http.NewResponseController(rec.ResponseWriter).Flush(); err != nil && rec.err == nil {
		rec.err = err
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// serve answers r, or holds it and reports true.
func (a *Adapter) serve(w http.ResponseWriter, r *http.Request, l entry) (held bool) {
	// A read that may be held gets a context of its own: r's ends when
	// the handler returns. Until the read is held, r's ending (the client
	// left) ends it too.
	reqCtx, cancelReq := r.Context(), context.CancelFunc(func() {})
	holdable := a.cfg.Parker != nil && r.Method == http.MethodGet
	if holdable {
		reqCtx, cancelReq = wire.NewLeaveContext()
	}
	req := wire.NewRequest(reqCtx)
	if holdable {
		req.AllowHold()
	}
	req.ID = l.n
	req.Method, req.Path, req.RawQuery = r.Method, r.URL.Path, r.URL.RawQuery
	req.ContentType = r.Header.Get("Content-Type")
	req.RemoteAddr = l.client
	req.ClientKey = ClientKey(l.client, a.ipv6Prefix())
	if keys, ok := r.Header["Idempotency-Key"]; ok {
		// Several are joined with commas, which no valid key has.
		req.IdempotencyKey, req.HasIdempotencyKey = strings.Join(keys, ","), true
	}
	if err := a.readBody(w, r, req); err != nil {
		cancelReq()
		wire.WriteAnswer(w, wire.ErrorAnswer(err))
		return false
	}

	// The network has until deadline to answer; gone ends when the client
	// leaves (never for a request the Parker serves: it watches itself).
	deadline := time.Now().Add(a.deadline(req))
	expired := a.timers.Get().(*time.Timer)
	expired.Reset(time.Until(deadline))
	defer func() {
		expired.Stop()
		a.timers.Put(expired)
	}()
	gone := r.Context().Done()
	unlink := func() bool { return true } // r's context is the request's own
	if holdable && gone != nil {
		unlink = context.AfterFunc(r.Context(), cancelReq)
	}
	defer func() {
		if !held {
			unlink()
			cancelReq()
		}
	}()
	if err := a.inject(r, req, deadline); err != nil {
		switch {
		case r.Context().Err() != nil:
			// The client left: nobody to answer.
		case errors.Is(err, graph.ErrClosed):
			wire.WriteAnswer(w, wire.ErrorAnswer(wire.Errorf(http.StatusServiceUnavailable, "the server is shutting down; try again")))
		default:
			a.cfg.Log.Error("the network did not take the request in time", "request", req.ID, "method", req.Method, "path", req.Path)
			wire.WriteAnswer(w, wire.ErrorAnswer(wire.Errorf(http.StatusServiceUnavailable, "the server is overloaded; try again")))
		}
		return false
	}

	parked := req.ParkedSignal()
	for {
		select {
		case ans := <-req.Answer():
			wire.WriteAnswer(w, ans)
			return false
		case <-parked:
			parked = nil
			if unlink() && a.hold(w, r, req, l, deadline, cancelReq) {
				return true
			}
			// Not held: the handler keeps waiting, as without a Parker.
			if gone != nil {
				unlink = context.AfterFunc(r.Context(), cancelReq)
			}
			continue
		case <-gone:
		case <-expired.C:
		}
		break
	}
	switch {
	case !req.Claim():
		// The network completed the request first.
	case r.Context().Err() != nil:
		return false // nobody to answer; Storage releases its waiter by itself
	default:
		a.cfg.Log.Error("the network did not answer in time", "request", req.ID, "method", req.Method, "path", req.Path)
		wire.WriteAnswer(w, wire.ErrorAnswer(wire.Errorf(http.StatusServiceUnavailable, "the server did not answer in time; try again")))
		return false
	}
	// The network completed the request first: its answer is on its way.
	wire.WriteAnswer(w, <-req.Answer())
	return false
}

// inject hands req to the network, waiting at most until deadline or
// until r's client leaves; the bound is made only when the network does
// not take req at once.
func (a *Adapter) inject(r *http.Request, req *wire.Request, deadline time.Time) error {
	if sent, err := a.cfg.Net.TryInject(req); sent || err != nil {
		return err
	}
	ctx, cancel := context.WithDeadline(r.Context(), deadline)
	defer cancel()
	return a.cfg.Net.Inject(ctx, req)
}

func (a *Adapter) ipv6Prefix() int {
	if a.cfg.IPv6Prefix == 0 {
		return DefaultIPv6Prefix
	}
	return a.cfg.IPv6Prefix
}

// deadline is how long the network has to answer req: its wait, as the
// Controller will clamp it, plus the grace.
func (a *Adapter) deadline(req *wire.Request) time.Duration {
	// Malformed queries are the Controller's to reject; here they only
	// lose their wait.
	query, _ := url.ParseQuery(req.RawQuery)
	wait, err := wire.ParseWait(query.Get("wait"), a.cfg.MaxWait)
	if err != nil {
		wait = 0
	}
	return wait + a.cfg.Grace
}

// readBody reads the body into req, at most wire.MaxBodyBytes of it, within
// the body timeout. A body declared longer than that is not read at all:
// req is marked too large, and no 100 Continue is sent for it. When the
// body could not be read, readBody returns the error to answer: 408 when
// it did not arrive in time.
//
// Whenever part of a body stays unread, the answer closes the connection
// (what remains on the wire cannot be told from a next request) and the
// read deadline stays, so net/http never waits for the rest after the
// answer. Only a body read to its end clears the deadline, which would
// otherwise cut the long-poll's disconnect detection.
func (a *Adapter) readBody(w http.ResponseWriter, r *http.Request, req *wire.Request) *wire.Error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	rc := http.NewResponseController(w)
	if a.cfg.BodyTimeout > 0 {
		_ = rc.SetReadDeadline(time.Now().Add(a.cfg.BodyTimeout))
	}
	if r.ContentLength > wire.MaxBodyBytes {
		req.BodyTooLarge = true
		w.Header().Set("Connection", "close")
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, wire.MaxBodyBytes+1))
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		w.Header().Set("Connection", "close")
		return wire.Errorf(http.StatusRequestTimeout, "the body did not arrive within %v", a.cfg.BodyTimeout)
	case err != nil:
		w.Header().Set("Connection", "close")
		return wire.Errorf(http.StatusBadRequest, "could not read the body: %v", err)
	case len(body) > wire.MaxBodyBytes:
		req.BodyTooLarge = true
		w.Header().Set("Connection", "close")
		return nil
	}
	_ = rc.SetReadDeadline(time.Time{})
	req.Body = body
	return nil
}
