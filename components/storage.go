package components

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"gochat/store"
	"gochat/wire"
)

// DefaultCapacity is how many long-poll reads a Storage parks at once
// unless its CAPACITY port says otherwise. One more is answered 503.
const DefaultCapacity = 10000

// DefaultPerClient is how many long-poll reads one client address may
// have parked at once unless PERCLIENT says otherwise; one more is
// answered 429. Loopback addresses are not counted.
const DefaultPerClient = 100

// MaxParked bounds CAPACITY and PERCLIENT: each parked read holds a
// connection, and no server holds more than this many.
const MaxParked = 1 << 20

// flushTimeout bounds the store reads that answer parked reads at
// shutdown, well within the server's own shutdown bound.
const flushTimeout = 3 * time.Second

// Storage answers reads and appends writes with a store.Store, and parks
// long-poll reads until a message arrives in their room, their wait ends
// or their client disconnects. All of its state is owned by its Process
// goroutine; timers, disconnects, store notices and finished store calls
// reach it through non-blocking inboxes.
//
// A message appended by this Storage wakes its readers at once. Messages
// appended elsewhere (another instance on Redis, or the other network
// during a graph reload) arrive as store notices, and the room's parked
// readers are checked against the store. With a remote store (concurrency
// > 0) store calls run on their own goroutines, at most concurrency at
// once; a reader whose read was in flight when news came is checked again
// once parked, so no wake-up is lost.
//
// When both READ and WRITE close, Storage finishes its store calls,
// answers every parked read with what the room holds, and returns: that is
// how a shutdown or a graph switch releases long-polls at once.
type Storage struct {
	Read      <-chan *ReadQuery    `fbp:"optional" description:"validated reads"`
	Write     <-chan *WriteCommand `fbp:"optional" description:"validated writes"`
	Capacity  <-chan int           `fbp:"optional"` // most parked reads at once (default DefaultCapacity)
	PerClient <-chan int           `fbp:"optional"` // most parked reads per client address (default DefaultPerClient)
	Out       chan<- *Reply        `description:"results and errors, to the Responder"`

	store  store.Store  // the messages; Storage subscribes to its notices
	runner *runner      // makes the store calls
	stats  *Stats       // counters for /metrics
	log    *slog.Logger // store failures

	waiters *waiters  // the parked reads
	rooms   *rooms    // the news of rooms with parked reads or calls in flight
	cache   pageCache // encoded answers of recent immediate reads
	closing bool      // both inports closed: nothing parks any more
}

// NewStorage returns a Storage over st that counts parked reads in stats
// and logs store failures to log. concurrency is how many store calls may
// run at once on their own goroutines; 0 runs them inline, which is right
// for the in-memory store.
func NewStorage(st store.Store, concurrency int, stats *Stats, log *slog.Logger) *Storage {
	return &Storage{store: st, runner: newRunner(st, concurrency), stats: stats, log: log}
}

// ConfigPorts implements Configurable: CAPACITY and PERCLIENT.
func (*Storage) ConfigPorts() []ConfigPort {
	return []ConfigPort{
		intRange("Capacity", DefaultCapacity, 0, MaxParked, "parked reads",
			"most long-poll reads parked at once; one more is answered 503"),
		intRange("PerClient", DefaultPerClient, 0, MaxParked, "parked reads",
			"most long-poll reads parked at once per client (an IPv4 address or an IPv6 /64); one more is answered 429"),
	}
}

// Process serves reads and writes until both inports close. It first
// takes its capacity from CAPACITY and PERCLIENT, if connected.
func (s *Storage) Process() {
	capacity := s.config(s.Capacity, "Capacity", DefaultCapacity)
	perClient := s.config(s.PerClient, "PerClient", DefaultPerClient)
	s.waiters = newWaiters(capacity, perClient, s.stats)
	s.rooms = newRooms()
	sub := s.store.Subscribe()
	defer sub.Close()

	reads, writes := s.Read, s.Write
	for {
		if reads == nil && writes == nil {
			if !s.closing {
				s.closing = true
				s.flush()
			}
			if s.runner.idle() {
				return
			}
		}
		// At the concurrency bound, take no new packets until a call ends.
		in, wr := reads, writes
		if s.runner.full() {
			in, wr = nil, nil
		}
		select {
		case q, ok := <-in:
			if !ok {
				reads = nil
				continue
			}
			if !s.fromCache(q) {
				s.run(&job{kind: jobRead, room: q.Room, q: q, since: q.Since})
			}
		case c, ok := <-wr:
			if !ok {
				writes = nil
				continue
			}
			s.run(&job{kind: jobWrite, room: c.Room, c: c})
		case <-s.runner.ready():
			for _, j := range s.runner.drain() {
				s.finish(j)
			}
		case <-s.waiters.ready():
			for _, r := range s.waiters.drain() {
				s.release(r)
			}
		case <-sub.Ready():
			rooms, all := sub.Drain()
			if all {
				s.cache.clear()
				for room := range s.rooms.all() {
					s.notice(room)
				}
			}
			for _, room := range rooms {
				s.notice(room)
			}
		}
	}
}

// run starts a store call on j's room.
func (s *Storage) run(j *job) {
	j.news = s.rooms.start(j.room)
	s.runner.run(j, s.finish)
}

// finish acts on the result of a store call.
func (s *Storage) finish(j *job) {
	rs := s.rooms.finish(j.room)
	defer s.tidy(j.room)
	switch j.kind {
	case jobRead:
		s.finishRead(j, rs)
	case jobAnswer, jobReset:
		if j.err != nil {
			s.fail(j.q.Req, "read", j.room, j.err)
			return
		}
		s.reply(j.q, j.page, j.kind == jobReset)
	case jobWrite:
		if j.err != nil {
			s.fail(j.c.Req, "append to", j.room, j.err)
			return
		}
		s.cache.drop(j.room)
		rs.addNews() // reads in flight may have missed it
		s.stats.Posted.Add(1)
		emit(s.Out, &Reply{Req: j.c.Req, Status: http.StatusCreated, Body: wire.NewPayload(j.msg)})
		s.check(j.room)
	case jobCheck:
		s.finishCheck(j, rs)
	case jobFlush:
		s.finishFlush(j)
	}
}

// finishRead answers a read, resets its client, or parks it.
func (s *Storage) finishRead(j *job, rs *roomState) {
	q, page := j.q, j.page
	if j.err != nil {
		s.fail(q.Req, "read", q.Room, j.err)
		return
	}
	// A client that names another epoch, or an id the room never gave,
	// knows a previous life of the room: give it everything, at once.
	if (q.Epoch != "" && q.Epoch != page.Epoch) || q.Since > page.Last {
		s.run(&job{kind: jobReset, room: q.Room, q: q})
		return
	}
	if len(page.Messages) > 0 || q.Wait <= 0 || s.closing {
		p := s.reply(q, page, false)
		if p != nil && !rs.newsSince(j.news) { // nothing new came while the read was in flight
			s.cache.put(q.Room, q.Since, cachedPage{epoch: page.Epoch, last: page.Last, payload: p, at: time.Now()})
		}
		return
	}
	if q.Req.Ctx.Err() != nil {
		return // the client is gone; nobody waits for an answer
	}
	if err := s.waiters.admit(q.Req); err != nil {
		emit(s.Out, &Reply{Req: q.Req, Err: err})
		return
	}
	s.waiters.park(q, page.Epoch)
	if rs.newsSince(j.news) {
		s.check(q.Room) // news came while the read was in flight
	}
}

// notice handles news from the store about room.
func (s *Storage) notice(room string) {
	s.cache.drop(room)
	rs, ok := s.rooms.get(room)
	if !ok {
		return // nobody waits and nothing is in flight
	}
	rs.addNews()
	s.check(room)
}

// check reads the room once for all its parked readers and wakes those
// with news.
func (s *Storage) check(room string) {
	rs, ok := s.rooms.get(room)
	if !ok || s.waiters.count(room) == 0 || !rs.beginCheck() {
		return
	}
	s.run(&job{kind: jobCheck, room: room, since: s.waiters.lowestIn(room)})
}

// finishCheck wakes the parked readers the check found news for, and
// checks again if news came or a reader could not be answered from it.
func (s *Storage) finishCheck(j *job, rs *roomState) {
	rs.endCheck()
	if j.err != nil {
		// The readers stay parked: their wait ends or the next notice
		// checks again.
		s.stats.StoreErrors.Add(1)
		s.log.Warn("store failed; parked readers wait on", "op", "check", "room", j.room, "err", j.err)
		return
	}
	// One answer, in one packet, for every reader with the same since.
	shared := map[uint64]*Reply{}
	var order []uint64
	for _, w := range s.waiters.inRoom(j.room) {
		switch {
		case w.epoch != "" && j.page.Epoch != w.epoch: // the room expired and began again
			s.waiters.unpark(w)
			s.run(&job{kind: jobReset, room: j.room, q: w.q})
		case j.page.Last > w.q.Since:
			if rep, ok := shared[w.q.Since]; ok {
				s.waiters.unpark(w)
				s.stats.Wakeups.Add(1)
				rep.Also = append(rep.Also, w.q.Req)
				continue
			}
			owed, err := j.page.After(w.q.Since)
			if err != nil {
				// w parked during this check with a lower since than
				// the check read from: the next check reads from it.
				rs.checkAgain()
				continue
			}
			s.waiters.unpark(w)
			s.stats.Wakeups.Add(1)
			shared[w.q.Since] = &Reply{Req: w.q.Req, Status: http.StatusOK,
				Body: wire.NewPayload(s.answer(w.q, owed, false))}
			order = append(order, w.q.Since)
		}
	}
	for _, sn := range order {
		rep := shared[sn]
		if len(rep.Also) > 0 {
			// Encoded here, once: thousands of handlers waiting on one
			// lazy encoding would queue on its lock.
			rep.Body.(*wire.Payload).Bytes()
		}
		emit(s.Out, rep)
	}
	if rs.again(j.news) {
		s.check(j.room)
	}
}

// tidy forgets a room that has nothing parked and nothing in flight.
func (s *Storage) tidy(name string) {
	s.rooms.tidy(name, s.waiters.count(name))
}

// release acts on an ended wait (answered with what the room holds) or a
// client that left (forgotten).
func (s *Storage) release(r release) {
	w, ok := s.waiters.take(r.id)
	if !ok {
		return // already answered
	}
	if r.expired {
		s.run(&job{kind: jobAnswer, room: w.q.Room, q: w.q, since: w.q.Since})
	}
	s.tidy(w.q.Room)
}

// config takes a number of parked reads from port, if connected: def if
// it closes first, or if the number is out of range (logged; graph check
// refuses it).
func (s *Storage) config(port <-chan int, name string, def int) int {
	if port == nil {
		return def
	}
	n, ok := <-port
	if !ok {
		return def
	}
	if err := checkInt(name, n, 0, MaxParked, "parked reads"); err != nil {
		s.log.Error("Storage: bad configuration; using the default", "err", err, "default", def)
		return def
	}
	return n
}

// flush answers every parked read with what its room holds: one read per
// room, every room at once, each bounded by flushTimeout. A room the
// store does not answer in time gets 503, so a shutdown answers every
// parked read even while the store stalls.
func (s *Storage) flush() {
	for room := range s.waiters.rooms() {
		s.run(&job{kind: jobFlush, room: room, since: s.waiters.lowestIn(room), timeout: flushTimeout})
	}
}

// finishFlush answers every read parked in the flushed room.
func (s *Storage) finishFlush(j *job) {
	for _, w := range s.waiters.inRoom(j.room) {
		s.waiters.unpark(w)
		if j.err != nil {
			s.fail(w.q.Req, "read", j.room, j.err)
			continue
		}
		s.reply(w.q, j.page, false)
	}
}

// fromCache answers q from the page cache if it holds q's answer.
func (s *Storage) fromCache(q *ReadQuery) bool {
	e, ok := s.cache.get(q.Room, q.Since, time.Now())
	// Only answers with messages: an empty one might have to wait.
	if !ok || (q.Epoch != "" && q.Epoch != e.epoch) || q.Since >= e.last {
		return false
	}
	emit(s.Out, &Reply{Req: q.Req, Status: http.StatusOK, Body: e.payload})
	return true
}

// reply answers q with what page owes it and returns the shared answer.
// A page that breaks the read contract is a store bug: the client gets
// 503 and the reason is logged, never an answer that skips a message.
func (s *Storage) reply(q *ReadQuery, page store.Page, reset bool) *wire.Payload {
	from := q.Since
	if reset {
		from = 0
	}
	owed, err := page.After(from)
	if err != nil {
		s.fail(q.Req, "read", q.Room, fmt.Errorf("the store broke the read contract: %w", err))
		return nil
	}
	p := wire.NewPayload(s.answer(q, owed, reset))
	emit(s.Out, &Reply{Req: q.Req, Status: http.StatusOK, Body: p})
	return p
}

// answer is the body that answers q with page.
func (s *Storage) answer(q *ReadQuery, page store.Page, reset bool) ReadAnswer {
	from := q.Since
	if reset {
		from = 0
	}
	return ReadAnswer{
		Room:     page.Room,
		Epoch:    page.Epoch,
		Last:     page.Last,
		Messages: page.Messages,
		Reset:    reset,
		Gap:      page.First > 0 && from+1 < page.First,
	}
}

// fail answers req with the client's view of a store failure.
func (s *Storage) fail(req *wire.Request, op, room string, err error) {
	if errors.Is(err, store.ErrRoomLimit) {
		emit(s.Out, &Reply{Req: req, Err: wire.Errorf(http.StatusServiceUnavailable,
			"this server holds as many rooms as it may; post to an existing room")})
		return
	}
	if errors.Is(err, store.ErrKeyReused) {
		emit(s.Out, &Reply{Req: req, Err: wire.Errorf(http.StatusUnprocessableEntity,
			"this Idempotency-Key was used for another message in this room; use a new key for a new message")})
		return
	}
	if errors.Is(err, store.ErrFull) {
		emit(s.Out, &Reply{Req: req, Err: wire.Errorf(http.StatusServiceUnavailable,
			"this server's message store is full; try again later")})
		return
	}
	s.stats.StoreErrors.Add(1)
	s.log.Error("store failed", "op", op, "room", room, "err", err)
	emit(s.Out, &Reply{Req: req, Err: wire.Errorf(http.StatusServiceUnavailable, "the message store is unavailable; try again")})
}
