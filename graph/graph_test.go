package graph_test

import (
	"context"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"gochat/components"
	"gochat/graph"
	"gochat/store"
	"gochat/wire"
)

func MustDeps(tb testing.TB) components.Deps {
	tb.Helper()
	st, err := store.NewMemory(10, 10)
	if err != nil {
		tb.Fatal(err)
	}
	return components.Deps{Store: st, MaxWait: time.Second, Stats: &components.Stats{}, Log: slog.New(slog.DiscardHandler)}
}

// MustPlan checks g against the default catalogue.
func MustPlan(tb testing.TB, g *graph.Graph) *graph.Plan {
	tb.Helper()
	p, err := graph.Check(g, graph.DefaultCatalog())
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// MustStart runs the default graph, counting packets, on a fresh store.
func MustStart(tb testing.TB) *graph.Network {
	tb.Helper()
	f, err := components.NewFactory(MustDeps(tb))
	if err != nil {
		tb.Fatal(err)
	}
	n, err := graph.Start(MustPlan(tb, graph.Default()), f, 0, true)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func TestDefaultGraphUsesKnownComponents(t *testing.T) {
	known := map[string]bool{}
	for _, c := range components.Catalog() {
		known[c.Name] = true
	}
	for _, p := range graph.Default().Processes {
		if !known[p.Component] {
			t.Errorf("process %s runs unknown component %s", p.Name, p.Component)
		}
	}
}

func TestStartAndStop(t *testing.T) {
	n := MustStart(t)
	req := wire.NewRequest(context.Background())
	req.Method, req.Path = "GET", "/api/rooms/lobby/messages"
	n.In <- req
	if a := <-req.Answer(); a.Status != 200 {
		t.Errorf("answer: %d %s", a.Status, a.Body)
	}
	close(n.In)
	select {
	case <-n.Done:
	case <-time.After(10 * time.Second):
		t.Fatal("the network did not stop after its inport closed")
	}
}

// TestCheckErrors: Check refuses a graph edited after parsing, as Build
// would need it.
func TestCheckErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*graph.Graph)
		want string
	}{
		{"unknown component", func(g *graph.Graph) { g.Processes[0].Component = "Nope" }, "unknown component Nope for process router"},
		{"unknown port", func(g *graph.Graph) { g.Connections[0].Src.Port = "NOPE" }, "Router router has no port NOPE"},
		{"wrong direction", func(g *graph.Graph) { g.Connections[0].Tgt.Port = "OUT" }, "OUT is an outport of Controller, not an inport"},
		{"unknown process", func(g *graph.Graph) { g.Connections[0].Tgt.Process = "ghost" }, "unknown process ghost"},
	} {
		g := graph.Default()
		tc.edit(g)
		if p, err := graph.Check(g, graph.DefaultCatalog()); p != nil || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

func TestCounts(t *testing.T) {
	n := MustStart(t)
	for _, path := range []string{"/api/rooms/lobby/messages", "/api/rooms/bad.room/messages", "/nowhere"} {
		req := wire.NewRequest(context.Background())
		req.Method, req.Path = "GET", path
		n.In <- req
		<-req.Answer()
	}
	close(n.In)
	<-n.Done
	got := map[string]uint64{}
	for i, c := range n.Graph.Connections {
		got[c.Src.String()+" -> "+c.Tgt.String()] = n.Counts[i].Load()
	}
	want := map[string]uint64{
		"router.READ -> controller.IN":   2,
		"controller.OUT -> storage.READ": 1,
		"router.WRITE -> limit.IN":       0,
		"limit.OUT -> sender.IN":         0,
		"limit.ERR -> responder.IN":      0,
		"sender.OUT -> storage.WRITE":    0,
		"storage.OUT -> responder.IN":    1,
		"router.ERR -> responder.IN":     1,
		"controller.ERR -> responder.IN": 1,
		"sender.ERR -> responder.IN":     0,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("counts: %v, want %v", got, want)
	}
}

// TestDocsDrawing keeps docs/chat.dot, from which docs/chat.svg is drawn,
// in step with the default graph. Regenerate both with
//
//	go run . graph dot graph/chat.fbp > docs/chat.dot && dot -Tsvg docs/chat.dot > docs/chat.svg
func TestDocsDrawing(t *testing.T) {
	want, err := os.ReadFile("../docs/chat.dot")
	if err != nil {
		t.Fatal(err)
	}
	if got := graph.DOT(graph.Default(), nil); string(got) != string(want) {
		t.Errorf("docs/chat.dot is stale; regenerate it and docs/chat.svg:\n%s", got)
	}
}
