package graph_test

import (
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
