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
//     named another epoch or an id the room never gave; and a reader that
//     named another epoch is reset;
//   - no message is stored twice: each write carries a unique text, and no
//     text appears under two ids of one epoch, nor an acknowledged id with
//     another text;
//   - a room keeps its epoch as long as it keeps its messages.
//
// A test records writes with Acked (the 201's message) and each reader's
// answers with Reader.Saw; Reader.Next gives the query a client sends next.
//
// A room whose store lost everything (a Redis without persistence that
// restarted) begins a new life: ids from 1 again, under a new epoch. The
// test marks it with Lost; the writes acknowledged before are then of the
// old life and may be gone, and readers are held to the new life. The
// checker learns each life's epoch from what the readers saw.
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

	mu sync.Mutex
	// acked holds, per room, its lives, oldest first: id → text of each
	// 201.
	acked   map[string][]map[uint64]string
	readers []*Reader
	errs    []string // violations found while recording
}

// New returns an empty History of rooms that retain the newest retained
// messages (0 for all).
func New(retained int) *History {
	return &History{retained: retained, acked: map[string][]map[uint64]string{}}
}

// life returns the current life of room. Call it with h.mu held.
func (h *History) life(room string) map[uint64]string {
	lives := h.acked[room]
	if len(lives) == 0 {
		lives = []map[uint64]string{{}}
		h.acked[room] = lives
	}
	return lives[len(lives)-1]
}

// Acked records a write that was answered 201 with m.
func (h *History) Acked(room string, m Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := h.life(room)
	if old, ok := ids[m.ID]; ok && old != m.Text {
		h.fail("room %s: id %d acknowledged twice, for %q and %q", room, m.ID, old, m.Text)
	}
	ids[m.ID] = m.Text
}

// AckedCount returns how many writes to room were acknowledged in its
// current life.
func (h *History) AckedCount(room string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.life(room))
}

// Lost records that room lost everything it held: the writes acknowledged
// so far belong to its old life and may be gone; those acknowledged from
// now on belong to a new life, with ids from 1 under a new epoch, and
// every reader that follows to the end is held to it. Call it after the
// loss and before the store takes writes again, while no write to room is
// in flight, so that each acknowledged write is of the life it is
// recorded in.
func (h *History) Lost(room string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.life(room)
	h.acked[room] = append(h.acked[room], map[uint64]string{})
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

	since uint64 // the last id it has
	epoch string // the epoch it knows
	// shown is what it shows of each life of the room it followed,
	// oldest first: a reset begins the next.
	shown []*shown
}

// shown is what a reader shows of one life of its room.
type shown struct {
	epoch string   // the epoch of its messages; "" before any
	since uint64   // the last id it was told of
	ids   []uint64 // in the order it got them
	texts map[uint64]string
	// excused are the spans of ids (first, last) it may not have seen:
	// before a gap or a reset.
	excused [][2]uint64
}

func (r *Reader) current() *shown {
	if len(r.shown) == 0 {
		r.begin()
	}
	return r.shown[len(r.shown)-1]
}

func (r *Reader) begin() {
	r.shown = append(r.shown, &shown{texts: map[uint64]string{}})
}

// Room returns the room the reader follows.
func (r *Reader) Room() string { return r.room }

// Next returns the since and epoch of the reader's next read.
func (r *Reader) Next() (since uint64, epoch string) { return r.since, r.epoch }

// Seen returns how many messages the reader shows since its last reset.
func (r *Reader) Seen() int { return len(r.current().ids) }

// Saw records the answer a to a read with since and epoch, checks it, and
// moves the reader on as a client does.
func (r *Reader) Saw(since uint64, epoch string, a Answer) {
	fail := func(format string, args ...any) {
		r.h.mu.Lock()
		defer r.h.mu.Unlock()
		r.h.fail("reader %d of %s, since=%d epoch=%q: %s", r.n, r.room, since, epoch, fmt.Sprintf(format, args...))
	}
	cur := r.current()
	from := since
	switch {
	case a.Reset:
		if caused := (epoch != "" && epoch != a.Epoch) || since > a.Last; !caused {
			fail("reset without cause (epoch %q, since within last %d)", a.Epoch, a.Last)
		}
		from = 0
		r.begin()
		cur = r.current()
	case epoch != "" && epoch != a.Epoch:
		fail("the epoch is %q now, but the reader was not reset", a.Epoch)
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
		cur.excused = append(cur.excused, [2]uint64{from + 1, a.Messages[0].ID - 1})
	}
	for i, m := range a.Messages {
		if prev := len(cur.ids) - 1; prev >= 0 && m.ID != cur.ids[prev]+1 && !(a.Gap && i == 0) {
			fail("message %d follows %d", m.ID, cur.ids[prev])
		}
		cur.ids = append(cur.ids, m.ID)
		cur.texts[m.ID] = m.Text
	}
	if a.Last > r.since || a.Reset || a.Epoch != r.epoch {
		r.since = a.Last
	}
	r.epoch = a.Epoch
	cur.since = r.since
	if a.Epoch != "" {
		cur.epoch = a.Epoch
	}
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
// is held to every acknowledged id up to the last one it was told of, in
// each life of its room it followed. Call it after every client has
// stopped.
func (h *History) Check(tb testing.TB) {
	tb.Helper()
	h.check(tb, false)
}

// CheckComplete is Check, and also holds every reader to every
// acknowledged id of its room's current life: for runs whose readers
// follow until they have seen all writes.
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
	// The life each shown belongs to: the one whose acknowledged messages
	// it shows most (-1: none); and the epochs each life came under.
	lifeOf := map[*shown]int{}
	epochs := map[string][]map[string]bool{} // room → life → epochs
	for room, lives := range h.acked {
		epochs[room] = make([]map[string]bool, len(lives))
	}
	for _, r := range h.readers {
		lives := h.acked[r.room]
		for _, s := range r.shown {
			lifeOf[s] = -1
			best := 0
			for l, acked := range lives {
				n := 0
				for id, text := range s.texts {
					if acked[id] == text {
						n++
					}
				}
				if n > 0 && n >= best {
					lifeOf[s], best = l, n
				}
			}
			if l := lifeOf[s]; l >= 0 {
				if epochs[r.room][l] == nil {
					epochs[r.room][l] = map[string]bool{}
				}
				epochs[r.room][l][s.epoch] = true
			}
		}
	}
	// A life under one epoch, and an epoch for one life.
	epochOf := map[string][]string{} // room → life → its epoch, or a name for a life nobody saw
	for room, lives := range h.acked {
		named := map[string]int{}
		for l := range lives {
			var es []string
			for e := range epochs[room][l] {
				es = append(es, e)
			}
			sort.Strings(es)
			if len(es) > 1 {
				add("room %s: one life of the room came under epochs %q: the epoch changed though the room kept its messages", room, es)
			}
			name := fmt.Sprintf("(life %d, seen by no reader)", l)
			if len(es) > 0 {
				name = es[0]
				if other, ok := named[name]; ok {
					add("room %s: epoch %q names two lives of the room (%d and %d)", room, name, other, l)
				}
				named[name] = l
			}
			epochOf[room] = append(epochOf[room], name)
		}
	}
	// What the run stored: room → epoch → id → text, from the writes and
	// every reader.
	stored := map[string]map[string]map[uint64]string{}
	put := func(room, epoch string, id uint64, text string) {
		if stored[room] == nil {
			stored[room] = map[string]map[uint64]string{}
		}
		ids := stored[room][epoch]
		if ids == nil {
			ids = map[uint64]string{}
			stored[room][epoch] = ids
		}
		if old, ok := ids[id]; ok && old != text {
			add("room %s: id %d of epoch %q is %q to one client and %q to another", room, id, epoch, old, text)
		}
		ids[id] = text
	}
	for room, lives := range h.acked {
		for l, acked := range lives {
			for id, text := range acked {
				put(room, epochOf[room][l], id, text)
			}
		}
	}
	for _, r := range h.readers {
		for _, s := range r.shown {
			for id, text := range s.texts {
				put(r.room, s.epoch, id, text)
			}
		}
	}
	for room, byEpoch := range stored {
		for _, ids := range byEpoch {
			byText := map[string]uint64{}
			for id, text := range ids {
				if other, ok := byText[text]; ok {
					add("room %s: %q is stored twice, as ids %d and %d", room, text, min(id, other), max(id, other))
				}
				byText[text] = id
			}
		}
	}
	// Each reader saw every acknowledged id of each life it followed
	// once, in order, from where it started to the newest acknowledged
	// id it was told of; the last life it followed is the room's current
	// one, and with complete, all of it.
	for _, r := range h.readers {
		lives := h.acked[r.room]
		for i, s := range r.shown {
			seen := map[uint64]bool{}
			for j, id := range s.ids {
				if seen[id] {
					add("reader %d of %s saw id %d twice", r.n, r.room, id)
				}
				seen[id] = true
				if j > 0 && id <= s.ids[j-1] {
					add("reader %d of %s saw id %d after %d", r.n, r.room, id, s.ids[j-1])
				}
			}
			if len(lives) == 0 {
				continue
			}
			l, upTo := lifeOf[s], s.since
			switch last := i == len(r.shown)-1; {
			case last && complete:
				l, upTo = len(lives)-1, ^uint64(0)
			case last && l < 0:
				l = len(lives) - 1
			case l < 0:
				continue
			}
			var missed []uint64
			var newest uint64
			for id, text := range lives[l] {
				newest = max(newest, id)
				if s.texts[id] != text && !s.isExcused(id) && id <= upTo {
					missed = append(missed, id)
				}
			}
			if len(missed) > 0 {
				sort.Slice(missed, func(i, j int) bool { return missed[i] < missed[j] })
				add("reader %d of %s missed %d acknowledged ids of life %d (it saw %d, the newest acknowledged is %d): %v", r.n, r.room, len(missed), l, len(s.ids), newest, head(missed))
			}
		}
	}
	if len(errs) > 0 {
		tb.Errorf("the history breaks the contract (%d violations, at most %d shown):\n%s", len(errs), maxReports, strings.Join(errs, "\n"))
	}
}

func (s *shown) isExcused(id uint64) bool {
	for _, e := range s.excused {
		if e[0] <= id && id <= e[1] {
			return true
		}
	}
	return false
}

func head(ids []uint64) []uint64 {
	return ids[:min(len(ids), 10)]
}
