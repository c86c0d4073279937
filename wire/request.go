package wire

import (
	"context"
	"net/http"
	"sync/atomic"

	"github.com/julienschmidt/httprouter"
)

// Request is the packet the HTTP adapter injects into the network: one
// HTTP request whose client is waiting for an Answer.
//
// Exactly one party completes a Request: the Responder through Complete,
// or the adapter itself through Claim when the client went away or the
// network did not answer in time.
//
// A request may be held (see AllowHold): when Storage parks it, the HTTP
// side hears of it through Parked, gives up its goroutine and registers a
// Holder; from then on Complete hands the answer to the Holder, in the
// completing goroutine, instead of sending it on the Answer channel.
type Request struct {
	ID           uint64 // unique per adapter, for logs
	Method       string // HTTP method
	Path         string // URL path, without the query
	RawQuery     string // the query string, without "?"
	ContentType  string // the Content-Type header
	Body         []byte // the body, at most MaxBodyBytes
	BodyTooLarge bool   // the body was longer than MaxBodyBytes
	RemoteAddr   string // the client's IP address
	ClientKey    string // what per-client limits count by; see LimitKey
	// IdempotencyKey is the Idempotency-Key header (several joined with
	// commas), and HasIdempotencyKey says whether it was sent; the
	// SendController checks it.
	IdempotencyKey    string
	HasIdempotencyKey bool
	Ctx               context.Context   // cancelled when the client disconnects
	Params            httprouter.Params // path parameters, set by the Router

	claimed atomic.Bool
	answer  chan Answer

	parked   chan struct{} // closed by Parked; nil unless AllowHold
	parkOnce atomic.Bool   // Parked has closed parked
	holder   Holder        // set by Hold before hold becomes held
	hold     atomic.Int32  // waiting, held or sent: who takes the answer
}

// The states of Request.hold.
const (
	waiting = iota // the handler waits on the Answer channel
	held           // the handler returned: the Holder takes the answer
	sent           // the answer was sent on the Answer channel
)

// Holder takes the answer of a held request, in the goroutine that
// completes it. It must not block: it writes what the socket takes at
// once and leaves the rest to a bounded writer of its own. What can wait
// until every answer of the batch is written (the connection going back
// to serving its next request), it gives to b.Later.
type Holder interface {
	Deliver(a Answer, b *Batch)
}

// Batch holds back work until every answer of a batch is written: the
// Responder writes a wake-up's answers first, and only then lets their
// connections compete for the CPU with the requests that follow. A nil
// *Batch does the work at once.
type Batch struct {
	later []func() // in the order given
}

// Later runs f when the batch is done, or now if b is nil.
func (b *Batch) Later(f func()) {
	if b == nil {
		f()
		return
	}
	b.later = append(b.later, f)
}

// Done runs what was held back, in order, and empties b.
func (b *Batch) Done() {
	for i, f := range b.later {
		b.later[i] = nil
		f()
	}
	b.later = b.later[:0]
}

// AllowHold lets r be held once it is parked. Call it before r enters the
// network.
func (r *Request) AllowHold() { r.parked = make(chan struct{}) }

// Parked tells r's handler that r waits for news and may be held. It
// does nothing unless AllowHold was called, and never blocks.
func (r *Request) Parked() {
	if r.parked != nil && r.parkOnce.CompareAndSwap(false, true) {
		close(r.parked)
	}
}

// ParkedSignal is closed once r is parked; it is nil, and never ready,
// unless AllowHold was called.
func (r *Request) ParkedSignal() <-chan struct{} { return r.parked }

// Hold hands r's answer to h, and reports true, unless r was already
// answered: then its answer is on the Answer channel, and the caller
// gives it to h itself. Call it at most once, from the handler.
func (r *Request) Hold(h Holder) bool {
	r.holder = h
	return r.hold.CompareAndSwap(waiting, held)
}

// LimitKey returns what the per-client limits count r by: its ClientKey
// (an IPv4 address, or an IPv6 client's prefix), or its RemoteAddr when
// no key was set.
func (r *Request) LimitKey() string {
	if r.ClientKey != "" {
		return r.ClientKey
	}
	return r.RemoteAddr
}

// NewRequest returns a Request ready to be completed once.
func NewRequest(ctx context.Context) *Request {
	return &Request{Ctx: ctx, answer: make(chan Answer, 1)}
}

// Claim takes the right to answer r. It returns false if someone already
// has it.
func (r *Request) Claim() bool {
	return r.claimed.CompareAndSwap(false, true)
}

// Complete delivers a to the waiting client: on the Answer channel, or
// through the Holder of a held request. It returns false, and drops a, if
// r was already claimed or completed. It never blocks.
func (r *Request) Complete(a Answer) bool { return r.CompleteIn(a, nil) }

// CompleteIn is Complete as part of batch b (see Batch).
func (r *Request) CompleteIn(a Answer, b *Batch) bool {
	if !r.Claim() {
		return false
	}
	if r.hold.Load() == held {
		r.holder.Deliver(a, b)
		return true
	}
	r.answer <- a // never blocks: the channel holds one and only this sends
	if !r.hold.CompareAndSwap(waiting, sent) {
		// Held meanwhile: the handler is gone, and a is still there.
		r.holder.Deliver(<-r.answer, b)
	}
	return true
}

// Answer returns the channel on which the completed answer arrives.
func (r *Request) Answer() <-chan Answer {
	return r.answer
}

// Answer is an HTTP answer, ready to write. Its body is Body, or, when
// Payload is set, the payload's bytes. Header may be shared between
// answers: writers copy it and never change it.
type Answer struct {
	Status  int         // the HTTP status
	Header  http.Header // the headers, shared: never changed
	Body    []byte      // the body, unless Payload is set
	Payload *Payload    // the body, encoded once and shared, or nil
	// Lines is Header as HTTP header lines, encoded once for the many
	// connections of a wake-up (see WithLines); nil until then.
	Lines []byte
}

// WithLines returns a with Lines set.
func (a Answer) WithLines() Answer {
	a.Lines = HeaderLines(nil, a.Header)
	return a
}

// HeaderLines appends h as HTTP header lines to dst (see HeaderLine).
func HeaderLines(dst []byte, h http.Header) []byte {
	for k, vs := range h {
		for _, v := range vs {
			dst = HeaderLine(dst, k, v)
		}
	}
	return dst
}

// HeaderLine appends the header line "k: v\r\n" to dst; as net/http
// does, a line break in v becomes a space.
func HeaderLine(dst []byte, k, v string) []byte {
	dst = append(dst, k...)
	dst = append(dst, ": "...)
	for i := 0; i < len(v); i++ {
		if ch := v[i]; ch == '\r' || ch == '\n' {
			dst = append(dst, ' ')
		} else {
			dst = append(dst, ch)
		}
	}
	return append(dst, "\r\n"...)
}

// Bytes returns the answer's body.
func (a Answer) Bytes() []byte {
	if a.Payload != nil {
		return a.Payload.Bytes()
	}
	return a.Body
}
