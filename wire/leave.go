package wire

import (
	"context"
	"sync"
)

// NewLeaveContext returns a context that ends only when cancel is called
// (the client left, or the request was answered), and carries no values.
// It is what a request that may be held uses for its Ctx: it costs less
// than context.WithCancel with a watcher on it, for the many reads that
// park, because it has an AfterFunc method of its own (see AfterLeave):
// no goroutine, no map of children, its Done channel made only if someone
// asks for it, and nothing of the handler's request kept alive.
func NewLeaveContext() (ctx context.Context, cancel func()) {
	c := &leaveCtx{Context: context.Background()}
	return c, c.cancel
}

// leaveCtx is the context NewLeaveContext returns.
type leaveCtx struct {
	context.Context // no deadline, no values; never done itself

	mu     sync.Mutex    // guards what follows
	done   chan struct{} // made by Done or cancel, closed by cancel
	err    error         // context.Canceled once cancelled
	funcs  []afterFunc   // to call when cancelled
	lastID uint64        // the id of the last function registered
}

// afterFunc is one function registered with AfterFunc.
type afterFunc struct {
	id uint64
	f  func()
}

// Done implements context.Context.
func (c *leaveCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		if c.err != nil {
			close(c.done)
		}
	}
	return c.done
}

// Err implements context.Context.
func (c *leaveCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// AfterFunc calls f in its own goroutine once c is cancelled, as
// context.AfterFunc does; stop unregisters f and reports whether it did.
func (c *leaveCtx) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	c.lastID++
	id := c.lastID
	c.funcs = append(c.funcs, afterFunc{id: id, f: f})
	c.mu.Unlock()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, a := range c.funcs {
			if a.id == id {
				c.funcs = append(c.funcs[:i], c.funcs[i+1:]...)
				return true
			}
		}
		return false
	}
}

// cancel ends c: Done closes, Err says context.Canceled, and every
// registered function runs. Later calls do nothing.
func (c *leaveCtx) cancel() {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = context.Canceled
	if c.done != nil {
		close(c.done)
	}
	funcs := c.funcs
	c.funcs = nil
	c.mu.Unlock()
	for _, a := range funcs {
		go a.f()
	}
}

// AfterLeave calls f once ctx ends, as context.AfterFunc does, but
// through ctx's own AfterFunc method when it has one (a leave context):
// without the wrapper context.AfterFunc allocates around it.
func AfterLeave(ctx context.Context, f func()) (stop func() bool) {
	if a, ok := ctx.(interface{ AfterFunc(func()) func() bool }); ok {
		return a.AfterFunc(f)
	}
	return context.AfterFunc(ctx, f)
}
