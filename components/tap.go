package components

import (
	"fmt"
	"reflect"
	"sync/atomic"

	"gochat/wire"
)

// Tap passes every packet from IN to OUT and counts it. gochat puts one on
// each connection of a network run with -debug, to show packet counts; it
// is not meant for graph files and is not in the Catalog.
type Tap[T any] struct {
	In  <-chan T
	Out chan<- T

	n *atomic.Uint64
}

// Process relays packets until In closes.
func (t *Tap[T]) Process() {
	for v := range t.In {
		t.n.Add(1)
		t.Out <- v
	}
}

// NewTap returns a Tap for packets of type elem that counts into n.
func NewTap(elem reflect.Type, n *atomic.Uint64) (any, error) {
	switch elem {
	case reflect.TypeFor[*wire.Request]():
		return &Tap[*wire.Request]{n: n}, nil
	case reflect.TypeFor[*ReadQuery]():
		return &Tap[*ReadQuery]{n: n}, nil
	case reflect.TypeFor[*WriteCommand]():
		return &Tap[*WriteCommand]{n: n}, nil
	case reflect.TypeFor[*Reply]():
		return &Tap[*Reply]{n: n}, nil
	}
	return nil, fmt.Errorf("no tap for packets of type %s", elem)
}
