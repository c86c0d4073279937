package park

import (
	"errors"
	"net"
	"sync"
)

// Listener accepts new connections and connections handed back after a
// held request was answered. New connections the Parker adopts (when it
// serves requests itself) it does not return.
type Listener struct {
	net.Listener                     // where new connections come from
	adopt        func(net.Conn) bool // takes a new connection, or reports false; nil takes none
	accepted     chan acceptResult   // new connections, from the accepting goroutine
	mu           sync.Mutex          // guards back and closed
	back         []net.Conn          // connections handed back, in order
	closed       bool                // Close was called: hand-backs close
	ready        chan struct{}       // signalled (1-buffered) when back grows
	done         chan struct{}       // closed by Close
	stopped      chan struct{}       // closed when the accepting goroutine ends
	closeOnce    sync.Once           // closes done once
}

// acceptResult is one Accept of the inner listener.
type acceptResult struct {
	c   net.Conn // the connection, or nil
	err error    // why not
}

// newListener starts accepting from ln; adopt, if set, may take each new
// connection instead.
func newListener(ln net.Listener, adopt func(net.Conn) bool) *Listener {
	l := &Listener{Listener: ln, adopt: adopt, accepted: make(chan acceptResult), ready: make(chan struct{}, 1),
		done: make(chan struct{}), stopped: make(chan struct{})}
	go l.acceptLoop()
	return l
}

// acceptLoop accepts from the inner listener until it fails for good.
func (l *Listener) acceptLoop() {
	defer close(l.stopped)
	for {
		c, err := l.Listener.Accept()
		select {
		case l.accepted <- acceptResult{c, err}:
		case <-l.done:
			if c != nil {
				c.Close()
			}
			return
		}
		var ne net.Error
		if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
			return // net/http retries temporary errors by calling Accept again
		}
	}
}

// Accept returns the next connection: one handed back first, else a new
// one not adopted.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		if len(l.back) > 0 {
			c := l.back[0]
			l.back[0] = nil
			l.back = l.back[1:]
			l.mu.Unlock()
			return c, nil
		}
		l.mu.Unlock()
		select {
		case <-l.ready:
		case r := <-l.accepted:
			if r.err == nil && l.adopt != nil && l.adopt(r.c) {
				continue
			}
			return r.c, r.err
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
}

// handBack queues c to be accepted again; once the listener is closed it
// closes c instead. It never blocks.
func (l *Listener) handBack(c net.Conn) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		c.Close()
		return
	}
	l.back = append(l.back, c)
	l.mu.Unlock()
	select {
	case l.ready <- struct{}{}:
	default:
	}
}

// Close stops accepting, closes the connections waiting to be accepted
// again and waits for the accepting goroutine.
func (l *Listener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	l.mu.Lock()
	l.closed = true
	back := l.back
	l.back = nil
	l.mu.Unlock()
	for _, c := range back {
		c.Close()
	}
	<-l.stopped
	return err
}

// HandedBack reports whether c is a connection the Listener accepts again
// after its held request was answered, idle, rather than a new one or one
// handed over with a request to serve. net/http reports all as new
// (http.StateNew), but one handed back idle: its client was answered and
// may never send another request. Call it before net/http reads from c.
func HandedBack(c net.Conn) bool {
	rc, ok := c.(*replayConn)
	return ok && len(rc.rest) == 0
}

// replayConn is a connection handed back with bytes its client had
// already sent: they are read again before the socket. Its descriptor is
// in the Parker's epoll instance, from when it was held or adopted.
type replayConn struct {
	*net.TCPConn        // the connection
	rest         []byte // bytes read from it before, not yet consumed
}

// Read returns the replayed bytes first.
func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.rest) > 0 {
		n := copy(p, c.rest)
		c.rest = c.rest[n:]
		if len(c.rest) == 0 {
			c.rest = nil
		}
		return n, nil
	}
	return c.TCPConn.Read(p)
}
