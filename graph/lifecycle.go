package graph

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"gochat/wire"
)

// ErrClosed is what Inject and Swap return once the Lifecycle is closed.
var ErrClosed = errors.New("the network is shut down")

// Lifecycle owns the network that takes new requests: it feeds it
// (Inject), replaces it (Swap) and shuts it down (Close), and it is the
// only code that closes a network's inport.
//
// Closing a channel while another goroutine may send on it panics, so
// each network's inport is closed only once no Inject is sending to it.
// No lock is held while an Inject waits on a full inport: each network
// counts the Injects sending to it, and has a stopping channel they watch.
// To stop a network, Swap and Close mark it stopping, which sends its
// Injects on to the next network (or, after Close, back with ErrClosed),
// wait for them to leave, and only then close its inport. So neither
// waits behind a request the network does not take, and Swap refuses no
// request.
type Lifecycle struct {
	mu     sync.Mutex // guards the fields below; held only briefly, never while waiting
	cur    *feed      // the network new requests enter
	closed bool
	// nets are the networks not yet seen stopped: cur's and those that
	// Swap replaced, still draining. Close waits for them.
	nets []*Network
}

// feed is one network as Inject sees it.
type feed struct {
	net *Network
	// senders counts the Injects sending to net.In. Inject adds to it
	// only under Lifecycle.mu while the feed is current, so once it is
	// not, senders only falls.
	senders sync.WaitGroup
	// stopping is closed when net stops taking requests; Injects then
	// leave it.
	stopping chan struct{}
}

// NewLifecycle returns a Lifecycle feeding n.
func NewLifecycle(n *Network) *Lifecycle {
	return &Lifecycle{cur: newFeed(n), nets: []*Network{n}}
}

func newFeed(n *Network) *feed {
	return &feed{net: n, stopping: make(chan struct{})}
}

// Current returns the network new requests enter (after Close, the last
// one).
func (l *Lifecycle) Current() *Network {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cur.net
}

// TryInject hands req to the current network if its inport takes it at
// once, and reports whether it did; it returns ErrClosed once the
// Lifecycle is closed. It spares a caller that would bound Inject's wait
// the making of that bound when the network is ready, as it mostly is.
func (l *Lifecycle) TryInject(req *wire.Request) (bool, error) {
	f, err := l.sender()
	if err != nil {
		return false, err
	}
	defer f.senders.Done()
	return f.send(context.Background(), req, false)
}

// Inject hands req to the current network, waiting while its inport is
// full. If Swap replaces the network meanwhile, req goes to the new one.
// Inject returns ErrClosed once the Lifecycle is closed, and ctx's error
// if ctx ends before the network takes req.
func (l *Lifecycle) Inject(ctx context.Context, req *wire.Request) error {
	for {
		f, err := l.sender()
		if err != nil {
			return err
		}
		sent, err := f.send(ctx, req, true)
		f.senders.Done()
		if sent || err != nil {
			return err
		}
		// f stopped before taking req: try the network that replaced it.
	}
}

// sender returns the current feed, counted in its senders (the caller
// calls Done once it no longer sends), or ErrClosed.
func (l *Lifecycle) sender() (*feed, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	l.cur.senders.Add(1)
	return l.cur, nil
}

// send sends req to f's network unless f stops first. It waits while
// the inport is full until ctx ends, or not at all unless wait is set;
// it reports whether req was sent.
func (f *feed) send(ctx context.Context, req *wire.Request, wait bool) (bool, error) {
	select {
	case <-f.stopping:
		return false, nil
	default:
	}
	if !wait {
		select {
		case f.net.In <- req:
			return true, nil
		default:
			return false, nil
		}
	}
	select {
	case f.net.In <- req:
		return true, nil
	case <-f.stopping:
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// stop closes f's inport once no Inject sends to it, which shuts the
// network down in order: requests it took are finished, parked
// long-polls are answered at once. f must no longer be current.
func (f *feed) stop() {
	close(f.stopping)
	f.senders.Wait() // prompt: the senders see stopping
	close(f.net.In)
}

// Swap makes n take every new request, and closes the inport of the
// network it replaces, which returns: that network drains in the
// background (its Done closes when it has stopped; Close waits for it).
// Requests it took are answered by it. Swap waits for no request, only
// for the Injects sending to the old network to move to n. Once the
// Lifecycle is closed, Swap closes n's inport and returns ErrClosed.
func (l *Lifecycle) Swap(n *Network) (*Network, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		close(n.In)
		return nil, ErrClosed
	}
	old := l.cur
	l.cur = newFeed(n)
	running := l.nets[:0]
	for _, net := range l.nets {
		select {
		case <-net.Done:
		default:
			running = append(running, net)
		}
	}
	l.nets = append(running, n)
	l.mu.Unlock()
	old.stop()
	return old.net, nil
}

// Close stops taking requests (Inject returns ErrClosed from then on),
// closes the current network's inport, and waits until every network the
// Lifecycle held has stopped, or ctx ends. Close may be called again, to
// wait again.
func (l *Lifecycle) Close(ctx context.Context) error {
	l.mu.Lock()
	first := !l.closed
	l.closed = true
	cur, nets := l.cur, append([]*Network(nil), l.nets...)
	l.mu.Unlock()
	if first {
		cur.stop()
	}
	for _, n := range nets {
		select {
		case <-n.Done:
		case <-ctx.Done():
			return fmt.Errorf("close network: a network is still running: %w", ctx.Err())
		}
	}
	return nil
}
