package wire_test

import (
	"net/http"
	"testing"

	"gochat/wire"
)

func TestTable(t *testing.T) {
	tb := wire.NewTable()
	for _, rt := range wire.Routes() {
		got, params, err := tb.Match(rt.Method, "/api/rooms/lobby/messages")
		if err != nil || got != rt || params.ByName("room") != "lobby" {
			t.Errorf("%s: got %+v %v %v, want %+v", rt.Method, got, params, err, rt)
		}
	}
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/api/nothing", http.StatusNotFound, ""},
		{"GET", "/api/rooms/lobby/messages/", http.StatusNotFound, ""},
		{"DELETE", "/api/rooms/lobby/messages", http.StatusMethodNotAllowed, "GET, POST"},
	} {
		if _, _, err := tb.Match(tc.method, tc.path); err == nil || err.Status != tc.status || err.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: got %v, want status %d allow %q", tc.method, tc.path, err, tc.status, tc.allow)
		}
	}
}

// RouteOf names a path by the route the Router sends it to, whatever
// its method; an empty room is routed too (and refused by the Controller).
func TestRouteOf(t *testing.T) {
	tb := wire.NewTable()
	for path, want := range map[string]string{
		"/api/rooms/lobby/messages":  wire.MessagesPath,
		"/api/rooms//messages":       wire.MessagesPath,
		"/api/rooms/lobby/messages/": wire.Unmatched,
		"/api/rooms/a/b/messages":    wire.Unmatched,
		"/api/nothing":               wire.Unmatched,
		"/":                          wire.Unmatched,
	} {
		if got := tb.RouteOf(path); got != want {
			t.Errorf("RouteOf(%q) = %q, want %q", path, got, want)
		}
	}
}
