package components

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"gochat/wire"
)

// parkQuery is a read of room since since by the client at addr.
func parkQuery(ctx context.Context, room, addr string, since uint64, wait time.Duration) *ReadQuery {
	req := wire.NewRequest(ctx)
	req.RemoteAddr = addr
	return &ReadQuery{Req: req, Room: room, Since: since, Wait: wait}
}

// TestWaitersParkUnpark: parked reads are counted by room, by client and
// in Stats.Parked, and unparking undoes every count.
func TestWaitersParkUnpark(t *testing.T) {
	stats := &Stats{}
	ws := newWaiters(10, 10, stats)
	ctx := context.Background()
	ws.park(parkQuery(ctx, "a", "10.0.0.1", 5, time.Hour), "e1")
	ws.park(parkQuery(ctx, "a", "10.0.0.1", 3, time.Hour), "e1")
	ws.park(parkQuery(ctx, "b", "10.0.0.2", 7, time.Hour), "e2")
	if got := stats.Parked.Load(); got != 3 {
		t.Errorf("Parked = %d, want 3", got)
	}
	if ws.count("a") != 2 || ws.count("b") != 1 || ws.count("c") != 0 {
		t.Errorf("counts a %d b %d c %d, want 2 1 0", ws.count("a"), ws.count("b"), ws.count("c"))
	}
	if ws.lowestIn("a") != 3 || ws.lowestIn("b") != 7 {
		t.Errorf("lowest a %d b %d, want 3 7", ws.lowestIn("a"), ws.lowestIn("b"))
	}
	if rooms := slices.Sorted(ws.rooms()); !slices.Equal(rooms, []string{"a", "b"}) {
		t.Errorf("rooms %v, want [a b]", rooms)
	}
	if ws.byClient["10.0.0.1"] != 2 || ws.byClient["10.0.0.2"] != 1 {
		t.Errorf("by client %v", ws.byClient)
	}
	for _, w := range ws.inRoom("a") {
		if w.epoch != "e1" || w.q.Room != "a" {
			t.Errorf("waiter in a: %+v", w)
		}
		ws.unpark(w) // while ranging, as Storage does
	}
	if ws.count("a") != 0 || len(ws.byRoom) != 1 || ws.byClient["10.0.0.1"] != 0 || len(ws.byClient) != 1 {
		t.Errorf("after unparking a: byRoom %v byClient %v", ws.byRoom, ws.byClient)
	}
	for _, w := range ws.inRoom("b") {
		ws.unpark(w)
	}
	if len(ws.byID) != 0 || len(ws.byRoom) != 0 || len(ws.byClient) != 0 || stats.Parked.Load() != 0 {
		t.Errorf("all unparked: byID %v byRoom %v byClient %v Parked %d", ws.byID, ws.byRoom, ws.byClient, stats.Parked.Load())
	}
	if ws.lowestIn("a") != ^uint64(0) {
		t.Errorf("lowest of an empty room %d, want the largest uint64", ws.lowestIn("a"))
	}
}

// TestWaitersAdmission: 429 past a client's limit (loopback aside), 503 at
// capacity, and room again once reads unpark.
func TestWaitersAdmission(t *testing.T) {
	ws := newWaiters(3, 1, &Stats{})
	ctx := context.Background()
	q := parkQuery(ctx, "r", "10.0.0.1", 0, time.Hour)
	if err := ws.admit(q.Req); err != nil {
		t.Fatalf("the first read: %v", err)
	}
	ws.park(q, "")
	second := parkQuery(ctx, "r", "10.0.0.1", 0, time.Hour)
	err := ws.admit(second.Req)
	if err == nil || err.Status != http.StatusTooManyRequests ||
		err.Message != "too many long-polls from 10.0.0.1 (at most 1 at once); close some first" {
		t.Errorf("a second read from one client: %+v, want 429", err)
	}
	other := parkQuery(ctx, "r", "10.0.0.2", 0, time.Hour)
	if err := ws.admit(other.Req); err != nil {
		t.Errorf("another client: %v", err)
	}
	keyed := parkQuery(ctx, "r", "10.0.0.2", 0, time.Hour)
	keyed.Req.ClientKey = "10.0.0.1" // counted by LimitKey, not RemoteAddr
	if err := ws.admit(keyed.Req); err == nil || err.Status != http.StatusTooManyRequests {
		t.Errorf("a read whose ClientKey is at its limit: %+v, want 429", err)
	}
	for range 2 { // loopback is not counted per client
		lo := parkQuery(ctx, "r", "127.0.0.1", 0, time.Hour)
		if err := ws.admit(lo.Req); err != nil {
			t.Fatalf("loopback: %v", err)
		}
		ws.park(lo, "")
	}
	if err := ws.admit(other.Req); err == nil || err.Status != http.StatusServiceUnavailable ||
		err.Message != "too many readers are waiting (3); try again shortly" {
		t.Errorf("at capacity: %+v, want 503", err)
	}
	w, _ := ws.take(1)
	if err := ws.admit(second.Req); err != nil || w.q != q {
		t.Errorf("after the first read left: %v (took %+v)", err, w)
	}
	if err := newWaiters(0, 1, &Stats{}).admit(q.Req); err == nil || err.Status != http.StatusServiceUnavailable {
		t.Errorf("capacity 0: %+v, want 503", err)
	}
	none := newWaiters(3, 0, &Stats{})
	if err := none.admit(q.Req); err == nil || err.Status != http.StatusTooManyRequests {
		t.Errorf("per-client limit 0: %+v, want 429", err)
	}
	if err := none.admit(parkQuery(ctx, "r", "::1", 0, time.Hour).Req); err != nil {
		t.Errorf("per-client limit 0, loopback: %v, want admitted", err)
	}
}

// TestWaitersReleases: an ended wait and a disconnect each push one
// release for their waiter; take unparks it once; an unparked waiter's
// disconnect pushes nothing.
func TestWaitersReleases(t *testing.T) {
	stats := &Stats{}
	ws := newWaiters(10, 10, stats)
	ws.park(parkQuery(context.Background(), "r", "10.0.0.1", 0, time.Millisecond), "")
	recvWithin(t, ws.ready())
	if got := ws.drain(); !slices.Equal(got, []release{{id: 1, expired: true}}) {
		t.Fatalf("an ended wait: %v, want [{1 true}]", got)
	}
	if w, ok := ws.take(1); !ok || w.id != 1 || stats.Parked.Load() != 0 {
		t.Errorf("take: %+v %v, Parked %d", w, ok, stats.Parked.Load())
	}
	if _, ok := ws.take(1); ok {
		t.Error("took a waiter twice")
	}

	ctx, cancel := context.WithCancel(context.Background())
	ws.park(parkQuery(ctx, "r", "10.0.0.1", 0, time.Hour), "")
	cancel()
	recvWithin(t, ws.ready())
	if got := ws.drain(); !slices.Equal(got, []release{{id: 2}}) {
		t.Fatalf("a disconnect: %v, want [{2 false}]", got)
	}
	ws.take(2)

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	ws.park(parkQuery(ctx, "r", "10.0.0.1", 0, time.Hour), "")
	w, _ := ws.take(3)
	if w.stopCancel() || w.timer.Stop() {
		t.Error("take left the disconnect callback or the timer armed")
	}
	cancel()
	if got := ws.drain(); len(got) != 0 {
		t.Errorf("an unparked waiter's disconnect: %v, want nothing", got)
	}
}
