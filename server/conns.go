package server

import (
	"net"
	"net/http"
	"sync"
	"time"

	"gochat/park"
)

// idleGrace is how long a keep-alive connection answered before a
// shutdown began may stay idle before the shutdown closes it: a client
// that was about to send its next request on it gets that long to do so,
// and is answered (with Connection: close) rather than finding its
// connection closed under it.
const idleGrace = 250 * time.Millisecond

// connTracker knows which of a server's connections are idle, and since
// when, through the http.Server's ConnState hook. A connection is idle
// while net/http waits for its next request after an answer: in
// http.StateIdle, or in http.StateNew when the Parker handed it back
// after answering its held read.
type connTracker struct {
	mu        sync.Mutex
	idleSince map[net.Conn]time.Time
}

func newConnTracker() *connTracker {
	return &connTracker{idleSince: make(map[net.Conn]time.Time)}
}

// track is the http.Server's ConnState hook.
func (t *connTracker) track(c net.Conn, st http.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if st == http.StateIdle || st == http.StateNew && park.HandedBack(c) {
		t.idleSince[c] = time.Now()
	} else {
		delete(t.idleSince, c)
	}
}

// idle returns when the most recently idled connection has been idle for
// grace (zero if none is idle).
func (t *connTracker) idle(grace time.Duration) (settled time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, since := range t.idleSince {
		if at := since.Add(grace); at.After(settled) {
			settled = at
		}
	}
	return settled
}

// closeIdle closes every idle connection and returns how many it closed.
// net/http's Shutdown would close those in http.StateIdle itself, but
// waits 5 s before it closes one in http.StateNew that sent nothing.
func (t *connTracker) closeIdle() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	for c := range t.idleSince {
		c.Close() // net/http's read fails and ends the connection
	}
	return len(t.idleSince)
}
