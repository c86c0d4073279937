package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gochat/graph"
	"gochat/internal/testutil"
)

// These tests run the built binary with the example graphs: rewiring
// without recompiling.

func TestExampleModerated(t *testing.T) {
	// Three initial packets in one network (goflow issue #77 reports hangs
	// with two): it starts, serves and stops.
	p := StartBinary(t, "-graph", "graph/examples/moderated.fbp")
	if a := p.Post("mod", "ann", "hello"); a.status != 201 {
		t.Errorf("clean message: %d %s", a.status, a.body)
	}
	a := p.Post("mod", "ann", "buy Spam now")
	if a.status != 422 || !strings.Contains(a.body, `"message":"the text contains a word this server does not accept: \"Spam\""`) ||
		a.header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("blocked message: %d %s", a.status, a.body)
	}
	if r := p.Get("mod", ""); !strings.Contains(r.body, `"last":1`) || strings.Contains(r.body, "Spam") {
		t.Errorf("the room: %s", r.body)
	}
	if err := p.Stop(syscall.SIGTERM); err != nil {
		t.Errorf("stop: %v\n%s", err, p.stderr.String())
	}
}

func TestExampleMasked(t *testing.T) {
	p := StartBinary(t, "-graph", "graph/examples/masked.fbp")
	a := p.Post("mask", "ann", "buy spam, SCAM and spammers")
	if a.status != 201 || !strings.Contains(a.body, `"text":"buy ****, **** and spammers"`) {
		t.Errorf("masked message: %d %s", a.status, a.body)
	}
}

func TestExampleTranscript(t *testing.T) {
	p := StartBinary(t, "-graph", "graph/examples/transcript.fbp")
	p.Post("tr", "ann", "first")
	p.Post("tr", "bob", "second <b>")
	p.Get("tr", "") // reads are not transcribed
	testutil.WaitFor(t, "two transcript lines", func() bool { return strings.Count(p.stdout.String(), "\n") >= 2 })
	if err := p.Stop(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(p.stdout.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("transcript:\n%s", p.stdout.String())
	}
	for i, want := range []string{"first", "second <b>"} {
		var m struct {
			ID   uint64 `json:"id"`
			Room string `json:"room"`
			Text string `json:"text"`
			Time string `json:"time"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &m); err != nil || m.ID != uint64(i+1) || m.Room != "tr" || m.Text != want || m.Time == "" {
			t.Errorf("line %d: %s %v", i+1, lines[i], err)
		}
	}
}

func TestExampleRateLimited(t *testing.T) {
	p := StartBinary(t, "-graph", "graph/examples/ratelimited.fbp", "-debug")
	// Loopback clients are not limited: speak as a client behind the
	// (trusted, loopback) proxy.
	client := []string{"X-Real-IP", "198.51.100.7"}
	for i := 1; i <= 3; i++ {
		if a := p.Post("rl", "", fmt.Sprint("m", i), client...); a.status != 201 || !strings.Contains(a.body, fmt.Sprintf(`"id":%d,`, i)) {
			t.Errorf("post %d within the burst: %d %s", i, a.status, a.body)
		}
	}
	a := p.Post("rl", "", "one too many", client...)
	if a.status != 429 || a.header.Get("Retry-After") != "2" || !strings.Contains(a.body, `"status":429`) {
		t.Errorf("past the burst: %d %v %s", a.status, a.header, a.body)
	}
	// Reads are not limited.
	if r := p.Get("rl", ""); r.status != 200 || !strings.Contains(r.body, `"last":3`) {
		t.Errorf("read: %d %s", r.status, r.body)
	}
	// Fan-out: the two workers took the three messages between them;
	// fan-in: all three reached Storage.
	var live struct {
		Connections []struct {
			Src, Tgt string
			Packets  uint64
		}
	}
	if err := json.Unmarshal([]byte(p.do("GET", "debug/graph", "", "").body), &live); err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{}
	for _, c := range live.Connections {
		got[c.Src+" -> "+c.Tgt] = c.Packets
	}
	if w := got["limit.OUT -> sender1.IN"] + got["limit.OUT -> sender2.IN"]; w != 3 {
		t.Errorf("workers got %d messages, want 3: %v", w, got)
	}
	if s := got["sender1.OUT -> storage.WRITE"] + got["sender2.OUT -> storage.WRITE"]; s != 3 {
		t.Errorf("storage got %d messages, want 3: %v", s, got)
	}
	if got["limit.ERR -> responder.IN"] != 1 {
		t.Errorf("limit errors: %v", got)
	}
	if dot := p.do("GET", "debug/graph.dot", "", ""); !strings.Contains(dot.body, `"limit" -> "sender1"`) || !strings.Contains(dot.body, "packets") {
		t.Errorf("debug/graph.dot:\n%s", dot.body)
	}
}

func TestDebugIsOffByDefault(t *testing.T) {
	p := StartBinary(t)
	if a := p.do("GET", "debug/graph", "", ""); a.status != 404 {
		t.Errorf("debug/graph without -debug: %d", a.status)
	}
}

func TestGraphCommands(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.fbp")
	os.WriteFile(bad, []byte("INPORT=router.IN:HTTP\nrouter(Router) READ -> IN c(Controler)\nrouter ERR -> OUT c\n"), 0o644)
	run := func(args ...string) (int, string, string) {
		cmd := exec.Command(bin, args...)
		var out, errs strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errs
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String(), errs.String()
	}
	for _, f := range []string{"graph/chat.fbp", "graph/examples/moderated.fbp", "graph/examples/masked.fbp", "graph/examples/transcript.fbp", "graph/examples/ratelimited.fbp", "graph/examples/webhook.fbp"} {
		if code, out, errs := run("graph", "check", f); code != 0 || !strings.Contains(out, f+": ok") {
			t.Errorf("check %s: %d %s %s", f, code, out, errs)
		}
	}
	code, _, errs := run("graph", "check", bad)
	if code != 1 || !strings.Contains(errs, bad+":2:27: unknown component Controler for process c (did you mean Controller? known components: Controller, Filter,") {
		t.Errorf("check of a bad file: %d\n%s", code, errs)
	}
	// The server refuses it before it listens, with the same messages.
	code, _, errs = run("-addr", "127.0.0.1:0", "-graph", bad)
	if code != 1 || !strings.Contains(errs, bad+":2:27: unknown component Controler") || strings.Contains(errs, "gochat is up") {
		t.Errorf("serving a bad file: %d\n%s", code, errs)
	}
	code, out, _ := run("graph", "components")
	for _, c := range []string{"Router", "Controller", "SendController", "Storage", "Responder", "Filter", "Transcript", "RateLimit", "Webhook", "WORDS (in, []string, optional)"} {
		if code != 0 || !strings.Contains(out, c) {
			t.Errorf("components does not list %s:\n%s", c, out)
		}
	}
	// json writes what check reads back.
	code, out, _ = run("graph", "json", "graph/examples/ratelimited.fbp")
	js := filepath.Join(dir, "rl.json")
	os.WriteFile(js, []byte(out), 0o644)
	if c2, out2, errs2 := run("graph", "check", js); code != 0 || c2 != 0 || !strings.Contains(out2, "7 processes, 13 connections, 4 initial packets") {
		t.Errorf("json round trip: %d %d %s %s", code, c2, out2, errs2)
	}
	// json and fbp convert a graph of another runtime, which check
	// refuses (its core/Repeat and core/Output gochat has too, but it
	// takes no requests); fbp writes what json reads back the same.
	foreign := "graph/testdata/fbp/foreign.fbp"
	if code, _, errs := run("graph", "check", foreign); code != 1 || !strings.Contains(errs, "does not export the inport HTTP") {
		t.Errorf("check of a foreign graph: %d %s", code, errs)
	}
	code, js1, errs := run("graph", "json", foreign)
	if code != 0 || !strings.Contains(js1, `"component": "core/Repeat"`) || !strings.Contains(js1, `"x": 100`) || !strings.Contains(js1, `"description": "Components of another runtime convert too"`) {
		t.Errorf("json of a foreign graph: %d %s%s", code, js1, errs)
	}
	os.WriteFile(js, []byte(js1), 0o644)
	code, dsl, errs := run("graph", "fbp", js)
	fbp := filepath.Join(dir, "foreign.fbp")
	os.WriteFile(fbp, []byte(dsl), 0o644)
	if c2, js2, _ := run("graph", "json", fbp); code != 0 || errs != "" || c2 != 0 || js2 != js1 {
		t.Errorf("fbp of the JSON: %d %s\n%s\nback to JSON:\n%s", code, errs, dsl, js2)
	}
	if code, out, _ := run("graph", "dot", "graph/chat.fbp"); code != 0 || !strings.HasPrefix(out, "digraph gochat {") || !strings.Contains(out, `"router" -> "controller" [label="READ → IN"]`) {
		t.Errorf("dot: %d\n%s", code, out)
	}
	if code, _, errs := run("graph", "nonsense"); code != 2 || !strings.Contains(errs, "Usage: gochat graph") {
		t.Errorf("bad subcommand: %d %s", code, errs)
	}
}

// TestSIGHUPReload edits the graph file of a running binary and sends
// SIGHUP: the new graph takes over, the rooms stay.
func TestSIGHUPReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.fbp")
	plain, _ := os.ReadFile("graph/chat.fbp")
	moderated, _ := os.ReadFile("graph/examples/moderated.fbp")
	os.WriteFile(path, plain, 0o644)
	p := StartBinary(t, "-graph", path)
	if a := p.Post("hup", "", "spam before"); a.status != 201 {
		t.Fatalf("post: %d %s", a.status, a.body)
	}
	before := p.Get("hup", "").body

	os.WriteFile(path, []byte("INPORT=router.IN:HTTP\nrouter(Router) READ -> IN x(Nope)\n"), 0o644)
	p.cmd.Process.Signal(syscall.SIGHUP)
	testutil.WaitFor(t, "the failed reload to be logged", func() bool {
		return strings.Contains(p.stderr.String(), path+":2:27: unknown component Nope")
	})
	if a := p.Post("hup", "", "spam still fine"); a.status != 201 {
		t.Errorf("after a broken reload: %d %s", a.status, a.body)
	}

	os.WriteFile(path, moderated, 0o644)
	p.cmd.Process.Signal(syscall.SIGHUP)
	testutil.WaitFor(t, "the reload", func() bool { return strings.Contains(p.stderr.String(), "graph reloaded") })
	if a := p.Post("hup", "", "spam after"); a.status != 422 {
		t.Errorf("after the reload: %d %s", a.status, a.body)
	}
	var b, a struct{ Epoch string }
	json.Unmarshal([]byte(before), &b)
	json.Unmarshal([]byte(p.Get("hup", "").body), &a)
	if a.Epoch != b.Epoch || b.Epoch == "" {
		t.Errorf("the room's epoch changed across the reload: %q → %q", b.Epoch, a.Epoch)
	}
	if err := p.Stop(syscall.SIGTERM); err != nil {
		t.Errorf("stop: %v", err)
	}
}

// TestExampleWebhookReload follows the last step of docs/components.md
// with the built binary: it serves the default graph, the file becomes
// graph/examples/webhook.fbp pointed at a receiver on loopback, SIGHUP
// reloads it, and the next post arrives at the receiver, signed; the
// rooms stay.
func TestExampleWebhookReload(t *testing.T) {
	const secret = "s3cret"
	bodies := make(chan string, 10)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		if r.Header.Get("X-Gochat-Signature") != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			body = append([]byte("bad signature: "), body...)
		}
		bodies <- string(body)
	}))
	defer rcv.Close()
	example, err := os.ReadFile("graph/examples/webhook.fbp")
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(example), "'http://127.0.0.1:8080/gochat'", "'"+rcv.URL+"/hook'", 1)
	src = strings.Replace(src, "'change me'", "'"+secret+"'", 1)
	path := filepath.Join(t.TempDir(), "my.fbp")
	os.WriteFile(path, graph.DefaultSource(), 0o644)
	p := StartBinary(t, "-graph", path)
	if a := p.Post("hook", "ann", "before"); a.status != 201 {
		t.Fatalf("post: %d %s", a.status, a.body)
	}
	if code, out, errs := runBinary(t, "graph", "check", path); code != 0 {
		t.Fatalf("graph check: %d %s %s", code, out, errs)
	}
	os.WriteFile(path, []byte(src), 0o644)
	if code, out, errs := runBinary(t, "graph", "check", path); code != 0 || !strings.Contains(out, path+": ok: 7 processes") {
		t.Fatalf("graph check of the webhook graph: %d %s %s", code, out, errs)
	}
	p.cmd.Process.Signal(syscall.SIGHUP)
	testutil.WaitFor(t, "the reload", func() bool { return strings.Contains(p.stderr.String(), "graph reloaded") })
	if a := p.Post("hook", "bob", "after"); a.status != 201 || !strings.Contains(a.body, `"id":2,`) {
		t.Errorf("post after the reload: %d %s", a.status, a.body)
	}
	var m struct {
		ID   uint64 `json:"id"`
		Room string `json:"room"`
		Text string `json:"text"`
	}
	select {
	case b := <-bodies:
		if err := json.Unmarshal([]byte(b), &m); err != nil || m.ID != 2 || m.Room != "hook" || m.Text != "after" {
			t.Errorf("the receiver got %s (%v)", b, err)
		}
	case <-time.After(testutil.Timeout):
		t.Fatalf("nothing arrived at the receiver\n%s", p.stderr.String())
	}
	if err := p.Stop(syscall.SIGTERM); err != nil {
		t.Errorf("stop: %v\n%s", err, p.stderr.String())
	}
	if len(bodies) != 0 {
		t.Errorf("the receiver got more: %s", <-bodies)
	}
}
