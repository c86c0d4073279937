package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"gochat/graph"
	"gochat/server"
)

// Raw is a client speaking HTTP/1.1 by hand over one TCP connection, for
// what net/http's client never does: bodies that stop half-way, trickle,
// or are refused before they are sent.
type Raw struct {
	tb   testing.TB
	conn net.Conn
	r    *bufio.Reader
}

// Dial connects a Raw client to the server at base (http://host:port/).
// Every read and write on it gives up after the tests' timeout.
func Dial(tb testing.TB, base string) *Raw {
	tb.Helper()
	conn, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(timeout))
	return &Raw{tb: tb, conn: conn, r: bufio.NewReader(conn)}
}

// Send writes s as it is.
func (c *Raw) Send(s string) {
	c.tb.Helper()
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.tb.Fatalf("send: %v", err)
	}
}

// Answer reads one answer; it fails the test if none comes.
func (c *Raw) Answer() (*http.Response, string) {
	c.tb.Helper()
	res, err := http.ReadResponse(c.r, nil)
	if err != nil {
		c.tb.Fatalf("read an answer: %v", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.tb.Fatalf("read the answer's body: %v", err)
	}
	return res, string(b)
}

// Closed reports whether the server closed the connection without
// sending anything more.
func (c *Raw) Closed() bool {
	c.tb.Helper()
	b, err := c.r.ReadByte()
	if err == nil {
		rest, _ := c.r.Peek(c.r.Buffered())
		c.tb.Errorf("the connection is still open and carries %q", append([]byte{b}, rest...))
		return false
	}
	return true
}

// wantError checks that res is a JSON error answer with status.
func wantError(t *testing.T, what string, res *http.Response, body string, status int) {
	t.Helper()
	var e struct {
		Error struct {
			Status  int    `json:"status"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if res.StatusCode != status || json.Unmarshal([]byte(body), &e) != nil || e.Error.Status != status || e.Error.Message == "" {
		t.Errorf("%s: %d %s, want a JSON error %d", what, res.StatusCode, body, status)
	}
}

const post = "POST /api/rooms/edge/messages HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n%s\r\n"

// TestBodyTimeout: a body that stops half-way, or trickles in too
// slowly, is answered 408 once the body timeout passes, and its
// connection is closed; nothing is stored and the server serves on.
func TestBodyTimeout(t *testing.T) {
	s, c := MustOpen(t, server.Config{BodyTimeout: 500 * time.Millisecond})
	host := s.Addr()

	stalled := Dial(t, s.URL())
	stalled.Send(fmt.Sprintf(post, host, 1000, "") + "text=hell")
	res, body := stalled.Answer()
	wantError(t, "a body that stops", res, body, http.StatusRequestTimeout)
	if !res.Close {
		t.Errorf("a body that stops: the answer does not close the connection: %v", res.Header)
	}
	stalled.Closed()

	slow := Dial(t, s.URL())
	slow.Send(fmt.Sprintf(post, host, 1000, "") + "text=")
	done := make(chan struct{})
	go func() { // a byte every 50 ms: 50 s for the whole body
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if _, err := slow.conn.Write([]byte("x")); err != nil {
					return
				}
			}
		}
	}()
	res, body = slow.Answer()
	close(done)
	wantError(t, "a body that trickles", res, body, http.StatusRequestTimeout)
	if !res.Close {
		t.Errorf("a body that trickles: the answer does not close the connection: %v", res.Header)
	}

	if a := c.Get("edge", ""); a.Status != 200 || a.Read.Last != 0 {
		t.Errorf("after the slow bodies: %d %s, want an empty room", a.Status, a.Raw)
	}
	c.Post("edge", "", "still serving")
}

// TestExpectContinueTooLarge: a body announced larger than the limit is
// refused with 413 before the server asks for it with 100 Continue.
func TestExpectContinueTooLarge(t *testing.T) {
	s, c := MustOpen(t, server.Config{})
	host := s.Addr()
	raw := Dial(t, s.URL())
	raw.Send(fmt.Sprintf(post, host, 1000000, "Expect: 100-continue\r\n"))
	res, body := raw.Answer()
	wantError(t, "an announced body of 1,000,000 bytes", res, body, http.StatusRequestEntityTooLarge)
	if !res.Close {
		t.Errorf("the 413 does not close the connection: %v", res.Header)
	}
	raw.Closed()

	// A body within the limit still gets its 100 Continue.
	ok := Dial(t, s.URL())
	ok.Send(fmt.Sprintf(post, host, len("text=hi"), "Expect: 100-continue\r\n"))
	if res, _ := ok.Answer(); res.StatusCode != http.StatusContinue {
		t.Fatalf("a small body with Expect: got %d, want 100 Continue", res.StatusCode)
	}
	ok.Send("text=hi")
	if res, body := ok.Answer(); res.StatusCode != http.StatusCreated {
		t.Errorf("a small body after 100 Continue: %d %s", res.StatusCode, body)
	}
	if a := c.Get("edge", ""); a.Read.Last != 1 {
		t.Errorf("room holds %d messages, want the one small post", a.Read.Last)
	}
}

// TestHalfClosedLongPoll: a client that shuts down its sending side
// while its long-poll is parked cannot be told from one that left (both
// read as end of stream), so its read is released and the connection is
// closed with nothing written: never an answer that looks like an empty
// 200.
func TestHalfClosedLongPoll(t *testing.T) {
	s, c := MustOpen(t, server.Config{})
	host := s.Addr()
	raw := Dial(t, s.URL())
	raw.Send("GET /api/rooms/half/messages?wait=55 HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
	WaitParked(t, s.Stats(), 1)
	if err := raw.conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	raw.Closed()
	WaitParked(t, s.Stats(), 0)
	if a := c.Get("half", ""); a.Status != 200 {
		t.Errorf("after the half-close: %d %s", a.Status, a.Raw)
	}
}

// tightLimits is the default graph with small per-client limits: 3 posts
// at once (then one every 1,000 s, so no test sees a token come back), 2
// parked long-polls.
func tightLimits(t *testing.T) *graph.Graph {
	t.Helper()
	src := string(graph.DefaultSource())
	for old, new := range map[string]string{"'5' -> RATE": "'0.001' -> RATE", "'30' -> BURST": "'3' -> BURST", "'100' -> PERCLIENT": "'2' -> PERCLIENT"} {
		if !strings.Contains(src, old) {
			t.Fatalf("the default graph has no %s", old)
		}
		src = strings.Replace(src, old, new, 1)
	}
	g, err := graph.Parse("tight.fbp", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestIPv6ClientsCountedByPrefix: every IPv6 client controls at least a
// /64, so the per-client limits count an IPv6 client by its /64, and a
// zone id does not make a new client. The log shows the full address.
func TestIPv6ClientsCountedByPrefix(t *testing.T) {
	var logs LogBuffer
	s, c := MustOpen(t, server.Config{Graph: tightLimits(t), Log: logs.Logger()})
	form := "application/x-www-form-urlencoded"
	statuses := func(addrs ...string) []int {
		var got []int
		for _, addr := range addrs {
			got = append(got, as(t, c, addr, "POST", "api/rooms/v6/messages", form, "text=hi").Status)
		}
		return got
	}
	if got := fmt.Sprint(statuses("2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:aaaa::3", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::5")); got != "[201 201 201 429 429]" {
		t.Errorf("five addresses of one /64: %s, want 3 stored and 2 refused", got)
	}
	if got := fmt.Sprint(statuses("2001:db8:1:3::1", "198.51.100.1", "198.51.100.2")); got != "[201 201 201]" {
		t.Errorf("another /64 and IPv4 addresses: %s, want each a client of its own", got)
	}
	if got := fmt.Sprint(statuses("fe80::1%z1", "fe80::1%z2", "fe80::1%z3", "fe80::1%z4")); got != "[201 201 201 429]" {
		t.Errorf("one address with four zone ids: %s, want one client", got)
	}
	if l := logs.String(); !strings.Contains(l, "client=2001:db8:1:2:aaaa::3") || !strings.Contains(l, "client=fe80::1 ") || strings.Contains(l, "%z") {
		t.Errorf("the log should show full addresses without zone ids:\n%s", l)
	}

	// Parked long-polls: 2 per client, a /64 being one client.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	parked := make(chan int, 3)
	for _, addr := range []string{"2001:db8:9:9::1", "2001:db8:9:9::2"} {
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"api/rooms/v6poll/messages?wait=55", nil)
			req.Header.Set("X-Real-IP", addr)
			if res, err := c.http.Do(req); err == nil {
				res.Body.Close()
				parked <- res.StatusCode
			}
		}()
	}
	WaitParked(t, s.Stats(), 2)
	if a := as(t, c, "2001:db8:9:9::3", "GET", "api/rooms/v6poll/messages?wait=55", "", ""); a.Status != 429 {
		t.Errorf("a third long-poll from the same /64: %d %s, want 429", a.Status, a.Raw)
	}
	cancel()
	WaitParked(t, s.Stats(), 0)
}

// TestIPv6PrefixConfigurable: IPv6Prefix 128 counts whole addresses.
func TestIPv6PrefixConfigurable(t *testing.T) {
	_, c := MustOpen(t, server.Config{Graph: tightLimits(t), IPv6Prefix: 128})
	for i := range 5 {
		if a := as(t, c, fmt.Sprintf("2001:db8:1:2::%d", i+1), "POST", "api/rooms/v6/messages", "application/x-www-form-urlencoded", "text=hi"); a.Status != 201 {
			t.Errorf("address %d of a /64 counted by whole address: %d %s", i, a.Status, a.Raw)
		}
	}
}

// hostAnswer sends a request for path with the Host and Origin headers
// given, through c.
func hostAnswer(t *testing.T, c *Client, method, path, host, origin string) Answer {
	t.Helper()
	header := http.Header{"Host": {host}}
	if origin != "" {
		header.Set("Origin", origin)
	}
	ctype, body := "", ""
	if method == "POST" {
		ctype, body = "application/x-www-form-urlencoded", "text=rebound"
	}
	a, err := c.DoHeader(context.Background(), method, path, ctype, body, header)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestHostCheck: a server on loopback answers only loopback names by
// default, so a page whose name an attacker points at 127.0.0.1 (DNS
// rebinding) gets 421 on every path and changes nothing; -allowed-hosts
// adds names.
func TestHostCheck(t *testing.T) {
	s, c := MustOpen(t, server.Config{Debug: true})
	_, port, _ := net.SplitHostPort(s.Addr())
	paths := []string{"api/rooms/dns/messages", "metrics", "healthz", "readyz", "", "app.js", "embed.js", "debug/graph", "nope"}
	for _, path := range paths {
		for _, method := range []string{"GET", "POST"} {
			a := hostAnswer(t, c, method, path, "evil.example:"+port, "http://evil.example:"+port)
			if a.Status != http.StatusMisdirectedRequest || !strings.Contains(a.Raw, `"status":421`) || !strings.Contains(a.Raw, "-allowed-hosts") {
				t.Errorf("%s /%s for evil.example: %d %.200s, want a JSON 421", method, path, a.Status, a.Raw)
			}
		}
	}
	if a := c.Get("dns", ""); a.Read.Last != 0 {
		t.Errorf("a refused post was stored: %s", a.Raw)
	}
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "LocalHost.", "[::1]:" + port, "app.localhost:" + port, "127.0.0.2"} {
		if a := hostAnswer(t, c, "GET", "healthz", host, ""); a.Status != 200 {
			t.Errorf("Host %s: %d %s, want 200", host, a.Status, a.Raw)
		}
	}
	if a := hostAnswer(t, c, "POST", "api/rooms/dns/messages", "localhost:"+port, "http://localhost:"+port); a.Status != 201 {
		t.Errorf("a post from the page on localhost: %d %s", a.Status, a.Raw)
	}

	// Names added with -allowed-hosts, and loopback names still.
	_, c2 := MustOpen(t, server.Config{AllowedHosts: []string{"chat.example", "*.blog.example"}})
	for host, want := range map[string]int{"chat.example": 200, "CHAT.example:443": 200, "a.blog.example": 200, "blog.example": 421,
		"evil.example": 421, "chat.example.evil.example": 421, "10.0.0.1": 421, "localhost": 200, "127.0.0.1": 200} {
		if a := hostAnswer(t, c2, "GET", "api/rooms/dns/messages", host, ""); a.Status != want {
			t.Errorf("allowed chat.example, *.blog.example; Host %s: %d, want %d", host, a.Status, want)
		}
	}
	// The metrics listener checks the host too.
	s4, _ := MustOpen(t, server.Config{MetricsAddr: "127.0.0.1:0"})
	metrics := NewClient(t, "http://"+s4.MetricsAddr()+"/")
	if a := hostAnswer(t, metrics, "GET", "metrics", "evil.example", ""); a.Status != http.StatusMisdirectedRequest {
		t.Errorf("metrics listener, Host evil.example: %d, want 421", a.Status)
	}
	if a := hostAnswer(t, metrics, "GET", "metrics", s4.MetricsAddr(), ""); a.Status != 200 {
		t.Errorf("metrics listener, its own address: %d, want 200", a.Status)
	}
	// "*" allows any host.
	_, c3 := MustOpen(t, server.Config{AllowedHosts: []string{"*"}})
	if a := hostAnswer(t, c3, "GET", "healthz", "evil.example", ""); a.Status != 200 {
		t.Errorf("allowed *: %d %s", a.Status, a.Raw)
	}
}

// TestHostCheckOnEveryInterface: listening on every interface, the
// default allows any host (the operator decides with -allowed-hosts).
func TestHostCheckOnEveryInterface(t *testing.T) {
	_, c := MustOpen(t, server.Config{Addr: "0.0.0.0:0"})
	if a := hostAnswer(t, c, "GET", "healthz", "chat.example", ""); a.Status != 200 {
		t.Errorf("on 0.0.0.0, Host chat.example: %d %s", a.Status, a.Raw)
	}
}
