// Package logwriter batches log lines: a request log writes a line per
// request, and one write system call per line would cost more than the
// request itself.
package logwriter

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// Writer buffers whole writes (slog writes a record in one call) and
// flushes them at most interval after the first unflushed one, when the
// buffer fills, and on Flush or Close. It runs no goroutine of its own
// while idle.
type Writer struct {
	interval time.Duration

	mu      sync.Mutex
	buf     *bufio.Writer
	pending *time.Timer // a flush scheduled for buffered lines
	closed  bool
}

// New returns a Writer in front of w.
func New(w io.Writer, interval time.Duration) *Writer {
	return &Writer{interval: interval, buf: bufio.NewWriterSize(w, 64<<10)}
}

// Write implements io.Writer.
func (lw *Writer) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	n, err := lw.buf.Write(p)
	if lw.closed {
		return n, lw.buf.Flush()
	}
	if lw.pending == nil && lw.buf.Buffered() > 0 {
		lw.pending = time.AfterFunc(lw.interval, func() { lw.Flush() })
	}
	return n, err
}

// Flush writes out what is buffered.
func (lw *Writer) Flush() error {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if lw.pending != nil {
		lw.pending.Stop()
		lw.pending = nil
	}
	return lw.buf.Flush()
}

// Close flushes what is left; later writes go straight through.
func (lw *Writer) Close() error {
	lw.mu.Lock()
	lw.closed = true
	lw.mu.Unlock()
	return lw.Flush()
}
