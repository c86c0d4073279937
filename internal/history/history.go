// Package history records what the clients of a load test did and saw,
// and checks gochat's whole read and write contract on it. Every load
// test (memory, Redis, reloads, shutdown, nginx, soak) records into one
// History and calls Check once at the end, instead of asserting a few
// things of its own.
//
// The contract it checks:
//   - every answer obeys the read contract: its messages are every
//     retained message newer than since, oldest first, up to and including
//     last (none when last <= since);
//   - each reader sees every acknowledged id of its room once, in order;
//   - a gap or a reset comes only with a cause: a gap when the room
//     retained fewer messages than were missed, a reset when the reader
//     named another epoch or an id the room never gave;
//   - no message is stored twice: each write carries a unique text, and no
//     text appears under two ids, nor an acknowledged id with another text.
//
// A test records writes with Acked (the 201's message) and each reader's
// answers with Reader.Saw; Reader.Next gives the query a client sends next.
//
//	h := history.New(100) // rooms retain 100 messages
//	r := h.Reader("lobby")
//	since, epoch := r.Next()
//	// GET ...?since=since&epoch=epoch&wait=5, then:
//	r.Saw(since, epoch, answer)
//	...
//	h.Check(t)
package history

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
)

// maxReports bounds how many violations Check reports, so that a broken
// run stays readable.
const maxReports = 20

// Message is a stored message as an answer shows it.
type Message struct {
	ID   uint64 // its id in its room
	Text string // unique per write in a load test
}

// Answer is a 200 answer to a read.
type Answer struct {
	Epoch    string    // the room's epoch
	Last     uint64    // the room's newest id
	Messages []Message // oldest first
	Gap      bool      // messages were missed
	Reset    bool      // the reader must start over
}

// History is the record of one load test. It is safe for concurrent use.
type History struct {
	retained int // messages a room retains; 0: all

	mu      sync.Mutex
	acked   map[string]map[uint64]string // room → id → text of each 201
	readers []*Reader
	errs    []string // violations found while recording
}

// New returns an empty History of rooms that retain the newest retained
// messages (0 for all).
func New(retained int) *History {
	return &History{retained: retained, acked: map[string]map[uint64]string{}}
}

// Acked records a write that was answered 201 with m.
func (h *History) Acked(room string, m Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := h.acked[room]
	if ids == nil {
		ids = map[uint64]string{}
		h.acked[room] = ids
	}
	if old, ok := ids[m.ID]; ok && old != m.Text {
		h.fail("room %s: id %d acknowledged twice, for %q and %q", room, m.ID, old, m.Text)
	}
	ids[m.ID] = m.Text
}

// AckedCount returns how many writes to room were acknowledged.
func (h *History) AckedCount(room string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.acked[room])
}

func (h *History) fail(format string, args ...any) {
	if len(h.errs) < maxReports {
		h.errs = append(h.errs, fmt.Sprintf(format, args...))
	}
}

// Reader returns a new reader of room that starts from the beginning.
func (h *History) Reader(room string) *Reader {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := &Reader{h: h, room: room, n: len(h.readers)}
	h.readers = append(h.readers, r)
	return r
}

// Reader is one client following a room. Its methods are for one
// goroutine at a time.
type Reader struct {
	h    *History
	room string
	n    int // its number, for reports

	since uint64   // the last id it has
	epoch string   // the epoch it knows
	ids   []uint64 // the ids it shows, in the order it got them
	texts map[uint64]string
	// excused are the spans of ids (first, last) it may not have seen:
	// before a gap or a reset.
	excused [][2]uint64
}

// Room returns the room the reader follows.
func (r *Reader) Room() string { return r.room }

// Next returns the since and epoch of the reader's next read.
func (r *Reader) Next() (since uint64, epoch string) { return r.since, r.epoch }

// Seen returns how many messages the reader shows.
func (r *Reader) Seen() int { return len(r.ids) }

// Saw records the answer a to a read with since and epoch, checks it, and
// moves the reader on as a client does.
func (r *Reader) Saw(since uint64, epoch string, a Answer) {
	fail := func(format string, args ...any) {
		r.h.mu.Lock()
		defer r.h.mu.Unlock()
		r.h.fail("reader %d of %s, since=%d epoch=%q: %s", r.n, r.room, since, epoch, fmt.Sprintf(format, args...))
	}
	if r.texts == nil {
		r.texts = map[uint64]string{}
	}
	from := since
	if a.Reset {
		if caused := (epoch != "" && epoch != a.Epoch) || since > a.Last; !caused {
			fail("reset without cause (epoch %q, since within last %d)", a.Epoch, a.Last)
		}
		from = 0
		r.ids, r.texts = nil, map[uint64]string{}
	}
	// The read contract.
	switch {
	case a.Last <= from && len(a.Messages) > 0:
		fail("messages %v above last %d", ids(a.Messages), a.Last)
	case a.Last > from && len(a.Messages) == 0 && !(a.Reset || a.Gap):
		fail("last is %d but no messages came: ids %d to %d are missing", a.Last, from+1, a.Last)
	case len(a.Messages) > 0:
		first := a.Messages[0].ID
		for i, m := range a.Messages {
			if m.ID != first+uint64(i) {
				fail("ids %v are not contiguous", ids(a.Messages))
				break
			}
		}
		if end := a.Messages[len(a.Messages)-1].ID; end != a.Last {
			fail("messages end at %d, not at last %d", end, a.Last)
		}
		switch {
		case first <= from:
			fail("message %d is not newer than since", first)
		case first > from+1 && !a.Gap:
			fail("first message is %d without gap: ids %d to %d are missing", first, from+1, first-1)
		case a.Gap && first == from+1:
			fail("gap, but nothing was missed")
		case a.Gap && r.h.retained > 0 && len(a.Messages) < r.h.retained:
			fail("gap while the room retains only %d of %d messages", len(a.Messages), r.h.retained)
		}
	}
	if a.Gap && r.h.retained == 0 {
		fail("gap, but rooms retain every message")
	}
	if (a.Gap || a.Reset) && len(a.Messages) > 0 {
		// The ids before the first one given are excused.
		r.excused = append(r.excused, [2]uint64{from + 1, a.Messages[0].ID - 1})
	}
	for i, m := range a.Messages {
		if prev := len(r.ids) - 1; prev >= 0 && m.ID != r.ids[prev]+1 && !(a.Gap && i == 0) {
			fail("message %d follows %d", m.ID, r.ids[prev])
		}
		r.ids = append(r.ids, m.ID)
		r.texts[m.ID] = m.Text
	}
	if a.Last > r.since || a.Reset || a.Epoch != r.epoch {
		r.since = a.Last
	}
	r.epoch = a.Epoch
}

func ids(ms []Message) []uint64 {
	out := make([]uint64, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// Check fails tb with every violation of the contract found in the
// record: in the answers as they came, and across the whole run. A reader
// is held to every acknowledged id up to the last one it was told of.
// Call it after every client has stopped.
func (h *History) Check(tb testing.TB) {
	tb.Helper()
	h.check(tb, false)
}

// CheckComplete is Check, and also holds every reader to every
// acknowledged id of its room: for runs whose readers follow until they
// have seen all writes.
func (h *History) CheckComplete(tb testing.TB) {
	tb.Helper()
	h.check(tb, true)
}

func (h *History) check(tb testing.TB, complete bool) {
	tb.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	errs := h.errs
	add := func(format string, args ...any) {
		if len(errs) < maxReports {
			errs = append(errs, fmt.Sprintf(format, args...))
		}
	}
	// What the run stored: id → text, from the writes and every reader.
	stored := map[string]map[uint64]string{}
	for room, acked := range h.acked {
		stored[room] = map[uint64]string{}
		for id, text := range acked {
			stored[room][id] = text
		}
	}
	for _, r := range h.readers {
		ids := stored[r.room]
		if ids == nil {
			ids = map[uint64]string{}
			stored[r.room] = ids
		}
		for id, text := range r.texts {
			if old, ok := ids[id]; ok && old != text {
				add("room %s: id %d is %q to one client and %q to another", r.room, id, old, text)
			}
			ids[id] = text
		}
	}
	for room, ids := range stored {
		byText := map[string]uint64{}
		for id, text := range ids {
			if other, ok := byText[text]; ok {
				add("room %s: %q is stored twice, as ids %d and %d", room, text, min(id, other), max(id, other))
			}
			byText[text] = id
		}
	}
	// Each reader saw every acknowledged id of its room once, in order,
	// from where it started to the newest acknowledged id.
	for _, r := range h.readers {
		acked := h.acked[r.room]
		var newest uint64
		for id := range acked {
			newest = max(newest, id)
		}
		seen := map[uint64]bool{}
		for i, id := range r.ids {
			if seen[id] {
				add("reader %d of %s saw id %d twice", r.n, r.room, id)
			}
			seen[id] = true
			if i > 0 && id <= r.ids[i-1] {
				add("reader %d of %s saw id %d after %d", r.n, r.room, id, r.ids[i-1])
			}
		}
		var missed []uint64
		for id := range acked {
			if !seen[id] && !r.isExcused(id) && (complete || id <= r.since) {
				missed = append(missed, id)
			}
		}
		if len(missed) > 0 {
			sort.Slice(missed, func(i, j int) bool { return missed[i] < missed[j] })
			add("reader %d of %s missed %d acknowledged ids (it saw %d, the newest acknowledged is %d): %v", r.n, r.room, len(missed), len(r.ids), newest, head(missed))
		}
	}
	if len(errs) > 0 {
		tb.Errorf("the history breaks the contract (%d violations, at most %d shown):\n%s", len(errs), maxReports, strings.Join(errs, "\n"))
	}
}

func (r *Reader) isExcused(id uint64) bool {
	for _, e := range r.excused {
		if e[0] <= id && id <= e[1] {
			return true
		}
	}
	return false
}

func head(ids []uint64) []uint64 {
	return ids[:min(len(ids), 10)]
}
