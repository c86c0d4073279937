package server_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"gochat/server"
)

// as sends a request as the client at addr, through the trusted
// (loopback) proxy's X-Real-IP.
func as(t *testing.T, c *Client, addr, method, path, ctype, body string) Answer {
	t.Helper()
	a, err := sendAs(c, addr, method, path, ctype, body)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// sendAs is as that returns the error of a request that could not be
// made. Any goroutine may call it.
func sendAs(c *Client, addr, method, path, ctype, body string) (Answer, error) {
	req, _ := http.NewRequest(method, c.base+strings.TrimPrefix(path, "/"), strings.NewReader(body))
	req.Header.Set("X-Real-IP", addr)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return Answer{}, err
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return Answer{Status: res.StatusCode, Header: res.Header, Raw: b.String()}, nil
}

// TestAbusiveClients plays hostile clients against the real server with
// its default limits: floods, hoarded long-polls, oversized and malformed
// requests. Others keep being served, nothing is stored that should not
// be, nothing acknowledged is lost, and the server ends healthy.
func TestAbusiveClients(t *testing.T) {
	s, c := MustOpen(t, server.Config{})
	const flooder, hoarder, good = "198.51.100.1", "198.51.100.2", "198.51.100.3"
	form := "application/x-www-form-urlencoded"

	// A flood of writes from one address: 429 past its burst; others write on.
	acked, limited := 0, 0
	for i := range 60 {
		a := as(t, c, flooder, "POST", "api/rooms/abuse/messages", form, fmt.Sprint("text=flood+", i))
		switch a.Status {
		case 201:
			acked++
		case 429:
			limited++
			if a.Header.Get("Retry-After") == "" || !strings.Contains(a.Raw, "too many requests from "+flooder) {
				t.Errorf("429 without Retry-After or reason: %v %s", a.Header, a.Raw)
			}
		default:
			t.Fatalf("flood: %d %s", a.Status, a.Raw)
		}
	}
	if acked != 30 || limited != 30 {
		t.Errorf("flood: %d stored, %d limited; want 30 and 30", acked, limited)
	}
	if a := as(t, c, good, "POST", "api/rooms/abuse/messages", form, "text=still+here"); a.Status != 201 {
		t.Errorf("another client during the flood: %d %s", a.Status, a.Raw)
	}
	acked++

	// Hoarded long-polls from one address: 100 park, more are refused, others park.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	refused := make(chan int, 120)
	for range 110 {
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"api/rooms/hoard/messages?wait=55", nil)
			req.Header.Set("X-Real-IP", hoarder)
			res, err := c.http.Do(req)
			if err != nil {
				refused <- 0
				return
			}
			res.Body.Close()
			refused <- res.StatusCode
		}()
	}
	for range 10 {
		if code := <-refused; code != 429 {
			t.Errorf("a long-poll past the per-client cap: %d, want 429", code)
		}
	}
	WaitParked(t, s.Stats(), 100)
	goodPoll := make(chan Answer, 1)
	go func() {
		a, err := sendAs(c, good, "GET", "api/rooms/hoard/messages?wait=55", "", "")
		if err != nil {
			t.Error(err)
		}
		goodPoll <- a
	}()
	WaitParked(t, s.Stats(), 101)
	cancel()
	WaitParked(t, s.Stats(), 1)
	as(t, c, good, "POST", "api/rooms/hoard/messages", form, "text=wake")
	if a := <-goodPoll; a.Status != 200 || !strings.Contains(a.Raw, `"text":"wake"`) {
		t.Errorf("the other client's long-poll: %d %s", a.Status, a.Raw)
	}
	for range 100 {
		<-refused
	}

	// Oversized and malformed requests: clear errors, nothing stored.
	for _, tc := range []struct {
		method, path, ctype, body string
		status                    int
	}{
		{"POST", "api/rooms/abuse/messages", form, "text=" + strings.Repeat("x", 70<<10), 413},
		{"POST", "api/rooms/abuse/messages", form, "text=%FF%FE", 400},
		{"POST", "api/rooms/abuse/messages", form, "text=a%00b", 400},
		{"POST", "api/rooms/abuse/messages", form, "author=%1B%5B31m&text=x", 400},
		{"POST", "api/rooms/abuse/messages", "application/json", "{\"text\":\"\xc0\xaf\"}", 400},
		{"POST", "api/rooms/abuse/messages", "application/json", `{"text":"\u202e\u0008"}`, 400},
		{"POST", "api/rooms/ab%00use/messages", form, "text=x", 400},
		{"POST", "api/rooms/ab%FFuse/messages", form, "text=x", 400},
		{"GET", "api/rooms/abuse/messages?since=%FF", "", "", 400},
		{"GET", "api/rooms/abuse/messages?epoch=%0A", "", "", 400},
		{"GET", "api/rooms/abuse/messages?wait=1e9", "", "", 400},
	} {
		if a := as(t, c, good, tc.method, tc.path, tc.ctype, tc.body); a.Status != tc.status || !strings.Contains(a.Raw, `"error"`) {
			t.Errorf("%s %s %.40q: %d %.200s, want %d", tc.method, tc.path, tc.body, a.Status, a.Raw, tc.status)
		}
	}
	// Headers past the limit are refused by the HTTP server itself.
	big, _ := http.NewRequest("GET", c.base+"api/rooms/abuse/messages", nil)
	big.Header.Set("X-Junk", strings.Repeat("j", 70<<10))
	fresh := &http.Transport{}
	defer fresh.CloseIdleConnections()
	if res, err := (&http.Client{Transport: fresh}).Do(big); err != nil || res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("oversized headers: %v %v", res, err)
	} else {
		res.Body.Close()
	}

	// Everything acknowledged is there, nothing else.
	if r := c.Get("abuse", "").Read; r.Last != uint64(acked) || len(r.Messages) != acked {
		t.Errorf("room holds %d messages (last %d), %d were acknowledged", len(r.Messages), r.Last, acked)
	}
	if a := c.MustDo("GET", "readyz", "", ""); a.Status != 200 {
		t.Errorf("/readyz after the abuse: %d %s", a.Status, a.Raw)
	}
}

// TestSpoofedHeadersFromUntrustedPeer: with only 127.0.0.1 trusted, a
// client at 127.0.0.2 cannot name another address.
func TestSpoofedHeadersFromUntrustedPeer(t *testing.T) {
	var logs LogBuffer
	only := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	s, _ := MustOpen(t, server.Config{TrustedProxies: only, Log: logs.Logger()})
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	tr := &http.Transport{DialContext: d.DialContext}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest("GET", s.URL()+"api/rooms/spoof/messages", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.66")
	req.Header.Set("X-Real-IP", "203.0.113.66")
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if l := logs.String(); !strings.Contains(l, "client=127.0.0.2") || strings.Contains(l, "203.0.113.66") {
		t.Errorf("log:\n%s", l)
	}
}
