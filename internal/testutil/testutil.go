// Package testutil holds helpers shared by gochat's tests.
package testutil

import (
	"bytes"
	"log/slog"
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
