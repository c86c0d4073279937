package main

import (
	"net"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"gochat/internal/buildinfo"
	"gochat/internal/redistest"
)

// recordedBuild is what the Go toolchain says it recorded in the test
// binary (`go version -m`), in buildinfo's terms.
func recordedBuild(t *testing.T) buildinfo.Info {
	t.Helper()
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	want := buildinfo.Info{Version: buildinfo.Unknown, Revision: buildinfo.Unknown, GoVersion: runtime.Version()}
	modified := false
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[0] == "mod" && f[1] == "gochat":
			want.Version = f[2]
		case len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.revision="):
			want.Revision = strings.TrimPrefix(f[1], "vcs.revision=")
		case len(f) == 2 && f[0] == "build" && f[1] == "vcs.modified=true":
			modified = true
		}
	}
	if modified {
		want.Revision += "-dirty"
	}
	return want
}

// TestVersion: `gochat -version` prints `gochat VERSION (REVISION,
// goVERSION)`, what the toolchain recorded in the binary, and exits 0
// without serving.
func TestVersion(t *testing.T) {
	code, out, errs := runBinary(t, "-version")
	want := recordedBuild(t)
	if code != 0 || out != "gochat "+want.String()+"\n" || errs != "" {
		t.Errorf("gochat -version: exit %d, stdout %q, stderr %q; want exit 0 and %q", code, out, errs, "gochat "+want.String()+"\n")
	}
	if !regexp.MustCompile(`^gochat \S+ \(([0-9a-f]{40}(-dirty)?|unknown), go1\.\S+\)\n$`).MatchString(out) {
		t.Errorf("gochat -version: %q, not `gochat VERSION (REVISION, goVERSION)`", out)
	}
}

// TestStartupLineNamesVersion: the line a person waits for at start
// names the build.
func TestStartupLineNamesVersion(t *testing.T) {
	p := StartBinary(t)
	want := "version=" + strconv.Quote(recordedBuild(t).String())
	for line := range strings.Lines(p.stderr.String()) {
		if strings.Contains(line, "gochat is up") {
			if !strings.Contains(line, want) {
				t.Errorf("the start-up line does not say %s:\n%s", want, line)
			}
			return
		}
	}
	t.Errorf("no start-up line:\n%s", p.stderr.String())
}

// memoryWarning is the start of the line that says messages in memory
// are lost on restart.
const memoryWarning = `level=WARN msg="messages live in memory and are gone on restart`

// TestMemoryStoreWarns: started with the in-memory store, gochat warns
// once that a restart loses the messages and names the option that keeps
// them; with Redis it does not.
func TestMemoryStoreWarns(t *testing.T) {
	p := StartBinary(t)
	logs := p.stderr.String()
	if n := strings.Count(logs, memoryWarning); n != 1 {
		t.Errorf("memory store: %d warnings %q, want 1:\n%s", n, memoryWarning, logs)
	}
	for _, want := range []string{"-store redis://", "GOCHAT_STORE", "REDIS_URL"} {
		if !strings.Contains(logs, want) {
			t.Errorf("memory store: the warning does not name %s:\n%s", want, logs)
		}
	}
	srv := redistest.Start(t)
	r := StartBinary(t, "-store", srv.URL(), "-redis-prefix", "t:"+t.Name()+":")
	if logs := r.stderr.String(); strings.Contains(logs, "level=WARN") {
		t.Errorf("Redis store: a warning at start:\n%s", logs)
	}
}

// TestStartupURL: the start-up line gives a URL a person can open: on
// every interface (PORT alone, -addr :PORT or [::]:PORT) it names
// localhost, not [::]; a given address stays as it is.
func TestStartupURL(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  func(string) string
		host string
	}{
		{"PORT=0", nil, env("PORT", "0"), "localhost"},
		{"-addr :0", []string{"-addr", ":0"}, env(), "localhost"},
		{"-addr [::]:0", []string{"-addr", "[::]:0"}, env(), "localhost"},
		{"-addr 127.0.0.1:0", []string{"-addr", "127.0.0.1:0"}, env(), "127.0.0.1"},
	} {
		var logs syncBuffer
		m := NewMain(&logs)
		if err := m.ParseFlags(tc.args, tc.env); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if err := m.Run(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		_, port, _ := net.SplitHostPort(m.Server.Addr())
		want := "open http://" + net.JoinHostPort(tc.host, port) + "/ to chat"
		if err := m.Close(); err != nil {
			t.Errorf("%s: close: %v", tc.name, err)
		}
		if !strings.Contains(logs.String(), want) {
			t.Errorf("%s: the start-up line does not say %q:\n%s", tc.name, want, logs.String())
		}
	}
}
