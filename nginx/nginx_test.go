// Package nginx_test runs gochat behind real nginx (Debian's package,
// installed by ./test) with the config in this folder, rendered by
// nginx/run.
package nginx_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"

	"gochat/adapter"
	"gochat/internal/browsertest"
	"gochat/internal/history"
	"gochat/internal/redistest"
	"gochat/internal/testutil"
	"gochat/server"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// StartNginx runs nginx/run in front of upstreams and returns the base URL
// of the client, http://127.0.0.1:PORT/gochat/. A missing nginx fails the
// test (nginx/run would install it); under -short the test is skipped (see
// testutil.Tool).
func StartNginx(tb testing.TB, upstreams ...string) string {
	tb.Helper()
	testutil.Tool(tb, "nginx", "nginx")
	listen := freeAddr(tb)
	args := []string{"run", "-l", listen, "-p", tb.TempDir()}
	for _, u := range upstreams {
		args = append(args, "-u", u)
	}
	cmd := exec.Command("bash", args...)
	var stderr testutil.LogBuffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-exited
		if tb.Failed() {
			tb.Logf("nginx said:\n%s", stderr.String())
		}
	})
	base := "http://" + listen + "/gochat/"
	probe := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	// An HTTP answer, not just a connection: `nginx -t` binds the port for a
	// moment before the real nginx starts.
	testutil.WaitFor(tb, "nginx to serve", func() bool {
		select {
		case err := <-exited:
			exited <- err
			tb.Fatalf("nginx/run exited: %v\n%s", err, stderr.String())
		default:
		}
		res, err := probe.Get(base)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	return base
}

// Gochat is an in-process gochat instance with its logs.
type Gochat struct {
	*server.Server
	Logs *testutil.LogBuffer
	Addr string
}

// StartGochat opens a gochat on a free loopback port.
func StartGochat(tb testing.TB, cfg server.Config) *Gochat {
	tb.Helper()
	g := &Gochat{Logs: &testutil.LogBuffer{}}
	cfg.Addr = "127.0.0.1:0"
	cfg.Log = g.Logs.Logger()
	s, err := server.Open(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	g.Server = s
	g.Addr = s.Addr()
	tb.Cleanup(func() { g.Close(tb) })
	return g
}

// Close stops the instance, as a crash would from nginx's side.
func (g *Gochat) Close(tb testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
	defer cancel()
	if err := g.Server.Close(ctx); err != nil {
		tb.Errorf("close gochat: %v", err)
	}
}

// Answer is an HTTP answer read in full.
type Answer struct {
	Status int
	Header http.Header
	Body   string
}

// Client is an HTTP client that can dial from a chosen loopback address.
type Client struct {
	tb   testing.TB
	http *http.Client
}

// NewClient returns a client dialling from local ("" for any).
func NewClient(tb testing.TB, local string) *Client {
	d := &net.Dialer{}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	tr := &http.Transport{DialContext: d.DialContext, DisableCompression: true}
	tb.Cleanup(tr.CloseIdleConnections)
	return &Client{tb: tb, http: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Do sends a request with optional headers (key, value, ...); it fails
// the test if the request cannot be made. Only the test's goroutine may
// call it; others call DoContext.
func (c *Client) Do(method, url, ctype, body string, headers ...string) Answer {
	c.tb.Helper()
	a, err := c.DoContext(context.Background(), method, url, ctype, body, headers...)
	if err != nil {
		c.tb.Fatal(err)
	}
	return a
}

// DoContext is Do under ctx, and returns the error of a request that
// could not be made. Any goroutine may call it.
func (c *Client) DoContext(ctx context.Context, method, url, ctype, body string, headers ...string) (Answer, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return Answer{}, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		return Answer{}, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return Answer{}, fmt.Errorf("%s %s: %w", method, url, err)
	}
	return Answer{res.StatusCode, res.Header, string(b)}, nil
}

func TestServesClientAndAPI(t *testing.T) {
	g := StartGochat(t, server.Config{})
	base := StartNginx(t, g.Addr)
	c := NewClient(t, "")
	direct := "http://" + g.Addr + "/"

	if a := c.Do("GET", strings.TrimSuffix(base, "/"), "", ""); a.Status != 301 || !strings.HasSuffix(a.Header.Get("Location"), "/gochat/") {
		t.Errorf("/gochat: %d %v", a.Status, a.Header)
	}
	for _, f := range []struct{ path, ctype, contains string }{
		{"", "text/html", `src="app.js"`},
		{"app.js", "javascript", `new URL("api/", import.meta.url)`},
		{"style.css", "text/css", "prefers-color-scheme"},
		{"embed.js", "javascript", "gochat-comments"},
	} {
		a := c.Do("GET", base+f.path, "", "")
		if a.Status != 200 || !strings.Contains(a.Header.Get("Content-Type"), f.ctype) || !strings.Contains(a.Body, f.contains) {
			t.Errorf("/gochat/%s: %d %s", f.path, a.Status, a.Header.Get("Content-Type"))
		}
		if (f.path == "" && a.Header.Get("Content-Security-Policy") == "") || a.Header.Get("X-Content-Type-Options") != "nosniff" || a.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("/gochat/%s: headers %v", f.path, a.Header)
		}
	}
	if a := c.Do("GET", base+"app.js", "", "", "Accept-Encoding", "gzip"); a.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("app.js is not gzipped: %v", a.Header)
	}
	if a := c.Do("GET", base+"embed.js", "", ""); a.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("embed.js: %v", a.Header)
	}
	etag := c.Do("GET", base+"style.css", "", "").Header.Get("ETag")
	if a := c.Do("GET", base+"style.css", "", "", "If-None-Match", etag); etag == "" || a.Status != 304 {
		t.Errorf("revalidation: ETag %q, then %d", etag, a.Status)
	}

	// The API through the proxy, with the /gochat prefix stripped.
	if a := c.Do("POST", base+"api/rooms/nginx/messages", "application/json", `{"author":"ann","text":"via nginx"}`); a.Status != 201 || !strings.Contains(a.Body, `"text":"via nginx"`) {
		t.Errorf("post: %d %s", a.Status, a.Body)
	}
	if a := c.Do("GET", base+"api/rooms/nginx/messages", "", ""); a.Status != 200 || !strings.Contains(a.Body, `"last":1`) {
		t.Errorf("read: %d %s", a.Status, a.Body)
	}
	// gochat's errors come through unchanged.
	for _, e := range []struct{ method, path, ctype, body string }{
		{"GET", "api/rooms/nginx/messages?since=x", "", ""},
		{"GET", "api/nowhere", "", ""},
		{"DELETE", "api/rooms/nginx/messages", "", ""},
		{"POST", "api/rooms/nginx/messages", "text/plain", "hi"},
	} {
		via, want := c.Do(e.method, base+e.path, e.ctype, e.body), c.Do(e.method, direct+e.path, e.ctype, e.body)
		if via.Status != want.Status || via.Body != want.Body || via.Header.Get("Content-Type") != want.Header.Get("Content-Type") ||
			via.Header.Get("Allow") != want.Header.Get("Allow") {
			t.Errorf("%s /%s: via nginx %d %s %v, direct %d %s", e.method, e.path, via.Status, via.Body, via.Header, want.Status, want.Body)
		}
	}
	// Bodies over gochat's limit stop at nginx, with gochat's kind of answer.
	a := c.Do("POST", base+"api/rooms/nginx/messages", "application/json", `{"text":"`+strings.Repeat("x", 70000)+`"}`)
	if a.Status != 413 || a.Header.Get("Content-Type") != "application/json" || !strings.Contains(a.Body, `"status":413`) {
		t.Errorf("large body: %d %v %s", a.Status, a.Header, a.Body)
	}
	if a := c.Do("GET", base+"api/rooms/nginx/messages", "", ""); !strings.Contains(a.Body, `"last":1`) {
		t.Errorf("errors changed the room: %s", a.Body)
	}
}

func TestLongPollHeldThroughNginx(t *testing.T) {
	// The rendered config holds long-polls longer than gochat's longest.
	conf, err := os.ReadFile("gochat-locations.conf")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`proxy_read_timeout (\d+)s;`).FindSubmatch(conf)
	if m == nil {
		t.Fatal("no proxy_read_timeout in gochat-locations.conf")
	}
	if secs, _ := strconv.Atoi(string(m[1])); time.Duration(secs)*time.Second <= server.DefaultMaxWait+server.DefaultGrace {
		t.Errorf("proxy_read_timeout %ds would cut long-polls of %v", secs, server.DefaultMaxWait)
	}

	g := StartGochat(t, server.Config{MaxWait: 3 * time.Second})
	base := StartNginx(t, g.Addr)
	c := NewClient(t, "")
	// A poll at gochat's maximum is held, and gochat answers it.
	a := c.Do("GET", base+"api/rooms/lp/messages?wait=3", "", "")
	if a.Status != 200 || !strings.Contains(a.Body, `"messages":[]`) {
		t.Errorf("a long-poll at the maximum: %d %s", a.Status, a.Body)
	}
	// A parked poll is woken through nginx at once (no buffering).
	got := make(chan Answer, 1)
	go func() {
		a, err := c.DoContext(context.Background(), "GET", base+"api/rooms/lp/messages?wait=30", "", "")
		if err != nil {
			t.Error(err)
		}
		got <- a
	}()
	testutil.WaitFor(t, "the poll to park", func() bool { return g.Stats().Parked.Load() == 1 })
	NewClient(t, "").Do("POST", base+"api/rooms/lp/messages", "application/x-www-form-urlencoded", "text=wake")
	if a := <-got; a.Status != 200 || !strings.Contains(a.Body, `"text":"wake"`) {
		t.Errorf("woken poll: %d %s", a.Status, a.Body)
	}
}

func TestBrowserThroughNginx(t *testing.T) {
	g := StartGochat(t, server.Config{})
	base := StartNginx(t, g.Addr)
	b := browsertest.MustBrowser(t)
	ann, bob := browsertest.NewPage(t, b), browsertest.NewPage(t, b)
	for _, p := range []*browsertest.Page{ann, bob} {
		p.Do(chromedp.Navigate(base + "#nginx"))
		p.Until("connected", `document.getElementById("status").dataset.state === "connected"`)
	}
	ann.Send("hello through nginx")
	bob.Until("ann's message", browsertest.Messages+`.join() === "hello through nginx"`)
	bob.Send("hi back")
	ann.Until("bob's message", browsertest.Messages+`.join() === "hello through nginx,hi back"`)
	ann.NoCSPViolations()
}

// deadUpstream accepts connections, reads one request and closes without
// answering: an instance that crashed while handling it. It counts the
// requests by method.
type deadUpstream struct {
	ln      net.Listener
	posts   atomic.Int64
	gets    atomic.Int64
	handled sync.WaitGroup
}

func startDeadUpstream(tb testing.TB) *deadUpstream {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	d := &deadUpstream{ln: ln}
	d.handled.Add(1)
	go func() {
		defer d.handled.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			if req, err := http.ReadRequest(bufio.NewReader(conn)); err == nil {
				if req.Method == "POST" {
					d.posts.Add(1)
				} else {
					d.gets.Add(1)
				}
			}
			conn.Close()
		}
	}()
	tb.Cleanup(func() { ln.Close(); d.handled.Wait() })
	return d
}

func last(tb testing.TB, c *Client, url string) uint64 {
	tb.Helper()
	var page struct{ Last uint64 }
	a := c.Do("GET", url, "", "")
	if err := json.Unmarshal([]byte(a.Body), &page); err != nil || a.Status != 200 {
		tb.Fatalf("read %s: %d %s", url, a.Status, a.Body)
	}
	return page.Last
}

func TestUpstreamFailover(t *testing.T) {
	t.Run("killed instance", func(t *testing.T) {
		a, b := StartGochat(t, server.Config{}), StartGochat(t, server.Config{})
		base := StartNginx(t, a.Addr, b.Addr)
		c := NewClient(t, "")
		a.Close(t)
		// Connections to the dead instance are refused: nothing was sent,
		// so nginx passes reads and writes alike to the live one.
		for i := range 6 {
			if r := c.Do("GET", base+"api/rooms/f/messages", "", ""); r.Status != 200 {
				t.Errorf("read %d: %d %s", i, r.Status, r.Body)
			}
			if r := c.Do("POST", base+"api/rooms/f/messages", "application/x-www-form-urlencoded", fmt.Sprint("text=m", i)); r.Status != 201 {
				t.Errorf("write %d: %d %s", i, r.Status, r.Body)
			}
		}
		if n := last(t, c, "http://"+b.Addr+"/api/rooms/f/messages"); n != 6 {
			t.Errorf("the live instance holds %d messages, want 6", n)
		}
	})

	t.Run("instance dies mid-request", func(t *testing.T) {
		dead, b := startDeadUpstream(t), StartGochat(t, server.Config{})
		base := StartNginx(t, dead.ln.Addr().String(), b.Addr)
		c := NewClient(t, "")
		var created, failed int
		for range 50 {
			r := c.Do("POST", base+"api/rooms/d/messages", "application/x-www-form-urlencoded", "text=once")
			switch r.Status {
			case 201:
				created++
			case 502:
				failed++
				if !strings.Contains(r.Body, `"status":502`) {
					t.Errorf("502 body: %s", r.Body)
				}
			default:
				t.Fatalf("post: %d %s", r.Status, r.Body)
			}
			if dead.posts.Load() > 0 {
				break
			}
		}
		// A POST the dead instance received is never replayed to the other.
		if dead.posts.Load() != 1 || failed != 1 {
			t.Errorf("the dead instance got %d posts; %d failed", dead.posts.Load(), failed)
		}
		if n := last(t, c, "http://"+b.Addr+"/api/rooms/d/messages"); n != uint64(created) {
			t.Errorf("the live instance holds %d messages, %d were acknowledged", n, created)
		}
		// Reads the dead instance swallowed are retried on the live one.
		for range 50 {
			if r := c.Do("GET", base+"api/rooms/d/messages", "", ""); r.Status != 200 {
				t.Errorf("read: %d %s", r.Status, r.Body)
			}
			if dead.gets.Load() > 0 {
				break
			}
		}
	})

	t.Run("instance shutting down", func(t *testing.T) {
		// An instance shutting down answers what reaches it 503.
		var gets, posts atomic.Int64
		closing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "POST" {
				posts.Add(1)
			} else {
				gets.Add(1)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"error":{"status":503,"message":"the server is shutting down; try again"}}`)
		}))
		t.Cleanup(closing.Close)
		b := StartGochat(t, server.Config{})
		upstreams := []string{strings.TrimPrefix(closing.URL, "http://"), b.Addr}
		// Reads it refuses are passed to the other instance.
		base, c := StartNginx(t, upstreams...), NewClient(t, "")
		for range 6 {
			if r := c.Do("GET", base+"api/rooms/s/messages", "", ""); r.Status != 200 {
				t.Errorf("read: %d %s", r.Status, r.Body)
			}
		}
		if gets.Load() == 0 {
			t.Errorf("no read reached the instance shutting down")
		}
		// A POST it refused is not: the client retries it.
		base = StartNginx(t, upstreams...)
		var created, refused int
		for i := 0; posts.Load() == 0 && i < 6; i++ {
			switch r := c.Do("POST", base+"api/rooms/s/messages", "application/x-www-form-urlencoded", "text=once"); {
			case r.Status == 201:
				created++
			case r.Status == 503 && strings.Contains(r.Body, "shutting down"):
				refused++
			default:
				t.Errorf("post: %d %s", r.Status, r.Body)
			}
		}
		if posts.Load() != 1 || refused != 1 {
			t.Errorf("the instance shutting down got %d posts; %d were refused", posts.Load(), refused)
		}
		if n := last(t, c, "http://"+b.Addr+"/api/rooms/s/messages"); n != uint64(created) {
			t.Errorf("the live instance holds %d messages, %d were acknowledged: a refused POST was replayed", n, created)
		}
	})
}

func TestClientAddressReachesLogs(t *testing.T) {
	only, _ := adapter.ParsePrefixes("127.0.0.1/32") // nginx's address; 127.0.0.2+ are clients
	g := StartGochat(t, server.Config{TrustedProxies: only})
	base := StartNginx(t, g.Addr)

	// Through nginx, from 127.0.0.2, even with a forged header.
	NewClient(t, "127.0.0.2").Do("GET", base+"api/rooms/ip/messages?via=nginx", "", "", "X-Forwarded-For", "6.6.6.6", "X-Real-IP", "6.6.6.6")
	// Directly, from an untrusted 127.0.0.3, with forged headers.
	NewClient(t, "127.0.0.3").Do("GET", "http://"+g.Addr+"/api/rooms/ip/messages?via=direct", "", "", "X-Forwarded-For", "6.6.6.6", "X-Real-IP", "6.6.6.6")

	logs := g.Logs.String()
	if !regexp.MustCompile(`path=/api/rooms/ip/messages .*client=127\.0\.0\.2`).MatchString(logs) {
		t.Errorf("the address nginx saw does not reach the log:\n%s", logs)
	}
	if !regexp.MustCompile(`client=127\.0\.0\.3`).MatchString(logs) || strings.Contains(logs, "6.6.6.6") {
		t.Errorf("a forged header was believed:\n%s", logs)
	}
}

// TestTwoUpstreamsShareRoomsOnRedis: with the Redis store, the two
// instances behind nginx are one chat, whichever one a request lands on.
func TestTwoUpstreamsShareRoomsOnRedis(t *testing.T) {
	srv := redistest.Start(t)
	cfg := server.Config{Store: srv.URL(), RedisPrefix: "t:nginx:"}
	a, b := StartGochat(t, cfg), StartGochat(t, cfg)
	base := StartNginx(t, a.Addr, b.Addr)
	c := NewClient(t, "")
	got := make(chan Answer, 1)
	go func() {
		a, err := c.DoContext(context.Background(), "GET", base+"api/rooms/shared/messages?wait=30", "", "")
		if err != nil {
			t.Error(err)
		}
		got <- a
	}()
	testutil.WaitFor(t, "the poll to park", func() bool { return a.Stats().Parked.Load()+b.Stats().Parked.Load() == 1 })
	poster := NewClient(t, "")
	for i := 1; i <= 6; i++ {
		if r := poster.Do("POST", base+"api/rooms/shared/messages", "application/x-www-form-urlencoded", fmt.Sprint("text=m", i)); r.Status != 201 || !strings.Contains(r.Body, fmt.Sprintf(`"id":%d,`, i)) {
			t.Errorf("post %d: %d %s", i, r.Status, r.Body)
		}
	}
	if r := <-got; r.Status != 200 || !strings.Contains(r.Body, `"text":"m1"`) {
		t.Errorf("the parked poll: %d %s", r.Status, r.Body)
	}
	// Reads land on both instances and agree.
	for range 4 {
		if n := last(t, c, base+"api/rooms/shared/messages"); n != 6 {
			t.Errorf("a read through nginx sees %d messages, want 6", n)
		}
	}
}

// TestShutdownUnderLoadThroughNginx runs two gochat instances on one
// Redis behind nginx, with long-poll followers and writers through
// nginx, and shuts one instance down gracefully mid-run. Its parked
// readers are answered and poll again through nginx, landing on the
// other instance, and never see an error; writers send an Idempotency-Key
// and retry each 502 or 503 with it, as the page does, so their retries
// land there too. The history checker holds every reader to every
// acknowledged message, once and in order.
func TestShutdownUnderLoadThroughNginx(t *testing.T) {
	const writers, readers, posts = 4, 20, 300
	const retryAfter = 20 * time.Millisecond // a writer's pause before it retries a 502 or 503
	srv := redistest.Start(t)
	cfg := server.Config{Store: srv.URL(), RedisPrefix: "t:nginx-load:", History: 100000}
	a, b := StartGochat(t, cfg), StartGochat(t, cfg)
	base := StartNginx(t, a.Addr, b.Addr)
	url := base + "api/rooms/load/messages"
	h := history.New(cfg.History)

	// Readers follow the room until they have its last id under its last
	// epoch, which end learns once the writers stop.
	end := history.NewEnd()
	defer end.Stop()
	var mu sync.Mutex
	statuses := map[string]int{} // "GET 200" → how many
	count := func(who, method string, status int) bool {
		// nginx passes a read refused by the instance shutting down to
		// the other one; a post it refused comes back for the writer to
		// retry.
		if method == "GET" && status != 200 || method == "POST" && status != 201 && status != 502 && status != 503 {
			t.Errorf("%s: status %d", who, status)
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		statuses[fmt.Sprint(method, " ", status)]++
		return true
	}
	var rg sync.WaitGroup
	for i := range readers {
		r := h.Reader("load")
		c := NewClient(t, "")
		rg.Add(1)
		go func() {
			defer rg.Done()
			for {
				ctx, done, err := end.Poll(r)
				if err != nil {
					t.Errorf("reader %d %v", i, err)
				}
				if done {
					return
				}
				since, epoch := r.Next()
				ans, err := c.DoContext(ctx, "GET", fmt.Sprintf("%s?since=%d&wait=30&epoch=%s", url, since, epoch), "", "")
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("reader %d: %v", i, err)
						return
					}
					continue
				}
				if !count(fmt.Sprint("reader ", i), "GET", ans.Status) {
					return
				}
				read, err := history.ParseRead([]byte(ans.Body))
				if err != nil {
					t.Errorf("reader %d: %v", i, err)
					return
				}
				r.Saw(since, epoch, read)
			}
		}()
	}
	testutil.WaitFor(t, "every reader to park", func() bool { return a.Stats().Parked.Load()+b.Stats().Parked.Load() == readers })
	parkedOnA := a.Stats().Parked.Load()

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var posted atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		c := NewClient(t, "")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				form := fmt.Sprintf("author=w%d&text=%d", w, i)
				for {
					ans, err := c.DoContext(context.Background(), "POST", url, "application/x-www-form-urlencoded", form, "Idempotency-Key", fmt.Sprintf("w%d-%d", w, i))
					if err != nil {
						t.Errorf("writer %d: %v", w, err)
						return
					}
					if !count(fmt.Sprint("writer ", w), "POST", ans.Status) {
						return
					}
					if ans.Status == 201 {
						m, err := history.ParseMessage([]byte(ans.Body))
						if err != nil {
							t.Errorf("writer %d: %v", w, err)
							return
						}
						h.Acked("load", m)
						posted.Add(1)
						break
					}
					time.Sleep(retryAfter)
				}
			}
		}()
	}
	testutil.WaitFor(t, "posts before the shutdown", func() bool { return posted.Load() >= posts })
	a.Close(t) // answers its parked readers and finishes its posts
	if n := a.Stats().Parked.Load(); n != 0 {
		t.Errorf("%d readers are still parked on the instance that shut down", n)
	}
	closed := posted.Load()
	testutil.WaitFor(t, "posts after the shutdown", func() bool { return posted.Load() >= closed+posts })
	stop()
	wg.Wait()

	last := NewClient(t, "").Do("GET", url, "", "")
	read, err := history.ParseRead([]byte(last.Body))
	if err != nil || last.Status != 200 {
		t.Fatalf("read the room: %d %s", last.Status, last.Body)
	}
	end.Set(read.Last, read.Epoch)
	rg.Wait()
	t.Logf("%d readers (%d parked on the instance shut down), %d posts acknowledged, last id %d; answers: %v",
		readers, parkedOnA, posted.Load(), read.Last, statuses)
	h.CheckComplete(t)
}
