// Package testutil holds helpers shared by gochat's tests.
package testutil

import (
	"bytes"
	"log/slog"
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
// what names the call in the failure.
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
