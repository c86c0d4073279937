package server_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"gochat/server"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var timeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

func TestContract(t *testing.T) {
	_, c := MustOpen(t, server.Config{})

	empty := c.Get("lobby", "")
	if empty.Status != 200 || !strings.Contains(empty.Raw, `"messages":[]`) || empty.Read.Room != "lobby" || empty.Read.Last != 0 {
		t.Errorf("empty room: %d %s", empty.Status, empty.Raw)
	}
	if ct := empty.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type: %q", ct)
	}

	m1 := c.Post("lobby", "ann", "hello")
	if m1.ID != 1 || m1.Room != "lobby" || m1.Author != "ann" || m1.Text != "hello" || !timeRE.MatchString(m1.Time) {
		t.Errorf("first message: %+v", m1)
	}
	form := c.MustDo("POST", "api/rooms/lobby/messages", "application/x-www-form-urlencoded", "author=&text=h%C3%A9llo%0Aworld")
	if form.Status != 201 || form.Msg.ID != 2 || form.Msg.Author != "anonymous" || form.Msg.Text != "héllo\nworld" {
		t.Errorf("form post: %d %s", form.Status, form.Raw)
	}

	all := c.Get("lobby", "since=0")
	r := all.Read
	if all.Status != 200 || r.Epoch == "" || r.Last != 2 || len(r.Messages) != 2 || r.Messages[0] != m1 || r.Messages[1] != form.Msg || r.Reset || r.Gap {
		t.Errorf("read all: %s", all.Raw)
	}
	if strings.Contains(all.Raw, "reset") || strings.Contains(all.Raw, "gap") {
		t.Errorf("reset and gap appear only when true: %s", all.Raw)
	}
	newer := c.Get("lobby", "since=1&epoch="+r.Epoch)
	if len(newer.Read.Messages) != 1 || newer.Read.Messages[0].ID != 2 {
		t.Errorf("since 1: %s", newer.Raw)
	}
	if other := c.Post("other", "", "x"); other.ID != 1 {
		t.Errorf("ids are per room: %+v", other)
	}
}

func TestBadInput(t *testing.T) {
	_, c := MustOpen(t, server.Config{})
	const js, form = "application/json", "application/x-www-form-urlencoded"
	msgs := "api/rooms/lobby/messages"
	for _, tc := range []struct {
		method, path, ctype, body string
		status                    int
		message                   string
	}{
		{"GET", msgs + "?since=-1", "", "", 400, "since must be a non-negative integer"},
		{"GET", msgs + "?since=abc", "", "", 400, "since must be a non-negative integer"},
		{"GET", msgs + "?since=%zz", "", "", 400, "the query string is malformed"},
		{"GET", "api/rooms//messages", "", "", 400, "room must be"},
		{"GET", "api/rooms/../x/messages", "", "", 404, "no API at"},
		{"GET", msgs + "?wait=1.5", "", "", 400, "wait must be a non-negative integer number of seconds"},
		{"GET", msgs + "?epoch=%3Cscript%3E", "", "", 400, "epoch must be"},
		{"GET", "api/rooms/no.dots/messages", "", "", 400, "room must be 1 to 64 characters"},
		{"GET", "api/rooms/" + strings.Repeat("r", 65) + "/messages", "", "", 400, "room must be 1 to 64 characters"},
		{"POST", "api/rooms/b%C3%A4d/messages", js, `{"text":"x"}`, 400, "room must be"},
		{"POST", msgs, js, `{"text":""}`, 400, "text must be 1 to 2000 characters, got 0"},
		{"POST", msgs, js, `{"text":"` + strings.Repeat("x", 2001) + `"}`, 400, "text must be 1 to 2000 characters, got 2001"},
		{"POST", msgs, js, `{"text":7}`, 400, "text must be a string"},
		{"POST", msgs, js, `{"author":["a"],"text":"x"}`, 400, "author must be a string"},
		{"POST", msgs, js, `{"author":"ann"}`, 400, "text is required"},
		{"POST", msgs, js, `{"text":`, 400, "the body is not valid JSON"},
		{"POST", msgs, js, "{\"text\":\"\xc3\x28\"}", 400, "the body must be valid UTF-8"},
		{"POST", msgs, form, "text=%C3%28", 400, "text must be valid UTF-8"},
		{"POST", msgs, js, `{"text":"bell\u0007"}`, 400, "text must not contain control characters"},
		{"POST", msgs, js, `{"text":"half an emoji \ud83d"}`, 400, `text contains an unpaired UTF-16 surrogate (\ud83d)`},
		{"POST", msgs, js, `{"author":"\udc00","text":"x"}`, 400, `author contains an unpaired UTF-16 surrogate (\udc00)`},
		{"POST", msgs, form, "text=%ED%A0%BD", 400, "text must be valid UTF-8"},
		{"POST", msgs, js, `{"text":"\u200b\u200b\u200b"}`, 400, "text is empty: it has only invisible characters (U+200B)"},
		{"POST", msgs, js, `{"author":"\u202enna","text":"x"}`, 400, "author must not contain invisible or direction-changing characters (found U+202E)"},
		{"POST", msgs, js, `{"author":"` + strings.Repeat("a", 65) + `","text":"x"}`, 400, "author must be at most 64 characters"},
		{"POST", msgs, "text/plain", "hello", 415, "Content-Type must be application/json or application/x-www-form-urlencoded"},
		{"POST", msgs, "", "", 415, "Content-Type must be"},
		{"POST", msgs, js, `{"text":"` + strings.Repeat("x", 70000) + `"}`, 413, "the body must be at most 65536 bytes"},
		{"PUT", msgs, js, `{"text":"x"}`, 405, "PUT is not allowed here; use GET or POST"},
		{"DELETE", msgs, "", "", 405, "DELETE is not allowed here"},
		{"GET", "api/", "", "", 404, "no API at /api/"},
		{"GET", "api/rooms/lobby", "", "", 404, "no API at /api/rooms/lobby"},
		{"POST", "api/rooms/lobby/messages/extra", js, `{"text":"x"}`, 404, "no API at"},
	} {
		a := c.MustDo(tc.method, tc.path, tc.ctype, tc.body)
		name := tc.method + " " + tc.path[:min(len(tc.path), 60)] + " " + tc.body[:min(len(tc.body), 40)]
		if a.Status != tc.status || a.Error.Status != tc.status || !strings.Contains(a.Error.Message, tc.message) {
			t.Errorf("%s: got %d %s, want %d %q", name, a.Status, a.Raw[:min(len(a.Raw), 200)], tc.status, tc.message)
		}
		if ct := a.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", name, ct)
		}
		if tc.status == 405 && a.Header.Get("Allow") != "GET, POST" {
			t.Errorf("%s: Allow %q, want \"GET, POST\"", name, a.Header.Get("Allow"))
		}
		// Nothing was stored, and the server keeps serving.
		if got := c.Get("lobby", ""); got.Status != 200 || got.Read.Last != 0 {
			t.Fatalf("after %s: %d %s", name, got.Status, got.Raw)
		}
	}
	if m := c.Post("lobby", "ann", "still serving"); m.ID != 1 {
		t.Errorf("first good post got id %d, want 1", m.ID)
	}
}

func TestStaticClient(t *testing.T) {
	_, c := MustOpen(t, server.Config{})
	for _, tc := range []struct{ path, ctype, contains string }{
		{"", "text/html", `<script type="module" src="app.js"></script>`},
		{"app.js", "text/javascript", `new URL("api/", import.meta.url)`},
		{"embed.js", "text/javascript", `from "./app.js"`},
		{"style.css", "text/css", "prefers-color-scheme: dark"},
	} {
		a := c.MustDo(http.MethodGet, tc.path, "", "")
		if a.Status != 200 || !strings.HasPrefix(a.Header.Get("Content-Type"), tc.ctype) || !strings.Contains(a.Raw, tc.contains) {
			t.Errorf("GET /%s: %d %s", tc.path, a.Status, a.Header.Get("Content-Type"))
		}
		// Relative URLs only, so the client works under a prefix.
		if strings.Contains(a.Raw, `"/api`) || strings.Contains(a.Raw, "`/api") {
			t.Errorf("/%s uses an absolute /api URL", tc.path)
		}
		if csp := a.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("/%s: Content-Security-Policy %q", tc.path, csp)
		}
		if a.Header.Get("X-Content-Type-Options") != "nosniff" || a.Header.Get("Referrer-Policy") == "" {
			t.Errorf("/%s: security headers %v", tc.path, a.Header)
		}
	}
	if a := c.MustDo(http.MethodGet, "embed.js", "", ""); a.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("embed.js cannot be loaded from other origins: %v", a.Header)
	}
}

func TestCORS(t *testing.T) {
	const blog = "http://blog.example:8080"
	s, c := MustOpen(t, server.Config{AllowOrigins: []string{blog}})
	do := func(method, origin string, h map[string]string) Answer {
		header := http.Header{}
		if origin != "" {
			header.Set("Origin", origin)
		}
		for k, v := range h {
			header.Set(k, v)
		}
		a, err := c.DoHeader(context.Background(), method, "api/rooms/cors/messages", "application/json", `{"text":"hi"}`, header)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	pre := do("OPTIONS", blog, map[string]string{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,idempotency-key"})
	if allowed := pre.Header.Get("Access-Control-Allow-Headers"); pre.Status != 204 || pre.Header.Get("Access-Control-Allow-Origin") != blog ||
		!strings.Contains(allowed, "Content-Type") || !strings.Contains(allowed, "Idempotency-Key") ||
		!strings.Contains(pre.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("preflight from an allowed origin: %d %v", pre.Status, pre.Header)
	}
	if a := do("POST", blog, nil); a.Status != 201 || a.Header.Get("Access-Control-Allow-Origin") != blog {
		t.Errorf("post from an allowed origin: %d %v", a.Status, a.Header)
	}
	// Another origin is refused; it may read the refusal (so the embed can
	// say why), and nothing else: a 403 preflight allows no request.
	for _, method := range []string{"OPTIONS", "POST", "GET"} {
		a := do(method, "http://evil.example", map[string]string{"Access-Control-Request-Method": "POST"})
		if a.Status != 403 || a.Header.Get("Access-Control-Allow-Origin") != "http://evil.example" || a.Header.Get("Access-Control-Allow-Methods") != "" ||
			!strings.Contains(a.Raw, "does not accept requests from http://evil.example") {
			t.Errorf("%s from another origin: %d %v %s", method, a.Status, a.Header, a.Raw)
		}
	}
	// Own origin and no origin pass without CORS headers.
	if a := do("POST", strings.TrimSuffix(s.URL(), "/"), nil); a.Status != 201 || a.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("same-origin post: %d %v", a.Status, a.Header)
	}
	if got := c.Get("cors", "").Read.Last; got != 2 {
		t.Errorf("stored %d messages, want 2 (refused ones change nothing)", got)
	}
}

func TestRoomLimit(t *testing.T) {
	s, c := MustOpen(t, server.Config{MaxRooms: 2})
	c.Post("a", "", "x")
	c.Post("b", "", "x")
	a := c.MustDo("POST", "api/rooms/c/messages", "application/json", `{"text":"x"}`)
	if a.Status != 503 || !strings.Contains(a.Error.Message, "as many rooms as it may") {
		t.Errorf("third room: %d %s", a.Status, a.Raw)
	}
	if m := c.Post("a", "", "existing rooms keep working"); m.ID != 2 {
		t.Errorf("post to an existing room: id %d", m.ID)
	}
	if g := c.Get("c", ""); g.Status != 200 || g.Read.Last != 0 || s.Rooms() != 2 {
		t.Errorf("reading a room that does not exist: %d %s, rooms %d", g.Status, g.Raw, s.Rooms())
	}
}

func TestHistoryAndGap(t *testing.T) {
	_, c := MustOpen(t, server.Config{History: 5})
	for range 8 {
		c.Post("lobby", "", "x")
	}
	for _, tc := range []struct {
		since    string
		first, n uint64
		gap      bool
	}{
		{"0", 4, 5, true},
		{"2", 4, 5, true},
		{"3", 4, 5, false},
		{"6", 7, 2, false},
		{"8", 0, 0, false},
	} {
		r := c.Get("lobby", "since="+tc.since).Read
		if uint64(len(r.Messages)) != tc.n || r.Gap != tc.gap || r.Last != 8 || (tc.n > 0 && r.Messages[0].ID != tc.first) {
			t.Errorf("since %s: %+v", tc.since, r)
		}
	}
}

func TestIdempotencyKey(t *testing.T) {
	_, c := MustOpen(t, server.Config{})
	post := func(body string, keys ...string) Answer {
		t.Helper()
		a, err := c.DoHeader(context.Background(), http.MethodPost, "api/rooms/idem/messages", "application/json", body, http.Header{"Idempotency-Key": keys})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	first := post(`{"author":"ann","text":"hello"}`, "msg-1_A")
	if first.Status != 201 {
		t.Fatalf("first post: %d %s", first.Status, first.Raw)
	}
	// A retry answers the original 201, byte for byte, and stores nothing.
	if again := post(`{"author":"ann","text":"hello"}`, "msg-1_A"); again.Status != 201 || again.Raw != first.Raw {
		t.Errorf("retry: %d %s, want %s", again.Status, again.Raw, first.Raw)
	}
	if a := post(`{"author":"ann","text":"changed"}`, "msg-1_A"); a.Status != 422 || !strings.Contains(a.Raw, "Idempotency-Key was used for another message") {
		t.Errorf("the key with another body: %d %s", a.Status, a.Raw)
	}
	for _, keys := range [][]string{{""}, {"has space"}, {strings.Repeat("k", 65)}, {"a", "b"}, {"ü"}} {
		if a := post(`{"text":"x"}`, keys...); a.Status != 400 || !strings.Contains(a.Raw, "Idempotency-Key must be 1 to 64 characters") {
			t.Errorf("key %q: %d %s", keys, a.Status, a.Raw)
		}
	}
	if a := post(`{"text":"x"}`, strings.Repeat("k", 64)); a.Status != 201 {
		t.Errorf("a 64-character key: %d %s", a.Status, a.Raw)
	}
	if r := c.Get("idem", "").Read; r.Last != 2 {
		t.Errorf("the room holds %d messages, want 2", r.Last)
	}
}
