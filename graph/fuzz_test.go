package graph_test

import (
	"testing"

	"gochat/graph"
)

// FuzzParseFBP: any text parses or fails with problems, never panics;
// what parses validates, draws, and survives a trip through JSON.
func FuzzParseFBP(f *testing.F) {
	f.Add([]byte(base))
	f.Add(graph.DefaultSource())
	f.Add([]byte("a(A) OUT[0] -(3)-> IN b(B:meta), '\\'x\\'' -> X a\nINPORT=a.IN:HTTP"))
	f.Fuzz(func(t *testing.T, src []byte) {
		roundTrip(t, "f.fbp", src)
	})
}

// FuzzParseJSON is FuzzParseFBP for the FBP JSON format.
func FuzzParseJSON(f *testing.F) {
	js, _ := graph.MarshalJSON(graph.Default(), "chat")
	f.Add(js)
	f.Add([]byte(`{"processes":{"a":{"component":"A"}},"connections":[{"data":[1,2],"tgt":{"process":"a","port":"IN","index":0}}]}`))
	f.Fuzz(func(t *testing.T, src []byte) {
		roundTrip(t, "f.json", src)
	})
}

func roundTrip(t *testing.T, name string, src []byte) {
	g, err := graph.Parse(name, src)
	if err != nil {
		if _, ok := err.(graph.Problems); !ok {
			t.Fatalf("error of type %T: %v", err, err)
		}
		return
	}
	_ = graph.Validate(g, graph.DefaultCatalog())
	graph.DOT(g, nil)
	js, err := graph.MarshalJSON(g, "x")
	if err != nil {
		t.Fatal(err)
	}
	back, err := graph.ParseJSON("back.json", js)
	if err != nil {
		t.Fatalf("the JSON of a parsed graph does not parse: %v\n%s", err, js)
	}
	if len(back.Processes) != len(g.Processes) || len(back.Connections) != len(g.Connections) || len(back.IIPs) != len(g.IIPs) {
		t.Fatalf("round trip changed the graph:\n%s", js)
	}
}
