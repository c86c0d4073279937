package graph_test

import (
	"reflect"
	"strings"
	"testing"

	"gochat/graph"
)

func TestJSONRoundTrip(t *testing.T) {
	src := base + "router WRITE -(16)-> IN sender\n'10000' -> CAPACITY storage\n"
	g, err := graph.ParseFBP("a.fbp", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	js, err := graph.MarshalJSON(g, "a")
	if err != nil {
		t.Fatal(err)
	}
	back, err := graph.ParseJSON("a.json", js)
	if err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	if err := graph.Validate(back, graph.DefaultCatalog()); err != nil {
		t.Fatal(err)
	}
	strip := func(g *graph.Graph) (procs map[string]string, conns []string, iips []string) {
		procs = map[string]string{}
		for _, p := range g.Processes {
			procs[p.Name] = p.Component
		}
		for _, c := range g.Connections {
			conns = append(conns, c.Src.String()+">"+c.Tgt.String()+":"+strings.Repeat("b", c.Buffer))
		}
		for _, i := range g.IIPs {
			iips = append(iips, i.Data+">"+i.Tgt.String())
		}
		return
	}
	p1, c1, i1 := strip(g)
	p2, c2, i2 := strip(back)
	if !reflect.DeepEqual(p1, p2) || !reflect.DeepEqual(c1, c2) || !reflect.DeepEqual(i1, i2) {
		t.Errorf("round trip changed the graph:\n%v %v %v\n%v %v %v", p1, c1, i1, p2, c2, i2)
	}
	if !strings.Contains(string(js), `"data": "10000"`) /* a quoted packet is a string, as the reference writes it */ || !strings.Contains(string(js), `"buffer": 16`) {
		t.Errorf("JSON:\n%s", js)
	}
}

func TestParseJSONErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"{\n  \"processes\": {\"a\": {\"component\": \"A\"},}\n}", "g.json:2:"},
		{`{"processes": {"a": {"component": "A"}, "a": {"component": "B"}}}`, "g.json:1:41: duplicate process a: also declared at 1:16"},
		{`{"processes": {"a": {}}}`, "g.json:1:21: process a has no component"},
		{"{\"connections\": [\n {\"src\": {\"process\": \"a\"}, \"tgt\": {\"process\": \"b\", \"port\": \"IN\"}}]}", "g.json:2:10: connections[0].src must name a process and a port"},
		{`{"connections": [{"src": {"process": "a", "port": "OUT"}, "tgt": {"process": "b", "port": "IN"}, "metadata": {"buffer": -1}}]}`, "bad buffer in connections[0]"},
		{`[1, 2]`, "g.json:1:1: not a JSON graph"},
		{`{"processes": {}} {}`, "more after the graph object"},
	} {
		_, err := graph.ParseJSON("g.json", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.src, err, tc.want)
		}
	}
	// Semantic problems point into the JSON too.
	g, err := graph.ParseJSON("g.json", []byte("{\"inports\": {\"HTTP\": {\"process\": \"r\", \"port\": \"IN\"}},\n \"processes\": {\"r\": {\"component\": \"Nope\"}}}"))
	if err != nil {
		t.Fatal(err)
	}
	if err := graph.Validate(g, graph.DefaultCatalog()); err == nil || !strings.Contains(err.Error(), "g.json:2:16: unknown component Nope for process r") {
		t.Errorf("validate: %v", err)
	}
}
