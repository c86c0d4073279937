package server_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gochat/graph"
	"gochat/internal/history"
	"gochat/internal/testutil"
	"gochat/server"
)

// graphs holds the sources the reload tests switch between.
type graphs struct {
	plain, moderated, broken []byte
}

func MustGraphs(tb testing.TB) graphs {
	tb.Helper()
	mod, err := os.ReadFile("../graph/examples/moderated.fbp")
	if err != nil {
		tb.Fatal(err)
	}
	return graphs{
		plain:     graph.DefaultSource(),
		moderated: mod,
		broken:    []byte("INPORT=router.IN:HTTP\nrouter(Router) READ -> IN nope(Nope)\n"),
	}
}

// MustWrite replaces the file at path with src.
func MustWrite(tb testing.TB, path string, src []byte) {
	tb.Helper()
	if err := os.WriteFile(path, src, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// processes counts the running goroutines of a component's Process.
func processes(component string) int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "gochat/components.(*"+component+").Process(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

func TestReloadUnderLoad(t *testing.T) {
	const writers, perWriter, readers, rounds = 4, 150, 5, 4
	const total = writers * perWriter
	src := MustGraphs(t)
	path := filepath.Join(t.TempDir(), "chat.fbp")
	MustWrite(t, path, src.plain)
	var logs LogBuffer
	s, c := MustOpen(t, server.Config{GraphFile: path, History: total, Log: logs.Logger()})

	var posted atomic.Int64
	h := history.New(total)
	var wg sync.WaitGroup
	for range readers {
		wg.Add(1)
		r := h.Reader("reload")
		go func() {
			defer wg.Done()
			Follow(t, c, r, 30, Saw(total))
		}()
	}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				a, err := c.Write(h, "reload", fmt.Sprint("w", w), fmt.Sprint("message ", i), "")
				if err != nil || a.Status != 201 {
					t.Errorf("writer %d message %d: %v %d %s", w, i, err, a.Status, a.Raw)
					return
				}
				posted.Add(1)
			}
		}()
	}
	// Reload while the load runs: valid, broken, valid again, adding and
	// removing the Filter.
	for round := range rounds {
		testutil.WaitFor(t, "writes to progress", func() bool { return posted.Load() >= int64((round+1)*total/(rounds+1)) })
		for _, next := range [][]byte{src.moderated, src.broken, src.plain} {
			MustWrite(t, path, next)
			err := s.Reload()
			if broken := &next[0] == &src.broken[0]; broken != (err != nil) {
				t.Errorf("round %d: reload: %v", round, err)
			}
		}
	}
	wg.Wait()
	h.CheckComplete(t)
	if got, fails := s.Stats().Reloads.Load(), s.Stats().ReloadFailures.Load(); got != 2*rounds || fails != rounds {
		t.Errorf("reloads: %d ok, %d failed; want %d and %d", got, fails, 2*rounds, rounds)
	}
	// Old networks are gone: one Router, one Storage left running.
	testutil.WaitFor(t, "old networks to stop", func() bool { return processes("Router") == 1 && processes("Storage") == 1 })
	if !strings.Contains(logs.String(), "chat.fbp:2:27: unknown component Nope for process nope") {
		t.Errorf("a failed reload does not log its problem:\n%s", logs.String())
	}
}

func TestReloadKeepsServingOnProblems(t *testing.T) {
	src := MustGraphs(t)
	path := filepath.Join(t.TempDir(), "chat.fbp")
	MustWrite(t, path, src.plain)
	var logs LogBuffer
	s, c := MustOpen(t, server.Config{GraphFile: path, Log: logs.Logger()})
	m := c.Post("keep", "", "before")
	MustWrite(t, path, src.broken)
	if err := s.Reload(); err == nil || !strings.Contains(err.Error(), "unknown component Nope") {
		t.Errorf("reload of a broken file: %v", err)
	}
	if !strings.Contains(logs.String(), "graph reload failed; the old graph keeps running") {
		t.Errorf("logs:\n%s", logs.String())
	}
	r := c.Get("keep", "").Read
	if len(r.Messages) != 1 || r.Messages[0] != m {
		t.Errorf("after a failed reload: %+v", r)
	}
	os.Remove(path)
	if err := s.Reload(); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("reload of a missing file: %v", err)
	}
	c.Post("keep", "", "still serving")
}

func TestReloadKeepsRoomsAndAnswersParked(t *testing.T) {
	src := MustGraphs(t)
	path := filepath.Join(t.TempDir(), "chat.fbp")
	MustWrite(t, path, src.plain)
	s, c := MustOpen(t, server.Config{GraphFile: path})
	m := c.Post("keep", "", "before")
	before := c.Get("keep", "").Read
	got := make(chan Answer, 1)
	go func() {
		a, err := c.Read("keep", fmt.Sprintf("since=1&wait=30&epoch=%s", before.Epoch))
		if err != nil {
			t.Error(err)
		}
		got <- a
	}()
	WaitParked(t, s.Stats(), 1)
	MustWrite(t, path, src.moderated)
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	// The parked read was answered by the old network, with what it had.
	if a := <-got; a.Status != 200 || len(a.Read.Messages) != 0 || a.Read.Reset || a.Read.Epoch != before.Epoch {
		t.Errorf("parked read across a reload: %d %s", a.Status, a.Raw)
	}
	after := c.Get("keep", "since=0&epoch="+before.Epoch).Read
	if after.Reset || after.Epoch != before.Epoch || len(after.Messages) != 1 || after.Messages[0] != m {
		t.Errorf("room after the reload: %+v", after)
	}
	if a := c.MustDo("POST", "api/rooms/keep/messages", "application/json", `{"text":"spam"}`); a.Status != 422 {
		t.Errorf("the new graph's Filter is not in effect: %d %s", a.Status, a.Raw)
	}
	if m2 := c.Post("keep", "", "after"); m2.ID != 2 {
		t.Errorf("ids go on across a reload: %d", m2.ID)
	}
}

func TestWatch(t *testing.T) {
	src := MustGraphs(t)
	path := filepath.Join(t.TempDir(), "chat.fbp")
	MustWrite(t, path, src.plain)
	s, c := MustOpen(t, server.Config{GraphFile: path, Watch: true, WatchInterval: 10 * time.Millisecond})
	MustWrite(t, path, src.moderated)
	testutil.WaitFor(t, "the watcher to reload", func() bool { return s.Stats().Reloads.Load() == 1 })
	if a := c.MustDo("POST", "api/rooms/w/messages", "application/json", `{"text":"scam"}`); a.Status != 422 {
		t.Errorf("after the file changed: %d %s", a.Status, a.Raw)
	}
	MustWrite(t, path, src.broken)
	testutil.WaitFor(t, "the watcher to try", func() bool { return s.Stats().ReloadFailures.Load() == 1 })
	if a := c.MustDo("POST", "api/rooms/w/messages", "application/json", `{"text":"scam"}`); a.Status != 422 {
		t.Errorf("after a broken change: %d %s", a.Status, a.Raw)
	}
}

// TestApply: a graph given as a value goes live by the same hot reload as
// a file; one with problems changes nothing and says what they are.
func TestApply(t *testing.T) {
	src := MustGraphs(t)
	s, c := MustOpen(t, server.Config{})
	m := c.Post("apply", "", "before")
	moderated, err := graph.Parse("moderated.fbp", src.moderated)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(moderated, "edit"); err != nil {
		t.Fatal(err)
	}
	if a := c.MustDo("POST", "api/rooms/apply/messages", "application/json", `{"text":"spam"}`); a.Status != 422 {
		t.Errorf("the applied graph's Filter is not in effect: %d %s", a.Status, a.Raw)
	}
	broken, err := graph.Parse("broken.fbp", src.broken)
	if err != nil {
		t.Fatal(err)
	}
	var probs graph.Problems
	if err := s.Apply(broken, "edit"); !errors.As(err, &probs) || !strings.Contains(probs.Error(), "unknown component Nope") {
		t.Errorf("applying a broken graph: %v", err)
	}
	if a := c.MustDo("POST", "api/rooms/apply/messages", "application/json", `{"text":"spam"}`); a.Status != 422 {
		t.Errorf("a broken graph changed the running one: %d %s", a.Status, a.Raw)
	}
	if r := c.Get("apply", "").Read; len(r.Messages) != 1 || r.Messages[0] != m {
		t.Errorf("the room across applies: %+v", r)
	}
	if got, fails := s.Stats().Reloads.Load(), s.Stats().ReloadFailures.Load(); got != 1 || fails != 1 {
		t.Errorf("reloads: %d ok, %d failed; want 1 and 1", got, fails)
	}
}
