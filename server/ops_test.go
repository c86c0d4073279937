package server_test

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gochat/server"
)

// scrape reads /metrics into name{labels} → value.
func scrape(t *testing.T, c *Client, url string) map[string]float64 {
	t.Helper()
	res, err := c.http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, res.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

func TestMetrics(t *testing.T) {
	s, c := MustOpen(t, server.Config{Debug: true})
	c.Post("m", "", "one")
	c.Post("m", "", "two")
	c.Get("m", "since=x") // 400
	got := make(chan Answer, 1)
	go func() {
		a, err := c.Read("m", "since=2&wait=30")
		if err != nil {
			t.Error(err)
		}
		got <- a
	}()
	WaitParked(t, s.Stats(), 1)
	m := scrape(t, c, s.URL()+"metrics")
	if m["gochat_parked_readers"] != 1 {
		t.Errorf("parked readers: %v", m["gochat_parked_readers"])
	}
	c.Post("m", "", "three")
	<-got
	m = scrape(t, c, s.URL()+"metrics")
	for name, want := range map[string]float64{
		`gochat_http_requests_total{method="POST",route="/api/rooms/:room/messages",status="201"}`: 3,
		`gochat_http_requests_total{method="GET",route="/api/rooms/:room/messages",status="400"}`:  1,
		`gochat_http_requests_total{method="GET",route="/api/rooms/:room/messages",status="200"}`:  1,
		`gochat_messages_posted_total`:                3,
		`gochat_longpoll_wakeups_total`:               1,
		`gochat_parked_readers`:                       0,
		`gochat_rooms`:                                1,
		`gochat_messages_stored`:                      3,
		`gochat_store_errors_total`:                   0,
		`gochat_graph_reloads_total{result="ok"}`:     0,
		`gochat_graph_reloads_total{result="failed"}`: 0,
		`gochat_graph_connection_packets_total{src="sender.OUT",tgt="storage.WRITE"}`: 3,
		`gochat_graph_process_packets_total{component="Storage",process="storage"}`:   4,
	} {
		if m[name] != want {
			t.Errorf("%s = %v, want %v", name, m[name], want)
		}
	}
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_resident_memory_bytes",
		`gochat_http_request_duration_seconds_count{method="POST",route="/api/rooms/:room/messages"}`} {
		if _, ok := m[name]; !ok {
			t.Errorf("no %s", name)
		}
	}
}

func TestMetricsAccess(t *testing.T) {
	s, c := MustOpen(t, server.Config{})
	// Only loopback peers may read them on the main listener.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.RemoteAddr = "203.0.113.5:4000"
	req.Host = "127.0.0.1:9090"
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), "-metrics-addr") {
		t.Errorf("from another host: %d %s", rec.Code, rec.Body.String())
	}
	// -metrics-addr moves them to a listener of their own.
	s2, c2 := MustOpen(t, server.Config{MetricsAddr: "127.0.0.1:0"})
	if a := c2.MustDo("GET", "metrics", "", ""); a.Status == 200 {
		t.Errorf("metrics still on the main listener: %d", a.Status)
	}
	if m := scrape(t, c2, "http://"+s2.MetricsAddr()+"/metrics"); m["go_goroutines"] == 0 {
		t.Error("nothing on the metrics listener")
	}
	// -metrics=false turns them off.
	_, c3 := MustOpen(t, server.Config{NoMetrics: true})
	if a := c3.MustDo("GET", "metrics", "", ""); a.Status == 200 {
		t.Error("metrics served with NoMetrics")
	}
	_ = c
}

func TestRequestID(t *testing.T) {
	var logs LogBuffer
	_, c := MustOpen(t, server.Config{Log: logs.Logger()})
	do := func(id string) string {
		req, _ := http.NewRequest("GET", c.base+"api/rooms/rid/messages", nil)
		if id != "" {
			req.Header.Set("X-Request-Id", id)
		}
		res, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.Header.Get("X-Request-Id")
	}
	if got := do("abc-123_X.y"); got != "abc-123_X.y" {
		t.Errorf("a valid id is not echoed: %q", got)
	}
	a, b := do(""), do("bad id <script>")
	if a == "" || b == "" || a == b || strings.Contains(b, "script") {
		t.Errorf("generated ids: %q %q", a, b)
	}
	if !regexp.MustCompile(`level=INFO msg=request method=GET route=/api/rooms/:room/messages path=/api/rooms/rid/messages status=200 outcome=ok bytes=\d+ duration=\S+ client=127\.0\.0\.1 request_id=abc-123_X\.y`).MatchString(logs.String()) {
		t.Errorf("request log:\n%s", logs.String())
	}
}
