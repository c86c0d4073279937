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

// ParseWait reads the wait parameter of a read: "" is no wait, otherwise
// a non-negative integer number of seconds, clamped to max (so is a number
// too large to parse). It is the one reading of wait: the Controller's,
// and the adapter's for its own deadline.
func ParseWait(s string, max time.Duration) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	secs, err := strconv.ParseUint(s, 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		return max, nil
	}
	if err != nil {
		return 0, errors.New("wait must be a non-negative integer number of seconds")
	}
	if secs >= uint64(max/time.Second) {
		return max, nil
	}
	return time.Duration(secs) * time.Second, nil
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
	if q.Wait, err = ParseWait(query.Get("wait"), c.maxWait); err != nil {
		return nil, Errorf(http.StatusBadRequest, "%v", err)
	}
	q.Epoch = query.Get("epoch")
	if len(q.Epoch) > MaxEpochLen || !isToken(q.Epoch) {
		return nil, Errorf(http.StatusBadRequest, "epoch must be at most %d characters of A-Z, a-z, 0-9, _ and -", MaxEpochLen)
	}
	return q, nil
}
