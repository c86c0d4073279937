package components

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"gochat/store"
)

// Storage answers reads and appends writes with a store.Store, and parks
// long-poll reads until a message arrives in their room, their wait ends
// or their client disconnects. All of its state is owned by its Process
// goroutine; timers and disconnects reach it through a non-blocking inbox.
//
// When both READ and WRITE close, Storage answers every parked read with
// what the room holds and returns: that is how a shutdown or a graph
// switch releases long-polls at once.
type Storage struct {
	Read     <-chan *ReadQuery    `fbp:"optional"` // validated reads
	Write    <-chan *WriteCommand `fbp:"optional"` // validated writes
	Capacity <-chan int           `fbp:"optional"` // most parked reads at once (default DefaultCapacity)
	Out      chan<- *Reply        // results and errors, to the Responder

	store store.Store
	stats *Stats
	log   *slog.Logger
	now   func() time.Time

	capacity int                           // most parked reads
	rooms    map[string]map[uint64]*waiter // parked reads by room and waiter id
	byID     map[uint64]*waiter
	lastID   uint64
	releases *inbox[release]
}

// waiter is one parked long-poll read.
type waiter struct {
	id         uint64
	q          *ReadQuery
	stopCancel func() bool // unregisters the disconnect callback
	timer      *time.Timer // ends the wait
}

// release tells Storage that a waiter's wait ended or its client left.
type release struct {
	id      uint64
	expired bool // the wait ended; false: the client disconnected
}

// DefaultCapacity is how many long-poll reads a Storage parks at once
// unless its CAPACITY port says otherwise. One more is answered 503.
const DefaultCapacity = 10000

// NewStorage returns a Storage over st that counts parked reads in stats
// and logs store failures to log.
func NewStorage(st store.Store, stats *Stats, log *slog.Logger) *Storage {
	return &Storage{store: st, stats: stats, log: log, now: time.Now}
}

// Process serves reads and writes until both inports close. It first
// takes its capacity from CAPACITY, if connected.
func (s *Storage) Process() {
	s.capacity = DefaultCapacity
	if s.Capacity != nil {
		if n, ok := <-s.Capacity; ok && n >= 0 {
			s.capacity = n
		}
	}
	s.rooms = make(map[string]map[uint64]*waiter)
	s.byID = make(map[uint64]*waiter)
	s.releases = newInbox[release]()

	reads, writes := s.Read, s.Write
	for reads != nil || writes != nil {
		select {
		case q, ok := <-reads:
			if !ok {
				reads = nil
				continue
			}
			s.read(q)
		case c, ok := <-writes:
			if !ok {
				writes = nil
				continue
			}
			s.write(c)
		case <-s.releases.ready():
			for _, r := range s.releases.drain() {
				s.release(r)
			}
		}
	}
	for _, w := range s.byID {
		s.unpark(w)
		s.answer(w.q, false)
	}
}

func (s *Storage) read(q *ReadQuery) {
	ctx := q.Req.Ctx
	page, err := s.store.Read(ctx, q.Room, q.Since)
	if err != nil {
		s.fail(q.Req, "read", q.Room, err)
		return
	}
	// A client that names another epoch, or an id the room never gave,
	// knows a previous life of the room: give it everything, at once.
	if (q.Epoch != "" && q.Epoch != page.Epoch) || q.Since > page.Last {
		s.answer(q, true)
		return
	}
	if len(page.Messages) > 0 || q.Wait <= 0 {
		s.reply(q, page, false)
		return
	}
	if ctx.Err() != nil {
		return // the client is gone; nobody waits for an answer
	}
	if len(s.byID) >= s.capacity {
		emit(s.Out, &Reply{Req: q.Req, Err: Errorf(http.StatusServiceUnavailable,
			"too many readers are waiting (%d); try again shortly", s.capacity)})
		return
	}
	s.park(q)
}

func (s *Storage) write(c *WriteCommand) {
	// The store must finish an accepted write even if its client leaves.
	ctx := context.WithoutCancel(c.Req.Ctx)
	msg, err := s.store.Append(ctx, c.Room, store.Draft{Author: c.Author, Text: c.Text, Time: s.now()})
	if err != nil {
		s.fail(c.Req, "append to", c.Room, err)
		return
	}
	emit(s.Out, &Reply{Req: c.Req, Status: http.StatusCreated, Body: msg})
	for _, w := range s.rooms[c.Room] {
		s.unpark(w)
		s.answer(w.q, false)
	}
}

func (s *Storage) park(q *ReadQuery) {
	s.lastID++
	w := &waiter{id: s.lastID, q: q}
	id := w.id
	w.stopCancel = context.AfterFunc(q.Req.Ctx, func() { s.releases.push(release{id: id}) })
	w.timer = time.AfterFunc(q.Wait, func() { s.releases.push(release{id: id, expired: true}) })
	room := s.rooms[q.Room]
	if room == nil {
		room = make(map[uint64]*waiter)
		s.rooms[q.Room] = room
	}
	room[id] = w
	s.byID[id] = w
	s.stats.Parked.Add(1)
}

func (s *Storage) unpark(w *waiter) {
	w.stopCancel()
	w.timer.Stop()
	room := s.rooms[w.q.Room]
	delete(room, w.id)
	if len(room) == 0 {
		delete(s.rooms, w.q.Room)
	}
	delete(s.byID, w.id)
	s.stats.Parked.Add(-1)
}

func (s *Storage) release(r release) {
	w, ok := s.byID[r.id]
	if !ok {
		return // already answered
	}
	s.unpark(w)
	if r.expired {
		s.answer(w.q, false)
	}
}

// answer reads q's room afresh and replies; reset answers from the start.
func (s *Storage) answer(q *ReadQuery, reset bool) {
	since := q.Since
	if reset {
		since = 0
	}
	page, err := s.store.Read(context.WithoutCancel(q.Req.Ctx), q.Room, since)
	if err != nil {
		s.fail(q.Req, "read", q.Room, err)
		return
	}
	s.reply(q, page, reset)
}

func (s *Storage) reply(q *ReadQuery, page store.Page, reset bool) {
	since := q.Since
	if reset {
		since = 0
	}
	emit(s.Out, &Reply{Req: q.Req, Status: http.StatusOK, Body: ReadAnswer{
		Room:     page.Room,
		Epoch:    page.Epoch,
		Last:     page.Last,
		Messages: page.Messages,
		Reset:    reset,
		Gap:      page.First > 0 && since+1 < page.First,
	}})
}

func (s *Storage) fail(req *Request, op, room string, err error) {
	if errors.Is(err, store.ErrRoomLimit) {
		emit(s.Out, &Reply{Req: req, Err: Errorf(http.StatusServiceUnavailable,
			"this server holds as many rooms as it may; post to an existing room")})
		return
	}
	s.log.Error("store failed", "op", op, "room", room, "err", err)
	emit(s.Out, &Reply{Req: req, Err: Errorf(http.StatusServiceUnavailable, "the message store is unavailable; try again")})
}
