// Package server assembles gochat: the message store, the component
// factory, the goflow network built from a graph, the HTTP adapter in
// front of it, and the HTTP server with the embedded client.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"gochat/adapter"
	"gochat/client"
	"gochat/components"
	"gochat/graph"
	"gochat/store"
)

// Defaults of Config.
const (
	DefaultAddr     = "127.0.0.1:9090"
	DefaultHistory  = 100
	DefaultMaxRooms = 10000
	DefaultMaxWait  = 55 * time.Second
	// DefaultGrace is how long past a request's wait the network has to
	// answer before the adapter answers 503 itself.
	DefaultGrace = 10 * time.Second

	readHeaderTimeout = 10 * time.Second // slow clients get this long to send headers
	bodyTimeout       = 30 * time.Second // and this long to send a body
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
	inportBuffer      = 64 // requests queued in front of the Router
)

// Config is everything a Server needs; zero fields take the defaults.
type Config struct {
	Addr     string        // where to listen, host:port; port 0 picks one
	History  int           // messages kept per room
	MaxRooms int           // rooms kept at most
	MaxWait  time.Duration // the longest long-poll
	Grace    time.Duration // see DefaultGrace
	Graph    *graph.Graph  // the network; nil runs graph.Default()
	Log      *slog.Logger  // nil discards logs
}

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
	if c.MaxWait == 0 {
		c.MaxWait = DefaultMaxWait
	}
	if c.Grace == 0 {
		c.Grace = DefaultGrace
	}
	if c.Graph == nil {
		c.Graph = graph.Default()
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// Server is a running gochat.
type Server struct {
	cfg     Config
	store   *store.Memory
	stats   *components.Stats
	net     *graph.Network
	adapter *adapter.Adapter
	http    *http.Server
	ln      net.Listener
	served  chan error

	closeOnce sync.Once
	closeErr  error
}

// Open validates cfg, starts the network, listens on cfg.Addr and serves
// in the background until Close.
func Open(cfg Config) (*Server, error) {
	cfg.setDefaults()
	if cfg.MaxWait < 0 || cfg.Grace < 0 {
		return nil, fmt.Errorf("open server: max wait and grace must not be negative, got %v and %v", cfg.MaxWait, cfg.Grace)
	}
	st, err := store.NewMemory(cfg.History, cfg.MaxRooms)
	if err != nil {
		return nil, fmt.Errorf("open server: %w", err)
	}
	s := &Server{cfg: cfg, store: st, stats: &components.Stats{}, served: make(chan error, 1)}
	f, err := components.NewFactory(components.Deps{Store: st, MaxWait: cfg.MaxWait, Stats: s.stats, Log: cfg.Log})
	if err != nil {
		return nil, fmt.Errorf("open server: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("open server: listen: %w", err)
	}
	s.ln = ln
	if s.net, err = graph.Start(cfg.Graph, f, inportBuffer); err != nil {
		ln.Close()
		return nil, fmt.Errorf("open server: %w", err)
	}
	s.adapter = adapter.New(adapter.Config{
		In: s.net.In, MaxWait: cfg.MaxWait, Grace: cfg.Grace, BodyTimeout: bodyTimeout, Log: cfg.Log,
	})
	static := http.FileServerFS(client.FS())
	s.http = &http.Server{
		// Every path under /api answers from the network, as the Router
		// sees it: no redirects, JSON 404s.
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
				s.adapter.ServeHTTP(w, r)
				return
			}
			static.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		// Longer than any long-poll plus the network's grace.
		WriteTimeout: cfg.MaxWait + cfg.Grace + bodyTimeout,
		ErrorLog:     slog.NewLogLogger(cfg.Log.Handler(), slog.LevelWarn),
	}
	go func() { s.served <- s.http.Serve(ln) }()
	return s, nil
}

// URL returns the server's base URL, e.g. http://127.0.0.1:9090/.
func (s *Server) URL() string {
	return "http://" + s.ln.Addr().String() + "/"
}

// Stats returns the network's live counters.
func (s *Server) Stats() *components.Stats { return s.stats }

// Rooms returns how many rooms the store holds.
func (s *Server) Rooms() int { return s.store.Rooms() }

// Close shuts down gracefully: it stops accepting, answers every parked
// long-poll at once with what its room holds, finishes the requests in
// flight and waits for them until ctx ends. Later calls return the
// first call's result.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() { s.closeErr = s.close(ctx) })
	return s.closeErr
}

func (s *Server) close(ctx context.Context) error {
	shut := make(chan error, 1)
	go func() { shut <- s.http.Shutdown(ctx) }()
	s.adapter.Close()
	var errs []error
	select {
	case <-s.net.Done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("close server: network still running: %w", ctx.Err()))
	}
	if err := <-shut; err != nil {
		errs = append(errs, fmt.Errorf("close server: %w", err))
	}
	if err := <-s.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("close server: serve: %w", err))
	}
	return errors.Join(errs...)
}
