package components

import (
	"time"

	"gochat/wire"
)

// Page cache bounds: entries live at most pageCacheAge (so a room that
// expired in Redis without a notice is not shown for long), and at most
// pageCacheSize are kept (past it the cache starts afresh).
const (
	pageCacheAge  = time.Second
	pageCacheSize = 4096
)

// pageCache keeps the encoded answers of recent immediate reads by room
// and since, so that repeated catch-up reads neither read the store nor
// encode again. Storage drops a room's entries when the room gets news.
// It is owned by Storage's goroutine.
type pageCache struct {
	rooms map[string]map[uint64]cachedPage // entries by room, then by since
	n     int                              // entries held, at most pageCacheSize
}

// cachedPage is one cached answer.
type cachedPage struct {
	epoch   string        // the room's epoch when it was read
	last    uint64        // the room's newest id when it was read
	payload *wire.Payload // the whole answer, reset and wait aside
	at      time.Time     // when it was read
}

// get returns the entry for room and since unless it is older than
// pageCacheAge at now.
func (c *pageCache) get(room string, since uint64, now time.Time) (cachedPage, bool) {
	e, ok := c.rooms[room][since]
	if !ok || now.Sub(e.at) > pageCacheAge {
		return cachedPage{}, false
	}
	return e, true
}

// put keeps e for room and since; past pageCacheSize entries the cache
// starts afresh.
func (c *pageCache) put(room string, since uint64, e cachedPage) {
	if c.rooms == nil || c.n >= pageCacheSize {
		c.rooms, c.n = map[string]map[uint64]cachedPage{}, 0
	}
	m := c.rooms[room]
	if m == nil {
		m = map[uint64]cachedPage{}
		c.rooms[room] = m
	}
	if _, ok := m[since]; !ok {
		c.n++
	}
	m[since] = e
}

// drop forgets room's entries.
func (c *pageCache) drop(room string) {
	c.n -= len(c.rooms[room])
	delete(c.rooms, room)
}

// clear forgets every entry.
func (c *pageCache) clear() {
	c.rooms, c.n = nil, 0
}
