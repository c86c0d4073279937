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

// Complete delivers a to the waiting client. It returns false, and drops
// a, if r was already claimed or completed. It never blocks.
func (r *Request) Complete(a Answer) bool {
	if !r.Claim() {
		return false
	}
	r.answer <- a
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
}

// Bytes returns the answer's body.
func (a Answer) Bytes() []byte {
	if a.Payload != nil {
		return a.Payload.Bytes()
	}
	return a.Body
}
