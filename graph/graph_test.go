package graph_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"gochat/components"
	"gochat/graph"
	"gochat/store"
)

func MustDeps(tb testing.TB) components.Deps {
	tb.Helper()
	st, err := store.NewMemory(10, 10)
	if err != nil {
		tb.Fatal(err)
	}
	return components.Deps{Store: st, MaxWait: time.Second, Stats: &components.Stats{}, Log: slog.New(slog.DiscardHandler)}
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
	f, err := components.NewFactory(MustDeps(t))
	if err != nil {
		t.Fatal(err)
	}
	n, err := graph.Start(graph.Default(), f, 0)
	if err != nil {
		t.Fatal(err)
	}
	close(n.In)
	select {
	case <-n.Done:
	case <-time.After(10 * time.Second):
		t.Fatal("the network did not stop after its inport closed")
	}
}

func TestBuildErrors(t *testing.T) {
	f, err := components.NewFactory(MustDeps(t))
	if err != nil {
		t.Fatal(err)
	}
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
		if _, err := graph.Build(g, f); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}
