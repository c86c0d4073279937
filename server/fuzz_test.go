package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gochat/server"
)

// FuzzAPI sends any method, path and body through the real network: every
// request gets exactly one answer, never a 5xx but 503, and the /api
// answers gochat makes are JSON. net/http refuses some requests (a space
// in the request target, say) with its own plain-text 400 before any
// handler runs; gochat does not control those, so they are only held to
// being 4xx answers.
func FuzzAPI(f *testing.F) {
	f.Add("GET", "/api/rooms/lobby/messages?since=0&wait=0", "", "")
	f.Add("POST", "/api/rooms/lobby/messages", "application/json", `{"text":"hi"}`)
	f.Add("POST", "/api/rooms/l%C3%B6/messages", "application/x-www-form-urlencoded", "text=%FF")
	f.Add("DELETE", "/api/../api/rooms//messages", "", "")
	f.Add("PATCH", "/api", "text/plain", "\x00")
	s, c := MustOpen(f, server.Config{MaxWait: 1e9})
	f.Fuzz(func(t *testing.T, method, path, ctype, body string) {
		if !validMethod(method) || !strings.HasPrefix(path, "/") {
			return
		}
		u, err := url.Parse(s.URL() + strings.TrimPrefix(path, "/"))
		if err != nil {
			return
		}
		req, err := http.NewRequestWithContext(context.Background(), method, u.String(), strings.NewReader(body))
		if err != nil {
			return
		}
		if ctype != "" && !strings.ContainsFunc(ctype, func(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f }) {
			req.Header.Set("Content-Type", ctype)
		}
		res, err := c.http.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		res.Body.Close()
		if res.StatusCode >= 500 && res.StatusCode != 503 {
			t.Fatalf("%s %s: %s", method, path, res.Status)
		}
		// gochat's handler sets nosniff on every answer it makes.
		handled := res.Header.Get("X-Content-Type-Options") == "nosniff"
		if !handled && (res.StatusCode < 400 || res.StatusCode >= 500) {
			t.Fatalf("%s %s: net/http answered %s by itself", method, path, res.Status)
		}
		if handled && strings.HasPrefix(u.Path, "/api/") && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%s %s: %s answered %q", method, path, res.Status, res.Header.Get("Content-Type"))
		}
	})
}

// validMethod reports whether m is an HTTP token net/http will send.
func validMethod(m string) bool {
	if m == "" || len(m) > 16 {
		return false
	}
	for _, r := range m {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return m != "CONNECT"
}
