package components

import (
	"fmt"
	"testing"
	"time"

	"gochat/wire"
)

// page is a cached answer whose last id tells it apart.
func page(last uint64, at time.Time) cachedPage {
	return cachedPage{epoch: "e", last: last, payload: wire.NewPayload(last), at: at}
}

// TestPageCachePutGet: an entry is found by its room and since only.
func TestPageCachePutGet(t *testing.T) {
	var c pageCache
	now := time.Now()
	if _, ok := c.get("r", 0, now); ok {
		t.Fatal("an empty cache found an entry")
	}
	c.put("r", 0, page(3, now))
	c.put("r", 2, page(5, now))
	c.put("s", 0, page(7, now))
	for _, tc := range []struct {
		room  string
		since uint64
		last  uint64
	}{{"r", 0, 3}, {"r", 2, 5}, {"s", 0, 7}} {
		e, ok := c.get(tc.room, tc.since, now)
		if !ok || e.last != tc.last {
			t.Errorf("get(%s, %d) = %+v, %v; want last %d", tc.room, tc.since, e, ok, tc.last)
		}
	}
	if _, ok := c.get("r", 1, now); ok {
		t.Error("found an entry for a since never put")
	}
	// Putting the same key again replaces the entry and counts it once.
	c.put("r", 0, page(4, now))
	if e, _ := c.get("r", 0, now); e.last != 4 {
		t.Errorf("after a second put: last %d, want 4", e.last)
	}
	if c.n != 3 {
		t.Errorf("n = %d, want 3", c.n)
	}
}

// TestPageCacheAge: an entry is served for pageCacheAge and not after.
func TestPageCacheAge(t *testing.T) {
	var c pageCache
	at := time.Now()
	c.put("r", 0, page(1, at))
	if _, ok := c.get("r", 0, at.Add(pageCacheAge)); !ok {
		t.Error("an entry exactly pageCacheAge old was not served")
	}
	if _, ok := c.get("r", 0, at.Add(pageCacheAge+time.Nanosecond)); ok {
		t.Error("an entry older than pageCacheAge was served")
	}
}

// TestPageCacheSizeBound: past pageCacheSize entries the cache starts
// afresh with the new entry alone.
func TestPageCacheSizeBound(t *testing.T) {
	var c pageCache
	now := time.Now()
	for i := range pageCacheSize {
		c.put(fmt.Sprint("room", i%7), uint64(i), page(uint64(i)+1, now))
	}
	if c.n != pageCacheSize {
		t.Fatalf("n = %d after %d puts, want %d", c.n, pageCacheSize, pageCacheSize)
	}
	if _, ok := c.get("room0", 0, now); !ok {
		t.Fatal("the first entry is gone before the bound")
	}
	c.put("new", 0, page(1, now))
	if c.n != 1 {
		t.Errorf("n = %d past the bound, want 1", c.n)
	}
	if _, ok := c.get("room0", 0, now); ok {
		t.Error("an old entry survived past the bound")
	}
	if _, ok := c.get("new", 0, now); !ok {
		t.Error("the entry put past the bound is missing")
	}
}

// TestPageCacheDropClear: drop forgets one room and its count; clear
// forgets everything.
func TestPageCacheDropClear(t *testing.T) {
	var c pageCache
	now := time.Now()
	c.put("r", 0, page(1, now))
	c.put("r", 1, page(2, now))
	c.put("s", 0, page(3, now))
	c.drop("r")
	if _, ok := c.get("r", 0, now); ok {
		t.Error("a dropped room's entry was served")
	}
	if _, ok := c.get("s", 0, now); !ok {
		t.Error("dropping r lost s")
	}
	if c.n != 1 {
		t.Errorf("n = %d after drop, want 1", c.n)
	}
	c.drop("nobody") // a room never cached: no change
	if c.n != 1 {
		t.Errorf("n = %d after dropping an unknown room, want 1", c.n)
	}
	c.clear()
	if _, ok := c.get("s", 0, now); ok || c.n != 0 {
		t.Errorf("after clear: found %v, n %d", ok, c.n)
	}
	c.put("s", 0, page(3, now)) // a cleared cache takes entries again
	if _, ok := c.get("s", 0, now); !ok {
		t.Error("a cleared cache lost a new entry")
	}
}
