package server_test

import (
	"context"
	"fmt"
	"net/http"
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
					a, err := c.Write(h, room, fmt.Sprint("w", w), fmt.Sprint(i), key)
					if err != nil {
						t.Error(err)
						return
					}
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

// retryAfter is how long a test client waits before it retries a 503, as
// the page backs off.
const retryAfter = 20 * time.Millisecond

// TestRedisKilledAndRestarted kills redis-server (SIGKILL) while writers
// post and long-poll readers follow one room on two instances, and
// starts it again on the same port. Writers send an Idempotency-Key and
// retry each 503 with it until it is acknowledged, as the page does;
// readers retry each 503. While Redis is down posts and reads answer 503,
// never 201; once it is back everything resumes by itself. With AOF
// (appendfsync always) nothing acknowledged is lost, ids go on under the
// same epoch and nobody is reset. Without persistence the room begins a
// new life under a new epoch: every reader is reset into it and sees each
// of its acknowledged messages once.
func TestRedisKilledAndRestarted(t *testing.T) {
	for _, c := range []struct {
		name string
		aof  bool
	}{{"aof", true}, {"no persistence", false}} {
		t.Run(c.name, func(t *testing.T) { redisKilledAndRestarted(t, c.aof) })
	}
}

func redisKilledAndRestarted(t *testing.T, aof bool) {
	const instances, writers, readers, posts = 2, 4, 20, 100
	srv := redistest.StartWith(t, redistest.Options{AOF: aof})
	cfg := redisConfig(t, srv)
	cfg.History = 100000
	h := history.New(cfg.History)
	servers, clients := openInstances(t, cfg, instances)
	room := "killed"
	clients[0].PostTo(h, room, "warmup", "hello")
	before := clients[0].Get(room, "since=0").Read.Epoch

	// Phases of Redis, as the writers see them.
	const (
		up   = iota
		down // killed, not yet restarting
	)
	var phase atomic.Int32

	// Readers: long-polls that retry each 503, until they have the room's
	// last id under its last epoch, which end learns once the writers
	// stop.
	end := history.NewEnd()
	defer end.Stop()
	var readFailed atomic.Int64
	resets := make([]atomic.Int64, readers)
	var rg sync.WaitGroup
	for i := range readers {
		r := h.Reader(room)
		rg.Add(1)
		go func() {
			defer rg.Done()
			for {
				ctx, done, err := end.Poll(r)
				if err != nil {
					t.Errorf("reader %d %v", i, err)
				}
				if done {
					return
				}
				since, epoch := r.Next()
				a, err := clients[i%instances].Do(ctx, http.MethodGet,
					fmt.Sprintf("api/rooms/%s/messages?since=%d&wait=5&epoch=%s", room, since, epoch), "", "")
				switch {
				case err != nil && ctx.Err() != nil:
					continue
				case err != nil:
					t.Errorf("reader %d: %v", i, err)
					return
				case a.Status == 503:
					readFailed.Add(1)
					time.Sleep(retryAfter)
				case a.Status == 200:
					if a.Read.Reset {
						resets[i].Add(1)
					}
					r.Saw(since, epoch, a.History())
				default:
					t.Errorf("reader %d: %d %s", i, a.Status, a.Raw)
					return
				}
			}
		}()
	}
	for _, s := range servers {
		WaitParked(t, s.Stats(), readers/instances)
	}

	// Writers: each message under its own key, retried until it is
	// acknowledged; they stop between messages.
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var posted, failed atomic.Int64
	failedDown := make([]atomic.Int64, writers) // 503s to posts sent while Redis was down
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := clients[w%instances]
			for i := 0; ctx.Err() == nil; i++ {
				for {
					sent := phase.Load()
					a, err := c.Write(h, room, fmt.Sprint("w", w), fmt.Sprint(i), fmt.Sprintf("w%d-%d", w, i))
					answered := phase.Load()
					if err != nil {
						t.Errorf("writer %d: %v", w, err)
						return
					}
					if a.Status == 201 {
						if sent == down && answered == down {
							t.Errorf("writer %d: a post sent and answered while Redis was down was acknowledged: %s", w, a.Raw)
						}
						posted.Add(1)
						break
					}
					if a.Status != 503 {
						t.Errorf("writer %d: post: %d %s", w, a.Status, a.Raw)
						return
					}
					failed.Add(1)
					if sent == down {
						failedDown[w].Add(1)
					}
					time.Sleep(retryAfter)
				}
			}
		}()
	}

	testutil.WaitFor(t, "posts before the kill", func() bool { return posted.Load() >= posts })
	srv.Kill()
	phase.Store(down)
	// Every writer has a post refused while Redis is down: none is in
	// flight from before the kill.
	testutil.WaitFor(t, "each writer's post to be refused", func() bool {
		for w := range failedDown {
			if failedDown[w].Load() == 0 {
				return false
			}
		}
		return true
	})
	for _, c := range clients {
		if a := c.Get(room, "since=1000000"); a.Status != 503 {
			t.Errorf("read while Redis is down: %d %s", a.Status, a.Raw)
		}
	}
	if !aof {
		h.Lost(room)
	}
	phase.Store(up)
	srv.Restart()
	restarted := posted.Load()
	testutil.WaitFor(t, "posts after the restart", func() bool { return posted.Load() >= restarted+posts })
	stop()
	wg.Wait()

	last := clients[1].Get(room, "since=0&wait=0")
	if last.Status != 200 {
		t.Errorf("read the room: %d %s", last.Status, last.Raw)
	}
	after := last.Read
	end.Set(after.Last, after.Epoch)
	rg.Wait()
	t.Logf("%d posts acknowledged, %d answered 503; %d reads answered 503; epoch %q, then %q with last %d",
		posted.Load(), failed.Load(), readFailed.Load(), before, after.Epoch, after.Last)
	h.CheckComplete(t)
	for i := range resets {
		if n := resets[i].Load(); aof && n > 0 || !aof && n == 0 {
			t.Errorf("reader %d was reset %d times", i, n)
		}
	}
	if aof != (after.Epoch == before) {
		t.Errorf("the room's epoch was %q before the kill and is %q after", before, after.Epoch)
	}
	if kept := len(after.Messages) > 0 && after.Messages[0].Author == "warmup"; kept != aof {
		t.Errorf("the room's first message after the restart: %+v", after.Messages[:min(len(after.Messages), 1)])
	}
}
