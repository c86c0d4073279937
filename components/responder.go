package components

import (
	"log/slog"
	"net/http"

	"gochat/wire"
)

// Responder encodes each Reply as a JSON answer and completes its request.
// It does no network I/O: the waiting HTTP handler writes the bytes, so a
// slow client never stalls the network.
type Responder struct {
	In <-chan *Reply // results and errors from every other component

	log *slog.Logger
}

// NewResponder returns a Responder that logs answers nobody waited for.
func NewResponder(log *slog.Logger) *Responder {
	return &Responder{log: log}
}

// Process answers replies until In closes.
func (r *Responder) Process() {
	for rep := range r.In {
		a := encode(rep)
		r.complete(rep.Req, a)
		for _, req := range rep.Also {
			r.complete(req, a)
		}
	}
}

func (r *Responder) complete(req *wire.Request, a wire.Answer) {
	if !req.Complete(a) {
		r.log.Debug("answer dropped: the request was already answered", "request", req.ID, "status", a.Status)
	}
}

// encode returns the answer of rep: its error, or its result, each with
// rep's extra headers (an error's own headers win).
func encode(rep *Reply) wire.Answer {
	switch {
	case rep.Err == nil:
		return wire.Encode(rep.Status, rep.Body, rep.Header)
	case rep.Header == nil:
		return wire.ErrorAnswer(rep.Err)
	}
	e := *rep.Err
	e.Header = make(http.Header, len(rep.Header)+len(rep.Err.Header))
	for k, vs := range rep.Header {
		e.Header[k] = vs
	}
	for k, vs := range rep.Err.Header {
		e.Header[k] = vs
	}
	return wire.ErrorAnswer(&e)
}
