package components

import (
	"iter"
	"maps"
	"net/http"
	"time"

	"gochat/wire"
)

// waiters is the registry of parked long-poll reads: it parks and
// unparks them, counts them by room and by client, admits new ones within
// its capacity and per-client limit, and keeps Stats.Parked. Each parked
// read has a timer for its wait and a callback for its client's
// disconnect; both push a release to its inbox and never block. It is
// owned by Storage's goroutine.
type waiters struct {
	capacity  int                           // most parked reads at once
	perClient int                           // most parked reads per client (wire.Request.LimitKey), loopback aside
	stats     *Stats                        // Parked is kept here
	byID      map[uint64]*waiter            // every parked read
	byRoom    map[string]map[uint64]*waiter // parked reads by room; no empty sets
	byClient  map[string]int                // parked reads by client (wire.Request.LimitKey); no zeros
	lastID    uint64                        // the id of the last read parked
	releases  *inbox[release]               // ended waits and disconnects
}

// waiter is one parked long-poll read.
type waiter struct {
	id         uint64      // its key in the registry
	q          *ReadQuery  // the read that waits
	epoch      string      // the room's epoch when it parked
	stopCancel func() bool // unregisters the disconnect callback
	timer      *time.Timer // ends the wait
}

// release tells Storage that a waiter's wait ended or its client left.
type release struct {
	id      uint64 // the waiter's
	expired bool   // the wait ended; false: the client disconnected
}

// newWaiters returns an empty registry with the given limits, counting
// in stats.
func newWaiters(capacity, perClient int, stats *Stats) *waiters {
	return &waiters{
		capacity:  capacity,
		perClient: perClient,
		stats:     stats,
		byID:      make(map[uint64]*waiter),
		byRoom:    make(map[string]map[uint64]*waiter),
		byClient:  make(map[string]int),
		releases:  newInbox[release](),
	}
}

// admit returns nil if a read of req may park, or the answer that says
// why not: 503 at capacity, 429 at the client's limit.
func (ws *waiters) admit(req *wire.Request) *wire.Error {
	if len(ws.byID) >= ws.capacity {
		return wire.Errorf(http.StatusServiceUnavailable,
			"too many readers are waiting (%d); try again shortly", ws.capacity)
	}
	if addr := req.LimitKey(); !exempt(addr) && ws.byClient[addr] >= ws.perClient {
		return wire.Errorf(http.StatusTooManyRequests,
			"too many long-polls from %s (at most %d at once); close some first", addr, ws.perClient)
	}
	return nil
}

// park holds q, read when its room's epoch was epoch, until unpark, its
// wait ends or its client leaves.
func (ws *waiters) park(q *ReadQuery, epoch string) {
	ws.lastID++
	w := &waiter{id: ws.lastID, q: q, epoch: epoch}
	id := w.id
	w.stopCancel = wire.AfterLeave(q.Req.Ctx, func() { ws.releases.push(release{id: id}) })
	w.timer = time.AfterFunc(q.Wait, func() { ws.releases.push(release{id: id, expired: true}) })
	set := ws.byRoom[q.Room]
	if set == nil {
		set = make(map[uint64]*waiter)
		ws.byRoom[q.Room] = set
	}
	set[id] = w
	ws.byID[id] = w
	if addr := q.Req.LimitKey(); !exempt(addr) {
		ws.byClient[addr]++
	}
	ws.stats.Parked.Add(1)
	q.Req.Parked() // its handler may now give up its goroutine
}

// unpark forgets w and stops its timer and disconnect callback.
func (ws *waiters) unpark(w *waiter) {
	w.stopCancel()
	w.timer.Stop()
	set := ws.byRoom[w.q.Room]
	delete(set, w.id)
	if len(set) == 0 {
		delete(ws.byRoom, w.q.Room)
	}
	delete(ws.byID, w.id)
	if addr := w.q.Req.LimitKey(); !exempt(addr) {
		if ws.byClient[addr]--; ws.byClient[addr] <= 0 {
			delete(ws.byClient, addr)
		}
	}
	ws.stats.Parked.Add(-1)
}

// take unparks and returns the waiter id, unless it was already unparked.
func (ws *waiters) take(id uint64) (*waiter, bool) {
	w, ok := ws.byID[id]
	if ok {
		ws.unpark(w)
	}
	return w, ok
}

// inRoom returns the reads parked in room. The caller may unpark them
// while ranging over it.
func (ws *waiters) inRoom(room string) map[uint64]*waiter { return ws.byRoom[room] }

// count returns how many reads are parked in room.
func (ws *waiters) count(room string) int { return len(ws.byRoom[room]) }

// lowestIn returns the lowest since of the reads parked in room: one
// read from there answers them all. It is the largest uint64 if none is.
func (ws *waiters) lowestIn(room string) uint64 {
	l := ^uint64(0)
	for _, w := range ws.byRoom[room] {
		l = min(l, w.q.Since)
	}
	return l
}

// rooms ranges over the rooms with parked reads.
func (ws *waiters) rooms() iter.Seq[string] { return maps.Keys(ws.byRoom) }

// ready is signalled when waits have ended or clients left; drain then.
func (ws *waiters) ready() <-chan struct{} { return ws.releases.ready() }

// drain takes the releases queued by timers and disconnects.
func (ws *waiters) drain() []release { return ws.releases.drain() }
