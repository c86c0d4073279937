package graph_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"gochat/components"
	"gochat/graph"
	"gochat/wire"

	"go.uber.org/goleak"
)

// base is a valid graph that the cases below append a line to.
const base = `INPORT=router.IN:HTTP
router(Router) READ -> IN controller(Controller) OUT -> READ storage(Storage)
router WRITE -> IN sender(SendController) OUT -> WRITE storage
storage OUT -> IN responder(Responder)
router ERR -> IN responder
controller ERR -> IN responder
sender ERR -> IN responder
`

func TestValidate(t *testing.T) {
	g, err := graph.ParseFBP("ok.fbp", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if err := graph.Validate(g, graph.DefaultCatalog()); err != nil {
		t.Fatalf("a valid graph: %v", err)
	}
	if err := graph.Validate(graph.Default(), graph.DefaultCatalog()); err != nil {
		t.Fatalf("the default graph: %v", err)
	}
	for _, tc := range []struct{ name, edit, want string }{
		{"unknown component", "x(Nope) OUT -> IN responder",
			"bad.fbp:8:1: unknown component Nope for process x (known components: Controller, Filter, RateLimit, Responder, Router, SendController, Storage, Transcript, Webhook, core/Drop, core/Output, core/Repeat)"},
		{"misspelt component", "x(Controler) OUT -> IN responder",
			"bad.fbp:8:1: unknown component Controler for process x (did you mean Controller? known components: "},
		{"unknown port", "router NOPE -> IN responder",
			"bad.fbp:8:8: Router router has no port NOPE (Router has IN (in, *wire.Request), READ (out, *wire.Request, optional)"},
		{"misspelt port", "router WRTIE -> IN responder",
			"bad.fbp:8:8: Router router has no port WRTIE (did you mean WRITE? Router has IN"},
		{"wrong direction", "responder IN -> IN controller",
			"bad.fbp:8:11: IN is an inport of Responder, not an outport (a connection leaves from needs an outport; Responder has no such ports)"},
		{"wrong direction at the target", "router ERR -> ERR controller",
			"bad.fbp:8:15: ERR is an outport of Controller, not an inport (a connection arrives at needs an inport; Controller has IN (in, *wire.Request))"},
		{"types that cannot flow", "controller OUT -> WRITE storage",
			"bad.fbp:8:16: controller.OUT sends *components.ReadQuery but storage.WRITE takes *components.WriteCommand"},
		{"initial packet of the wrong type", "'many' -> CAPACITY storage",
			`bad.fbp:8:1: CAPACITY takes a number of parked reads, got 'many' (the initial packet to storage.CAPACITY; without one it is '10000')`},
		{"index on a plain port", "router ERR[0] -> IN responder",
			"bad.fbp:8:8: ERR of Router is not an array or map port (drop [0])"},
		{"inport nothing feeds", "spare(Controller) OUT -> READ storage\nspare ERR -> IN responder",
			"bad.fbp:8:1: nothing feeds inport IN of spare(Controller) (connect something -> IN spare"},
		{"outport that goes nowhere", "spare(Controller) ERR -> IN responder\nrouter READ -> IN spare",
			"bad.fbp:8:1: outport OUT of spare(Controller) goes nowhere (connect spare OUT -> IN somewhere)"},
		{"fan-out joined with fan-in", "router READ -> IN sender",
			"bad.fbp:8:13: router.Read already fans out and sender.In already fans in on other channels"},
		{"two initial packets to one port", "'1' -> CAPACITY storage\n'2' -> CAPACITY storage",
			"bad.fbp:9:1: a second initial packet to storage.CAPACITY (the first is at 8:1)"},
		{"initial packet that would be a request", "'{}' -> IN controller",
			"bad.fbp:8:1: controller.IN takes *wire.Request, which an initial packet cannot be"},
		{"reserved name", "_tap0(Responder)\nrouter ERR -> IN _tap0",
			`bad.fbp:8:1: bad process name "_tap0" (use letters, digits, _ and -, not starting with _)`},
		{"exported twice", "INPORT=controller.IN:HTTP",
			"bad.fbp:8:8: network port HTTP exported twice"},
	} {
		g, err := graph.ParseFBP("bad.fbp", []byte(base+tc.edit))
		if err != nil {
			t.Fatalf("%s: parse: %v", tc.name, err)
		}
		err = graph.Validate(g, graph.DefaultCatalog())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got\n%v\nwant\n%s", tc.name, err, tc.want)
		}
	}
	g, _ = graph.ParseFBP("bad.fbp", []byte(strings.Replace(base, "INPORT=router.IN:HTTP", "", 1)))
	if err := graph.Validate(g, graph.DefaultCatalog()); err == nil || !strings.Contains(err.Error(),
		"bad.fbp: the graph does not export the inport HTTP that HTTP requests enter by (add INPORT=router.IN:HTTP)") {
		t.Errorf("no HTTP inport: %v", err)
	}
}

// TestEveryRequestIsAnswered: a graph in which some request can end
// anywhere but at a Responder is refused where it goes astray.
func TestEveryRequestIsAnswered(t *testing.T) {
	replyToResponder := "storage OUT -> IN responder(Responder)\n"
	writes := "router WRITE -> IN sender(SendController) OUT -> WRITE storage\n"
	cat := graph.DefaultCatalog()
	cat["Sink"] = []components.Port{{Name: "In", In: true, Elem: reflect.TypeFor[*wire.Request](), Required: true}}
	for _, tc := range []struct{ name, src, want string }{
		{"storage's replies exported instead of answered",
			strings.Replace(base, replyToResponder, "OUTPORT=storage.OUT:REPLIES\nresponder(Responder)\n", 1),
			"bad.fbp:4:9: storage.OUT carries requests (*components.Reply) but is exported as the network outport REPLIES, which nothing reads: they would never be answered (wire storage OUT to a Responder's IN)"},
		{"a chain that ends in an export",
			strings.Replace(base, replyToResponder, "storage OUT -> IN tr(Transcript)\nOUTPORT=tr.OUT:X\nresponder(Responder)\n", 1),
			"bad.fbp:5:9: tr.OUT carries requests (*components.Reply) but is exported as the network outport X"},
		{"a loop",
			strings.Replace(strings.Replace(base, writes, "router WRITE -> IN limit(RateLimit) OUT -> IN limit2(RateLimit) OUT -> IN limit\nlimit ERR -> IN responder\nlimit2 ERR -> IN responder\n", 1), "sender ERR -> IN responder\n", "", 1),
			"bad.fbp:3:41: requests from limit.OUT to limit2.IN go round in a loop and never reach a Responder (let the chain end at a Responder's IN)"},
		{"a component that swallows requests", base + "router READ -> IN sink(Sink)\n",
			"bad.fbp:8:19: sink(Sink) takes requests (*wire.Request) but neither answers them nor passes them on (only a Responder answers; send them to a Responder's IN)"},
	} {
		g, err := graph.ParseFBP("bad.fbp", []byte(tc.src))
		if err != nil {
			t.Fatalf("%s: parse: %v", tc.name, err)
		}
		if err := graph.Validate(g, cat); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got\n%v\nwant\n%s", tc.name, err, tc.want)
		}
	}
	// A route left unconnected is fine: the Router answers it 503 through
	// ERR.
	g, _ := graph.ParseFBP("ok.fbp", []byte(strings.Replace(strings.Replace(base, writes, "", 1), "sender ERR -> IN responder\n", "", 1)))
	if err := graph.Validate(g, cat); err != nil {
		t.Errorf("a graph without writes: %v", err)
	}
}

// TestConfigurationChecked: every configuration port reads its initial
// packet when the graph is checked, and a value it refuses is reported
// at the packet, in the component's words.
func TestConfigurationChecked(t *testing.T) {
	graphs := base + `router WRITE -> IN limit(RateLimit) OUT -> IN sender2(SendController) OUT -> IN filter(Filter)
filter OUT -> WRITE storage
limit ERR -> IN responder
filter ERR -> IN responder
sender2 ERR -> IN responder
storage OUT -> IN tr(Transcript) OUT -> IN responder
`
	graphs = strings.Replace(strings.Replace(graphs, "router WRITE -> IN sender(SendController) OUT -> WRITE storage\n", "", 1), "sender ERR -> IN responder\n", "", 1)
	graphs = strings.Replace(graphs, "storage OUT -> IN responder(Responder)\n", "responder(Responder)\n", 1)
	dir := t.TempDir()
	for _, tc := range []struct{ packet, want string }{
		{"'block' -> MODE filter", "MODE is reject or mask, got 'block' (the initial packet to filter.MODE; without one it is 'reject')"},
		{"'spam' -> WORDS filter", `WORDS takes a list of words as JSON, e.g. '["spam","scam"]', got 'spam'`},
		{"'fast' -> RATE limit", "RATE takes a number of tokens a second, got 'fast' (the initial packet to limit.RATE; without one it is '1')"},
		{"'-2' -> RATE limit", "RATE takes a number of tokens a second above 0 and at most 1000000, got '-2'"},
		{"'0' -> BURST limit", "BURST takes a number of tokens from 1 to 1048576, got '0'"},
		{"'-1' -> CAPACITY storage", "CAPACITY takes a number of parked reads from 0 to 1048576, got '-1' (the initial packet to storage.CAPACITY; without one it is '10000')"},
		{"'-1' -> PERCLIENT storage", "PERCLIENT takes a number of parked reads from 0 to 1048576, got '-1'"},
		{"'" + dir + "/missing/t.jsonl' -> PATH tr", "cannot open PATH for appending: open " + dir + "/missing/t.jsonl: no such file or directory"},
	} {
		src := graphs + "# the packet:\n" + tc.packet + "\n"
		g, err := graph.ParseFBP("bad.fbp", []byte(src))
		if err != nil {
			t.Fatalf("%s: parse: %v", tc.packet, err)
		}
		line := strings.Count(src, "\n")
		want := fmt.Sprintf("bad.fbp:%d:1: %s", line, tc.want)
		err = graph.Validate(g, graph.DefaultCatalog())
		if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got\n%v\nwant one problem:\n%s", tc.packet, err, want)
		}
	}
	g, err := graph.ParseFBP("ok.fbp", []byte(graphs+"'mask' -> MODE filter\n'[\"spam\"]' -> WORDS filter\n'0.5' -> RATE limit\n'3' -> BURST limit\n'0' -> CAPACITY storage\n'7' -> PERCLIENT storage\n'stdout' -> PATH tr\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := graph.Validate(g, graph.DefaultCatalog()); err != nil {
		t.Errorf("good values: %v", err)
	}
}

// TestOneRootCauseOneProblem: a mistake is reported once, where it is
// made, and not again through what follows from it.
func TestOneRootCauseOneProblem(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"misspelt component",
			strings.Replace(base, "OUT -> WRITE storage", "OUT -> IN filter(Filtre) OUT -> WRITE storage", 1),
			"bad.fbp:3:53: unknown component Filtre for process filter (did you mean Filter? known components: "},
		{"misspelt port",
			strings.Replace(base, "sender ERR -> IN responder", "sender ERROR -> IN responder", 1),
			"bad.fbp:7:8: SendController sender has no port ERROR (did you mean ERR? "},
		{"port the wrong way round",
			strings.Replace(base, "READ -> IN controller(Controller)", "READ -> ERR controller(Controller)", 1),
			"bad.fbp:2:24: ERR is an outport of Controller, not an inport (a connection arrives at needs an inport; Controller has IN (in, *wire.Request))"},
		{"port of the wrong type",
			strings.Replace(base, "controller ERR -> IN responder", "controller ERR -> READ storage", 1),
			"bad.fbp:6:16: controller.ERR sends *components.Reply but storage.READ takes *components.ReadQuery"},
	} {
		g, err := graph.ParseFBP("bad.fbp", []byte(tc.src))
		if err != nil {
			t.Fatalf("%s: parse: %v", tc.name, err)
		}
		err = graph.Validate(g, graph.DefaultCatalog())
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got\n%v\nwant one problem:\n%s", tc.name, err, tc.want)
		}
	}
}

// TestMisspeltProcess: a connection to a process nobody declared (the
// DSL declares processes where first used; FBP JSON does not) names the
// one meant, and its other end is not reported as unconnected.
func TestMisspeltProcess(t *testing.T) {
	g, err := graph.ParseFBP("bad.fbp", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range g.Connections {
		if c.Src.Process == "sender" && c.Tgt.Process == "storage" {
			g.Connections[i].Tgt.Process = "storag"
		}
	}
	want := "bad.fbp:3:50: unknown process storag (did you mean storage? declare it as storag(Component))"
	if err := graph.Validate(g, graph.DefaultCatalog()); err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

// TestLibraryPrefix: components may be named with gochat's library
// prefix, as FBP graphs shared between runtimes do, and such a graph
// runs.
func TestLibraryPrefix(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	src := strings.NewReplacer("(Router)", "(gochat/Router)", "(Controller)", "(gochat/Controller)", "(Responder)", "(gochat/Responder)").Replace(base)
	g, err := graph.ParseFBP("lib.fbp", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	b, err := graph.MarshalJSON(g, "lib")
	if err != nil {
		t.Fatal(err)
	}
	g, err = graph.ParseJSON("lib.json", b)
	if err != nil {
		t.Fatal(err)
	}
	if err := graph.Validate(g, graph.DefaultCatalog()); err != nil {
		t.Errorf("gochat/ prefix in FBP JSON: %v", err)
	}
	f, err := components.NewFactory(MustDeps(t))
	if err != nil {
		t.Fatal(err)
	}
	n, err := graph.Start(MustPlan(t, g), f, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	req := wire.NewRequest(context.Background())
	req.Method, req.Path = "GET", "/api/rooms/lobby/messages"
	n.In <- req
	select {
	case a := <-req.Answer():
		if a.Status != 200 {
			t.Errorf("answer: %d %s", a.Status, a.Body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no answer")
	}
	close(n.In)
	<-n.Done
	for i := range g.Processes {
		if g.Processes[i].Name == "router" {
			g.Processes[i].Component = "other/Router"
		}
	}
	if err := graph.Validate(g, graph.DefaultCatalog()); err == nil || !strings.Contains(err.Error(), "unknown component other/Router for process router (did you mean Router?") {
		t.Errorf("another library: %v", err)
	}
}
