package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gochat/graph"
	"gochat/internal/testutil"
	"gochat/server"
)

// nonLoopbackIP returns an address of this machine that is not loopback,
// for requests whose peer is not loopback over real HTTP; "" if it has
// none.
func nonLoopbackIP(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	return ""
}

// csrfToken reads the page's CSRF token from /debug/.
func csrfToken(t *testing.T, c *Client) string {
	t.Helper()
	a := c.MustDo("GET", "debug/", "", "")
	m := regexp.MustCompile(`name="gochat-csrf" content="([0-9a-f]{64})"`).FindStringSubmatch(a.Raw)
	if a.Status != 200 || m == nil {
		t.Fatalf("GET /debug/: %d %s", a.Status, a.Raw)
	}
	return m[1]
}

// TestDebugLoopbackOnly: on the main listener everything under /debug/
// answers loopback peers only, like /metrics; -debug-addr serves it on a
// listener of its own to whoever reaches it, and not on the main one.
// The peer that is not loopback is this machine's other address, over
// real HTTP; on a machine with loopback alone, a request handed to the
// server's handler with another peer's address.
func TestDebugLoopbackOnly(t *testing.T) {
	ip := nonLoopbackIP(t)
	s, c := MustOpen(t, server.Config{Addr: "0.0.0.0:0", Debug: true})
	_, port, _ := net.SplitHostPort(s.Addr())
	remote := func(method, path, body string) (int, string) {
		if ip != "" {
			a := NewClient(t, "http://"+net.JoinHostPort(ip, port)+"/").MustDo(method, path, "application/json", body)
			return a.Status, a.Raw
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(method, "/"+path, strings.NewReader(body))
		req.RemoteAddr = "203.0.113.5:4000"
		s.Handler().ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	if ip == "" {
		t.Log("this machine has loopback alone: peers that are not loopback are simulated")
	}
	for _, p := range []string{"debug/", "debug/graph", "debug/graph.dot", "debug/events", "debug/components", "debug/app.js", "debug/nope"} {
		if st, body := remote("GET", p, ""); st != 403 || !strings.Contains(body, "-debug-addr") {
			t.Errorf("GET /%s from %s: %d %s", p, ip, st, body)
		}
	}
	if st, body := remote("POST", "debug/graph", "{}"); st != 403 {
		t.Errorf("POST /debug/graph from %s: %d %s", ip, st, body)
	}
	if st, _ := remote("GET", "api/rooms/x/messages", ""); st != 200 {
		t.Errorf("the API from %s: %d", ip, st)
	}
	u := NewClient(t, "http://"+net.JoinHostPort("127.0.0.1", port)+"/")
	if a := u.MustDo("GET", "debug/graph", "", ""); a.Status != 200 || !strings.Contains(a.Raw, `"storage"`) {
		t.Errorf("GET /debug/graph from loopback: %d %s", a.Status, a.Raw)
	}
	if a := c.MustDo("GET", "debug/", "", ""); a.Status != 200 || a.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("GET /debug/ from loopback: %d %v", a.Status, a.Header)
	}

	// -debug-addr: on its own listener, for anyone; not on the main one.
	s2, c2 := MustOpen(t, server.Config{Debug: true, DebugAddr: "0.0.0.0:0"})
	_, dport, _ := net.SplitHostPort(s2.DebugAddr())
	dhost := ip
	if dhost == "" {
		dhost = "127.0.0.1"
	}
	d := NewClient(t, "http://"+net.JoinHostPort(dhost, dport)+"/")
	for _, p := range []string{"debug/", "debug/graph", "debug/app.js"} {
		if a := d.MustDo("GET", p, "", ""); a.Status != 200 {
			t.Errorf("GET /%s on -debug-addr from %s: %d %s", p, ip, a.Status, a.Raw)
		}
	}
	if a := c2.MustDo("GET", "debug/graph", "", ""); a.Status != 404 {
		t.Errorf("GET /debug/graph on the main listener with -debug-addr: %d", a.Status)
	}
	// Without -debug there is nothing.
	_, c3 := MustOpen(t, server.Config{})
	if a := c3.MustDo("GET", "debug/graph", "", ""); a.Status != 404 {
		t.Errorf("GET /debug/graph without -debug: %d", a.Status)
	}
}

// moderated is graph/examples/moderated.fbp in FBP JSON, as the page
// posts it.
func moderated(t *testing.T) string {
	t.Helper()
	g, err := graph.Load("../graph/examples/moderated.fbp")
	if err != nil {
		t.Fatal(err)
	}
	b, err := graph.MarshalJSON(g, "moderated")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDebugEditGuards: an edit needs the page's CSRF token and a
// same-origin request, and a rebound host name gets 421; only then does
// the graph go live.
func TestDebugEditGuards(t *testing.T) {
	_, c := MustOpen(t, server.Config{Debug: true})
	token := csrfToken(t, c)
	body := moderated(t)
	origin := strings.TrimSuffix(c.base, "/")
	for _, tc := range []struct {
		name   string
		header http.Header
		status int
	}{
		{"no token", http.Header{"Origin": {origin}}, 403},
		{"wrong token", http.Header{"X-Gochat-Csrf": {strings.Repeat("0", 64)}}, 403},
		{"another origin", http.Header{"X-Gochat-Csrf": {token}, "Origin": {"http://evil.example"}}, 403},
		{"cross-site fetch", http.Header{"X-Gochat-Csrf": {token}, "Sec-Fetch-Site": {"cross-site"}}, 403},
		{"rebound host", http.Header{"X-Gochat-Csrf": {token}, "Host": {"evil.example"}, "Origin": {"http://evil.example"}}, 421},
	} {
		a, err := c.DoHeader(context.Background(), "POST", "debug/graph", "application/json", body, tc.header)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, a.Status, a.Raw, tc.status)
		}
	}
	if a := c.MustDo("GET", "debug/graph", "", ""); strings.Contains(a.Raw, `"filter"`) {
		t.Fatal("a refused edit went live")
	}
	a, err := c.DoHeader(context.Background(), "POST", "debug/graph", "application/json", body,
		http.Header{"X-Gochat-Csrf": {token}, "Origin": {origin}, "Sec-Fetch-Site": {"same-origin"}})
	if err != nil || a.Status != 200 {
		t.Fatalf("edit from the page: %v %d %s", err, a.Status, a.Raw)
	}
	if a := c.MustDo("GET", "debug/graph", "", ""); !strings.Contains(a.Raw, `"filter"`) {
		t.Errorf("the edit did not go live: %s", a.Raw)
	}
	if a := c.MustDo("POST", "api/rooms/r/messages", "application/json", `{"text":"buy spam now"}`); a.Status != 422 {
		t.Errorf("spam after the edit: %d %s", a.Status, a.Raw)
	}
}

// TestDebugEditProblems: a graph with problems changes nothing and is
// answered 422 with each problem and the process, port or connection it
// concerns.
func TestDebugEditProblems(t *testing.T) {
	_, c := MustOpen(t, server.Config{Debug: true})
	token := csrfToken(t, c)
	broken := strings.Replace(moderated(t), `"component": "Filter"`, `"component": "Filtre"`, 1)
	broken = strings.Replace(broken, `"port": "ERR"
      },
      "tgt": {
        "process": "responder"`, `"port": "EROR"
      },
      "tgt": {
        "process": "responder"`, 1)
	a, err := c.DoHeader(context.Background(), "POST", "debug/graph", "application/json", broken, http.Header{"X-Gochat-Csrf": {token}})
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Error    struct{ Status int }
		Problems []struct {
			Line                               int
			Message, Process, Port, Connection string
		}
	}
	if err := json.Unmarshal([]byte(a.Raw), &out); err != nil || a.Status != 422 || out.Error.Status != 422 {
		t.Fatalf("broken edit: %d %s", a.Status, a.Raw)
	}
	var filtre, eror bool
	for _, p := range out.Problems {
		filtre = filtre || (p.Process == "filter" && strings.Contains(p.Message, "Filtre") && p.Line > 0)
		eror = eror || (strings.HasSuffix(p.Port, ".EROR") && strings.Contains(p.Connection, " -> responder.IN"))
	}
	if !filtre || !eror {
		t.Errorf("problems do not name what they concern: %s", a.Raw)
	}
	if a := c.MustDo("GET", "debug/graph", "", ""); strings.Contains(a.Raw, "filter") {
		t.Error("a broken edit changed the running graph")
	}
	if a := c.MustDo("POST", "api/rooms/r/messages", "application/json", `{"text":"spam"}`); a.Status != 201 {
		t.Errorf("after a broken edit: %d", a.Status)
	}
	// Not JSON, or not a graph: a clear JSON error.
	a, _ = c.DoHeader(context.Background(), "POST", "debug/graph", "application/json", "nope", http.Header{"X-Gochat-Csrf": {token}})
	if a.Status != 422 || !strings.Contains(a.Raw, `"problems"`) {
		t.Errorf("not JSON: %d %s", a.Status, a.Raw)
	}
}

// TestDebugSave: Save applies the edit and writes it over the -graph file
// atomically, keeping the old one as FILE.bak; the file passes graph
// check, holds the positions posted and runs after a restart. With the
// embedded graph, Save asks for -graph and changes nothing.
func TestDebugSave(t *testing.T) {
	_, c := MustOpen(t, server.Config{Debug: true})
	token := csrfToken(t, c)
	a, _ := c.DoHeader(context.Background(), "POST", "debug/save", "application/json", moderated(t), http.Header{"X-Gochat-Csrf": {token}})
	if a.Status != 409 || !strings.Contains(a.Error.Message, "-graph FILE") {
		t.Errorf("save without -graph: %d %s", a.Status, a.Raw)
	}
	if a := c.MustDo("GET", "debug/graph", "", ""); strings.Contains(a.Raw, "filter") {
		t.Error("a refused save changed the running graph")
	}

	dir := t.TempDir()
	file := filepath.Join(dir, "chat.fbp")
	if err := os.WriteFile(file, graph.DefaultSource(), 0o600); err != nil {
		t.Fatal(err)
	}
	s2, c2 := MustOpen(t, server.Config{Debug: true, GraphFile: file})
	token = csrfToken(t, c2)
	body := strings.Replace(moderated(t), `"component": "Filter"`, `"component": "Filter", "metadata": {"x": 412, "y": 96.5}`, 1)
	a, _ = c2.DoHeader(context.Background(), "POST", "debug/save", "application/json", body, http.Header{"X-Gochat-Csrf": {token}})
	if a.Status != 200 || !strings.Contains(a.Raw, `"saved"`) {
		t.Fatalf("save: %d %s", a.Status, a.Raw)
	}
	if bak, err := os.ReadFile(file + ".bak"); err != nil || string(bak) != string(graph.DefaultSource()) {
		t.Errorf("backup: %v %q", err, bak)
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("saved file's mode: %v %v", st.Mode(), err)
	}
	var stderr strings.Builder
	if code := graph.Command([]string{"check", file}, &strings.Builder{}, &stderr); code != 0 {
		t.Errorf("graph check of the saved file: %d %s", code, stderr.String())
	}
	saved, _ := os.ReadFile(file)
	var g struct {
		Processes map[string]struct {
			Metadata map[string]float64
		}
	}
	if err := json.Unmarshal(saved, &g); err != nil || g.Processes["filter"].Metadata["x"] != 412 || g.Processes["filter"].Metadata["y"] != 96.5 {
		t.Errorf("positions not saved: %v\n%s", err, saved)
	}
	// The running graph has them too, for the page to draw.
	var running struct {
		Processes []struct {
			Name     string
			Metadata map[string]float64
		}
	}
	if a := c2.MustDo("GET", "debug/graph", "", ""); json.Unmarshal([]byte(a.Raw), &running) != nil {
		t.Fatalf("debug/graph: %s", a.Raw)
	}
	for _, p := range running.Processes {
		if p.Name == "filter" && (p.Metadata["x"] != 412 || p.Metadata["y"] != 96.5) {
			t.Errorf("the running graph's positions: %v", p.Metadata)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("temp files left: %v", entries)
	}
	// A reload (or a restart) runs the saved file.
	if err := s2.Reload(); err != nil {
		t.Fatal(err)
	}
	if a := c2.MustDo("POST", "api/rooms/r/messages", "application/json", `{"text":"spam"}`); a.Status != 422 {
		t.Errorf("the saved graph does not run after a reload: %d", a.Status)
	}
}

// TestDebugEvents: /debug/events streams the counts as server-sent
// events, a graph event first and after each change of graph; the
// streams are bounded.
func TestDebugEvents(t *testing.T) {
	s, c := MustOpen(t, server.Config{Debug: true})
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"debug/events", nil)
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %v", res.StatusCode, res.Header)
	}
	sc := bufio.NewScanner(res.Body)
	next := func() (string, string) {
		t.Helper()
		var event string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = line[7:]
			case strings.HasPrefix(line, "data: "):
				return event, line[6:]
			}
		}
		t.Fatalf("stream ended: %v", sc.Err())
		return "", ""
	}
	if ev, _ := next(); ev != "graph" {
		t.Errorf("first event %q, want graph", ev)
	}
	c.Post("ev", "a", "one")
	testutil.WaitFor(t, "a count above 0", func() bool {
		ev, data := next()
		var d struct{ Packets []uint64 }
		json.Unmarshal([]byte(data), &d)
		for _, n := range d.Packets {
			if ev == "counts" && n > 0 {
				return true
			}
		}
		return false
	})
	// More subscribers than the bound get 503.
	var open []*http.Response
	defer func() {
		for _, r := range open {
			r.Body.Close()
		}
	}()
	for i := 0; ; i++ {
		r, err := c.http.Do(req.Clone(ctx))
		if err != nil {
			t.Fatal(err)
		}
		if r.StatusCode == 503 {
			r.Body.Close()
			if i != 15 {
				t.Errorf("503 after %d more streams, want 15", i)
			}
			break
		}
		open = append(open, r)
		if i > 20 {
			t.Fatal("streams are not bounded")
		}
	}
	if err := s.Apply(graph.Default(), "test"); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "a graph event after the reload", func() bool { ev, _ := next(); return ev == "graph" })
}

// TestDebugEventsDropSlowSubscriber: a subscriber that stops reading is
// dropped once it takes no event within the write timeout, and it never
// holds up the chat meanwhile.
func TestDebugEventsDropSlowSubscriber(t *testing.T) {
	s, c := MustOpen(t, server.Config{Debug: true})
	streams := server.SetDebugEvents(s, 10*time.Microsecond, 200*time.Millisecond)
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(conn, "GET /debug/events HTTP/1.1\r\nHost: %s\r\n\r\n", s.Addr())
	testutil.WaitFor(t, "the stream served", func() bool { return streams() == 1 })
	// It never reads: once the socket's buffers are full, the stream's
	// writes block, and it is dropped.
	c.Post("slow", "a", "the chat goes on")
	testutil.WaitFor(t, "the slow subscriber dropped", func() bool { return streams() == 0 })
	c.Post("slow", "a", "and on")
}

// TestDebugFBP: POST /debug/fbp writes the posted graph in the FBP DSL,
// positions included, and says what the DSL cannot hold; the DSL reads
// back as the same graph.
func TestDebugFBP(t *testing.T) {
	_, c := MustOpen(t, server.Config{Debug: true})
	token := csrfToken(t, c)
	body := strings.Replace(moderated(t), `"component": "Filter"`, `"component": "Filter", "metadata": {"x": 412, "y": 96.5, "label": "spam filter"}`, 1)
	if a, _ := c.DoHeader(context.Background(), "POST", "debug/fbp", "application/json", body, nil); a.Status != 403 {
		t.Errorf("without the token: %d %s", a.Status, a.Raw)
	}
	a, err := c.DoHeader(context.Background(), "POST", "debug/fbp", "application/json", body, http.Header{"X-Gochat-Csrf": {token}})
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		FBP  string
		Lost []string
	}
	if err := json.Unmarshal([]byte(a.Raw), &out); err != nil || a.Status != 200 {
		t.Fatalf("debug/fbp: %d %s", a.Status, a.Raw)
	}
	if !strings.Contains(out.FBP, "filter(Filter:x=412)") || len(out.Lost) != 2 {
		t.Errorf("the DSL:\n%s\nlost: %q", out.FBP, out.Lost)
	}
	g, err := graph.ParseFBP("download.fbp", []byte(out.FBP))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := graph.Check(g, graph.DefaultCatalog()); err != nil {
		t.Errorf("the DSL does not check: %v", err)
	}
	a, _ = c.DoHeader(context.Background(), "POST", "debug/fbp", "application/json", "nope", http.Header{"X-Gochat-Csrf": {token}})
	if a.Status != 422 {
		t.Errorf("not a graph: %d %s", a.Status, a.Raw)
	}
}
