package components_test

import (
	"context"
	"net/http"
	"testing"

	"gochat/components"
	"gochat/wire"
)

func TestRouter(t *testing.T) {
	in := make(chan *wire.Request)
	read, write := make(chan *wire.Request, 1), make(chan *wire.Request, 1)
	errs := make(chan *components.Reply, 1)
	r := components.NewRouter()
	r.In, r.Read, r.Write, r.Err = in, read, write, errs
	done := Start(r)
	ctx := context.Background()

	in <- MustRequest(t, ctx, "GET", "/api/rooms/lobby/messages")
	if got := Recv(t, read); got.Params.ByName("room") != "lobby" {
		t.Errorf("read routed with room %q, want lobby", got.Params.ByName("room"))
	}
	in <- MustRequest(t, ctx, "POST", "/api/rooms/a-b_C/messages")
	if got := Recv(t, write); got.Params.ByName("room") != "a-b_C" {
		t.Errorf("write routed with room %q, want a-b_C", got.Params.ByName("room"))
	}

	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/api/nothing", http.StatusNotFound, ""},
		{"GET", "/api/rooms/lobby/messages/", http.StatusNotFound, ""},
		{"DELETE", "/api/rooms/lobby/messages", http.StatusMethodNotAllowed, "GET, POST"},
		{"HEAD", "/api/rooms/lobby/messages", http.StatusMethodNotAllowed, "GET, POST"},
	} {
		in <- MustRequest(t, ctx, tc.method, tc.path)
		rep := Recv(t, errs)
		if rep.Err == nil || rep.Err.Status != tc.status || rep.Err.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: got %+v, want status %d allow %q", tc.method, tc.path, rep.Err, tc.status, tc.allow)
		}
	}
	close(in)
	Recv(t, done)
}

func TestRouterUnconnectedRoute(t *testing.T) {
	in := make(chan *wire.Request)
	errs := make(chan *components.Reply, 1)
	r := components.NewRouter()
	r.In, r.Err = in, errs // READ and WRITE left unconnected
	done := Start(r)
	in <- MustRequest(t, context.Background(), "GET", "/api/rooms/lobby/messages")
	if rep := Recv(t, errs); rep.Err == nil || rep.Err.Status != http.StatusServiceUnavailable {
		t.Errorf("got %+v, want a 503 error", rep.Err)
	}
	close(in)
	Recv(t, done)
}
