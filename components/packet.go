package components

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/julienschmidt/httprouter"

	"gochat/store"
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
	Body         []byte // the body, at most the adapter's limit
	BodyTooLarge bool   // the body was longer than the limit
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
	Status  int
	Header  http.Header
	Body    []byte
	Payload *Payload
}

// Bytes returns the answer's body.
func (a Answer) Bytes() []byte {
	if a.Payload != nil {
		return a.Payload.Bytes()
	}
	return a.Body
}

// Reply is the packet every component sends towards the Responder: a
// result to encode as JSON, or an error.
type Reply struct {
	Req *Request
	// Also are more requests that get the very same answer: Storage wakes
	// every reader of a room with one Reply, and the Responder completes
	// them all in one go.
	Also   []*Request
	Status int         // HTTP status of a result
	Body   any         // the result, encoded as JSON; a *Payload is used as it is
	Err    *Error      // when set, the answer is this error and Body is ignored
	Header http.Header // extra headers, e.g. Allow
}

// ReadQuery is a validated read of a room's messages.
type ReadQuery struct {
	Req   *Request
	Room  string        // a valid room name
	Since uint64        // the last id the client has
	Wait  time.Duration // how long to hold the request if nothing is new, already clamped
	Epoch string        // the epoch the client knows, "" if none
}

// AppendJSON appends the answer as JSON, by hand: it is the hot path of
// every read.
func (a ReadAnswer) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"room":`...)
	dst = store.AppendJSONString(dst, a.Room)
	dst = append(dst, `,"epoch":`...)
	dst = store.AppendJSONString(dst, a.Epoch)
	dst = append(dst, `,"last":`...)
	dst = strconv.AppendUint(dst, a.Last, 10)
	dst = append(dst, `,"messages":[`...)
	for i, m := range a.Messages {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = m.AppendJSON(dst)
	}
	dst = append(dst, ']')
	if a.Reset {
		dst = append(dst, `,"reset":true`...)
	}
	if a.Gap {
		dst = append(dst, `,"gap":true`...)
	}
	return append(dst, '}')
}

// MarshalJSON implements json.Marshaler with AppendJSON.
func (a ReadAnswer) MarshalJSON() ([]byte, error) { return a.AppendJSON(nil), nil }

// WriteCommand is a validated message to append to a room.
type WriteCommand struct {
	Req    *Request
	Room   string // a valid room name
	Author string // never empty
	Text   string // trimmed, 1 to MaxTextRunes characters
	Key    string // the idempotency key, "" for none; see store.Draft
}

// ReadAnswer is the JSON body of a successful read.
type ReadAnswer struct {
	Room     string          `json:"room"`
	Epoch    string          `json:"epoch"`
	Last     uint64          `json:"last"`
	Messages []store.Message `json:"messages"`
	Reset    bool            `json:"reset,omitempty"`
	Gap      bool            `json:"gap,omitempty"`
}
