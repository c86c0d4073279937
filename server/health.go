package server

import (
	"context"
	"net/http"
	"time"

	"gochat/wire"
)

// healthTimeout bounds the store check of a health request.
const healthTimeout = 2 * time.Second

// serveHealth answers /healthz (liveness: 200 while the process serves,
// with the store's state for information) and /readyz (readiness: 503
// unless the store answers and the server is not shutting down).
func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request, ready bool) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	body := struct {
		Status string `json:"status"`
		Store  string `json:"store"`
		Graph  string `json:"graph"`
		Parked int64  `json:"parked"`
	}{Status: "ok", Store: "ok", Graph: s.nets.Current().Graph.File, Parked: s.stats.Parked.Load()}
	status := http.StatusOK
	if err := s.store.Ping(ctx); err != nil {
		body.Store = err.Error()
		if ready {
			body.Status, status = "unavailable", http.StatusServiceUnavailable
		}
	}
	if s.closed.Load() && ready {
		body.Status, status = "shutting down", http.StatusServiceUnavailable
	}
	wire.WriteAnswer(w, wire.Encode(status, body, nil))
}
