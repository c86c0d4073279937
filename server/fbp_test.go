package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"

	"gochat/components"
	"gochat/fbpproto"
	"gochat/graph"
	"gochat/internal/history"
	"gochat/internal/testutil"
	"gochat/server"
)

// fbpMsg is a protocol message as a test reads it.
type fbpMsg struct {
	Protocol string          `json:"protocol"`
	Command  string          `json:"command"`
	Payload  json.RawMessage `json:"payload"`
	Secret   *string         `json:"secret"`
}

// fields decodes the payload as an object.
func (m fbpMsg) fields(tb testing.TB) map[string]any {
	tb.Helper()
	var f map[string]any
	if err := json.Unmarshal(m.Payload, &f); err != nil {
		tb.Fatalf("%s:%s payload %s: %v", m.Protocol, m.Command, m.Payload, err)
	}
	return f
}

// fbpClient is a client of the FBP protocol.
type fbpClient struct {
	tb     testing.TB
	conn   *websocket.Conn
	secret string
}

// dialFBP connects to the FBP protocol of s, with subprotocol noflo and
// header (nil: none), and closes the connection with the test.
func dialFBP(tb testing.TB, s *server.Server, header http.Header) (*fbpClient, *http.Response, error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws://"+s.FBPAddr()+"/", &websocket.DialOptions{Subprotocols: []string{"noflo"}, HTTPHeader: header})
	if err != nil {
		return nil, resp, err
	}
	conn.SetReadLimit(fbpproto.MaxMessage)
	tb.Cleanup(func() { conn.CloseNow() })
	return &fbpClient{tb: tb, conn: conn}, resp, nil
}

func mustDialFBP(tb testing.TB, s *server.Server) *fbpClient {
	tb.Helper()
	c, _, err := dialFBP(tb, s, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// send sends protocol:command with payload, and the client's secret.
func (c *fbpClient) send(protocol, command string, payload any) {
	c.tb.Helper()
	m := map[string]any{"protocol": protocol, "command": command, "payload": payload}
	if c.secret != "" {
		m["secret"] = c.secret
	}
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
		c.tb.Fatalf("send %s:%s: %v", protocol, command, err)
	}
}

// recv returns the next message.
func (c *fbpClient) recv() fbpMsg {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, b, err := c.conn.Read(ctx)
	if err != nil {
		c.tb.Fatalf("receive: %v", err)
	}
	var m fbpMsg
	if err := json.Unmarshal(b, &m); err != nil {
		c.tb.Fatalf("receive %s: %v", b, err)
	}
	var p map[string]json.RawMessage
	_ = json.Unmarshal(m.Payload, &p) // componentsready's is a number
	if _, ok := p["secret"]; ok || m.Secret != nil {
		c.tb.Errorf("the runtime sent a secret: %s", b)
	}
	return m
}

// expect returns the next message, which must be protocol:command,
// passing over the events of the chat's packets (see TestFBPChatEvents).
func (c *fbpClient) expect(protocol, command string) fbpMsg {
	c.tb.Helper()
	m := c.recv()
	for m.Protocol == "network" && strings.Contains(string(m.Payload), `"graph":"`+fbpproto.DefaultChatID+`"`) &&
		(m.Command == "data" || m.Command == "connect" || m.Command == "disconnect") {
		m = c.recv()
	}
	if m.Protocol != protocol || m.Command != command {
		c.tb.Fatalf("got %s:%s %s, want %s:%s", m.Protocol, m.Command, m.Payload, protocol, command)
	}
	return m
}

// echo sends a graph command and checks it comes back as sent but for
// the fields in want, which it must have.
func (c *fbpClient) echo(command string, payload map[string]any, want map[string]any) {
	c.tb.Helper()
	c.send("graph", command, payload)
	m := c.expect("graph", command)
	exp := map[string]any{}
	for k, v := range payload {
		exp[k] = v
	}
	for k, v := range want {
		exp[k] = v
	}
	expJSON, _ := json.Marshal(exp)
	var e, got any
	_ = json.Unmarshal(expJSON, &e)
	_ = json.Unmarshal(m.Payload, &got)
	if gb, eb := fmt.Sprint(got), fmt.Sprint(e); gb != eb {
		c.tb.Errorf("graph:%s acknowledged as %s, want %s", command, m.Payload, expJSON)
	}
}

// graphError sends a graph command and expects graph:error with a
// message containing want.
func (c *fbpClient) graphError(command string, payload map[string]any, want string) {
	c.tb.Helper()
	c.send("graph", command, payload)
	m := c.expect("graph", "error")
	if msg, _ := m.fields(c.tb)["message"].(string); !strings.Contains(msg, want) {
		c.tb.Errorf("graph:%s %v: error %q, want %q", command, payload, msg, want)
	}
}

func fbpServer(tb testing.TB, cfg server.Config) (*server.Server, *Client) {
	tb.Helper()
	cfg.FBPAddr = "127.0.0.1:0"
	return MustOpen(tb, cfg)
}

func TestFBPRuntimeAndComponents(t *testing.T) {
	s, _ := fbpServer(t, server.Config{})
	c := mustDialFBP(t, s)
	c.send("runtime", "getruntime", map[string]any{})
	rt := c.expect("runtime", "runtime").fields(t)
	if rt["type"] != "gochat" || rt["version"] != "0.7" || rt["graph"] != fbpproto.DefaultChatID {
		t.Errorf("runtime: %v", rt)
	}
	caps := fmt.Sprint(rt["capabilities"])
	for _, want := range []string{"protocol:runtime", "protocol:graph", "protocol:component", "protocol:network", "network:data", "component:getsource"} {
		if !strings.Contains(caps, want) {
			t.Errorf("capabilities %s lack %s", caps, want)
		}
	}

	c.send("component", "list", map[string]any{})
	catalog := components.Catalog()
	names := map[string]bool{}
	for range catalog {
		var p graph.ComponentPayload
		if err := json.Unmarshal(c.expect("component", "component").Payload, &p); err != nil {
			t.Fatal(err)
		}
		names[p.Name] = true
	}
	if ready := c.expect("component", "componentsready"); string(ready.Payload) != fmt.Sprint(len(catalog)) {
		t.Errorf("componentsready %s, want %d", ready.Payload, len(catalog))
	}
	for _, want := range []string{"gochat/Router", "gochat/Storage", "core/Repeat", "core/Drop", "core/Output"} {
		if !names[want] {
			t.Errorf("component:list lacks %s: %v", want, names)
		}
	}

	c.send("component", "getsource", map[string]any{"name": fbpproto.DefaultChatID})
	src := c.expect("component", "source").fields(t)
	if src["language"] != "json" {
		t.Errorf("source: %v", src)
	}
	g, err := graph.ParseJSON("source.json", []byte(src["code"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := graph.Check(g, graph.DefaultCatalog()); err != nil || len(g.Processes) != len(s.Graph().Processes) {
		t.Errorf("the source is not the running graph: %v\n%s", err, src["code"])
	}
	c.send("component", "getsource", map[string]any{"name": "gochat/" + fbpproto.DefaultChatID})
	c.expect("component", "source")
	c.send("component", "getsource", map[string]any{"name": "Router"})
	c.expect("component", "error")
	c.send("nope", "nope", map[string]any{})
	c.expect("runtime", "error")
}

func TestFBPGraphCommands(t *testing.T) {
	s, _ := fbpServer(t, server.Config{})
	c := mustDialFBP(t, s)
	c.graphError("addnode", map[string]any{"id": "a", "component": "core/Repeat", "graph": "g"}, "Requested graph not found")
	c.graphError("addnode", map[string]any{"id": "a", "component": "core/Repeat"}, "No graph specified")
	c.echo("clear", map[string]any{"id": "g", "name": "G", "main": true}, nil)
	c.graphError("addnode", map[string]any{"graph": "g", "component": "core/Repeat"}, "needs id")
	c.graphError("addnode", map[string]any{"graph": "g", "id": "x", "component": "Nope"}, "unknown component Nope")
	c.echo("addnode", map[string]any{"id": "a", "component": "core/Repeat", "metadata": map[string]any{"x": 1}, "graph": "g"}, nil)
	c.echo("addnode", map[string]any{"id": "b", "component": "core/Drop", "graph": "g"}, nil)
	c.graphError("addnode", map[string]any{"id": "b", "component": "core/Drop", "graph": "g"}, "already")
	ab := map[string]any{"src": map[string]any{"node": "a", "port": "out"}, "tgt": map[string]any{"node": "b", "port": "in"}, "graph": "g"}
	c.echo("addedge", ab, nil)
	c.graphError("addedge", map[string]any{"src": map[string]any{"node": "a"}, "tgt": map[string]any{"node": "b", "port": "in"}, "graph": "g"}, "needs src")
	c.echo("changeedge", map[string]any{"src": ab["src"], "tgt": ab["tgt"], "metadata": map[string]any{"route": 5}, "graph": "g"}, nil)
	c.echo("changenode", map[string]any{"id": "a", "metadata": map[string]any{"y": 2}, "graph": "g"}, map[string]any{"metadata": map[string]any{"x": 1, "y": 2}})
	c.echo("changenode", map[string]any{"id": "a", "metadata": map[string]any{"x": nil}, "graph": "g"}, map[string]any{"metadata": map[string]any{"y": 2}})
	c.echo("addinitial", map[string]any{"src": map[string]any{"data": "hi"}, "tgt": map[string]any{"node": "a", "port": "in"}, "graph": "g"}, nil)
	c.echo("removeinitial", map[string]any{"tgt": map[string]any{"node": "a", "port": "in"}, "graph": "g"}, map[string]any{"src": map[string]any{"data": "hi"}})
	c.echo("addinport", map[string]any{"public": "in", "node": "a", "port": "in", "graph": "g"}, nil)
	c.echo("renameinport", map[string]any{"from": "in", "to": "input", "graph": "g"}, nil)
	c.echo("removeinport", map[string]any{"public": "input", "graph": "g"}, nil)
	c.echo("addoutport", map[string]any{"public": "out", "node": "a", "port": "out", "graph": "g"}, nil)
	c.echo("renameoutport", map[string]any{"from": "out", "to": "output", "graph": "g"}, nil)
	c.echo("removeoutport", map[string]any{"public": "output", "graph": "g"}, nil)
	c.graphError("removeoutport", map[string]any{"public": "output", "graph": "g"}, "not found")
	c.echo("addgroup", map[string]any{"name": "grp", "nodes": []string{"a", "b"}, "graph": "g"}, nil)
	c.echo("renamegroup", map[string]any{"from": "grp", "to": "group", "graph": "g"}, nil)
	c.echo("changegroup", map[string]any{"name": "group", "metadata": map[string]any{"color": 1}, "graph": "g"}, nil)
	c.echo("removegroup", map[string]any{"name": "group", "graph": "g"}, nil)
	c.echo("renamenode", map[string]any{"from": "a", "to": "A", "graph": "g"}, nil)
	c.echo("removeedge", map[string]any{"src": map[string]any{"node": "A", "port": "out"}, "tgt": ab["tgt"], "graph": "g"}, nil)
	c.echo("addedge", map[string]any{"src": map[string]any{"node": "A", "port": "out"}, "tgt": ab["tgt"], "graph": "g"}, nil)
	// removenode first removes the node's edges.
	c.send("graph", "removenode", map[string]any{"id": "b", "graph": "g"})
	if e := c.expect("graph", "removeedge").fields(t); fmt.Sprint(e["src"]) != "map[node:A port:out]" {
		t.Errorf("removeedge before removenode: %v", e)
	}
	c.expect("graph", "removenode")
	c.send("component", "getsource", map[string]any{"name": "g"})
	src := c.expect("component", "source").fields(t)
	g, err := graph.ParseJSON("g.json", []byte(src["code"].(string)))
	if err != nil || len(g.Processes) != 1 || g.Processes[0].Name != "A" || len(g.Connections) != 0 {
		t.Errorf("graph g after the edits: %v\n%s", err, src["code"])
	}
	c.graphError("frobnicate", map[string]any{"graph": "g"}, "unknown command")
}

// TestFBPNetwork: a client builds a graph of its own, core/Repeat ->
// core/Drop with an initial packet, starts it, sees its packets on
// noflo-style edge ids, and its status once it has finished.
func TestFBPNetwork(t *testing.T) {
	s, _ := fbpServer(t, server.Config{})
	c := mustDialFBP(t, s)
	c.echo("clear", map[string]any{"id": "bar"}, nil)
	c.echo("addnode", map[string]any{"id": "Hello", "component": "core/Repeat", "graph": "bar"}, nil)
	c.echo("addnode", map[string]any{"id": "World", "component": "core/Drop", "graph": "bar"}, nil)
	c.echo("addedge", map[string]any{"src": map[string]any{"node": "Hello", "port": "out"}, "tgt": map[string]any{"node": "World", "port": "in"}, "graph": "bar"}, nil)
	c.echo("addinitial", map[string]any{"src": map[string]any{"data": map[string]any{"n": 1}}, "tgt": map[string]any{"node": "Hello", "port": "in"}, "graph": "bar"}, nil)
	c.send("network", "edges", map[string]any{"graph": "bar", "edges": []any{}})
	c.expect("network", "edges")
	c.send("network", "start", map[string]any{"graph": "bar"})
	if st := c.expect("network", "started").fields(t); st["running"] != true || st["graph"] != "bar" {
		t.Errorf("started: %v", st)
	}
	if d := c.expect("network", "data").fields(t); d["id"] != "DATA -> IN Hello()" || fmt.Sprint(d["data"]) != "map[n:1]" {
		t.Errorf("the initial packet's event: %v", d)
	}
	c.expect("network", "connect")
	if d := c.expect("network", "data").fields(t); d["id"] != "Hello() OUT -> IN World()" || fmt.Sprint(d["data"]) != "map[n:1]" {
		t.Errorf("the edge's event: %v", d)
	}
	c.expect("network", "disconnect")
	c.send("network", "getstatus", map[string]any{"graph": "bar"})
	if st := c.expect("network", "status").fields(t); st["running"] != false || st["started"] != true {
		t.Errorf("status of a finished network: %v", st)
	}
	c.send("network", "stop", map[string]any{"graph": "bar"})
	c.expect("network", "stopped")
	c.send("network", "getstatus", map[string]any{"graph": "bar"})
	if st := c.expect("network", "status").fields(t); st["running"] != false || st["started"] != false {
		t.Errorf("status of a stopped network: %v", st)
	}
	// A graph that does not check is not started.
	c.echo("addnode", map[string]any{"id": "Lonely", "component": "core/Repeat", "graph": "bar"}, nil)
	c.send("network", "start", map[string]any{"graph": "bar"})
	if e := c.expect("network", "error").fields(t); !strings.Contains(fmt.Sprint(e["message"]), "nothing feeds inport IN of Lonely") {
		t.Errorf("starting a graph with a problem: %v", e)
	}
	c.send("network", "getstatus", map[string]any{"graph": "nope"})
	c.expect("network", "error")
	// The chat runs, and is not stopped from here.
	c.send("network", "getstatus", map[string]any{"graph": fbpproto.DefaultChatID})
	if st := c.expect("network", "status").fields(t); st["running"] != true {
		t.Errorf("the chat's status: %v", st)
	}
	c.send("network", "stop", map[string]any{"graph": fbpproto.DefaultChatID})
	c.expect("network", "error")
}

// TestFBPSecret: with -fbp-secret, a message without the secret or with
// another is refused and changes nothing; one with it, in the message or
// (protocol 0.7) in its payload, is served.
func TestFBPSecret(t *testing.T) {
	s, _ := fbpServer(t, server.Config{FBPSecret: "s3cret"})
	c := mustDialFBP(t, s)
	for _, secret := range []string{"", "wrong"} {
		c.secret = secret
		c.send("graph", "clear", map[string]any{"id": "g"})
		if e := c.expect("graph", "error").fields(t); !strings.Contains(fmt.Sprint(e["message"]), "secret") {
			t.Errorf("secret %q: %v", secret, e)
		}
	}
	c.secret = ""
	c.send("component", "getsource", map[string]any{"name": "g", "secret": "s3cret"})
	c.expect("component", "error") // served: no graph g, the clears were refused
	c.secret = "s3cret"
	c.echo("clear", map[string]any{"id": "g"}, nil)
}

// TestFBPOriginAndHost: the handshake refuses a page of another origin
// (403) and a Host the server does not answer for (421, against DNS
// rebinding); it takes its own host, an origin of -fbp-allow-origin, and
// clients that send no Origin.
func TestFBPOriginAndHost(t *testing.T) {
	s, _ := fbpServer(t, server.Config{FBPAllowOrigins: []string{"https://app.flowhub.io"}})
	for _, tc := range []struct {
		origin, host string
		status       int
	}{
		{"https://evil.example", "", http.StatusForbidden},
		{"http://" + s.FBPAddr(), "", http.StatusSwitchingProtocols},
		{"https://app.flowhub.io", "", http.StatusSwitchingProtocols},
		{"", "", http.StatusSwitchingProtocols},
		{"", "rebound.example", http.StatusMisdirectedRequest},
	} {
		if tc.host != "" {
			// A page of a name rebound to gochat's address: its Host.
			req, _ := http.NewRequest(http.MethodGet, "http://"+s.FBPAddr()+"/", nil)
			req.Host = tc.host
			for k, v := range map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
				"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol": "noflo"} {
				req.Header.Set(k, v)
			}
			tr := &http.Transport{}
			resp, err := tr.RoundTrip(req)
			tr.CloseIdleConnections()
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("host %q: %d, want %d", tc.host, resp.StatusCode, tc.status)
			}
			continue
		}
		h := http.Header{}
		if tc.origin != "" {
			h.Set("Origin", tc.origin)
		}
		_, resp, err := dialFBP(t, s, h)
		if resp == nil {
			t.Errorf("origin %q host %q: %v", tc.origin, tc.host, err)
			continue
		}
		if resp.StatusCode != tc.status {
			t.Errorf("origin %q host %q: %d, want %d", tc.origin, tc.host, resp.StatusCode, tc.status)
		}
	}
}

// TestFBPSlowClientDoesNotSlowTheChat: a client that reads nothing while
// asking for more and more is dropped when its queue fills; meanwhile the
// chat and other clients are served.
func TestFBPSlowClientDoesNotSlowTheChat(t *testing.T) {
	s, chat := fbpServer(t, server.Config{})
	slow := mustDialFBP(t, s)
	other := mustDialFBP(t, s)
	req, _ := json.Marshal(map[string]any{"protocol": "component", "command": "getsource", "payload": map[string]any{"name": fbpproto.DefaultChatID}})
	dropped := false
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for i := 0; i < 1_000_000 && !dropped; i++ {
		// The runtime reads every request; its answers pile up unread.
		dropped = slow.conn.Write(ctx, websocket.MessageText, req) != nil
		if i%1000 == 0 {
			chat.Post("slow", "", fmt.Sprint("still served ", i))
			other.send("runtime", "getruntime", map[string]any{})
			other.expect("runtime", "runtime")
		}
	}
	if !dropped {
		t.Fatal("a client that reads nothing was never dropped")
	}
	other.send("runtime", "getruntime", map[string]any{})
	other.expect("runtime", "runtime")
}

// TestFBPEditChatUnderLoad: a client edits the running chat (a Filter on
// the write path) and starts it while writers post and readers are
// parked: the edit goes live by the checked hot reload, and the history
// checker finds nothing lost. A broken edit changes nothing.
func TestFBPEditChatUnderLoad(t *testing.T) {
	const writers, perWriter, readers = 4, 100, 5
	const total = writers * perWriter
	s, chat := fbpServer(t, server.Config{History: total})
	c := mustDialFBP(t, s)
	h := history.New(total)
	var posted atomic.Int64
	var wg sync.WaitGroup
	for range readers {
		wg.Add(1)
		r := h.Reader("edit")
		go func() {
			defer wg.Done()
			Follow(t, chat, r, 30, Saw(total))
		}()
	}
	WaitParked(t, s.Stats(), readers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				a, err := chat.Write(h, "edit", fmt.Sprint("w", w), fmt.Sprint("message ", i), "")
				if err != nil || a.Status != 201 {
					t.Errorf("writer %d message %d: %v %d %s", w, i, err, a.Status, a.Raw)
					return
				}
				posted.Add(1)
			}
		}()
	}
	testutil.WaitFor(t, "writes to progress", func() bool { return posted.Load() >= total/4 })
	id := fbpproto.DefaultChatID
	p := func(node, port string) map[string]any { return map[string]any{"node": node, "port": port} }
	// A broken edit first: a Filter fed by nothing.
	c.echo("addnode", map[string]any{"id": "filter", "component": "Filter", "graph": id}, nil)
	c.send("network", "start", map[string]any{"graph": id})
	if e := c.expect("network", "error").fields(t); !strings.Contains(fmt.Sprint(e["message"]), "filter") {
		t.Errorf("a broken edit: %v", e)
	}
	c.echo("removeedge", map[string]any{"src": p("sender", "out"), "tgt": p("storage", "write"), "graph": id}, nil)
	c.echo("addedge", map[string]any{"src": p("sender", "out"), "tgt": p("filter", "in"), "graph": id}, nil)
	c.echo("addedge", map[string]any{"src": p("filter", "out"), "tgt": p("storage", "write"), "graph": id}, nil)
	c.echo("addedge", map[string]any{"src": p("filter", "err"), "tgt": p("responder", "in"), "graph": id}, nil)
	c.echo("addinitial", map[string]any{"src": map[string]any{"data": []string{"spam"}}, "tgt": p("filter", "words"), "graph": id}, nil)
	c.send("network", "start", map[string]any{"graph": id})
	c.expect("network", "started")
	wg.Wait()
	h.CheckComplete(t)
	if a := chat.MustDo("POST", "api/rooms/edit2/messages", "application/json", `{"text":"spam"}`); a.Status != 422 {
		t.Errorf("the edited graph's Filter is not in effect: %d %s", a.Status, a.Raw)
	}
	if got, fails := s.Stats().Reloads.Load(), s.Stats().ReloadFailures.Load(); got != 1 || fails != 1 {
		t.Errorf("reloads: %d ok, %d failed; want 1 and 1", got, fails)
	}
}

// TestFBPOff: without FBPAddr nothing listens.
func TestFBPOff(t *testing.T) {
	s, _ := MustOpen(t, server.Config{})
	if s.FBPAddr() != "" {
		t.Errorf("FBP protocol served at %s without FBPAddr", s.FBPAddr())
	}
}

// TestFBPChatEvents: the chat's packets show on its edges as network:data
// events of the graph chat, with noflo-style edge ids and a summary of
// the request each carries.
func TestFBPChatEvents(t *testing.T) {
	s, chat := fbpServer(t, server.Config{})
	c := mustDialFBP(t, s)
	c.send("runtime", "getruntime", map[string]any{}) // joined: events reach it from now on
	c.expect("runtime", "runtime")
	chat.Post("events", "", "hello")
	want := map[string]bool{"router() WRITE -> IN limit()": true, "sender() OUT -> WRITE storage()": true, "storage() OUT -> IN responder()": true}
	for len(want) > 0 {
		m := c.recv()
		if m.Protocol != "network" || m.Command != "data" {
			continue
		}
		d := m.fields(t)
		if d["graph"] != fbpproto.DefaultChatID {
			t.Fatalf("an event of the chat names graph %v", d["graph"])
		}
		id, _ := d["id"].(string)
		if want[id] {
			delete(want, id)
			if data := fmt.Sprint(d["data"]); !strings.Contains(data, "method:POST") || !strings.Contains(data, "path:/api/rooms/events/messages") {
				t.Errorf("%s carried %s", id, data)
			}
		}
	}
}
