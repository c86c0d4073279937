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
	dir := testutil.NPMPackage(t, npm, "fbp-protocol@"+fbpProtocolVersion, "fbp-protocol-"+fbpProtocolVersion, "node_modules/.bin/fbp-test")
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
