package components_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"gochat/components"
	"gochat/internal/testutil"
	"gochat/store"
	"gochat/wire"
)

// storageRig is a running Storage with its ports in reach.
type storageRig struct {
	read  chan *components.ReadQuery
	write chan *components.WriteCommand
	out   chan *components.Reply
	stats *components.Stats
	done  <-chan struct{}
}

func MustStorage(tb testing.TB, conc, history, maxRooms int) *storageRig {
	tb.Helper()
	return MustStorageCapacity(tb, conc, history, maxRooms, -1)
}

// modes runs a test with store calls inline and on goroutines.
func modes(t *testing.T, test func(t *testing.T, conc int)) {
	for _, conc := range []int{0, 4} {
		t.Run(fmt.Sprintf("concurrency %d", conc), func(t *testing.T) { test(t, conc) })
	}
}

// MustStorageCapacity is MustStorage with an initial packet of capacity
// on CAPACITY, unless capacity is negative.
func MustStorageCapacity(tb testing.TB, conc, history, maxRooms, capacity int) *storageRig {
	tb.Helper()
	st, err := store.NewMemory(history, maxRooms)
	if err != nil {
		tb.Fatal(err)
	}
	r := &storageRig{
		read:  make(chan *components.ReadQuery),
		write: make(chan *components.WriteCommand),
		out:   make(chan *components.Reply, 16),
		stats: &components.Stats{},
	}
	s := components.NewStorage(st, conc, r.stats, slog.New(slog.DiscardHandler))
	s.Read, s.Write, s.Out = r.read, r.write, r.out
	if capacity >= 0 {
		c := make(chan int, 1)
		c <- capacity
		close(c)
		s.Capacity = c
	}
	r.done = Start(s)
	tb.Cleanup(func() {
		select {
		case <-r.done:
		default:
			close(r.read)
			close(r.write)
			<-r.done
		}
	})
	return r
}

func (r *storageRig) post(tb testing.TB, room, text string) store.Message {
	tb.Helper()
	req := wire.NewRequest(context.Background())
	r.write <- &components.WriteCommand{Req: req, Room: room, Author: "ann", Text: text}
	rep := Recv(tb, r.out)
	if rep.Err != nil || rep.Status != http.StatusCreated {
		tb.Fatalf("post to %s: got %d %+v, want 201", room, rep.Status, rep.Err)
	}
	var m store.Message
	if err := json.Unmarshal(rep.Body.(*wire.Payload).Bytes(), &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

// get sends a read and returns its request, so its answer can be matched.
func (r *storageRig) get(ctx context.Context, q components.ReadQuery) *wire.Request {
	q.Req = wire.NewRequest(ctx)
	r.read <- &q
	return q.Req
}

func (r *storageRig) answer(tb testing.TB) components.ReadAnswer {
	tb.Helper()
	rep := Recv(tb, r.out)
	if rep.Err != nil || rep.Status != http.StatusOK {
		tb.Fatalf("read: got %d %+v, want 200", rep.Status, rep.Err)
	}
	return readAnswer(tb, rep)
}

// readAnswer decodes the shared answer of a read.
func readAnswer(tb testing.TB, rep *components.Reply) components.ReadAnswer {
	tb.Helper()
	p, ok := rep.Body.(*wire.Payload)
	if !ok {
		tb.Fatalf("a read answered %T, want a *wire.Payload", rep.Body)
	}
	var a components.ReadAnswer
	if err := json.Unmarshal(p.Bytes(), &a); err != nil {
		tb.Fatal(err)
	}
	return a
}

// waitParked waits until Storage holds n parked reads.
func waitParked(tb testing.TB, stats *components.Stats, n int64) {
	tb.Helper()
	testutil.WaitFor(tb, fmt.Sprintf("%d parked reads", n), func() bool { return stats.Parked.Load() == n })
}

func ids(msgs []store.Message) []uint64 {
	out := make([]uint64, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

func TestStorageReadWrite(t *testing.T) {
	modes(t, func(t *testing.T, conc int) {
		r := MustStorage(t, conc, 100, 10)
		ctx := context.Background()

		r.get(ctx, components.ReadQuery{Room: "lobby"})
		a := r.answer(t)
		if a.Epoch != "" || a.Last != 0 || a.Messages == nil || len(a.Messages) != 0 || a.Reset || a.Gap {
			t.Errorf("empty room: got %+v", a)
		}
		for i := 1; i <= 3; i++ {
			if m := r.post(t, "lobby", "hi"); m.ID != uint64(i) || m.Room != "lobby" || m.Author != "ann" || m.Time.IsZero() {
				t.Errorf("post %d: got %+v", i, m)
			}
		}
		r.get(ctx, components.ReadQuery{Room: "lobby", Since: 1})
		a = r.answer(t)
		if got := ids(a.Messages); len(got) != 2 || got[0] != 2 || got[1] != 3 || a.Last != 3 || a.Epoch == "" {
			t.Errorf("since 1: got %+v", a)
		}
		// Another room has its own ids.
		if m := r.post(t, "other", "x"); m.ID != 1 {
			t.Errorf("first id in another room: %d, want 1", m.ID)
		}
	})
}

func TestStorageLongPoll(t *testing.T) {
	modes(t, func(t *testing.T, conc int) {
		r := MustStorage(t, conc, 100, 10)
		ctx := context.Background()
		m := r.post(t, "lobby", "one")

		// Wake: a parked read is answered by the next message in its room only.
		waiting := r.get(ctx, components.ReadQuery{Room: "lobby", Since: m.ID, Wait: time.Hour})
		waitParked(t, r.stats, 1)
		r.post(t, "elsewhere", "not for you")
		// The write's 201 and the woken read's answer may come in either
		// order: with store calls on goroutines, the recheck the store's
		// news starts can finish before the write's own call reports.
		write := wire.NewRequest(ctx)
		r.write <- &components.WriteCommand{Req: write, Room: "lobby", Author: "ann", Text: "two"}
		var woken *components.Reply
		for range 2 {
			switch rep := Recv(t, r.out); rep.Req {
			case write:
				if rep.Status != http.StatusCreated {
					t.Errorf("post to lobby: got %d %+v, want 201", rep.Status, rep.Err)
				}
			case waiting:
				woken = rep
			default:
				t.Fatalf("a reply to another request: %+v", rep)
			}
		}
		if woken == nil {
			t.Fatal("the parked read was not woken")
		}
		if got := ids(readAnswer(t, woken).Messages); len(got) != 1 || got[0] != 2 {
			t.Errorf("woken read: got %v", got)
		}
		waitParked(t, r.stats, 0)

		// Timeout: answered with nothing new.
		r.get(ctx, components.ReadQuery{Room: "lobby", Since: 2, Wait: 10 * time.Millisecond})
		if a := r.answer(t); len(a.Messages) != 0 || a.Last != 2 {
			t.Errorf("expired read: got %+v", a)
		}
		waitParked(t, r.stats, 0)

		// Disconnect: released at once, never answered.
		cctx, cancel := context.WithCancel(ctx)
		r.get(cctx, components.ReadQuery{Room: "lobby", Since: 2, Wait: time.Hour})
		waitParked(t, r.stats, 1)
		cancel()
		waitParked(t, r.stats, 0)
		r.post(t, "lobby", "three") // wakes nobody: only the write's reply arrives
		select {
		case rep := <-r.out:
			t.Errorf("a disconnected read was answered: %+v", rep)
		default:
		}
	})
}

func TestStorageEpochResetAndGap(t *testing.T) {
	modes(t, func(t *testing.T, conc int) {
		r := MustStorage(t, conc, 3, 10)
		ctx := context.Background()
		for range 5 {
			r.post(t, "lobby", "x")
		}
		r.get(ctx, components.ReadQuery{Room: "lobby"})
		epoch := r.answer(t).Epoch

		for _, tc := range []struct {
			name       string
			q          components.ReadQuery
			ids        []uint64
			reset, gap bool
		}{
			{"since 0 after trimming", components.ReadQuery{Since: 0}, []uint64{3, 4, 5}, false, true},
			{"since 1 missed 2", components.ReadQuery{Since: 1}, []uint64{3, 4, 5}, false, true},
			{"since 2 missed nothing", components.ReadQuery{Since: 2}, []uint64{3, 4, 5}, false, false},
			{"current epoch", components.ReadQuery{Since: 4, Epoch: epoch}, []uint64{5}, false, false},
			{"other epoch", components.ReadQuery{Since: 4, Epoch: "old", Wait: time.Hour}, []uint64{3, 4, 5}, true, true},
			{"id from the future", components.ReadQuery{Since: 9, Wait: time.Hour}, []uint64{3, 4, 5}, true, true},
		} {
			tc.q.Room = "lobby"
			r.get(ctx, tc.q)
			a := r.answer(t)
			got := ids(a.Messages)
			if len(got) != len(tc.ids) || got[0] != tc.ids[0] || a.Reset != tc.reset || a.Gap != tc.gap || a.Epoch != epoch {
				t.Errorf("%s: got ids %v reset %v gap %v epoch %q, want %v %v %v %q", tc.name, got, a.Reset, a.Gap, a.Epoch, tc.ids, tc.reset, tc.gap, epoch)
			}
		}
		// A room this store never had, read with an epoch: reset at once.
		r.get(ctx, components.ReadQuery{Room: "new", Epoch: "old", Wait: time.Hour})
		if a := r.answer(t); !a.Reset || a.Epoch != "" || len(a.Messages) != 0 {
			t.Errorf("unknown room with an epoch: got %+v", a)
		}
	})
}

func TestStorageRoomLimit(t *testing.T) {
	modes(t, func(t *testing.T, conc int) {
		r := MustStorage(t, conc, 10, 1)
		r.post(t, "a", "x")
		r.write <- &components.WriteCommand{Req: wire.NewRequest(context.Background()), Room: "b", Author: "ann", Text: "x"}
		if rep := Recv(t, r.out); rep.Err == nil || rep.Err.Status != http.StatusServiceUnavailable {
			t.Errorf("post creating a room past the bound: got %+v, want 503", rep)
		}
		r.post(t, "a", "still works")
	})
}

func TestStorageShutdownAnswersParked(t *testing.T) {
	modes(t, func(t *testing.T, conc int) {
		r := MustStorage(t, conc, 10, 10)
		r.post(t, "lobby", "x")
		for range 3 {
			r.get(context.Background(), components.ReadQuery{Room: "lobby", Since: 1, Wait: time.Hour})
		}
		waitParked(t, r.stats, 3)
		close(r.read)
		close(r.write)
		for range 3 {
			if a := r.answer(t); a.Last != 1 || len(a.Messages) != 0 {
				t.Errorf("flushed read: got %+v", a)
			}
		}
		Recv(t, r.done)
		waitParked(t, r.stats, 0)
	})
}

func TestStorageCapacity(t *testing.T) {
	modes(t, func(t *testing.T, conc int) {
		r := MustStorageCapacity(t, conc, 10, 10, 2)
		for range 2 {
			r.get(context.Background(), components.ReadQuery{Room: "lobby", Wait: time.Hour})
		}
		waitParked(t, r.stats, 2)
		r.get(context.Background(), components.ReadQuery{Room: "lobby", Wait: time.Hour})
		if rep := Recv(t, r.out); rep.Err == nil || rep.Err.Status != http.StatusServiceUnavailable {
			t.Errorf("a read past the capacity: got %+v, want 503", rep)
		}
		// Reads that need not wait still work.
		r.get(context.Background(), components.ReadQuery{Room: "lobby"})
		r.answer(t)
	})
}

func TestStorageSharesAnswers(t *testing.T) {
	modes(t, func(t *testing.T, conc int) {
		r := MustStorage(t, conc, 100, 10)
		ctx := context.Background()
		r.post(t, "lobby", "one")
		payload := func() *wire.Payload {
			r.get(ctx, components.ReadQuery{Room: "lobby"})
			return Recv(t, r.out).Body.(*wire.Payload)
		}
		// Repeated catch-up reads share one encoded answer… (The store's
		// own notice of the post may still drop the room's entry once, and
		// an entry lives pageCacheAge, which a busy machine may pass
		// between two reads: so two reads in a row must share it, within
		// a few tries.)
		first, shared := payload(), false
		for range 20 {
			again := payload()
			if shared = again == first; shared {
				break
			}
			first = again
		}
		if !shared {
			t.Error("every repeated read was encoded again")
		}
		// …until the room changes.
		r.post(t, "lobby", "two")
		if fresh := payload(); fresh == first || len(readAnswer(t, &components.Reply{Body: fresh}).Messages) != 2 {
			t.Error("a read after a write got the old answer")
		}
		// Readers woken together share one answer too.
		for range 3 {
			r.get(ctx, components.ReadQuery{Room: "lobby", Since: 2, Wait: time.Hour})
		}
		waitParked(t, r.stats, 3)
		r.write <- &components.WriteCommand{Req: wire.NewRequest(ctx), Room: "lobby", Author: "ann", Text: "three"}
		// The 201 and the wake-up come in either order: a store notice
		// may check the room before the write's own result is handled.
		var woken *components.Reply
		for range 2 {
			if rep := Recv(t, r.out); rep.Status == http.StatusOK {
				woken = rep
			} else if rep.Status != http.StatusCreated {
				t.Fatalf("post: got %d %+v, want 201", rep.Status, rep.Err)
			}
		}
		// (one packet: the Responder completes them all at once).
		if woken == nil || len(woken.Also) != 2 || len(readAnswer(t, woken).Messages) != 1 {
			t.Errorf("readers woken by one message: %+v, want one reply for three requests", woken)
		}
	})
}

func TestStoragePerClientCap(t *testing.T) {
	st, _ := store.NewMemory(10, 10)
	stats := &components.Stats{}
	in, out := make(chan *components.ReadQuery), make(chan *components.Reply, 4)
	per := make(chan int, 1)
	per <- 2
	close(per)
	s := components.NewStorage(st, 0, stats, slog.New(slog.DiscardHandler))
	s.Read, s.PerClient, s.Out = in, per, out
	done := Start(s)
	get := func(addr string) {
		req := wire.NewRequest(context.Background())
		req.RemoteAddr = addr
		in <- &components.ReadQuery{Req: req, Room: "r", Wait: time.Hour}
	}
	get("198.51.100.1")
	get("198.51.100.1")
	get("127.0.0.1") // loopback is not counted
	waitParked(t, stats, 3)
	get("198.51.100.1")
	if rep := Recv(t, out); rep.Err == nil || rep.Err.Status != http.StatusTooManyRequests {
		t.Errorf("a third long-poll from one address: %+v", rep)
	}
	get("198.51.100.2") // others are unaffected
	waitParked(t, stats, 4)
	close(in)
	for range 4 {
		Recv(t, out)
	}
	Recv(t, done)
}
