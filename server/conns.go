package server

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// idleGrace is how long a keep-alive connection answered before a
// shutdown began may stay idle before the shutdown closes it: a client
// that was about to send its next request on it gets that long to do so,
// and is answered (with Connection: close) rather than finding its
// connection closed under it.
const idleGrace = 250 * time.Millisecond

// connTracker knows which of a server's connections are idle, and since
// when, through the http.Server's ConnState hook.
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
	if st == http.StateIdle {
		t.idleSince[c] = time.Now()
	} else {
		delete(t.idleSince, c)
	}
}

// idle returns how many connections are idle, and when the most recently
// idled of them has been idle for grace (zero if none is idle).
func (t *connTracker) idle(grace time.Duration) (n int, settled time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, since := range t.idleSince {
		if at := since.Add(grace); at.After(settled) {
			settled = at
		}
	}
	return len(t.idleSince), settled
}
