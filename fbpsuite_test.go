package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gochat/internal/testutil"
)

// fbpProtocolVersion is the release of the FBP protocol's own test suite
// (npm fbp-protocol) gochat passes.
const fbpProtocolVersion = "0.9.8"

// fbpSuiteTests is how many tests that release runs.
const fbpSuiteTests = 22

// TestFBPProtocolSuite runs the FBP protocol's compliance suite, as its
// README says (fbp-init, then fbp-test from the install folder), against
// the built binary started with -fbp-addr: every test must pass.
func TestFBPProtocolSuite(t *testing.T) {
	testutil.Tool(t, "nodejs", "node", "nodejs")
	npm := testutil.Tool(t, "npm", "npm")
	dir := fbpSuite(t, npm)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	home := t.TempDir() // fbp-config.json goes here, not into the shared install
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := func(args ...string) string {
		cmd := exec.CommandContext(ctx, filepath.Join(dir, "node_modules", ".bin", args[0]), args[1:]...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PROJECT_HOME="+home, "FBP_PROTOCOL_SECRET=")
		cmd.WaitDelay = 10 * time.Second
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("fbp-init", "--name", "gochat", "--port", port,
		"--command", fmt.Sprintf("exec %q -addr 127.0.0.1:0 -fbp-addr 127.0.0.1:%s 2>&1", bin, port))
	out := run("fbp-test")
	t.Log(out)
	passing := regexp.MustCompile(`(\d+) passing`).FindStringSubmatch(out)
	if passing == nil || passing[1] != strconv.Itoa(fbpSuiteTests) || strings.Contains(out, "failing") || strings.Contains(out, "pending") {
		t.Fatalf("want all %d tests of fbp-protocol %s passing", fbpSuiteTests, fbpProtocolVersion)
	}
}

// fbpSuite returns a folder holding npm's fbp-protocol at
// fbpProtocolVersion, installing it into the user's cache the first time.
func fbpSuite(t *testing.T, npm string) string {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "gochat-test", "fbp-protocol-"+fbpProtocolVersion)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", ".bin", "fbp-test")); err == nil {
		return dir
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "install-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--prefix", tmp, "fbp-protocol@"+fbpProtocolVersion)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install fbp-protocol@%s: %v\n%s", fbpProtocolVersion, err, out)
	}
	// Another test run may have installed it meanwhile: either copy works.
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "node_modules", ".bin", "fbp-test")); serr != nil {
			t.Fatalf("install fbp-protocol: %v", err)
		}
	}
	return dir
}
