package components

import (
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"sync"

	"gochat/wire"
)

// parallelFrom is how many requests one Reply must complete before the
// Responder spreads them over several goroutines (one per CPU).
const parallelFrom = 256

// Responder encodes each Reply as a JSON answer and completes its
// requests. A request whose handler still waits gets the answer on its
// channel, and the handler writes it. A held read (a long-poll whose
// handler gave its connection up, see wire.Holder) is written by the
// Responder itself: the one encoded answer goes to every waiting
// connection, from this goroutine or, for a large batch, a few of its
// own. Those writes never wait: what a socket does not take at once is
// left to a writer bounded in time, so a slow client never stalls the
// network.
type Responder struct {
	In <-chan *Reply `description:"results and errors from every other component"`

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
		r.complete(rep.Req, a, nil)
		r.completeAll(rep.Also, a)
	}
}

// completeAll completes reqs with a, a large batch from one goroutine per
// CPU.
func (r *Responder) completeAll(reqs []*wire.Request, a wire.Answer) {
	if len(reqs) == 0 {
		return
	}
	a = a.WithLines() // encoded once for every held connection
	workers := min(runtime.GOMAXPROCS(0), len(reqs)/parallelFrom)
	if workers <= 1 {
		var b wire.Batch
		for _, req := range reqs {
			r.complete(req, a, &b)
		}
		b.Done()
		return
	}
	// Each worker holds back its connections (see wire.Batch) until all
	// have written.
	var wg sync.WaitGroup
	batches := make([]wire.Batch, workers)
	for i, part := range slices.Collect(slices.Chunk(reqs, (len(reqs)+workers-1)/workers)) {
		wg.Go(func() {
			for _, req := range part {
				r.complete(req, a, &batches[i])
			}
		})
	}
	wg.Wait()
	for i := range batches {
		batches[i].Done()
	}
}

func (r *Responder) complete(req *wire.Request, a wire.Answer, b *wire.Batch) {
	if !req.CompleteIn(a, b) {
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
