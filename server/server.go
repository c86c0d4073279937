// Package server assembles gochat: the message store, the component
// factory, the goflow network built from a graph, the HTTP adapter in
// front of it, and the HTTP server with the embedded client.
package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trustmaster/goflow"

	"gochat/adapter"
	"gochat/components"
	"gochat/graph"
	"gochat/internal/buildinfo"
	"gochat/park"
	"gochat/store"
	"gochat/wire"
)

// Defaults of Config.
const (
	DefaultAddr     = "127.0.0.1:9090"
	DefaultHistory  = 100
	DefaultMaxRooms = 10000
	DefaultMaxBytes = 256 << 20
	DefaultMaxWait  = 55 * time.Second
	// DefaultGrace is how long past a request's wait the network has to
	// answer before the adapter answers 503 itself.
	DefaultGrace = 10 * time.Second

	// DefaultSlowClientTimeout is how long a client has to take an
	// answer before it is dropped.
	DefaultSlowClientTimeout = 10 * time.Second

	// DefaultBodyTimeout is how long a request body may take to arrive;
	// past it the request is answered 408 and its connection closed.
	DefaultBodyTimeout = 30 * time.Second

	readHeaderTimeout = 10 * time.Second // slow clients get this long to send headers
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
	inportBuffer      = 64 // requests queued in front of the Router
)

// Config is everything a Server needs; zero fields take the defaults.
type Config struct {
	Addr    string // where to listen, host:port; port 0 picks one
	History int    // messages kept per room
	// MaxBytes bounds the bytes of messages the memory and file stores
	// hold (default DefaultMaxBytes); a post past it answers 503.
	MaxBytes int64
	MaxRooms int           // rooms kept at most
	MaxWait  time.Duration // the longest long-poll
	Grace    time.Duration // see DefaultGrace
	// BodyTimeout bounds the arrival of a request body (default
	// DefaultBodyTimeout); a body still incomplete then is answered 408.
	BodyTimeout time.Duration
	// SlowClientTimeout bounds how long a client may take to read an
	// answer (default DefaultSlowClientTimeout); past it the connection
	// is dropped. No other client waits for it meanwhile, not even those
	// whose long-polls the Responder answers with it.
	SlowClientTimeout time.Duration
	// Store selects the message store: "" or "memory" for the in-memory
	// store, file:PATH for a local file, redis://host:port/db (or
	// rediss://) for Redis.
	Store       string
	RedisPrefix string        // namespace of gochat's Redis keys; default "gochat:"
	RoomTTL     time.Duration // Redis and file: forget rooms idle this long; 0 keeps them
	// StoreConcurrency is how many store calls one Storage runs at once;
	// 0 picks per store (inline for memory, 64 for file and Redis).
	StoreConcurrency int
	// StoreTimeout bounds the wait for the store at start (default
	// DefaultStoreTimeout); past it Open fails.
	StoreTimeout time.Duration
	// GraphFile is the graph file to run and reload; "" runs Graph.
	GraphFile string
	// Graph is the network to run when GraphFile is ""; nil runs
	// graph.Default().
	Graph *graph.Graph
	// Watch, with GraphFile, reloads the graph when the file changes,
	// checking every WatchInterval (default DefaultWatchInterval).
	Watch         bool
	WatchInterval time.Duration
	// Debug serves the live graph page and its endpoints under /debug/
	// (the graph with packet counts, its DOT, edits) and counts the
	// packets on every connection. On the main listener they answer
	// loopback peers only; with DebugAddr they move to a listener of
	// their own, for anyone who reaches it.
	Debug bool
	// DebugAddr, with Debug, is where the live graph page listens on its
	// own (host:port; port 0 picks one); "" serves it on the main
	// listener.
	DebugAddr string
	// AllowOrigins lists the origins (scheme://host[:port], or "*") whose
	// pages may use the API, e.g. a blog with the comments embed. Requests
	// from other origins are refused; see ParseOrigins.
	AllowOrigins []string
	// AllowedHosts lists the names (see ParseHosts) a request's Host may
	// carry; others are answered 421, against DNS rebinding. nil takes
	// the default: on a loopback Addr only loopback names, on any other
	// address any host. Loopback names are always allowed.
	AllowedHosts []string
	// TrustedProxies are the peers (nginx) whose X-Real-IP and
	// X-Forwarded-For headers name the client; nil trusts loopback
	// (adapter.DefaultTrustedProxies).
	TrustedProxies []netip.Prefix
	// IPv6Prefix is the prefix length by which the per-client limits
	// count IPv6 clients (default adapter.DefaultIPv6Prefix, a /64);
	// 128 counts whole addresses.
	IPv6Prefix int
	// NoMetrics turns /metrics off. Otherwise it is served on the main
	// listener to loopback peers only, or, with MetricsAddr, to anyone on
	// a listener of its own.
	NoMetrics   bool
	MetricsAddr string
	// FBPAddr, when not empty, is where gochat serves the FBP network
	// protocol (see package fbpproto); FBPSecret, when not empty, is the
	// secret its messages must carry, and FBPAllowOrigins the origins
	// (scheme://host, as ParseOrigins reads them) whose pages may connect
	// besides its own host. AllowedHosts guards its Host header too.
	FBPAddr         string
	FBPSecret       string
	FBPAllowOrigins []string
	Log             *slog.Logger // nil discards logs
	// Build names the binary, for the gochat_build_info metric; the zero
	// Info takes the running binary's (buildinfo.Read).
	Build buildinfo.Info
}

// DefaultStoreTimeout is how long Open waits for Redis to answer.
const DefaultStoreTimeout = 10 * time.Second

// redisConcurrency is how many Redis calls one Storage runs at once.
const redisConcurrency = 64

// fileConcurrency is how many file store calls one Storage runs at once:
// the appends waiting together share one commit.
const fileConcurrency = 64

// DefaultWatchInterval is how often -watch looks at the graph file.
const DefaultWatchInterval = time.Second

// drainTimeout is how long the network a reload replaced has to stop
// before the server logs it as stuck.
const drainTimeout = 30 * time.Second

func (c *Config) setDefaults() {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.History == 0 {
		c.History = DefaultHistory
	}
	if c.MaxRooms == 0 {
		c.MaxRooms = DefaultMaxRooms
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxWait == 0 {
		c.MaxWait = DefaultMaxWait
	}
	if c.Grace == 0 {
		c.Grace = DefaultGrace
	}
	if c.BodyTimeout == 0 {
		c.BodyTimeout = DefaultBodyTimeout
	}
	if c.SlowClientTimeout == 0 {
		c.SlowClientTimeout = DefaultSlowClientTimeout
	}
	if c.StoreTimeout == 0 {
		c.StoreTimeout = DefaultStoreTimeout
	}
	if c.WatchInterval == 0 {
		c.WatchInterval = DefaultWatchInterval
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Build == (buildinfo.Info{}) {
		c.Build = buildinfo.Read()
	}
	if c.TrustedProxies == nil {
		c.TrustedProxies, _ = adapter.ParsePrefixes(adapter.DefaultTrustedProxies)
	}
}

// GraphName says which graph the server runs, for people.
func (c *Config) GraphName() string {
	switch {
	case c.GraphFile != "":
		return c.GraphFile
	case c.Graph != nil && c.Graph.File != "":
		return c.Graph.File
	}
	return graph.DefaultFile
}

// Server is a running gochat.
type Server struct {
	cfg     Config
	store   store.Store
	stats   *components.Stats
	factory *goflow.Factory
	nets    *graph.Lifecycle // the network new requests enter, and those draining after a reload
	adapter *adapter.Adapter
	http    *http.Server
	ln      net.Listener // the listener, as opened
	served  chan error
	// parker holds the connections of parked reads and serves ln through
	// its Listener; nil where it cannot (not Linux), and each parked read
	// keeps its handler.
	parker *park.Parker
	// slowDropped counts the clients dropped for not taking an answer
	// within SlowClientTimeout.
	slowDropped atomic.Uint64
	metrics     *metrics
	msrv        *side // the metrics listener of MetricsAddr; nil without
	// debug serves /debug/ (nil without Config.Debug), on the main
	// listener or on dsrv, the listener of DebugAddr.
	debug *debugUI
	dsrv  *side        // the listener of DebugAddr; nil without
	fbp   *fbpListener // the FBP protocol's listener of FBPAddr; nil without
	// fbpObserve, once the FBP protocol runs, is told of the packets of
	// the networks started (see start).
	fbpObserve atomic.Pointer[func(*graph.Graph) func(conn int, packet any)]

	conns    *connTracker
	draining atomic.Bool // shutting down: every answer closes its connection

	reloadMu  sync.Mutex // serialises Reload and Close
	closed    atomic.Bool
	stopWatch chan struct{}
	watching  sync.WaitGroup

	// Reload reads and checks the graph file without reloadMu, so that a
	// slow file holds up no health check, request or Close; it takes the
	// lock only to swap networks. closed is set when Close begins.
	reads     atomic.Uint64                     // graph reads Reload has begun, counting from 1
	running   uint64                            // under reloadMu: the read whose network runs
	drains    sync.WaitGroup                    // watches of networks a reload replaced, each ending when its network stops or Close begins
	readGraph func(path string) ([]byte, error) // nil: graph.ReadFile; tests watch reads with it

	closeOnce sync.Once
	closeErr  error
}

// Open validates cfg and the graph, starts the network, then listens on
// cfg.Addr and serves in the background until Close. A graph with problems
// returns them all, before anything listens.
func Open(cfg Config) (*Server, error) {
	cfg.setDefaults()
	if cfg.MaxWait < 0 || cfg.Grace < 0 || cfg.BodyTimeout < 0 {
		return nil, fmt.Errorf("open server: max wait, grace and body timeout must not be negative, got %v, %v and %v", cfg.MaxWait, cfg.Grace, cfg.BodyTimeout)
	}
	if cfg.IPv6Prefix < 0 || cfg.IPv6Prefix > 128 {
		return nil, fmt.Errorf("open server: IPv6 prefix length must be 1 to 128, got %d", cfg.IPv6Prefix)
	}
	s := &Server{cfg: cfg, stats: &components.Stats{}, served: make(chan error, 1), stopWatch: make(chan struct{})}
	p, src, err := s.loadGraph()
	if err != nil {
		return nil, fmt.Errorf("open server: %w", err)
	}
	st, concurrency, err := openStore(cfg)
	if err != nil {
		return nil, fmt.Errorf("open server: %w", err)
	}
	s.store = st
	if cfg.StoreConcurrency > 0 {
		concurrency = cfg.StoreConcurrency
	}
	s.factory, err = components.NewFactory(components.Deps{Store: st, StoreConcurrency: concurrency, MaxWait: cfg.MaxWait, Stats: s.stats, Log: cfg.Log, Stdout: os.Stdout})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("open server: %w", err)
	}
	n, err := s.start(p)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("open server: %w", err)
	}
	s.nets = graph.NewLifecycle(n)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		_ = s.nets.Close(context.Background()) // a network that just started stops at once
		st.Close()
		return nil, fmt.Errorf("open server: listen: %w", err)
	}
	s.ln = ln
	var serveLn net.Listener = ln
	dropped := func() { s.slowDropped.Add(1) }
	// The Parker serves the API's GETs (long-polls, their re-polls,
	// catch-up reads) and the POSTs whose body came with their header,
	// with the server's own handler, set below before anything
	// is served; net/http serves the rest.
	serveAPI := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.http.Handler.ServeHTTP(w, r) })
	switch p, err := park.New(ln, park.Config{
		SlowTimeout: cfg.SlowClientTimeout, Log: cfg.Log, OnDrop: dropped,
		Handler: serveAPI, ServePrefix: "/api/", HeaderTimeout: readHeaderTimeout, IdleTimeout: idleTimeout, IdleGrace: idleGrace,
	}); {
	case err == nil:
		s.parker, serveLn = p, p.Listener()
	case !errors.Is(err, park.ErrUnsupported):
		ln.Close()
		_ = s.nets.Close(context.Background())
		st.Close()
		return nil, fmt.Errorf("open server: %w", err)
	}
	s.metrics = newMetrics(s)
	// fail undoes what Open started, once the main listener is open.
	fail := func(err error) (*Server, error) {
		ctx := context.Background() // nothing is served yet, so nothing waits long
		s.msrv.shutdown(ctx)
		s.fbp.close(ctx)
		serveLn.Close()
		if s.parker != nil {
			_ = s.parker.Close(ctx)
		}
		_ = s.nets.Close(ctx)
		st.Close()
		return nil, fmt.Errorf("open server: %w", err)
	}
	if cfg.Debug {
		if s.debug, err = newDebugUI(s); err != nil {
			return fail(err)
		}
	}
	s.adapter = adapter.New(adapter.Config{
		Net: s.nets, MaxWait: cfg.MaxWait, Grace: cfg.Grace, BodyTimeout: cfg.BodyTimeout, TrustedProxies: cfg.TrustedProxies, IPv6Prefix: cfg.IPv6Prefix, Log: cfg.Log,
		Observe: s.metrics.observe, Parker: s.parker, SlowTimeout: cfg.SlowClientTimeout, OnDrop: dropped,
	})
	s.conns = newConnTracker()
	s.http = &http.Server{
		ConnState:         s.conns.track,
		Handler:           s.routes(),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		// Longer than any long-poll plus the network's grace.
		WriteTimeout: cfg.MaxWait + cfg.Grace + cfg.BodyTimeout,
		ErrorLog:     slog.NewLogLogger(cfg.Log.Handler(), slog.LevelWarn),
	}
	if cfg.MetricsAddr != "" && !cfg.NoMetrics {
		if s.msrv, err = s.openMetrics(); err != nil {
			return fail(fmt.Errorf("metrics listener: %w", err))
		}
	}
	if cfg.FBPAddr != "" {
		if s.fbp, err = s.openFBP(); err != nil {
			return fail(err)
		}
	}
	if cfg.Debug && cfg.DebugAddr != "" {
		if s.dsrv, err = s.openDebug(); err != nil {
			return fail(fmt.Errorf("debug listener: %w", err))
		}
	}
	go func() { s.served <- s.http.Serve(serveLn) }()
	if cfg.Watch && cfg.GraphFile != "" {
		s.watching.Add(1)
		go s.watch(src)
	}
	return s, nil
}

// openStore opens the store cfg names, and says how many calls a Storage
// should run on it at once.
func openStore(cfg Config) (store.Store, int, error) {
	spec, err := store.ParseSpec(cfg.Store)
	if err != nil {
		return nil, 0, err
	}
	switch spec.Kind {
	case store.KindRedis:
		st, err := store.OpenRedis(store.RedisConfig{
			URL: spec.URL, Prefix: cfg.RedisPrefix, History: cfg.History, MaxRooms: cfg.MaxRooms,
			RoomTTL: cfg.RoomTTL, PoolSize: redisConcurrency, StartTimeout: cfg.StoreTimeout, Log: cfg.Log,
		})
		return st, redisConcurrency, err
	case store.KindFile:
		st, err := store.OpenFile(store.FileConfig{
			Path: spec.Path, History: cfg.History, MaxRooms: cfg.MaxRooms,
			MaxBytes: cfg.MaxBytes, RoomTTL: cfg.RoomTTL, Log: cfg.Log,
		})
		return st, fileConcurrency, err
	}
	st, err := store.NewMemory(cfg.History, cfg.MaxRooms)
	if err != nil {
		return nil, 0, err
	}
	st.SetMaxBytes(cfg.MaxBytes)
	return st, 0, nil
}

// StoreName says which store the server uses, for people.
func (c *Config) StoreName() string {
	if c.Store == "" || c.Store == "memory" {
		return "memory"
	}
	if i := strings.LastIndex(c.Store, "@"); i >= 0 {
		return c.Store[:strings.Index(c.Store, "://")+3] + "…" + c.Store[i:]
	}
	return c.Store
}

// routes answers 421 to requests for a host not allowed (see hostGuard),
// and sends every path under /api to the network, as the Router sees it
// (no redirects, JSON 404s), /debug/ to the live view when enabled, and
// the rest to the embedded client.
func (s *Server) routes() http.Handler {
	static := staticHandler()
	var debug http.Handler
	if s.debug != nil && s.cfg.DebugAddr == "" {
		debug = s.debug.handler(true)
	}
	api := cors(s.cfg.AllowOrigins, s.adapter)
	serve := hostCheck(newHostGuard(s.cfg.AllowedHosts, s.cfg.Addr), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case p == "/api" || strings.HasPrefix(p, "/api/"):
			api.ServeHTTP(w, r)
		case p == "/healthz":
			s.serveHealth(w, r, false)
		case p == "/readyz":
			s.serveHealth(w, r, true)
		case p == "/metrics" && !s.cfg.NoMetrics && s.cfg.MetricsAddr == "":
			s.metrics.handler(true).ServeHTTP(w, r)
		case debug != nil && isDebugPath(p):
			debug.ServeHTTP(w, r)
		default:
			static.ServeHTTP(w, r)
		}
	}))
	return s.adapter.Logged(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// On every answer, a 421 included; each kind adds its own.
		wire.SetSecurityHeaders(w.Header(), wire.Any)
		if s.draining.Load() {
			w.Header().Set("Connection", "close") // see close
		}
		serve.ServeHTTP(w, r)
	}), s.routeOf)
}

// routeStatic is the route of every path the embedded client's files
// answer, found or not, in logs and metrics.
const routeStatic = "static"

// routeOf names the route of path in the request log and the metrics:
// the API's route (or wire.Unmatched), one of the server's own paths, or
// routeStatic. Its values are few, whatever clients ask for.
func (s *Server) routeOf(p string) string {
	switch {
	case p == "/api" || strings.HasPrefix(p, "/api/"):
		return s.adapter.RouteOf(p)
	case p == "/healthz", p == "/readyz", p == "/metrics":
		return p
	case s.debug != nil && s.cfg.DebugAddr == "" && isDebugPath(p):
		return debugRoute(p)
	}
	return routeStatic
}

// loadGraph reads and validates the configured graph, and returns the
// plan to build and the file's text.
func (s *Server) loadGraph() (*graph.Plan, []byte, error) {
	if s.cfg.GraphFile == "" {
		if s.cfg.Graph != nil {
			p, err := graph.Check(s.cfg.Graph, graph.DefaultCatalog())
			return p, nil, err
		}
		p, err := graph.Check(graph.Default(), graph.DefaultCatalog())
		return p, graph.DefaultSource(), err
	}
	read := graph.ReadFile
	if s.readGraph != nil {
		read = s.readGraph
	}
	src, err := read(s.cfg.GraphFile)
	if err != nil {
		return nil, nil, err
	}
	g, err := graph.Parse(s.cfg.GraphFile, src)
	if err != nil {
		return nil, src, err
	}
	p, err := graph.Check(g, graph.DefaultCatalog())
	return p, src, err
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.http.Handler }

// DebugAddr returns the address of the live graph page's listener, ""
// if none.
func (s *Server) DebugAddr() string { return s.dsrv.addr() }

// MetricsAddr returns the address of the metrics listener, "" if none.
func (s *Server) MetricsAddr() string { return s.msrv.addr() }

// Addr returns the address the server listens on, e.g. 127.0.0.1:9090.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL returns the server's base URL, one a person can open: e.g.
// http://127.0.0.1:9090/, or http://localhost:9090/ when it listens on
// every interface (:9090, 0.0.0.0:9090, [::]:9090), whose address names
// no host to go to.
func (s *Server) URL() string {
	host, port, err := net.SplitHostPort(s.Addr())
	if ip, perr := netip.ParseAddr(host); err == nil && perr == nil && ip.IsUnspecified() {
		return "http://" + net.JoinHostPort("localhost", port) + "/"
	}
	return "http://" + s.Addr() + "/"
}

// Stats returns the network's live counters.
func (s *Server) Stats() *components.Stats { return s.stats }

// Rooms returns how many rooms the memory or file store holds (0 for
// Redis).
func (s *Server) Rooms() int {
	if m, ok := s.store.(heldCounts); ok {
		return m.Rooms()
	}
	return 0
}

// Reload re-reads and validates the graph file. If it has problems, the
// old network keeps serving and Reload logs and returns them. Otherwise a
// new network takes every new request and the old one drains in the
// background: requests it holds finish there, its parked long-polls are
// answered at once (their clients poll again, into the new network), then
// it stops; Close waits for it. Messages live in the store, outside any
// network, so a reload loses none.
//
// Reading and validating take no lock: health checks, requests and Close
// go on meanwhile. Only the swap of networks is serialised.
func (s *Server) Reload() error {
	if s.closed.Load() {
		return errClosed
	}
	read := s.reads.Add(1)
	p, _, err := s.loadGraph()
	return s.install(p, read, s.cfg.GraphName(), err)
}

// Apply makes g the running graph by the same hot reload as Reload, once
// it passes the checks graph check makes: parked reads and posts in flight
// are kept, and nothing is lost. A graph with problems changes nothing,
// and Apply returns its graph.Problems. A later Reload runs the -graph
// file again; name is what the logs call g.
func (s *Server) Apply(g *graph.Graph, name string) error {
	if s.closed.Load() {
		return errClosed
	}
	read := s.reads.Add(1)
	p, err := graph.Check(g, graph.DefaultCatalog())
	return s.install(p, read, name, err)
}

// install swaps p, the graph of read number read, in unless loading it
// failed with err; it logs and counts the outcome either way.
func (s *Server) install(p *graph.Plan, read uint64, name string, err error) error {
	if err == nil {
		var swapped bool
		g := p.Graph()
		swapped, err = s.swap(p, read)
		switch {
		case errors.Is(err, errClosed):
			return err
		case err == nil && swapped:
			s.stats.Reloads.Add(1)
			s.cfg.Log.Info("graph reloaded", "graph", name, "processes", len(g.Processes), "connections", len(g.Connections))
			return nil
		case err == nil:
			s.cfg.Log.Info("graph reload skipped: a later reload already runs", "graph", name)
			return nil
		}
	}
	s.stats.ReloadFailures.Add(1)
	var probs graph.Problems
	if errors.As(err, &probs) {
		for _, p := range probs {
			s.cfg.Log.Error("graph reload failed; the old graph keeps running", "problem", p.String())
		}
	} else {
		s.cfg.Log.Error("graph reload failed; the old graph keeps running", "graph", name, "err", err)
	}
	return fmt.Errorf("reload graph: %w", err)
}

// errClosed is what Reload returns once Close has begun.
var errClosed = errors.New("reload graph: the server is closed")

// swap starts p, the graph of read number read, and makes it take every
// new request, unless Close has begun or a later read already runs (two
// reloads at once: the later file wins); it then reports false. The old
// network drains in the background.
func (s *Server) swap(p *graph.Plan, read uint64) (bool, error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if s.closed.Load() {
		return false, errClosed
	}
	if read < s.running {
		return false, nil
	}
	n, err := s.start(p)
	if err != nil {
		return false, err
	}
	old, err := s.nets.Swap(n)
	if err != nil {
		return false, err // unreachable: Close had not begun, above, under reloadMu
	}
	s.running = read
	s.drains.Add(1)
	go func() {
		defer s.drains.Done()
		t := time.NewTimer(drainTimeout)
		defer t.Stop()
		select {
		case <-old.Done:
		case <-t.C:
			s.cfg.Log.Error("the old network did not stop in time after a reload", "graph", p.Graph().File, "timeout", drainTimeout)
		case <-s.stopWatch: // Close waits for it, and reports it
		}
	}()
	return true, nil
}

// watch reloads the graph whenever the file's content differs from last.
func (s *Server) watch(last []byte) {
	defer s.watching.Done()
	tick := time.NewTicker(s.cfg.WatchInterval)
	defer tick.Stop()
	lastErr := "" // the last error reading the file, logged already
	for {
		select {
		case <-s.stopWatch:
			return
		case <-tick.C:
		}
		now, err := graph.ReadFile(s.cfg.GraphFile)
		if err != nil {
			// A file being replaced may be missing for a moment; anything
			// else (too large, not a regular file) is logged once, by the
			// reload it fails.
			if !errors.Is(err, fs.ErrNotExist) && err.Error() != lastErr {
				lastErr = err.Error()
				_ = s.Reload()
			}
			continue
		}
		lastErr = ""
		if bytes.Equal(now, last) {
			continue
		}
		last = now
		s.cfg.Log.Info("graph file changed; reloading", "graph", s.cfg.GraphFile)
		_ = s.Reload() // logged by Reload
	}
}

// Close shuts down gracefully: it stops accepting, answers every parked
// long-poll at once with what its room holds, finishes the requests in
// flight and waits for them until ctx ends. Answers given from then on
// close their connections; idle keep-alive connections are closed once
// idle for a moment (see idleGrace). Later calls return the first call's
// result.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() { s.closeErr = s.close(ctx) })
	return s.closeErr
}

// close stops the server in an order that answers every request it
// reads. net/http's Shutdown closes idle keep-alive connections at once,
// so a client that got its last answer just before, without
// "Connection: close", and sends its next request finds the connection
// closed (or reset) under it, unanswered. So, first: every answer from now
// on carries "Connection: close", the listener closes and the network
// drains (requests it holds are answered, later ones get 503); then the
// connections that went idle just before get idleGrace to bring their
// next request, which is answered and closes them; only then are those
// still idle closed, and Shutdown waits for what is active.
func (s *Server) close(ctx context.Context) error {
	close(s.stopWatch)
	s.watching.Wait()
	s.reloadMu.Lock() // a swap under way ends first: s.net is the last network
	s.closed.Store(true)
	s.reloadMu.Unlock()

	var errs []error
	s.draining.Store(true)
	ln := s.ln
	if s.parker != nil {
		s.parker.Drain() // answers to held reads close their connections
		ln = s.parker.Listener()
	}
	if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		errs = append(errs, fmt.Errorf("close server: listener: %w", err))
	}
	s.msrv.shutdown(ctx)
	s.dsrv.shutdown(ctx) // its event streams end: stopWatch is closed
	s.fbp.close(ctx)     // before the networks: it may be applying an edit
	// Requests arriving from now on are answered 503; the networks,
	// current and draining after a reload, finish what they hold.
	if err := s.nets.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("close server: %w", err))
	}
	s.drains.Wait() // prompt: stopWatch is closed
	if s.parker != nil {
		// The networks answered every held read; the Parker waits for
		// the answers still being written to slow clients.
		if err := s.parker.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("close server: %w", err))
		}
	}
	s.awaitIdle(ctx)
	if err := s.http.Shutdown(ctx); err != nil && !errors.Is(err, net.ErrClosed) {
		errs = append(errs, fmt.Errorf("close server: %w", err))
	}
	if err := <-s.served; err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		errs = append(errs, fmt.Errorf("close server: serve: %w", err))
	}
	if err := s.store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close server: store: %w", err))
	}
	return errors.Join(errs...)
}

// awaitIdle waits until every idle connection has been idle for
// idleGrace, or ctx ends, then closes them and logs how many it closed.
func (s *Server) awaitIdle(ctx context.Context) {
	for {
		wait := time.Until(s.conns.idle(idleGrace))
		if wait <= 0 {
			if n := s.conns.closeIdle(); n > 0 {
				s.cfg.Log.Info("closing idle connections", "connections", n)
			}
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
}
