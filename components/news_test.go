package components

import (
	"slices"
	"testing"
)

// TestRoomsTrackAndTidy: a room is tracked from its first store call
// until it has neither calls in flight nor parked reads.
func TestRoomsTrackAndTidy(t *testing.T) {
	r := newRooms()
	if _, ok := r.get("a"); ok {
		t.Fatal("an empty rooms tracks a")
	}
	r.start("a")
	r.start("a")
	r.start("b")
	if got := slices.Sorted(r.all()); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("all %v, want [a b]", got)
	}
	r.tidy("a", 0)
	if rs, ok := r.get("a"); !ok || rs.inflight != 2 {
		t.Fatalf("a with calls in flight: %+v %v", rs, ok)
	}
	r.finish("a")
	r.tidy("a", 0)
	if _, ok := r.get("a"); !ok {
		t.Fatal("tidy forgot a with a call in flight")
	}
	if rs := r.finish("a"); rs.inflight != 0 {
		t.Errorf("inflight %d, want 0", rs.inflight)
	}
	r.tidy("a", 1)
	if _, ok := r.get("a"); !ok {
		t.Fatal("tidy forgot a with a parked read")
	}
	r.tidy("a", 0)
	if _, ok := r.get("a"); ok {
		t.Fatal("tidy kept a with nothing parked or in flight")
	}
	r.tidy("nobody", 0) // an untracked room: no change
	if got := slices.Collect(r.all()); !slices.Equal(got, []string{"b"}) {
		t.Errorf("all %v, want [b]", got)
	}
}

// TestRoomsNews: a call sees news that came while it was in flight; a
// room forgotten and tracked again starts its count afresh.
func TestRoomsNews(t *testing.T) {
	r := newRooms()
	n := r.start("a") // a read starts
	rs, _ := r.get("a")
	rs.addNews() // a notice comes meanwhile
	if later := r.start("a"); later != n+1 {
		t.Errorf("a call started after news sees %d, want %d", later, n+1)
	}
	if rs := r.finish("a"); !rs.newsSince(n) || rs.newsSince(n+1) {
		t.Errorf("newsSince(%d) %v, newsSince(%d) %v; want true, false", n, rs.newsSince(n), n+1, rs.newsSince(n+1))
	}
	r.finish("a")
	r.tidy("a", 0)
	if again := r.start("a"); again != 0 {
		t.Errorf("a room tracked again starts at %d, want 0", again)
	}
}

// TestRoomsCheckRecheck: one check at a time; news or a reader the check
// could not answer makes it run again, once.
func TestRoomsCheckRecheck(t *testing.T) {
	rs := &roomState{}
	if !rs.beginCheck() {
		t.Fatal("the first check did not begin")
	}
	if rs.beginCheck() {
		t.Fatal("a second check began while one is in flight")
	}
	rs.endCheck()
	if !rs.again(0) {
		t.Error("a check asked for during the last one does not run again")
	}
	if rs.again(0) {
		t.Error("again reported twice for one request")
	}
	if !rs.beginCheck() {
		t.Fatal("a check did not begin after the last ended")
	}
	news := rs.news
	rs.addNews() // a notice during the check
	rs.endCheck()
	if !rs.again(news) {
		t.Error("news during a check does not make it run again")
	}
	rs.beginCheck()
	rs.endCheck()
	rs.checkAgain() // a reader parked with a lower since than the check read
	if !rs.again(rs.news) {
		t.Error("checkAgain does not make the check run again")
	}
	if rs.again(rs.news) {
		t.Error("again without news or a request")
	}
}
