package graph_test

import (
	"sync"
	"testing"

	"go.uber.org/goleak"

	"gochat/components"
	"gochat/graph"
	"gochat/internal/testutil"
)

// TestRunStandalone: a graph without the HTTP inport, as an FBP protocol
// client builds one (core/Repeat -> core/Drop, fed by an initial packet),
// checks with CheckStandalone (Check wants HTTP), runs on a network of
// its own, shows its packet to the observer and finishes by itself.
func TestRunStandalone(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	g, err := graph.ParseFBP("try.fbp", []byte("'Hello, world!' -> IN Hello(core/Repeat) OUT -> IN World(core/Drop)\n"+
		"[1,2] -> IN r2(core/Repeat) OUT -> IN out(core/Output)\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := graph.Check(g, graph.DefaultCatalog()); err == nil {
		t.Fatal("Check took a graph without the HTTP inport")
	}
	p, err := graph.CheckStandalone(g, graph.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	f, err := components.NewFactory(MustDeps(t))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[int]any{}
	n, err := graph.RunStandalone(p, f, func(conn int, v any) {
		mu.Lock()
		defer mu.Unlock()
		seen[conn] = v
	})
	if err != nil {
		t.Fatal(err)
	}
	testutil.Within(t, "the network to finish", func() { <-n.Done })
	n.Stop()
	mu.Lock()
	defer mu.Unlock()
	if seen[0] != "Hello, world!" {
		t.Errorf("the text went as %#v, want the string", seen[0])
	}
	if l, ok := seen[1].([]any); !ok || len(l) != 2 {
		t.Errorf("[1,2] went as %#v, want a JSON list", seen[1])
	}
	if n.Counts[0].Load() != 1 || n.Counts[1].Load() != 1 {
		t.Errorf("counts %d, %d, want 1 and 1", n.Counts[0].Load(), n.Counts[1].Load())
	}
}
