package fbpproto

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"gochat/components"
	"gochat/graph"
	"gochat/internal/testutil"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeChat is a chat whose graph Apply replaces after checking it.
type fakeChat struct {
	mu sync.Mutex
	g  *graph.Graph
}

func (c *fakeChat) Graph() *graph.Graph {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.g
}

func (c *fakeChat) Apply(g *graph.Graph, _ string) error {
	if _, err := graph.Check(g, graph.DefaultCatalog()); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.g = g
	return nil
}

// serve starts a runtime with cfg behind an httptest server; the test's
// end closes both.
func serve(t *testing.T, cfg Config) (*Runtime, string) {
	t.Helper()
	if cfg.Chat == nil {
		cfg.Chat = &fakeChat{g: graph.Default()}
	}
	f, err := components.NewFactory(components.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Factory = f
	rt := New(cfg)
	srv := httptest.NewServer(rt)
	t.Cleanup(func() {
		rt.Close()
		srv.Close()
	})
	return rt, "ws" + strings.TrimPrefix(srv.URL, "http")
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadLimit(MaxMessage)
	return c
}

func roundTrip(t *testing.T, c *websocket.Conn, req string) Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(req)); err != nil {
		t.Fatal(err)
	}
	_, b, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var m Message
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSlowClientIsDroppedNotWaitedFor: a client that reads nothing is
// dropped when its queue of SendQueue messages fills, however long its
// writes may block (an hour here): the runtime never waits for it, and
// serves another client all along.
func TestSlowClientIsDroppedNotWaitedFor(t *testing.T) {
	_, url := serve(t, Config{WriteTimeout: time.Hour})
	slow, other := dial(t, url), dial(t, url)
	defer slow.CloseNow()
	defer other.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
	defer cancel()
	req := []byte(`{"protocol":"component","command":"getsource","payload":{"name":"chat"}}`)
	dropped := false
	for i := 0; !dropped; i++ {
		dropped = slow.Write(ctx, websocket.MessageText, req) != nil
		if i%500 == 0 {
			if m := roundTrip(t, other, `{"protocol":"runtime","command":"getruntime"}`); m.Command != "runtime" {
				t.Fatalf("the other client got %s:%s", m.Protocol, m.Command)
			}
		}
	}
	if m := roundTrip(t, other, `{"protocol":"runtime","command":"getruntime"}`); m.Command != "runtime" {
		t.Fatalf("after the drop, the other client got %s:%s", m.Protocol, m.Command)
	}
}

// TestBadMessages: a message that is not one, or too large, gets an
// error or closes the connection; the runtime goes on serving.
func TestBadMessages(t *testing.T) {
	_, url := serve(t, Config{})
	c := dial(t, url)
	defer c.CloseNow()
	for _, bad := range []string{`nope`, `{"protocol":"graph"}`, `{"protocol":"graph","command":"clear","payload":[1]}`, strings.Repeat("[", 100) + strings.Repeat("]", 100)} {
		if m := roundTrip(t, c, bad); m.Command != "error" {
			t.Errorf("%.40s: got %s:%s", bad, m.Protocol, m.Command)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
	defer cancel()
	_ = c.Write(ctx, websocket.MessageText, []byte(`{"protocol":"runtime","command":"getruntime","payload":{"x":"`+strings.Repeat("a", MaxMessage)+`"}}`))
	if _, _, err := c.Read(ctx); err == nil {
		t.Error("a message past MaxMessage was read")
	}
	c2 := dial(t, url)
	defer c2.CloseNow()
	if m := roundTrip(t, c2, `{"protocol":"runtime","command":"getruntime"}`); m.Command != "runtime" {
		t.Errorf("after a bad client: %s:%s", m.Protocol, m.Command)
	}
}

// TestGraphsAreBounded: a client cannot make the runtime keep more than
// MaxGraphs graphs, nor a graph larger than a graph file may be.
func TestGraphsAreBounded(t *testing.T) {
	_, url := serve(t, Config{})
	c := dial(t, url)
	defer c.CloseNow()
	for i := range MaxGraphs {
		if m := roundTrip(t, c, fmt.Sprintf(`{"protocol":"graph","command":"clear","payload":{"id":"g%d"}}`, i)); m.Command != "clear" {
			t.Fatalf("graph %d: %s:%s %s", i, m.Protocol, m.Command, m.Payload)
		}
	}
	if m := roundTrip(t, c, `{"protocol":"graph","command":"clear","payload":{"id":"one-more"}}`); m.Command != "error" {
		t.Errorf("graph %d: %s:%s", MaxGraphs+1, m.Protocol, m.Command)
	}
	for i := range graph.MaxProcesses {
		if m := roundTrip(t, c, fmt.Sprintf(`{"protocol":"graph","command":"addnode","payload":{"graph":"g0","id":"n%d","component":"core/Drop"}}`, i)); m.Command != "addnode" {
			t.Fatalf("node %d: %s:%s %s", i, m.Protocol, m.Command, m.Payload)
		}
	}
	if m := roundTrip(t, c, `{"protocol":"graph","command":"addnode","payload":{"graph":"g0","id":"one-more","component":"core/Drop"}}`); m.Command != "error" || !strings.Contains(string(m.Payload), "as large as a graph may be") {
		t.Errorf("node %d: %s:%s %s", graph.MaxProcesses+1, m.Protocol, m.Command, m.Payload)
	}
}
