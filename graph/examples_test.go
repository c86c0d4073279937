package graph_test

import (
	"path/filepath"
	"strings"
	"testing"

	"gochat/graph"
)

// TestExamplesKeepTheAbuseLimits: every example graph, those added later
// too, keeps the default graph's abuse limits: every write passes a
// RateLimit on its way from the Router to Storage, and every Storage gets
// its PERCLIENT and CAPACITY. An example is what people copy; one without
// the limits would silently serve without them.
func TestExamplesKeepTheAbuseLimits(t *testing.T) {
	files, err := filepath.Glob("examples/*.fbp")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, file := range append(files, "chat.fbp") {
		g, err := graph.Load(file)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if err := graph.Validate(g, graph.DefaultCatalog()); err != nil {
			t.Errorf("%v", err)
		}
		for _, problem := range abuseLimits(g) {
			t.Errorf("%s: %s", file, problem)
		}
	}
}

// abuseLimits says what of the default graph's abuse limits g lacks.
func abuseLimits(g *graph.Graph) []string {
	component := map[string]string{}
	for _, p := range g.Processes {
		component[p.Name] = strings.TrimPrefix(p.Component, "gochat/")
	}
	var problems []string
	// Follow the connections from each Router's WRITE outport, stopping at
	// RateLimits: reaching a Storage's WRITE is a write path without one.
	var reached []string
	seen := map[string]bool{}
	var follow func(proc, port string)
	follow = func(proc, port string) {
		for _, c := range g.Connections {
			if c.Src.Process != proc || port != "" && !strings.EqualFold(c.Src.Port, port) {
				continue
			}
			tgt := c.Tgt.Process
			switch {
			case component[tgt] == "Storage" && strings.EqualFold(c.Tgt.Port, "WRITE"):
				reached = append(reached, c.Src.String()+" -> "+c.Tgt.String())
			case component[tgt] == "RateLimit", seen[tgt]:
			default:
				seen[tgt] = true
				follow(tgt, "")
			}
		}
	}
	routers := 0
	for name, comp := range component {
		if comp == "Router" {
			routers++
			follow(name, "WRITE")
		}
	}
	if routers == 0 {
		problems = append(problems, "no Router")
	}
	for _, r := range reached {
		problems = append(problems, "writes reach Storage without a RateLimit, at "+r)
	}
	configured := map[string]bool{}
	for _, iip := range g.IIPs {
		configured[iip.Tgt.Process+"."+strings.ToUpper(iip.Tgt.Port)] = true
	}
	storages := 0
	for name, comp := range component {
		if comp != "Storage" {
			continue
		}
		storages++
		for _, port := range []string{"PERCLIENT", "CAPACITY"} {
			if !configured[name+"."+port] {
				problems = append(problems, "no initial packet to "+port+" "+name)
			}
		}
	}
	if storages == 0 {
		problems = append(problems, "no Storage")
	}
	return problems
}
