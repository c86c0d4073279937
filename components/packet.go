package components

import (
	"net/http"
	"strconv"
	"time"

	"gochat/store"
	"gochat/wire"
)

// Reply is the packet every component sends towards the Responder: a
// result to encode as JSON, or an error.
type Reply struct {
	Req *wire.Request
	// Also are more requests that get the very same answer: Storage wakes
	// every reader of a room with one Reply, and the Responder completes
	// them all in one go.
	Also   []*wire.Request
	Status int         // HTTP status of a result
	Body   any         // the result, encoded as JSON; a *wire.Payload is used as it is
	Err    *wire.Error // when set, the answer is this error and Body is ignored
	Header http.Header // extra headers, e.g. Allow
}

// ReadQuery is a validated read of a room's messages.
type ReadQuery struct {
	Req   *wire.Request
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
	Req    *wire.Request
	Room   string // a valid room name
	Author string // never empty
	Text   string // trimmed, 1 to wire.MaxTextRunes characters
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
