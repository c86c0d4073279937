package server

import (
	"context"
	"net"
	"net/http"
)

// side is an HTTP server on a listener of its own beside the main one:
// the metrics of Config.MetricsAddr, the live graph page of
// Config.DebugAddr.
type side struct {
	ln     net.Listener // where it listens
	http   *http.Server // what serves there
	served chan error   // what Serve returned, once it has
}

// listenSide listens on addr and serves h there in the background,
// behind the Host allowlist (which names addr too) and the request log,
// where routeOf names the route of a path.
func (s *Server) listenSide(addr string, h http.Handler, routeOf func(path string) string) (*side, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	h = s.adapter.Logged(hostCheck(newHostGuard(s.cfg.AllowedHosts, addr), h), routeOf)
	sd := &side{ln: ln, served: make(chan error, 1), http: &http.Server{
		Handler: h, ReadHeaderTimeout: readHeaderTimeout, IdleTimeout: idleTimeout, MaxHeaderBytes: maxHeaderBytes,
	}}
	go func() { sd.served <- sd.http.Serve(ln) }()
	return sd, nil
}

// addr returns the address sd listens on; "" for a nil sd.
func (sd *side) addr() string {
	if sd == nil {
		return ""
	}
	return sd.ln.Addr().String()
}

// shutdown stops sd gracefully, within ctx, and waits for its Serve to
// return; a nil sd does nothing.
func (sd *side) shutdown(ctx context.Context) {
	if sd == nil {
		return
	}
	sd.http.Shutdown(ctx)
	<-sd.served
}
