// Package testutil holds helpers shared by gochat's tests.
package testutil

import (
	"bytes"
	"log/slog"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Timeout bounds every wait in the tests; it only runs out when something
// is broken.
const Timeout = 30 * time.Second

// WaitFor polls cond until it holds, and fails the test if it does not
// within Timeout. what says what was awaited. It waits on a condition the
// code under test exposes, never for a guessed time.
func WaitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("waited %v for %s", Timeout, what)
		}
		time.Sleep(time.Millisecond)
	}
}

// LogBuffer collects a server's logs for a test to read.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Logger returns a logger writing into b.
func (b *LogBuffer) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Write implements io.Writer.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was logged so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Within runs f and fails the test if it does not return within Timeout:
// for calls that must not wait behind something blocked for far longer.
// what names the call in the failure. f runs on a goroutine of its own,
// so it must not call t.Fatal (t.Error is fine).
func Within(tb testing.TB, what string, f func()) {
	tb.Helper()
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		f()
	}()
	select {
	case <-returned:
	case <-time.After(Timeout):
		tb.Fatalf("%s did not return within %v: it waits behind something blocked", what, Timeout)
	}
}

// Blocked returns how many goroutines have fn on their stack, such as
// "graph.(*feed).send": a condition for WaitFor when a test must know that
// a call is blocked inside fn.
func Blocked(fn string) int {
	buf := make([]byte, 1<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), fn)
}

// Tool returns the path of a program a test runs, the first of names
// found (a bare name on PATH and in /usr/sbin, where Debian puts nginx),
// or fails the test naming pkg, the Debian package that has it: a missing
// tool is a broken setup (./test installs them all), never a reason to
// skip. Under -short it skips the test instead, found or not: the short
// lane runs without the tools and without the slow tests that need them.
// The helper that starts a tool calls it, so that each tool is gated in
// one place.
func Tool(tb testing.TB, pkg string, names ...string) string {
	tb.Helper()
	if testing.Short() {
		tb.Skipf("needs %s (Debian's %s): not under -short", names[0], pkg)
	}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		if p, err := exec.LookPath(filepath.Join("/usr/sbin", name)); err == nil {
			return p
		}
	}
	tb.Fatalf("no %s on PATH or in /usr/sbin: install Debian's %s package (./test does)", names[0], pkg)
	return ""
}
