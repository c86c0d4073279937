package graph_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gochat/graph"
)

// TestFBPRoundTrip: DSL → JSON → DSL → JSON keeps processes,
// connections, initial packets, exports, metadata and properties (the
// two JSONs are the same text); the written DSL is a fixed point of
// graph fbp; DSL → DSL keeps the comments.
func TestFBPRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/fbp/*.fbp")
	examples, _ := filepath.Glob("examples/*.fbp")
	for _, f := range append(append(files, "chat.fbp"), examples...) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		g, err := graph.ParseFBP(f, src)
		if err != nil {
			t.Fatal(err)
		}
		js1 := marshalJSON(t, g)
		fromJSON, err := graph.ParseJSON(f+".json", js1)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		dsl := marshalFBP(t, fromJSON)
		g2, err := graph.ParseFBP(f+".2.fbp", dsl)
		if err != nil {
			t.Fatalf("%s: the written DSL does not parse: %v\n%s", f, err, dsl)
		}
		if js2 := marshalJSON(t, g2); !bytes.Equal(js1, js2) {
			t.Errorf("%s: DSL → JSON → DSL → JSON changed the graph:\n%s\nthen\n%s", f, js1, js2)
		}
		if again := marshalFBP(t, g2); !bytes.Equal(again, dsl) {
			t.Errorf("%s: graph fbp is not stable:\n%s\nthen\n%s", f, dsl, again)
		}
		// DSL → DSL keeps every comment, in order.
		direct := marshalFBP(t, g)
		g3, err := graph.ParseFBP(f, direct)
		if err != nil {
			t.Fatalf("%s: %v\n%s", f, err, direct)
		}
		if !reflect.DeepEqual(comments(g3), comments(g)) || !bytes.Equal(marshalJSON(t, g3), js1) {
			t.Errorf("%s: DSL → DSL lost something:\n%s", f, direct)
		}
	}
	// Comments that only look like annotations stay comments.
	g0, err := graph.ParseFBP("c.fbp", []byte("  # @name x\na(A) OUT -> IN b(B) # @name y\n"))
	if err != nil {
		t.Fatal(err)
	}
	out0 := marshalFBP(t, g0)
	if g1, err := graph.ParseFBP("c.fbp", out0); err != nil || g1.Properties != nil || len(g1.Comments) != 2 {
		t.Errorf("comments like annotations:\n%s", out0)
	}
	// The default graph written back is itself but for its chains.
	g := graph.Default()
	out := string(marshalFBP(t, g))
	for _, line := range []string{"# gochat's default network.", "INPORT=router.IN:HTTP", "router(Router) READ -> IN controller(Controller)",
		"controller OUT -> READ storage(Storage)", "\n# Errors, fanned in to the Responder.\nrouter ERR -> IN responder\n", "'5' -> RATE limit"} {
		if !strings.Contains(out, line) {
			t.Errorf("graph fbp - lacks %q:\n%s", line, out)
		}
	}
}

// TestJSONKeepsWhatEditorsWrite: JSON → JSON keeps metadata, properties
// and groups; JSON → DSL says what the DSL cannot carry.
func TestJSONKeepsWhatEditorsWrite(t *testing.T) {
	src := `{"properties": {"name": "g", "description": "two: nodes", "environment": {"type": "noflo-nodejs"}},
 "groups": [{"name": "main", "nodes": ["a", "b"], "metadata": {"description": "x"}}],
 "processes": {"a": {"component": "core/Repeat", "metadata": {"x": 12, "y": -3.5, "label": "first node"}},
               "b": {"component": "core/Output", "metadata": {"x": 100, "y": 7, "routes": "main"}}},
 "connections": [{"src": {"process": "a", "port": "out"}, "tgt": {"process": "b", "port": "in"}},
                 {"data": "5", "tgt": {"process": "a", "port": "in"}},
                 {"data": 5, "tgt": {"process": "a", "port": "times"}}]}`
	g, err := graph.ParseJSON("g.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var in, out map[string]any
	json.Unmarshal([]byte(src), &in)
	json.Unmarshal(marshalJSON(t, g), &out)
	for _, key := range []string{"properties", "groups", "processes", "connections"} {
		if !reflect.DeepEqual(in[key], out[key]) {
			t.Errorf("JSON → JSON changed %s:\n%v\n%v", key, in[key], out[key])
		}
	}
	dsl, lost, err := graph.MarshalFBP(g)
	if err != nil {
		t.Fatal(err)
	}
	want := "# @name g\n# @runtime noflo-nodejs\n" +
		"a(core/Repeat:x=12) out -> in b(core/Output:routes=main,x=100,y=7)\n'5' -> in a\n5 -> times a\n"
	if string(dsl) != want {
		t.Errorf("DSL:\n%s\nwant\n%s", dsl, want)
	}
	wantLost := []string{
		`property description = "two: nodes": an annotation is # @key value, value [A-Za-z0-9_ .-]`,
		"group main (a, b): the DSL has no groups",
		`metadata label = "first node" of process a: node metadata is [A-Za-z0-9/_] text, x and y whole numbers`,
		`metadata y = -3.5 of process a: node metadata is [A-Za-z0-9/_] text, x and y whole numbers`,
	}
	if !reflect.DeepEqual(lost, wantLost) {
		t.Errorf("lost:\n%s", strings.Join(lost, "\n"))
	}
	// Names the DSL cannot spell are an error, not another graph.
	g.Processes[0].Name = "a b"
	if _, _, err := graph.MarshalFBP(g); err == nil || !strings.Contains(err.Error(), `process "a b"`) {
		t.Errorf("unwritable name: %v", err)
	}
}

func marshalJSON(t *testing.T, g *graph.Graph) []byte {
	t.Helper()
	js, err := graph.MarshalJSON(g, "x")
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func marshalFBP(t *testing.T, g *graph.Graph) []byte {
	t.Helper()
	dsl, lost, err := graph.MarshalFBP(g)
	if err != nil || len(lost) > 0 {
		t.Fatalf("%v %v", err, lost)
	}
	return dsl
}

func comments(g *graph.Graph) []string {
	var s []string
	for _, c := range g.Comments {
		s = append(s, c.Text)
	}
	return s
}
