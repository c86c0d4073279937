package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"gochat/internal/buildinfo"
	"gochat/internal/redistest"
	"gochat/internal/testutil"
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
// them; with a file or Redis it does not.
func TestMemoryStoreWarns(t *testing.T) {
	p := StartBinary(t)
	logs := p.stderr.String()
	if n := strings.Count(logs, memoryWarning); n != 1 {
		t.Errorf("memory store: %d warnings %q, want 1:\n%s", n, memoryWarning, logs)
	}
	for _, want := range []string{"-store file:PATH", "redis://", "GOCHAT_STORE", "REDIS_URL"} {
		if !strings.Contains(logs, want) {
			t.Errorf("memory store: the warning does not name %s:\n%s", want, logs)
		}
	}
	srv := redistest.Start(t)
	r := StartBinary(t, "-store", srv.URL(), "-redis-prefix", "t:"+t.Name()+":")
	if logs := r.stderr.String(); strings.Contains(logs, "level=WARN") {
		t.Errorf("Redis store: a warning at start:\n%s", logs)
	}
	f := StartBinary(t, "-store", "file:"+filepath.Join(t.TempDir(), "chat.db"))
	if logs := f.stderr.String(); strings.Contains(logs, "level=WARN") {
		t.Errorf("file store: a warning at start:\n%s", logs)
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

// TestSystemdUnit checks deploy/gochat.service with `systemd-analyze
// verify`, its ExecStart pointed at the test binary (verify wants the
// program to exist), and fails on anything it says; and checks that the
// unit keeps its sandbox and its limits.
func TestSystemdUnit(t *testing.T) {
	systemdAnalyze := testutil.Tool(t, "systemd", "systemd-analyze")
	raw, err := os.ReadFile("deploy/gochat.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(raw)
	for _, want := range []string{
		"ExecStart=/usr/local/bin/gochat\n",
		"ExecReload=/bin/kill -HUP $MAINPID\n",
		"Restart=on-failure\n",
		"EnvironmentFile=-/etc/gochat/env\n",
		"DynamicUser=yes\n",
		"StateDirectory=gochat\n",
		"NoNewPrivileges=yes\n",
		"ProtectSystem=strict\n",
		"ProtectHome=yes\n",
		"PrivateTmp=yes\n",
		"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\n",
		"SystemCallFilter=@system-service\n",
		"CapabilityBoundingSet=\n",
		"LimitNOFILE=65536\n",
	} {
		if !strings.Contains(unit, "\n"+want) {
			t.Errorf("deploy/gochat.service has no line %q", strings.TrimSpace(want))
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "gochat.service")
	if err := os.WriteFile(path, []byte(strings.Replace(unit, "ExecStart=/usr/local/bin/gochat", "ExecStart="+bin, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, systemdAnalyze, "verify", "--man=no", "--generators=no", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify deploy/gochat.service: %v\n%s", err, out)
	}
}

// TestEnvironmentFile: deploy/gochat.env lists every GOCHAT_ variable
// gochat reads (those `gochat -h` names), commented out, with its
// default: read as the environment with the comments taken away, it
// configures gochat exactly as no environment does.
func TestEnvironmentFile(t *testing.T) {
	raw, err := os.ReadFile("deploy/gochat.env")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for line := range strings.Lines(string(raw)) {
		if k, v, ok := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(line, "#"), "\n"), "="); ok && strings.HasPrefix(line, "#") && !strings.ContainsAny(k, " \t") {
			vars[k] = v
		} else if line != "\n" && !strings.HasPrefix(line, "# ") && line != "#\n" {
			t.Errorf("deploy/gochat.env: %q is neither a comment nor a variable commented out", line)
		}
	}
	var help bytes.Buffer
	if err := NewMain(&help).ParseFlags([]string{"-h"}, env()); !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
	for _, name := range regexp.MustCompile(`\bGOCHAT_[A-Z0-9_]+`).FindAllString(help.String(), -1) {
		if _, ok := vars[name]; !ok {
			t.Errorf("deploy/gochat.env does not list %s", name)
		}
	}
	defaults, set := NewMain(io.Discard), NewMain(io.Discard)
	if err := defaults.ParseFlags(nil, env()); err != nil {
		t.Fatal(err)
	}
	if err := set.ParseFlags(nil, func(k string) string { return vars[k] }); err != nil {
		t.Fatalf("deploy/gochat.env, uncommented: %v", err)
	}
	defaults.Config.Log, set.Config.Log = nil, nil
	if !reflect.DeepEqual(defaults.Config, set.Config) {
		t.Errorf("deploy/gochat.env, uncommented, configures\n%+v\nnot the defaults\n%+v", set.Config, defaults.Config)
	}
}
