package adapter

import (
	"context"
	"net/http"
	"time"

	"gochat/park"
	"gochat/wire"
)

// heldRequest is a parked read whose handler returned: the Parker holds
// its connection, and whoever completes the request writes the answer
// there. It is the request's wire.Holder.
type heldRequest struct {
	a      *Adapter
	req    *wire.Request
	l      entry              // for the log line and metrics
	conn   *park.Conn         // the held connection
	cancel context.CancelFunc // ends req.Ctx: Storage then releases the read
	timer  *time.Timer        // answers 503 if the network has not answered by the deadline
}

// hold gives r's connection to the Parker. It reports false, with the
// connection untouched, when it cannot be held.
func (a *Adapter) hold(w http.ResponseWriter, r *http.Request, req *wire.Request, l entry, deadline time.Time, cancel context.CancelFunc) bool {
	h := &heldRequest{a: a, req: req, l: l, cancel: cancel}
	c, err := a.cfg.Parker.Hold(w, r, wire.JSONHeader(), h.gone)
	if err != nil {
		a.cfg.Log.Warn("a parked read could not be held; its handler keeps it", "request", req.ID, "err", err)
		return false
	}
	h.conn = c
	h.timer = time.AfterFunc(time.Until(deadline), h.expire)
	if !req.Hold(h) {
		// Answered meanwhile: the answer is on the channel.
		h.Deliver(<-req.Answer(), nil)
	}
	return true
}

// Deliver writes the network's answer to the held connection, from the
// completing goroutine, and logs the request; the connection goes back
// to serving once b is done. It runs only after hold set the timer:
// req.Hold, or hold itself, calls it.
func (h *heldRequest) Deliver(ans wire.Answer, b *wire.Batch) {
	h.timer.Stop()
	h.finish(ans, b)
}

// finish logs, writes ans and ends the request's context. As for every
// request, the log line comes before the answer leaves.
func (h *heldRequest) finish(ans wire.Answer, b *wire.Batch) {
	body := ans.Bytes()
	h.a.logAnswer(context.Background(), h.l, ans.Status, len(body))
	lines := ans.Lines
	if lines == nil {
		lines = wire.HeaderLines(nil, ans.Header)
	}
	h.conn.Write(ans.Status, lines, body, b.Later) // a nil b runs it at once
	h.cancel()
}

// gone is the Parker's word that the client left before its answer: the
// read is released, and the connection closed unless an answer is being
// written.
func (h *heldRequest) gone(c *park.Conn) {
	h.cancel()
	if h.req.Claim() {
		c.Close()
		h.a.logAnswer(context.Background(), h.l, StatusClientGone, 0)
	}
}

// expire answers 503 if the network has not answered by the deadline.
func (h *heldRequest) expire() {
	if !h.req.Claim() {
		return
	}
	h.a.cfg.Log.Error("the network did not answer in time", "request", h.req.ID, "method", h.req.Method, "path", h.req.Path)
	h.finish(wire.ErrorAnswer(wire.Errorf(http.StatusServiceUnavailable, "the server did not answer in time; try again")), nil)
}
