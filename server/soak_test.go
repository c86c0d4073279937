package server_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gochat/internal/history"
	"gochat/internal/testutil"
	"gochat/server"
)

var soakFor = flag.Duration("soak", 2*time.Minute, "how long TestSoak runs its load")

// TestSoak runs steady writers, long-poll readers, clients that disconnect
// mid-poll and graph reloads together for -soak (2 minutes by default),
// then checks that no message was lost or duplicated, that goroutines and
// heap came back to their baseline (read from /metrics), and that nothing
// was logged at warning or error level that the test did not cause on
// purpose.
func TestSoak(t *testing.T) { soak(t, "memory") }

// TestSoakFile is TestSoak on the file store: every post fsynced, reads
// from its in-memory copy.
func TestSoakFile(t *testing.T) { soak(t, "file:"+filepath.Join(t.TempDir(), "soak.db")) }

// soak is TestSoak on the store spec names.
func soak(t *testing.T, spec string) {
	if testing.Short() {
		t.Skip("a soak runs for minutes: not under -short")
	}
	const rooms, writersPerRoom, readersPerRoom, disconnectors = 2, 2, 4, 2
	src := MustGraphs(t)
	path := filepath.Join(t.TempDir(), "chat.fbp")
	MustWrite(t, path, src.plain)
	// Warnings and errors only: a line per request would grow the heap
	// this test measures.
	var logs LogBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, c := MustOpen(t, server.Config{GraphFile: path, Store: spec, History: 5000, MaxWait: 5 * time.Second, Log: log})
	metrics := s.URL() + "metrics"

	h := history.New(5000)
	for r := range rooms {
		c.PostTo(h, fmt.Sprint("soak", r), "warmup", "hello")
	}
	runtime.GC()
	base := scrape(t, c, metrics)
	baseGoroutines, baseHeap := base["go_goroutines"], base["go_memstats_heap_alloc_bytes"]

	ctx, stop := context.WithTimeout(context.Background(), *soakFor)
	defer stop()
	var writers, readers, others sync.WaitGroup
	var posted, cancelled, reloads atomic.Int64

	for r := range rooms {
		room := fmt.Sprint("soak", r)
		for w := range writersPerRoom {
			writers.Add(1)
			go func() {
				defer writers.Done()
				every(ctx, 20*time.Millisecond, func(i int) bool {
					a, err := c.Do(context.Background(), "POST", "api/rooms/"+room+"/messages", "application/x-www-form-urlencoded", fmt.Sprintf("author=w%d&text=message+%d", w, i))
					if err != nil || a.Status != 201 {
						t.Errorf("post: %v %d %s", err, a.Status, a.Raw)
						return false
					}
					m, err := history.ParseMessage([]byte(a.Raw))
					if err != nil {
						t.Error(err)
						return false
					}
					h.Acked(room, m)
					posted.Add(1)
					return true
				})
			}()
		}
	}

	finals := make([]uint64, rooms) // the last ids, once the writers stopped
	done := make(chan struct{})     // closed when finals are known
	for i := range rooms * readersPerRoom {
		r := h.Reader(fmt.Sprint("soak", i%rooms))
		readers.Add(1)
		go func() {
			defer readers.Done()
			Follow(t, c, r, 5, func(r *history.Reader) bool {
				select {
				case <-done: // the writers stopped: read up to the last id
					since, _ := r.Next()
					return since >= finals[i%rooms]
				default:
					return false
				}
			})
		}()
	}

	for d := range disconnectors {
		others.Add(1)
		go func() {
			defer others.Done()
			rng := rand.New(rand.NewPCG(uint64(d), 7))
			for ctx.Err() == nil {
				cctx, cancel := context.WithTimeout(ctx, time.Duration(1+rng.IntN(50))*time.Millisecond)
				if _, err := c.Do(cctx, http.MethodGet, "api/rooms/gone/messages?wait=30", "", ""); err != nil {
					cancelled.Add(1)
				}
				cancel()
			}
		}()
	}
	others.Add(1)
	go func() {
		defer others.Done()
		every(ctx, 3*time.Second, func(i int) bool {
			// Add the Filter, try a broken file, remove the Filter.
			if err := os.WriteFile(path, [][]byte{src.moderated, src.broken, src.plain}[i%3], 0o644); err != nil {
				t.Error(err)
				return false
			}
			if err := s.Reload(); (err != nil) != (i%3 == 1) {
				t.Errorf("reload %d: %v", i, err)
			}
			reloads.Add(1)
			return true
		})
	}()

	<-ctx.Done()
	others.Wait()
	writers.Wait()
	for r := range rooms {
		finals[r] = c.Get(fmt.Sprint("soak", r), "").Read.Last
	}
	close(done)
	readers.Wait()
	t.Logf("%d messages posted, %d reloads, %d clients left mid-poll", posted.Load(), reloads.Load(), cancelled.Load())

	// No message lost or duplicated: every reader saw every acknowledged
	// id once, in order.
	h.CheckComplete(t)
	if got := uint64(posted.Load()) + rooms; got != finals[0]+finals[1] {
		t.Errorf("acknowledged %d messages (with the warm-up), the rooms hold %d", got, finals[0]+finals[1])
	}

	// Goroutines and heap back to their baseline, as /metrics reports them.
	c.http.CloseIdleConnections()
	var end map[string]float64
	testutil.WaitFor(t, "goroutines to return to their baseline", func() bool {
		runtime.GC()
		end = scrape(t, c, metrics)
		return end["go_goroutines"] <= baseGoroutines+4
	})
	t.Logf("goroutines %v → %v, heap %.1f → %.1f MiB", baseGoroutines, end["go_goroutines"],
		baseHeap/(1<<20), end["go_memstats_heap_alloc_bytes"]/(1<<20))
	// The rooms legitimately hold more messages now: allow for them.
	stored := end["gochat_messages_stored"] * 512
	if heap := end["go_memstats_heap_alloc_bytes"]; heap > baseHeap+stored+8<<20 {
		t.Errorf("heap %.1f MiB after the load, %.1f MiB before (%.1f MiB of messages)", heap/(1<<20), baseHeap/(1<<20), stored/(1<<20))
	}
	if end["gochat_store_errors_total"] != 0 || end["gochat_parked_readers"] != 0 {
		t.Errorf("store errors %v, parked readers %v", end["gochat_store_errors_total"], end["gochat_parked_readers"])
	}

	// Nothing went wrong that the test did not do on purpose.
	for _, line := range strings.Split(logs.String(), "\n") {
		if (strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR")) &&
			!strings.Contains(line, "graph reload failed") {
			t.Errorf("unexplained log line: %s", line)
		}
	}
}
