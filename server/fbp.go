package server

import (
	"context"
	"fmt"
	"sync"

	"gochat/fbpproto"
	"gochat/graph"
	"gochat/wire"
)

// fbpListener serves the FBP network protocol on Config.FBPAddr.
type fbpListener struct {
	rt   *fbpproto.Runtime // the protocol's runtime
	side *side             // its listener
}

// openFBP listens on FBPAddr and serves the FBP protocol there, behind
// the Host guard (against DNS rebinding); the runtime checks the Origin.
func (s *Server) openFBP() (*fbpListener, error) {
	rt := fbpproto.New(fbpproto.Config{
		Secret: s.cfg.FBPSecret, AllowOrigins: s.cfg.FBPAllowOrigins,
		Chat: s, Factory: s.factory, Log: s.cfg.Log,
	})
	sd, err := s.listenSide(s.cfg.FBPAddr, rt, func(string) string { return wire.Unmatched })
	if err != nil {
		rt.Close()
		return nil, fmt.Errorf("FBP protocol listener: %w", err)
	}
	observe := rt.ObserveChat
	s.fbpObserve.Store(&observe)
	return &fbpListener{rt: rt, side: sd}, nil
}

// start starts the network of p. With the FBP protocol on, its packets
// are counted and shown to the protocol's clients, sampled (the network
// runs before the protocol does: its observer finds the protocol when it
// is there); with -debug they are counted.
func (s *Server) start(p *graph.Plan) (*graph.Network, error) {
	if s.cfg.FBPAddr == "" {
		return graph.Start(p, s.factory, inportBuffer, s.cfg.Debug)
	}
	var watch func(conn int, packet any) // the protocol's, once it runs
	var once sync.Once
	return graph.StartObserved(p, s.factory, inportBuffer, func(conn int, v any) {
		if o := s.fbpObserve.Load(); o != nil {
			once.Do(func() { watch = (*o)(p.Graph()) })
			watch(conn, v)
		}
	})
}

// close drops the protocol's clients, stops the graphs it runs and
// closes its listener; a nil f does nothing.
func (f *fbpListener) close(ctx context.Context) {
	if f == nil {
		return
	}
	f.rt.Close() // closes the WebSocket connections, which Shutdown does not
	f.side.shutdown(ctx)
}

// FBPAddr returns the address the FBP protocol is served on, "" if it is
// not.
func (s *Server) FBPAddr() string {
	if s.fbp == nil {
		return ""
	}
	return s.fbp.side.addr()
}

// Graph returns the graph the server runs now.
func (s *Server) Graph() *graph.Graph { return s.nets.Current().Graph }
