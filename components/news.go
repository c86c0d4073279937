package components

import (
	"iter"
	"maps"
)

// rooms tracks the news of each room that has parked reads or store
// calls in flight, so that no wake-up is lost while a store call runs:
// how many notices and writes the room has had (a call compares the count
// at its start and at its end), whether a check of its parked readers is
// in flight and whether news came during it. It is owned by Storage's
// goroutine.
type rooms struct {
	byName map[string]*roomState // rooms with parked reads or store calls in flight
}

// roomState is what rooms tracks of one room.
type roomState struct {
	inflight int    // store calls on this room not yet finished
	news     uint64 // notices and writes seen for this room
	checking bool   // a check of the parked readers is in flight
	recheck  bool   // that check must run again when it ends
}

// newRooms returns an empty rooms.
func newRooms() *rooms {
	return &rooms{byName: make(map[string]*roomState)}
}

// start counts a store call starting on name, tracking the room from
// now, and returns the room's news count, for finish to compare.
func (r *rooms) start(name string) uint64 {
	rs, ok := r.byName[name]
	if !ok {
		rs = &roomState{}
		r.byName[name] = rs
	}
	rs.inflight++
	return rs.news
}

// finish counts a store call on name as finished and returns the room.
// The room stays tracked until tidy.
func (r *rooms) finish(name string) *roomState {
	rs := r.byName[name]
	rs.inflight--
	return rs
}

// get returns the room name if it is tracked.
func (r *rooms) get(name string) (*roomState, bool) {
	rs, ok := r.byName[name]
	return rs, ok
}

// all ranges over the tracked rooms. Rooms may be tidied away during it.
func (r *rooms) all() iter.Seq[string] { return maps.Keys(r.byName) }

// tidy forgets name if it has nothing parked (parked is how many reads
// wait in it) and nothing in flight.
func (r *rooms) tidy(name string, parked int) {
	if rs, ok := r.byName[name]; ok && parked == 0 && rs.inflight == 0 {
		delete(r.byName, name)
	}
}

// addNews counts a notice or a write: reads in flight may have missed it.
func (rs *roomState) addNews() { rs.news++ }

// newsSince reports whether news came since the count was news.
func (rs *roomState) newsSince(news uint64) bool { return rs.news != news }

// beginCheck starts a check of the parked readers and reports true, or,
// if one is in flight, marks it to run again and reports false.
func (rs *roomState) beginCheck() bool {
	if rs.checking {
		rs.recheck = true
		return false
	}
	rs.checking = true
	return true
}

// endCheck ends the check in flight; a check may start again.
func (rs *roomState) endCheck() { rs.checking = false }

// checkAgain marks the check that just ended to run again.
func (rs *roomState) checkAgain() { rs.recheck = true }

// again reports, once, whether the check that began when the news count
// was news must run again: it was marked so, or news came since.
func (rs *roomState) again(news uint64) bool {
	again := rs.recheck || rs.news != news
	rs.recheck = false
	return again
}
