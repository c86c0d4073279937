package components

import "sync"

// inbox carries notices from callbacks on other goroutines (timers,
// context cancellation) into a component's loop without ever blocking the
// sender: notices queue under a mutex and one buffered signal says there
// is something to drain.
type inbox[T any] struct {
	mu     sync.Mutex
	items  []T
	signal chan struct{}
}

func newInbox[T any]() *inbox[T] {
	return &inbox[T]{signal: make(chan struct{}, 1)}
}

// push queues v and signals the reader. It never blocks.
func (b *inbox[T]) push(v T) {
	b.mu.Lock()
	b.items = append(b.items, v)
	b.mu.Unlock()
	select {
	case b.signal <- struct{}{}:
	default:
	}
}

// ready is signalled after a push; drain then.
func (b *inbox[T]) ready() <-chan struct{} { return b.signal }

// drain takes every queued notice.
func (b *inbox[T]) drain() []T {
	b.mu.Lock()
	defer b.mu.Unlock()
	items := b.items
	b.items = nil
	return items
}
