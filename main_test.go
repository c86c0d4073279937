package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"gochat/graph"
	"gochat/internal/buildinfo"
	"gochat/internal/testutil"
	"gochat/server"
)

// bin is the gochat binary built for these tests by TestMain, with -race
// when they run with it.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gochat-test-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "gochat")
	build := []string{"build", "-o", bin, "."}
	if race {
		build = []string{"build", "-race", "-o", bin, "."}
		// A program built with -race sleeps 1 s as it exits, for other
		// threads to finish a race report; the tests run it dozens of
		// times, and each report is written whole as the race is found.
		os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	}
	if out, err := exec.Command("go", build...).CombinedOutput(); err != nil {
		panic(fmt.Sprintf("go build: %v\n%s", err, out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		goleak.VerifyTestMain(okRunner{})
	}
	os.Exit(code)
}

// okRunner lets goleak check for leaks after the tests have run.
type okRunner struct{}

func (okRunner) Run() int { return 0 }

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  func(string) string
		want server.Config
		err  string
	}{
		{"defaults", nil, env(), server.Config{Addr: "127.0.0.1:9090", History: 100, MaxRooms: 10000, MaxWait: 55 * time.Second}, ""},
		{"flags", []string{"-addr", ":1", "-history", "5", "-max-rooms", "7", "-max-wait", "9"}, env(),
			server.Config{Addr: ":1", History: 5, MaxRooms: 7, MaxWait: 9 * time.Second}, ""},
		{"environment", nil, env("GOCHAT_ADDR", ":2", "GOCHAT_HISTORY", "6", "GOCHAT_MAX_ROOMS", "8", "GOCHAT_MAX_WAIT", "3"),
			server.Config{Addr: ":2", History: 6, MaxRooms: 8, MaxWait: 3 * time.Second}, ""},
		{"flags beat the environment", []string{"-history", "4"}, env("GOCHAT_HISTORY", "6"),
			server.Config{Addr: "127.0.0.1:9090", History: 4, MaxRooms: 10000, MaxWait: 55 * time.Second}, ""},
		{"PORT alone", nil, env("PORT", "8080"), server.Config{Addr: ":8080", History: 100, MaxRooms: 10000, MaxWait: 55 * time.Second}, ""},
		{"GOCHAT_ADDR beats PORT", nil, env("PORT", "8080", "GOCHAT_ADDR", ":3"), server.Config{Addr: ":3", History: 100, MaxRooms: 10000, MaxWait: 55 * time.Second}, ""},
		{"origins", []string{"-allow-origin", "https://blog.example, http://localhost:8080/"}, env(),
			server.Config{Addr: "127.0.0.1:9090", History: 100, MaxRooms: 10000, MaxWait: 55 * time.Second, AllowOrigins: []string{"https://blog.example", "http://localhost:8080"}}, ""},
		{"allowed hosts", []string{"-allowed-hosts", "Chat.Example:443, *.blog.example"}, env(),
			server.Config{Addr: "127.0.0.1:9090", History: 100, MaxRooms: 10000, MaxWait: 55 * time.Second, AllowedHosts: []string{"chat.example", "*.blog.example"}}, ""},
		{"allowed hosts from the environment", nil, env("GOCHAT_ALLOWED_HOSTS", "*"),
			server.Config{Addr: "127.0.0.1:9090", History: 100, MaxRooms: 10000, MaxWait: 55 * time.Second, AllowedHosts: []string{"*"}}, ""},
		{"bad allowed host", []string{"-allowed-hosts", "https://chat.example/"}, env(), server.Config{}, "want a host name or address"},
		{"bad origin", []string{"-allow-origin", "blog.example/path"}, env(), server.Config{}, "want scheme://host[:port]"},
		{"redis from REDIS_URL", nil, env("REDIS_URL", "redis://r:6379/1", "GOCHAT_ROOM_TTL", "720h"),
			server.Config{Addr: "127.0.0.1:9090", History: 100, MaxRooms: 10000, MaxWait: 55 * time.Second, Store: "redis://r:6379/1", RoomTTL: 720 * time.Hour}, ""},
		{"GOCHAT_STORE beats REDIS_URL", []string{"-redis-prefix", "chat1:"}, env("REDIS_URL", "redis://r:6379/1", "GOCHAT_STORE", "redis://s:6379/2"),
			server.Config{Addr: "127.0.0.1:9090", History: 100, MaxRooms: 10000, MaxWait: 55 * time.Second, Store: "redis://s:6379/2", RedisPrefix: "chat1:"}, ""},
		{"bad environment", nil, env("GOCHAT_HISTORY", "many"), server.Config{}, `GOCHAT_HISTORY="many"`},
		{"zero history", []string{"-history", "0"}, env(), server.Config{}, "must be at least 1"},
		{"negative wait", []string{"-max-wait", "-1"}, env(), server.Config{}, "must be at least 1"},
		{"IPv6 prefix", []string{"-ipv6-prefix", "56"}, env(), server.Config{Addr: "127.0.0.1:9090", History: 100, MaxRooms: 10000, MaxWait: 55 * time.Second, IPv6Prefix: 56}, ""},
		{"IPv6 prefix from the environment", nil, env("GOCHAT_IPV6_PREFIX", "128"), server.Config{Addr: "127.0.0.1:9090", History: 100, MaxRooms: 10000, MaxWait: 55 * time.Second, IPv6Prefix: 128}, ""},
		{"IPv6 prefix too long", []string{"-ipv6-prefix", "129"}, env(), server.Config{}, "want a prefix length from 1 to 128"},
		{"slow client timeout", nil, env("GOCHAT_SLOW_CLIENT_TIMEOUT", "3s"), server.Config{Addr: "127.0.0.1:9090", History: 100, MaxRooms: 10000, MaxWait: 55 * time.Second, SlowClientTimeout: 3 * time.Second}, ""},
		{"slow client timeout not positive", []string{"-slow-client-timeout", "0s"}, env(), server.Config{}, "want a positive duration"},
		{"FBP protocol", []string{"-fbp-addr", "127.0.0.1:3569", "-fbp-allow-origin", "https://app.flowhub.io"}, env("GOCHAT_FBP_SECRET", "s3cret"),
			server.Config{Addr: "127.0.0.1:9090", History: 100, MaxRooms: 10000, MaxWait: 55 * time.Second, FBPAddr: "127.0.0.1:3569", FBPSecret: "s3cret", FBPAllowOrigins: []string{"https://app.flowhub.io"}}, ""},
		{"bad FBP origin", []string{"-fbp-allow-origin", "app.flowhub.io"}, env(), server.Config{}, "-fbp-allow-origin"},
		{"stray argument", []string{"serve"}, env(), server.Config{}, `unexpected argument "serve"`},
		{"unknown flag", []string{"-nope"}, env(), server.Config{}, "flag provided but not defined"},
	} {
		m := NewMain(io.Discard)
		err := m.ParseFlags(tc.args, tc.env)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.err)
			}
			continue
		}
		got := m.Config
		got.Log = nil
		if fmt.Sprint(got.TrustedProxies) != "[127.0.0.0/8 ::1/128]" {
			t.Errorf("%s: trusted proxies %v, want loopback", tc.name, got.TrustedProxies)
		}
		got.TrustedProxies = nil
		if tc.want.Store == "" {
			tc.want.Store = "memory"
		}
		if tc.want.MaxBytes == 0 {
			tc.want.MaxBytes = server.DefaultMaxBytes
		}
		if tc.want.IPv6Prefix == 0 {
			tc.want.IPv6Prefix = 64
		}
		if tc.want.RedisPrefix == "" {
			tc.want.RedisPrefix = "gochat:"
		}
		if tc.want.SlowClientTimeout == 0 {
			tc.want.SlowClientTimeout = server.DefaultSlowClientTimeout
		}
		tc.want.Build = buildinfo.Read()
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %+v %v, want %+v", tc.name, got, err, tc.want)
		}
	}
}

func TestTrustedProxyFlag(t *testing.T) {
	m := NewMain(io.Discard)
	if err := m.ParseFlags([]string{"-trusted-proxy", "10.0.0.0/8, 192.168.1.1"}, env()); err != nil || fmt.Sprint(m.Config.TrustedProxies) != "[10.0.0.0/8 192.168.1.1/32]" {
		t.Errorf("got %v %v", m.Config.TrustedProxies, err)
	}
	if err := m.ParseFlags(nil, env("GOCHAT_TRUSTED_PROXY", " ")); err != nil || m.Config.TrustedProxies == nil || len(m.Config.TrustedProxies) != 0 {
		t.Errorf("empty list must trust none: %v %v", m.Config.TrustedProxies, err)
	}
	if err := m.ParseFlags([]string{"-trusted-proxy", "nginx"}, env()); err == nil || !strings.Contains(err.Error(), "want an address or a CIDR") {
		t.Errorf("bad list: %v", err)
	}
}

func TestHelpListsEveryFlag(t *testing.T) {
	var out bytes.Buffer
	m := NewMain(&out)
	if err := m.ParseFlags([]string{"-h"}, env()); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	for _, want := range []string{"-addr", "GOCHAT_ADDR", "PORT", "-history", "GOCHAT_HISTORY", "-max-rooms", "GOCHAT_MAX_ROOMS", "-max-wait", "GOCHAT_MAX_WAIT", "-graph", "GOCHAT_GRAPH", "-watch", "-debug", "-debug-addr", "GOCHAT_DEBUG_ADDR", "-allow-origin", "GOCHAT_ALLOW_ORIGIN", "-trusted-proxy", "GOCHAT_TRUSTED_PROXY", "-store", "GOCHAT_STORE", "REDIS_URL", "-redis-prefix", "-room-ttl", "-metrics", "-metrics-addr", "-log-level", "-log-format", "-max-bytes", "-ipv6-prefix", "GOCHAT_IPV6_PREFIX", "-allowed-hosts", "GOCHAT_ALLOWED_HOSTS", "-slow-client-timeout", "GOCHAT_SLOW_CLIENT_TIMEOUT", "-fbp-addr", "GOCHAT_FBP_ADDR", "-fbp-secret", "GOCHAT_FBP_SECRET", "-fbp-allow-origin", "GOCHAT_FBP_ALLOW_ORIGIN", "-version"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help does not mention %s:\n%s", want, out.String())
		}
	}
}

// TestEndToEnd runs the real Main on port 0.
func TestEndToEnd(t *testing.T) {
	var logs bytes.Buffer
	m := NewMain(&logs)
	if err := m.ParseFlags([]string{"-addr", "127.0.0.1:0", "-max-wait", "30"}, env()); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	base := m.Server.URL()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()

	res, err := client.Post(base+"api/rooms/e2e/messages", "application/json", strings.NewReader(`{"author":"ann","text":"hello"}`))
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("post: %v %v", res, err)
	}
	res.Body.Close()
	got := make(chan string, 1)
	go func() {
		res, err := client.Get(base + "api/rooms/e2e/messages?since=1&wait=30")
		if err != nil {
			got <- err.Error()
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		got <- res.Status + " " + string(b)
	}()
	testutil.WaitFor(t, "the read to park", func() bool { return m.Server.Stats().Parked.Load() == 1 })
	if err := m.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if a := <-got; !strings.HasPrefix(a, "200 OK") || !strings.Contains(a, `"messages":[]`) {
		t.Errorf("parked read at shutdown: %s", a)
	}
	if !strings.Contains(logs.String(), "gochat is up: open "+base) {
		t.Errorf("startup line missing:\n%s", logs.String())
	}
}

// TestSignals stops the binary with SIGTERM and SIGINT: it answers until
// then and exits 0.
func TestSignals(t *testing.T) {
	for _, sig := range []os.Signal{syscall.SIGTERM, syscall.SIGINT} {
		p := StartBinary(t)
		if a := p.Post("sig", "", "hi"); a.status != 201 {
			t.Fatalf("post: %d %s", a.status, a.body)
		}
		if err := p.Stop(sig); err != nil {
			t.Errorf("after %v: %v, want exit 0\n%s", sig, err, p.stderr.String())
		}
	}
}

// runBinary runs the test binary with args to its end, killing it after
// testutil.Timeout, and returns its exit code, stdout and stderr.
func runBinary(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errs strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errs
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String(), errs.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errs.String()
}

// TestGraphCheckRefusesEndlessFiles: `graph check` of a device that never
// ends, or of a file past the size limit, exits 1 at once with why,
// rather than reading it whole.
func TestGraphCheckRefusesEndlessFiles(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.fbp")
	if err := os.WriteFile(big, bytes.Repeat([]byte("# a comment\n"), 1<<20/12+1), 0o644); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"/dev/zero": "load graph /dev/zero: not a regular file (a character device)",
		big:         "load graph " + big + ": graph file is larger than 1 MiB",
	} {
		for _, cmd := range []string{"check", "dot", "json"} {
			if code, _, errs := runBinary(t, "graph", cmd, file); code != 1 || !strings.Contains(errs, want) {
				t.Errorf("graph %s %s: exit %d\n%s", cmd, file, code, errs)
			}
		}
	}
}

// TestGraphCheckRefusesGraphsThatNeverAnswer: graphs that parsed and
// wired fine but left every request waiting are refused by `graph check`
// and by the server, at the line and column at fault.
func TestGraphCheckRefusesGraphsThatNeverAnswer(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "transcript.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	transcript, err := os.ReadFile("graph/examples/transcript.fbp")
	if err != nil {
		t.Fatal(err)
	}
	exported := strings.Replace(string(graph.DefaultSource()), "storage OUT -> IN responder(Responder)", "OUTPORT=storage.OUT:REPLIES\nresponder(Responder)", 1)
	for name, tc := range map[string]struct{ src, want string }{
		"fifo.fbp": {strings.Replace(string(transcript), "'stdout' -> PATH transcript", "'"+fifo+"' -> PATH transcript", 1),
			":18:1: PATH must be a regular file or 'stdout': " + fifo + " is a FIFO (the initial packet to transcript.PATH; without one it is 'stdout')"},
		"exported.fbp": {exported,
			":13:9: storage.OUT carries requests (*components.Reply) but is exported as the network outport REPLIES, which nothing reads: they would never be answered (wire storage OUT to a Responder's IN)"},
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(tc.src), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, out, errs := runBinary(t, "graph", "check", path); code != 1 || !strings.Contains(errs, path+tc.want) {
			t.Errorf("graph check %s: exit %d\n%s%s", name, code, out, errs)
		}
		if code, _, errs := runBinary(t, "-addr", "127.0.0.1:0", "-graph", path); code != 1 || !strings.Contains(errs, path+tc.want) || strings.Contains(errs, "gochat is up") {
			t.Errorf("serving %s: exit %d\n%s", name, code, errs)
		}
	}
}

// TestSIGHUPReloadOfHostileFiles reloads a running binary, with SIGHUP,
// into graph files made to exhaust it: each is refused and logged, and
// the server keeps serving, answers its health checks and stops at once
// on SIGTERM.
func TestSIGHUPReloadOfHostileFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chat.json")
	code, js, errs := runBinary(t, "graph", "json", "-")
	if code != 0 {
		t.Fatalf("graph json: %d %s", code, errs)
	}
	if err := os.WriteFile(path, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	p := StartBinary(t, "-graph", path)
	var numbers strings.Builder
	numbers.WriteString(`{"properties": {"x": [0`)
	for i := 1; i < 100000; i++ {
		fmt.Fprintf(&numbers, ",%d", i)
	}
	numbers.WriteString("]}}")
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, src, want string // want: what the failed reload logs
	}{
		{"200 KB of [", strings.Repeat("[", 200<<10), "nested deeper than 64"},
		{"50,000 deep", strings.Repeat(`{"a":`, 50000) + "1" + strings.Repeat("}", 50000), "nested deeper than 64"},
		{"100,000 numbers", numbers.String(), "the graph does not export the inport HTTP"},
		{"2 MiB", strings.Repeat(" ", 2<<20), "graph file is larger than 1 MiB"},
		{"a FIFO", "", "not a regular file (a FIFO)"},
	} {
		if tc.name == "a FIFO" {
			if err := os.Rename(fifo, path); err != nil {
				t.Fatal(err)
			}
		} else if err := os.WriteFile(path, []byte(tc.src), 0o644); err != nil {
			t.Fatal(err)
		}
		before := strings.Count(p.stderr.String(), tc.want)
		p.cmd.Process.Signal(syscall.SIGHUP)
		testutil.WaitFor(t, "the reload of "+tc.name+" to fail", func() bool {
			return strings.Count(p.stderr.String(), tc.want) > before
		})
		if a := p.Post("hostile", "", "after "+tc.name); a.status != 201 {
			t.Errorf("a post after reloading %s: %d %s", tc.name, a.status, a.body)
		}
		if a := p.do("GET", "readyz", "", ""); a.status != 200 {
			t.Errorf("readyz after reloading %s: %d %s", tc.name, a.status, a.body)
		}
	}
	if err := p.Stop(syscall.SIGTERM); err != nil {
		t.Errorf("stop: %v\n%s", err, p.stderr.String())
	}
}
