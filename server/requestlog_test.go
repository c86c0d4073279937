package server_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"gochat/internal/testutil"
	"gochat/server"
)

// TestEveryAnswerIsLoggedAndCounted: every request, whoever answers it
// (the network, the adapter, the CORS or host guard, the health, metrics
// or static handlers) gets exactly one request log line and one sample in
// gochat_http_requests_total with the status it really got; a client
// that leaves a parked read gets status 499 and outcome client_gone.
func TestEveryAnswerIsLoggedAndCounted(t *testing.T) {
	var logs LogBuffer
	s, c := MustOpen(t, server.Config{Graph: tightLimits(t), MaxRooms: 1, Log: logs.Logger()})
	metrics := s.URL() + "metrics"
	const msgs = "/api/rooms/:room/messages"
	json, form := "application/json", "application/x-www-form-urlencoded"
	do := func(method, path, ctype, body string, header http.Header) int {
		a, err := c.DoHeader(context.Background(), method, path, ctype, body, header)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return a.Status
	}
	c.Post("r", "ann", "the room the cases use") // MaxRooms 1: a post elsewhere answers 503
	for _, tc := range []struct {
		name                   string
		status                 int
		outcome, route, method string
		run                    func(t *testing.T) int // makes the request; returns its status (0: checked by run)
	}{
		{"CORS refusal", 403, "client_error", msgs, "GET", func(t *testing.T) int {
			return do("GET", "api/rooms/r/messages", "", "", http.Header{"Origin": {"https://evil.example"}})
		}},
		{"unknown API path", 404, "client_error", "unmatched", "GET", func(t *testing.T) int {
			return do("GET", "api/nothing/here", "", "", nil)
		}},
		{"wrong method", 405, "client_error", msgs, "other", func(t *testing.T) int {
			return do("DELETE", "api/rooms/r/messages", "", "", nil)
		}},
		{"body too large", 413, "client_error", msgs, "POST", func(t *testing.T) int {
			return do("POST", "api/rooms/r/messages", form, "text="+strings.Repeat("a", 64<<10), nil)
		}},
		{"unsupported type", 415, "client_error", msgs, "POST", func(t *testing.T) int {
			return do("POST", "api/rooms/r/messages", "text/plain", "hello", nil)
		}},
		{"idempotency key reused", 422, "client_error", msgs, "POST", func(t *testing.T) int {
			key := http.Header{"Idempotency-Key": {"reused-key"}}
			if st := do("POST", "api/rooms/r/messages", json, `{"text":"one"}`, key); st != 201 {
				t.Fatalf("first post with the key: %d", st)
			}
			return do("POST", "api/rooms/r/messages", json, `{"text":"two"}`, key)
		}},
		{"rate limited", 429, "client_error", msgs, "POST", func(t *testing.T) int {
			for i := range 3 { // the tight graph's burst
				if st := as(t, c, "198.51.100.7", "POST", "api/rooms/r/messages", form, "text=burst").Status; st != 201 {
					t.Fatalf("post %d of the burst: %d", i, st)
				}
			}
			return as(t, c, "198.51.100.7", "POST", "api/rooms/r/messages", form, "text=one+too+many").Status
		}},
		{"room bound", 503, "server_error", msgs, "POST", func(t *testing.T) int {
			return do("POST", "api/rooms/another/messages", form, "text=hi", nil)
		}},
		{"host not allowed", 421, "client_error", "/healthz", "GET", func(t *testing.T) int {
			return do("GET", "healthz", "", "", http.Header{"Host": {"evil.example"}})
		}},
		{"health", 200, "ok", "/readyz", "GET", func(t *testing.T) int {
			return do("GET", "readyz", "", "", nil)
		}},
		{"static file", 200, "ok", "static", "GET", func(t *testing.T) int {
			return do("GET", "style.css", "", "", nil)
		}},
		{"client leaves a parked read", 499, "client_gone", msgs, "GET", func(t *testing.T) int {
			last := c.Get("r", "since=0").Read.Last
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := c.Do(ctx, "GET", fmt.Sprintf("api/rooms/r/messages?since=%d&wait=30", last), "", "")
				done <- err
			}()
			WaitParked(t, s.Stats(), 1)
			cancel()
			if err := <-done; err == nil {
				t.Error("the cancelled read got an answer")
			}
			WaitParked(t, s.Stats(), 0)
			testutil.WaitFor(t, "the 499 line", func() bool { return strings.Contains(logs.String(), "status=499") })
			return 0
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sample := fmt.Sprintf(`gochat_http_requests_total{method="%s",route="%s",status="%d"}`, tc.method, tc.route, tc.status)
			before := scrape(t, c, metrics)[sample]
			from := len(logs.String())
			if st := tc.run(t); st != 0 && st != tc.status {
				t.Fatalf("answered %d, want %d", st, tc.status)
			}
			if got := scrape(t, c, metrics)[sample] - before; got != 1 {
				t.Errorf("%s grew by %v, want 1", sample, got)
			}
			line := regexp.MustCompile(fmt.Sprintf(`(?m)^.* msg=request method=\S+ route=%s path=\S+ status=%d outcome=%s .*$`,
				regexp.QuoteMeta(tc.route), tc.status, tc.outcome))
			if got := line.FindAllString(logs.String()[from:], -1); len(got) != 1 {
				t.Errorf("%d request lines with status %d and outcome %s, want 1:\n%s", len(got), tc.status, tc.outcome, logs.String()[from:])
			}
		})
	}
	// Every request so far, the scrapes included, has its line: none
	// is left at status 0 or logged below info.
	if l := logs.String(); strings.Contains(l, "status=0 ") || strings.Contains(l, "level=DEBUG msg=request") {
		t.Errorf("a request logged without its status or below info:\n%s", l)
	}
}
