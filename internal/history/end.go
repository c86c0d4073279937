package history

import (
	"context"
	"fmt"
	"sync"
	"time"

	"gochat/internal/testutil"
)

// End tells a load test's long-poll readers when to stop. Until Set,
// each reader polls under Context, with no end. Set records the room's
// last id and epoch once the writers have stopped, and cancels every poll
// in flight, so that a reader that has everything stops instead of
// waiting out its poll; one that lacks messages polls again, and is
// answered at once since what it lacks is there.
type End struct {
	polls  context.Context    // the readers' polls until Set
	cancel context.CancelFunc // cancels polls

	mu    sync.Mutex
	set   bool      // Set was called
	last  uint64    // the room's last id, once set
	epoch string    // the room's epoch, once set
	at    time.Time // when Set was called
}

// NewEnd returns an End not yet set. Stop releases it.
func NewEnd() *End {
	polls, cancel := context.WithCancel(context.Background())
	return &End{polls: polls, cancel: cancel}
}

// Set records the room's last id and epoch and cancels the polls in
// flight.
func (e *End) Set(last uint64, epoch string) {
	e.mu.Lock()
	e.set, e.last, e.epoch, e.at = true, last, epoch, time.Now()
	e.mu.Unlock()
	e.cancel()
}

// Stop cancels the polls in flight, for a test that ends early.
func (e *End) Stop() { e.cancel() }

// Poll returns the context for r's next poll, or done when r should
// stop: it has the last id under the epoch that Set recorded, or it
// still has not testutil.Timeout after Set (err then says where r is).
// A poll cancelled by Set is no failure: the reader polls again.
func (e *End) Poll(r *Reader) (ctx context.Context, done bool, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.set {
		return e.polls, false, nil
	}
	since, epoch := r.Next()
	switch {
	case since >= e.last && epoch == e.epoch:
		return nil, true, nil
	case time.Since(e.at) > testutil.Timeout:
		return nil, true, fmt.Errorf("is at %d under %q, not at %d under %q", since, epoch, e.last, e.epoch)
	}
	return context.Background(), false, nil
}
