package wire

import (
	"encoding/json"
	"sync"
)

// Payload is a JSON body encoded at most once, by whichever answer needs
// it first, and shared by every answer that carries it. Storage wakes all
// the readers of a room with one Payload, and answers repeated catch-up
// reads from a cached one; the encoding runs in an HTTP handler's
// goroutine, so it spreads over the cores instead of queueing in the
// network.
type Payload struct {
	v    any
	once sync.Once
	b    []byte
}

// appender is a value that writes its own JSON, faster than reflection.
type appender interface {
	AppendJSON(dst []byte) []byte
}

// NewPayload returns a Payload of v, not yet encoded.
func NewPayload(v any) *Payload { return &Payload{v: v} }

// Bytes returns the encoded body, encoding it on the first call.
func (p *Payload) Bytes() []byte {
	p.once.Do(func() {
		if a, ok := p.v.(appender); ok {
			p.b, p.v = a.AppendJSON(make([]byte, 0, 512)), nil
			return
		}
		b, err := json.Marshal(p.v)
		if err != nil {
			b, _ = json.Marshal(errorBody(Errorf(500, "could not encode the answer")))
		}
		p.b, p.v = b, nil
	})
	return p.b
}
