package components

import "log/slog"

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
		a := Encode(rep)
		r.complete(rep.Req, a)
		for _, req := range rep.Also {
			r.complete(req, a)
		}
	}
}

func (r *Responder) complete(req *Request, a Answer) {
	if !req.Complete(a) {
		r.log.Debug("answer dropped: the request was already answered", "request", req.ID, "status", a.Status)
	}
}
