package graph_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"gochat/graph"
)

func TestParseFBP(t *testing.T) {
	src := `# a comment
INPORT=router.IN:HTTP
OUTPORT=storage.OUT:ANSWERS   # exported outport
router(Router) READ -> IN controller(Controller) OUT -> READ storage(Storage)
router WRITE -(16)-> in sender(SendController:some_metadata), sender OUT -> WRITE storage
storage OUT -> IN responder(Responder)
'it' -> CAPACITY storage
'a \'quoted\' \\ text' -> X p(P)
split OUT[0] -> IN p, split OUT[name] -> IN p
split(Split)
`
	g, err := graph.ParseFBP("t.fbp", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	procs := map[string]string{}
	for _, p := range g.Processes {
		procs[p.Name] = p.Component
	}
	wantProcs := map[string]string{"router": "Router", "controller": "Controller", "storage": "Storage", "sender": "SendController", "responder": "Responder", "p": "P", "split": "Split"}
	if !reflect.DeepEqual(procs, wantProcs) {
		t.Errorf("processes: %v", procs)
	}
	var conns []string
	for _, c := range g.Connections {
		s := c.Src.String() + " -> " + c.Tgt.String()
		if c.Buffer != 0 {
			s += " buffer " + strings.Repeat("x", c.Buffer/8)
		}
		conns = append(conns, s)
	}
	want := []string{
		"router.READ -> controller.IN",
		"controller.OUT -> storage.READ",
		"router.WRITE -> sender.in buffer xx",
		"sender.OUT -> storage.WRITE",
		"storage.OUT -> responder.IN",
		"split.OUT[0] -> p.IN",
		"split.OUT[name] -> p.IN",
	}
	if !reflect.DeepEqual(conns, want) {
		t.Errorf("connections:\n%s\nwant\n%s", strings.Join(conns, "\n"), strings.Join(want, "\n"))
	}
	if len(g.IIPs) != 2 || g.IIPs[0].Data != "it" || g.IIPs[1].Data != `a 'quoted' \ text` || g.IIPs[1].Tgt.String() != "p.X" {
		t.Errorf("initial packets: %+v", g.IIPs)
	}
	if len(g.InPorts) != 1 || g.InPorts[0].Name != "HTTP" || g.InPorts[0].Endpoint.String() != "router.IN" ||
		len(g.OutPorts) != 1 || g.OutPorts[0].Name != "ANSWERS" {
		t.Errorf("exports: %+v %+v", g.InPorts, g.OutPorts)
	}
	if pos := g.Connections[1].Pos; pos != (graph.Pos{Line: 4, Col: 54}) {
		t.Errorf("position of the chained arrow: %v", pos)
	}
}

func TestParseFBPErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"a(A) OUT -> IN b(B", "t.fbp:1:17: unclosed component declaration"},
		{"a(A) OUT -> IN b(B)\n'oops -> IN b", "t.fbp:2:1: unterminated initial packet"},
		{"a(A) OUT => IN b(B)", "t.fbp:1:10: expected '->', found '='"},
		{"a(A) OUT -> IN b(B) ; x", "t.fbp:1:21: unexpected character ';'"},
		{"a(A) OUT -> 'b'", "t.fbp:1:13: expected a port after '->', found an initial packet"},
		{"a(A) OUT -> IN", "t.fbp:1:13: process IN has no component"}, // the reference reads IN as a process here
		{"a(A) OUT IN b(B)", "t.fbp:1:10: expected '->', found 'IN'"},
		{"a(A) OUT -> IN b(B) OUT", "expected '->', found the end of the statement"},
		{"a(A) OUT -(x)-> IN b(B)", "t.fbp:1:10: bad buffered connection"},
		{"a(A) OUT -> IN b(B)\nb(C) OUT -> IN a", "t.fbp:2:1: duplicate process b: declared as B at 1:16 and as C here"},
		{"a OUT -> IN b(B)", "t.fbp:1:1: process a has no component (declare it once as a(Component))"},
		{"INPORT=router:HTTP", "t.fbp:1:1: bad INPORT (write INPORT=process.PORT:NAME)"},
		{"-> IN b(B)", "t.fbp:1:1: unexpected '->'"},
		{"a(A) OUT[] -> IN b(B)", "t.fbp:1:9: bad port index"},
		{"a() OUT -> IN b(B)", "t.fbp:1:2: empty component name"},
	} {
		_, err := graph.ParseFBP("t.fbp", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.src, err, tc.want)
		}
	}
	// Every problem is reported, not just the first.
	_, err := graph.ParseFBP("t.fbp", []byte("a(A) OUT -> 'b'\nc(C) X Y -> d(D)\n"))
	if probs, ok := err.(graph.Problems); !ok || len(probs) != 2 {
		t.Errorf("two bad lines: got %v", err)
	}
}

// TestParseFBPGrammar: each rule of the reference grammar (flowbased/fbp's
// fbp.peg) that gochat once read otherwise.
func TestParseFBPGrammar(t *testing.T) {
	parse := func(t *testing.T, src string) *graph.Graph {
		t.Helper()
		g, err := graph.ParseFBP("t.fbp", []byte(src))
		if err != nil {
			t.Fatalf("%s\n%v", src, err)
		}
		return g
	}
	conns := func(g *graph.Graph) string {
		var s []string
		for _, c := range g.Connections {
			s = append(s, c.Src.String()+">"+c.Tgt.String())
		}
		for _, i := range g.IIPs {
			s = append(s, fmt.Sprintf("%s(json=%v)>%s", i.Data, i.JSON, i.Tgt))
		}
		return strings.Join(s, " ")
	}
	comps := func(g *graph.Graph) string {
		var s []string
		for _, p := range g.Processes {
			s = append(s, p.Name+"="+p.Component)
		}
		return strings.Join(s, " ")
	}
	t.Run("component names", func(t *testing.T) {
		g := parse(t, "a(core/Repeat) OUT -> IN b(my-lib/x.y_2)")
		if got := comps(g); got != "a=core/Repeat b=my-lib/x.y_2" {
			t.Error(got)
		}
	})
	t.Run("garbled declarations at their own line", func(t *testing.T) {
		for _, tc := range []struct{ src, want string }{
			{"router(Rou(ter) OUT -> IN b(B)", "t.fbp:1:11: unexpected '(' in the component name"},
			{"a(A) OUT -> IN b(B C)", "t.fbp:1:19: unexpected ' ' in the component name"},
			{"a(A:x=1;y=2) OUT -> IN b(B)", "t.fbp:1:8: unexpected ';' in the node metadata"},
			{"a(A:) OUT -> IN b(B)", "t.fbp:1:5: empty node metadata"},
			{"a(A) OUT -> IN b(B\n", "t.fbp:1:17: unclosed component declaration"},
			{"a(A) OUT -> IN b.c(B)", "t.fbp:1:16: expected a process, found 'b.c'"},
			{"a.0(A)", "t.fbp:1:1: expected a process, found 'a.0'"},
			{"a(A) OUT -> IN-X b(B)", "t.fbp:1:13: expected a port after '->', found 'IN-X'"},
		} {
			_, err := graph.ParseFBP("t.fbp", []byte(tc.src))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("%q: got %v, want %q", tc.src, err, tc.want)
			}
		}
		// The case: a garbled line 11 is reported at line 11,
		// once: the processes it would have declared are not reported
		// as undeclared further down.
		src := strings.Repeat("# filler\n", 10) + "router((( -> -> READ -> IN controller(Controller)\n" +
			strings.Repeat("\n", 6) + "controller OUT -> IN router\n"
		_, err := graph.ParseFBP("t.fbp", []byte(src))
		if err == nil || err.Error() != "t.fbp:11:8: unexpected '(' in the component name (component names are [A-Za-z0-9_/.-], metadata [A-Za-z0-9/=_,]; close with ))" {
			t.Errorf("got %v", err)
		}
	})
	t.Run("node metadata", func(t *testing.T) {
		g := parse(t, "storage(Storage:x=320,y=96) OUT -> IN a(A:x=abc,y=1e3,k=v=w,main,label=on/off)\n")
		want := []map[string]any{{"x": 320.0, "y": 96.0}, {"x": nil, "y": 1000.0, "k": "v", "routes": "main", "label": "on/off"}}
		for i, p := range g.Processes {
			if !reflect.DeepEqual(p.Metadata, want[i]) {
				t.Errorf("%s: %#v, want %#v", p.Name, p.Metadata, want[i])
			}
		}
		// A later declaration's metadata replaces the earlier.
		g = parse(t, "a(A:x=1) OUT -> IN b(B)\na(A:y=2)")
		if m := g.Processes[0].Metadata; !reflect.DeepEqual(m, map[string]any{"y": 2.0}) {
			t.Errorf("redeclared: %v", m)
		}
	})
	t.Run("annotations", func(t *testing.T) {
		g := parse(t, "# @name chat\n# @description The default chat\n# @runtime gochat\n#   @version 1.0-beta\n"+
			"  # @indented not\n# @colon a: b\n# @noeol x")
		want := map[string]any{"name": "chat", "description": "The default chat", "environment": map[string]any{"type": "gochat"}, "version": "1.0-beta"}
		if !reflect.DeepEqual(g.Properties, want) {
			t.Errorf("properties: %#v", g.Properties)
		}
		if len(g.Comments) != 3 {
			t.Errorf("the annotations that are not are comments: %+v", g.Comments)
		}
	})
	t.Run("default ports", func(t *testing.T) {
		g := parse(t, "a(A) -> b(B) -> c(C)\n'x' -> c\nc OUT -> d(D)\nDEFAULT_INPORT=DATA\nDEFAULT_OUTPORT=RESULT\nd -> e(E) X -> e\n")
		want := "a.OUT>b.IN b.OUT>c.IN c.OUT>d.IN d.RESULT>e.DATA e.X>e.DATA x(json=false)>c.IN"
		if got := conns(g); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
		// Between arrows a process with its component names one port: the
		// other side is the default.
		g = parse(t, "a(A) -> IN b(B) -> c(C)\nc -> d(D) X -> IN e(E)")
		if got := conns(g); got != "a.OUT>b.IN b.OUT>c.IN c.OUT>d.IN d.X>e.IN" {
			t.Errorf("one-port elements: %s", got)
		}
	})
	t.Run("anonymous processes", func(t *testing.T) {
		g := parse(t, "(core/Repeat) -> (core/Output)\n(core/Repeat) OUT -> IN a(A)")
		if got := comps(g); got != "_core_Repeat_1=core/Repeat _core_Output_1=core/Output _core_Repeat_2=core/Repeat a=A" {
			t.Error(got)
		}
	})
	t.Run("initial packets", func(t *testing.T) {
		g := parse(t, "'it\\'s' -> IN a(A), 5 -> X a, -1.5e3 -> Y a\n{\"k\": [1,\n  true]} -> Z a\n\"line\\nbreak\" -> W a\n[] -> V a")
		want := "it's(json=false)>a.IN 5(json=true)>a.X -1.5e3(json=true)>a.Y {\"k\":[1,true]}(json=true)>a.Z line\nbreak(json=false)>a.W [](json=true)>a.V"
		if got := conns(g); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
		if pos := g.IIPs[4].Pos; pos != (graph.Pos{Line: 4, Col: 1}) {
			t.Errorf("the line after a packet of two lines: %v", pos)
		}
		for _, tc := range []struct{ src, want string }{
			{"{\"k\": } -> IN a(A)", "t.fbp:1:1: bad JSON initial packet"},
			{"5 6 -> IN a(A)", "t.fbp:1:3: expected '->', found an initial packet"},
		} {
			_, err := graph.ParseFBP("t.fbp", []byte(tc.src))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("%q: got %v, want %q", tc.src, err, tc.want)
			}
		}
	})
	t.Run("exports and ports", func(t *testing.T) {
		g := parse(t, "INPORT=a.IN:HTTP\nOUTPORT=a(A).OUT.x:RESULT\na OUT.y[2] -> IN[0] b(B)")
		if g.InPorts[0].Endpoint.String() != "a.IN" || g.OutPorts[0].Endpoint.String() != "a.OUT.x" || g.OutPorts[0].Name != "RESULT" {
			t.Errorf("exports: %+v %+v", g.InPorts, g.OutPorts)
		}
		if got := conns(g); got != "a.OUT.y[2]>b.IN[0]" {
			t.Error(got)
		}
	})
}
