package components

// Repeat passes every packet from IN to OUT unchanged: the FBP core
// library's core/Repeat, for trying a graph out (the FBP protocol's own
// test suite builds one). It carries packets of any type.
type Repeat struct {
	In  <-chan any `description:"packets of any kind"`
	Out chan<- any `description:"the same packets"`
}

// NewRepeat returns a Repeat.
func NewRepeat() *Repeat { return &Repeat{} }

// Process forwards packets until In closes.
func (r *Repeat) Process() {
	for v := range r.In {
		r.Out <- v
	}
}
