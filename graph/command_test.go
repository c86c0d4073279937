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

// TestComponentsJSON: `graph components --json` is the catalogue as the
// FBP protocol's component:component payloads, configuration ports with
// their type, default and allowed values as the values they take.
func TestComponentsJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := graph.Command([]string{"components", "--json"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	// Decoded loosely, as a client of the protocol would, with the
	// protocol's names.
	var payloads []map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &payloads); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	byName := map[string]map[string]any{}
	allowed := map[string]bool{"name": true, "description": true, "icon": true, "subgraph": true, "inPorts": true, "outPorts": true}
	portFields := map[string]bool{"id": true, "type": true, "schema": true, "required": true, "addressable": true, "description": true, "values": true, "default": true}
	for _, p := range payloads {
		for k := range p {
			if !allowed[k] {
				t.Errorf("%v: field %s is not in the protocol's component payload", p["name"], k)
			}
		}
		for _, dir := range []string{"inPorts", "outPorts"} {
			ports, ok := p[dir].([]any)
			if !ok {
				t.Errorf("%v: %s is %T, not a list", p["name"], dir, p[dir])
			}
			for _, port := range ports {
				for k := range port.(map[string]any) {
					if !portFields[k] {
						t.Errorf("%v: port field %s is not in the protocol's port_definition", p["name"], k)
					}
				}
			}
		}
		byName[p["name"].(string)] = p
	}
	port := func(comp, dir, id string) map[string]any {
		for _, p := range byName[comp][dir].([]any) {
			if p.(map[string]any)["id"] == id {
				return p.(map[string]any)
			}
		}
		t.Fatalf("%s has no %s %s:\n%s", comp, dir, id, stdout.String())
		return nil
	}
	for _, tc := range []struct {
		comp, dir, id string
		want          map[string]any
	}{
		{"gochat/Filter", "inPorts", "mode", map[string]any{"id": "mode", "type": "string", "required": false, "default": "reject", "values": []any{"reject", "mask"},
			"description": "what to do with a message holding a listed word: reject it with 422, or mask the word with *"}},
		{"gochat/Filter", "inPorts", "words", map[string]any{"id": "words", "type": "array", "required": false, "default": []any{},
			"description": `the words to reject or mask, as a JSON list, e.g. '["spam","scam"]'`}},
		{"gochat/Storage", "inPorts", "capacity", map[string]any{"id": "capacity", "type": "int", "required": false, "default": 10000.0,
			"description": "most long-poll reads parked at once; one more is answered 503"}},
		{"gochat/RateLimit", "inPorts", "rate", map[string]any{"id": "rate", "type": "number", "required": false, "default": 1.0,
			"description": "tokens a client gets a second, e.g. '0.5' for one request every 2 s"}},
		{"gochat/Router", "outPorts", "err", map[string]any{"id": "err", "type": "object", "required": true,
			"description": "404, 405, and 503 for a route the graph left unconnected"}},
	} {
		if got := port(tc.comp, tc.dir, tc.id); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %s:\ngot  %v\nwant %v", tc.comp, tc.id, got, tc.want)
		}
	}
	if len(byName) != len(graph.DefaultCatalog()) {
		t.Errorf("%d components, want %d", len(byName), len(graph.DefaultCatalog()))
	}
}

// TestComponentsText: `graph components` shows each configuration port's
// default and allowed values.
func TestComponentsText(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := graph.Command([]string{"components"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{
		"    MODE (in, string, optional): what to do with a message holding a listed word: reject it with 422, or mask the word with *; one of reject, mask; default 'reject'\n",
		"    CAPACITY (in, int, optional): most long-poll reads parked at once; one more is answered 503; default '10000'\n",
		"    BURST (in, int, optional): tokens a client may save up: how many requests it may make at once; default '5'\n",
		"    IN (in, *wire.Request): requests from the HTTP adapter\n",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("no %q in\n%s", want, stdout.String())
		}
	}
}

// TestDOTDrawsInvalidGraphs: `graph dot` draws a graph with problems,
// each marked in red with its message as a tooltip, and lists them on
// stderr; `graph check` still refuses it.
func TestDOTDrawsInvalidGraphs(t *testing.T) {
	src := strings.Replace(base, "OUT -> WRITE storage", "OUT -> IN filter(Filtre) OUT -> WRITE storage", 1) +
		"controller OUT -> WRITE storage\n'block' -> CAPACITY storage\n"
	path := filepath.Join(t.TempDir(), "bad.fbp")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := graph.Command([]string{"dot", path}, &stdout, &stderr); code != 0 {
		t.Fatalf("dot: exit %d: %s", code, stderr.String())
	}
	dot := stdout.String()
	for _, want := range []string{
		`"filter" [label="filter (Filtre)", color=red, fontcolor=red, penwidth=2, tooltip="unknown component Filtre for process filter (did you mean Filter? known components: `,
		`"controller" -> "storage" [label="OUT → WRITE", color=red, fontcolor=red, penwidth=2, tooltip="controller.OUT sends *components.ReadQuery but storage.WRITE takes *components.WriteCommand (`,
		`"_iip0" [label="'block'", shape=note, style="", color=red, fontcolor=red, penwidth=2, tooltip="CAPACITY takes a number of parked reads, got 'block' (`,
		`"router" -> "controller" [label="READ → IN"];`,
	} {
		if !strings.Contains(dot, want) {
			t.Errorf("no %s in\n%s", want, dot)
		}
	}
	if !strings.Contains(stderr.String(), path+":9:1: CAPACITY takes a number of parked reads, got 'block'") {
		t.Errorf("stderr: %s", stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := graph.Command([]string{"check", path}, &stdout, &stderr); code != 1 {
		t.Errorf("check: exit %d, want 1", code)
	}
	// A problem of the whole graph is listed under the drawing.
	noHTTP := graph.DOTProblems(graph.Default(), graph.Problems{{File: "x.fbp", Msg: "the graph does not export the inport HTTP"}})
	if !strings.Contains(string(noHTTP), "  fontcolor=red;\n  fontname=\"Helvetica\";\n  label=\"x.fbp: the graph does not export the inport HTTP\";\n") {
		t.Errorf("a problem with no place:\n%s", noHTTP)
	}
}
