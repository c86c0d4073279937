package components

import (
	"fmt"
	"reflect"
	"sync/atomic"

	"gochat/wire"
)

// Tap passes every packet from IN to OUT and counts it. gochat puts one on
// each connection of a network run with -debug, to show packet counts, and
// of a graph the FBP protocol runs, to show its packets; it is not meant
// for graph files and is not in the Catalog.
type Tap[T any] struct {
	In  <-chan T
	Out chan<- T

	n       *atomic.Uint64
	observe func(any) // nil, or told of each packet before it is passed on; must not block
}

// Process relays packets until In closes.
func (t *Tap[T]) Process() {
	for v := range t.In {
		t.n.Add(1)
		if t.observe != nil {
			t.observe(v)
		}
		t.Out <- v
	}
}

// NewTap returns a Tap for packets of type elem that counts into n and,
// when observe is not nil, tells observe of each packet (observe must not
// block: it runs on the packet's way).
func NewTap(elem reflect.Type, n *atomic.Uint64, observe func(any)) (any, error) {
	switch elem {
	case reflect.TypeFor[*wire.Request]():
		return &Tap[*wire.Request]{n: n, observe: observe}, nil
	case reflect.TypeFor[*ReadQuery]():
		return &Tap[*ReadQuery]{n: n, observe: observe}, nil
	case reflect.TypeFor[*WriteCommand]():
		return &Tap[*WriteCommand]{n: n, observe: observe}, nil
	case reflect.TypeFor[*Reply]():
		return &Tap[*Reply]{n: n, observe: observe}, nil
	case reflect.TypeFor[any]():
		return &Tap[any]{n: n, observe: observe}, nil
	}
	return nil, fmt.Errorf("no tap for packets of type %s", elem)
}
