package graph_test

import (
	"bytes"
	"strings"
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
	graph.MarshalFBP(g) // any graph: written, or refused, never a panic
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

// FuzzMarshalFBP: whatever DSL parses is written back by graph fbp,
// losing nothing, and the round trip DSL → JSON → DSL → JSON is stable:
// the same JSON, and the written DSL written again is itself.
func FuzzMarshalFBP(f *testing.F) {
	f.Add(graph.DefaultSource())
	f.Add([]byte("# @name x\n(core/Repeat:x=1,y=2e3,routes) -> IN[0] b(B:k=v=w,=3)\n'it\\'s' -> X b, {\"a\":[1]} -> Y b # c\n\"\\\\\" -> Z b"))
	f.Add([]byte("INPORT=a(A).IN:X\nDEFAULT_OUTPORT=R\na -> b(B) S.t -> c(C)\n'\\\\' -> IN c"))
	f.Fuzz(func(t *testing.T, src []byte) {
		g, err := graph.ParseFBP("f.fbp", src)
		if err != nil {
			return
		}
		js, err := graph.MarshalJSON(g, "x")
		if err != nil {
			t.Fatal(err)
		}
		fromJSON, err := graph.ParseJSON("f.json", js)
		if err != nil {
			t.Fatalf("%v\n%s", err, js)
		}
		dsl, lost, err := graph.MarshalFBP(fromJSON)
		if err != nil {
			// Only the names of anonymous processes can be ones the DSL
			// cannot spell (_a_b/c_1 for (a/b/c), as the reference names it).
			if !strings.Contains(err.Error(), `process "_`) {
				t.Fatal(err)
			}
			return
		}
		if len(lost) > 0 {
			t.Fatalf("lost %v of\n%s", lost, js)
		}
		back, err := graph.ParseFBP("back.fbp", dsl)
		if err != nil {
			t.Fatalf("the written DSL does not parse: %v\n%s", err, dsl)
		}
		js2, err := graph.MarshalJSON(back, "x")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(js, js2) {
			t.Fatalf("DSL → JSON → DSL → JSON changed the graph:\n%s\n%s\nthen\n%s", dsl, js, js2)
		}
		again, _, err := graph.MarshalFBP(back)
		if err != nil || !bytes.Equal(again, dsl) {
			t.Fatalf("graph fbp is not stable (%v):\n%s\nthen\n%s", err, dsl, again)
		}
	})
}
