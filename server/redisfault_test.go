package server_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gochat/internal/history"
	"gochat/internal/redistest"
	"gochat/internal/testutil"
)

// readAll records the whole of room, as one reader from the start sees
// it, in h.
func readAll(t *testing.T, c *Client, h *history.History, room string) {
	t.Helper()
	r := h.Reader(room)
	Follow(t, c, r, 0, func(r *history.Reader) bool {
		since, _ := r.Next()
		return since > 0 && since >= c.Get(room, "since=0").Read.Last
	})
}

// TestRedisStallStoresEachPostOnce stalls redis-server (SIGSTOP) for
// longer than the client's read timeout while 32 writers post. go-redis
// re-sends a command that timed out; before the fix the append script ran
// twice and stored posts twice. Half the writers send an Idempotency-Key
// and retry each 503 with it until it is acknowledged, as the page does:
// each of their messages is then stored exactly once.
func TestRedisStallStoresEachPostOnce(t *testing.T) {
	const writers = 32
	srv := redistest.Start(t)
	cfg := redisConfig(t, srv)
	var logs LogBuffer
	cfg.Log = logs.Logger()
	_, c := MustOpen(t, cfg)
	h := history.New(cfg.History)
	room := "stalled"

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var posted, failed atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keyed := w%2 == 0
			for i := 0; ctx.Err() == nil; i++ {
				key := ""
				if keyed {
					key = fmt.Sprintf("w%d-%d", w, i)
				}
				for {
					a := c.PostKey(h, room, fmt.Sprint("w", w), fmt.Sprint(i), key)
					if a.Status == 201 {
						posted.Add(1)
						break
					}
					if a.Status != 503 {
						t.Errorf("post: %d %s", a.Status, a.Raw)
						return
					}
					failed.Add(1)
					if !keyed {
						break
					}
				}
			}
		}()
	}
	// Past go-redis's read timeout (3 s: it re-sends), then past the
	// store call's bound (5 s: posts answer 503, and Redis runs them once
	// it continues).
	for _, stall := range []time.Duration{3500 * time.Millisecond, 6 * time.Second} {
		before := posted.Load()
		testutil.WaitFor(t, "posts before the stall", func() bool { return posted.Load() >= before+100 })
		srv.Pause()
		time.Sleep(stall) // the fault itself: Redis answers nothing for this long
		srv.Resume()
	}
	before := posted.Load()
	testutil.WaitFor(t, "posts after the stalls", func() bool { return posted.Load() >= before+100 })
	stop()
	wg.Wait()
	readAll(t, c, h, room)
	t.Logf("%d posts acknowledged, %d answered 503", posted.Load(), failed.Load())
	h.Check(t)
	if !strings.Contains(logs.String(), "level=ERROR") && failed.Load() > 0 {
		t.Errorf("%d posts were answered 503 and nothing was logged", failed.Load())
	}
}
