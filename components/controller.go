package components

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Controller parses and validates reads: the room from the path, and
// since, wait and epoch from the query. Valid reads go out of OUT as a
// ReadQuery with wait clamped to the server's maximum; invalid ones are
// answered 400 through ERR.
type Controller struct {
	In  <-chan *Request   // routed reads
	Out chan<- *ReadQuery // validated reads, to Storage
	Err chan<- *Reply     // 400 answers

	maxWait time.Duration
}

// NewController returns a Controller that clamps waits to maxWait.
func NewController(maxWait time.Duration) *Controller {
	return &Controller{maxWait: maxWait}
}

// Process validates reads until In closes.
func (c *Controller) Process() {
	for req := range c.In {
		q, err := c.parse(req)
		if err != nil {
			reject(c.Err, req, err)
			continue
		}
		forward(c.Out, q, c.Err, req, "Controller")
	}
}

func (c *Controller) parse(req *Request) (*ReadQuery, *Error) {
	q := &ReadQuery{Req: req, Room: req.Params.ByName("room")}
	if err := checkRoom(q.Room); err != nil {
		return nil, err
	}
	query, err := url.ParseQuery(req.RawQuery)
	if err != nil {
		return nil, Errorf(http.StatusBadRequest, "the query string is malformed: %v", err)
	}
	if s := query.Get("since"); s != "" {
		since, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, Errorf(http.StatusBadRequest, "since must be a non-negative integer")
		}
		q.Since = since
	}
	if s := query.Get("wait"); s != "" {
		q.Wait = c.maxWait
		secs, err := strconv.ParseUint(s, 10, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, Errorf(http.StatusBadRequest, "wait must be a non-negative integer number of seconds")
		}
		if err == nil && secs < uint64(c.maxWait/time.Second) {
			q.Wait = time.Duration(secs) * time.Second
		}
	}
	q.Epoch = query.Get("epoch")
	if len(q.Epoch) > MaxEpochLen || !isToken(q.Epoch) {
		return nil, Errorf(http.StatusBadRequest, "epoch must be at most %d characters of A-Z, a-z, 0-9, _ and -", MaxEpochLen)
	}
	return q, nil
}
