package components

// Drop takes every packet from IN and discards it: the FBP core library's
// core/Drop, the end of a graph being tried out.
type Drop struct {
	In <-chan any `description:"packets of any kind, discarded"`
}

// NewDrop returns a Drop.
func NewDrop() *Drop { return &Drop{} }

// Process discards packets until In closes.
func (d *Drop) Process() {
	for range d.In {
	}
}
