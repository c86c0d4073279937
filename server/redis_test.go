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
	"gochat/server"
)

// redisConfig returns a config for an instance on srv under a prefix of
// the test's own.
func redisConfig(t *testing.T, srv *redistest.Server) server.Config {
	return server.Config{Store: srv.URL(), RedisPrefix: "t:" + t.Name() + ":", History: 1000, StoreTimeout: 5 * time.Second}
}

// openInstances opens n servers with cfg, instances of one chat on cfg's
// store, and a client of each.
func openInstances(t *testing.T, cfg server.Config, n int) ([]*server.Server, []*Client) {
	servers, clients := make([]*server.Server, n), make([]*Client, n)
	for i := range n {
		servers[i], clients[i] = MustOpen(t, cfg)
	}
	return servers, clients
}

func TestRedisInstancesAreOneChat(t *testing.T) {
	const instances, writers, perWriter, readers = 3, 6, 50, 6
	const total = writers * perWriter
	srv := redistest.Start(t)
	servers, clients := openInstances(t, redisConfig(t, srv), instances)
	h := history.New(1000)
	var wg sync.WaitGroup
	for r := range readers {
		wg.Add(1)
		reader := h.Reader("shared")
		go func() {
			defer wg.Done()
			Follow(t, clients[r%instances], reader, 30, Saw(total))
		}()
	}
	for i, s := range servers {
		want := int64(0)
		for r := range readers {
			if r%instances == i {
				want++
			}
		}
		WaitParked(t, s.Stats(), want)
	}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				if a, err := clients[w%instances].Write(h, "shared", fmt.Sprint("w", w), fmt.Sprint(i), ""); err != nil || a.Status != 201 {
					t.Errorf("post: %v %d %s", err, a.Status, a.Raw)
				}
			}
		}()
	}
	wg.Wait()
	h.CheckComplete(t)
	epochs := map[string]bool{}
	for _, c := range clients {
		epochs[c.Get("shared", "since=300").Read.Epoch] = true
	}
	if len(epochs) != 1 {
		t.Errorf("the instances disagree on the epoch: %v", epochs)
	}
}

func TestRedisInstanceRestartKeepsIdsAndEpoch(t *testing.T) {
	srv := redistest.Start(t)
	first, c := MustOpen(t, redisConfig(t, srv))
	for range 3 {
		c.Post("keep", "", "before")
	}
	before := c.Get("keep", "").Read
	MustClose(t, first)

	_, c = MustOpen(t, redisConfig(t, srv))
	a := c.Get("keep", fmt.Sprintf("since=%d&epoch=%s", before.Last, before.Epoch)).Read
	if a.Reset || a.Epoch != before.Epoch || a.Last != 3 || len(a.Messages) != 0 {
		t.Errorf("after a restart: %+v", a)
	}
	if m := c.Post("keep", "", "after"); m.ID != 4 {
		t.Errorf("ids go on: %d", m.ID)
	}
}

func TestRedisDownAtStart(t *testing.T) {
	srv := redistest.Start(t)
	srv.Kill()
	cfg := redisConfig(t, srv)
	cfg.Addr, cfg.StoreTimeout = "127.0.0.1:0", 300*time.Millisecond
	_, err := server.Open(cfg)
	if err == nil || !strings.Contains(err.Error(), ": connection refused (no answer within 300ms)") {
		t.Errorf("open with Redis down: %v", err)
	}
}

func TestRedisLostAndBack(t *testing.T) {
	srv := redistest.Start(t)
	var logs LogBuffer
	cfg := redisConfig(t, srv)
	cfg.Log = logs.Logger()
	a, ca := MustOpen(t, cfg)
	b, cb := MustOpen(t, redisConfig(t, srv))
	ca.Post("lost", "", "before")

	// A reader parked on b; Redis dies under it.
	woken := make(chan Answer, 1)
	go func() {
		a, err := cb.Read("lost", "since=1&wait=30")
		if err != nil {
			t.Error(err)
		}
		woken <- a
	}()
	WaitParked(t, b.Stats(), 1)
	srv.Kill()

	post := func(c *Client, text string) Answer {
		r, err := c.Do(context.Background(), http.MethodPost, "api/rooms/lost/messages", "application/x-www-form-urlencoded", "text="+text)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := post(ca, "while+down"); r.Status != 503 || !strings.Contains(r.Error.Message, "store is unavailable") {
		t.Errorf("post while Redis is down: %d %s", r.Status, r.Raw)
	}
	if r := ca.Get("lost", ""); r.Status != 503 {
		t.Errorf("read while Redis is down: %d %s", r.Status, r.Raw)
	}
	if r := ca.MustDo("GET", "readyz", "", ""); r.Status != 503 || !strings.Contains(r.Raw, "redis") {
		t.Errorf("/readyz while Redis is down: %d %s", r.Status, r.Raw)
	}
	if r := ca.MustDo("GET", "healthz", "", ""); r.Status != 200 || !strings.Contains(r.Raw, `"store":"redis`) {
		t.Errorf("/healthz while Redis is down: %d %s", r.Status, r.Raw)
	}

	srv.Restart() // same data
	// Everything resumes by itself: the first post that Redis takes is
	// acknowledged, and the reader parked on the other instance gets it.
	var acked Answer
	testutil.WaitFor(t, "posts to be taken again", func() bool {
		acked = post(ca, "after")
		if acked.Status != 201 && acked.Status != 503 {
			t.Fatalf("post after the restart: %d %s", acked.Status, acked.Raw)
		}
		return acked.Status == 201
	})
	if acked.Msg.ID != 2 {
		t.Errorf("the first acknowledged message after the outage has id %d, want 2 (no 201 without storage)", acked.Msg.ID)
	}
	if r := <-woken; r.Status != 200 || len(r.Read.Messages) != 1 || r.Read.Messages[0].Text != "after" {
		t.Errorf("the parked reader on the other instance: %d %s", r.Status, r.Raw)
	}
	if r := ca.MustDo("GET", "readyz", "", ""); r.Status != 200 {
		t.Errorf("/readyz after Redis came back: %d %s", r.Status, r.Raw)
	}
	if all := cb.Get("lost", "").Read; all.Last != 2 || len(all.Messages) != 2 {
		t.Errorf("after the outage: %+v", all)
	}
	_ = a
}

// TestRedisFollowersUnderLoad follows one room with 100 long-poll readers
// as the client does, on two instances on one Redis, while 10 writers
// post as fast as they are answered. Before the fix, a reader that parked
// while a check of the room was in flight was answered from the check's
// page and skipped messages in most runs.
func TestRedisFollowersUnderLoad(t *testing.T) {
	const instances, writers, readers, writeFor = 2, 10, 100, 4 * time.Second
	srv := redistest.Start(t)
	cfg := redisConfig(t, srv)
	cfg.History = 100000
	h := history.New(cfg.History)
	servers, clients := openInstances(t, cfg, instances)
	room := "followed"
	clients[0].PostTo(h, room, "warmup", "hello")

	var final atomic.Uint64 // the id of the last message, once posted
	var rg sync.WaitGroup
	for i := range readers {
		r := h.Reader(room)
		rg.Add(1)
		go func() {
			defer rg.Done()
			Follow(t, clients[i%instances], r, 5, func(r *history.Reader) bool {
				since, _ := r.Next()
				return final.Load() != 0 && since >= final.Load()
			})
		}()
	}
	for _, s := range servers {
		WaitParked(t, s.Stats(), readers/instances)
	}
	ctx, stop := context.WithTimeout(context.Background(), writeFor)
	defer stop()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				if a, err := clients[w%instances].Write(h, room, fmt.Sprint("w", w), fmt.Sprint(i), ""); err != nil || a.Status != 201 {
					t.Errorf("post: %v %d %s", err, a.Status, a.Raw)
					return
				}
			}
		}()
	}
	wg.Wait()
	// The last message wakes every reader, and each stops once it has it.
	// Every post was acknowledged, so its id is known before it is sent.
	final.Store(uint64(h.AckedCount(room)) + 1)
	if last := clients[0].PostTo(h, room, "end", "end"); last.Status != 201 || last.Msg.ID != final.Load() {
		t.Fatalf("the last post: %d %s, want id %d", last.Status, last.Raw, final.Load())
	}
	rg.Wait()
	t.Logf("%d messages in %v to %d readers", h.AckedCount(room), writeFor, readers)
	h.CheckComplete(t)
}
