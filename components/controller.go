package components

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"gochat/wire"
)

// Controller parses and validates reads: the room from the path, and
// since, wait and epoch from the query. Valid reads go out of OUT as a
// ReadQuery with wait clamped to the server's maximum; invalid ones are
// answered 400 through ERR.
type Controller struct {
	In  <-chan *wire.Request `description:"routed reads"`
	Out chan<- *ReadQuery    `description:"validated reads, to Storage"`
	Err chan<- *Reply        `description:"400 answers"`

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

func (c *Controller) parse(req *wire.Request) (*ReadQuery, *wire.Error) {
	q := &ReadQuery{Req: req, Room: req.Params.ByName("room")}
	if err := checkRoom(q.Room); err != nil {
		return nil, err
	}
	query, err := url.ParseQuery(req.RawQuery)
	if err != nil {
		return nil, wire.Errorf(http.StatusBadRequest, "the query string is malformed: %v", err)
	}
	if s := query.Get("since"); s != "" {
		since, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, wire.Errorf(http.StatusBadRequest, "since must be a non-negative integer")
		}
		q.Since = since
	}
	if q.Wait, err = wire.ParseWait(query.Get("wait"), c.maxWait); err != nil {
		return nil, wire.Errorf(http.StatusBadRequest, "%v", err)
	}
	q.Epoch = query.Get("epoch")
	if len(q.Epoch) > wire.MaxEpochLen || !isToken(q.Epoch) {
		return nil, wire.Errorf(http.StatusBadRequest, "epoch must be at most %d characters of A-Z, a-z, 0-9, _ and -", wire.MaxEpochLen)
	}
	return q, nil
}
