package fbpproto

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/trustmaster/goflow"

	"gochat/components"
	"gochat/graph"
)

// Limits and timings of a runtime.
const (
	// SendQueue bounds the messages waiting to be written to one client;
	// a client that lets more pile up is dropped, so that no client slows
	// the runtime or the networks it watches.
	SendQueue = 1024
	// DefaultWriteTimeout bounds writing one message to a client; a
	// client that takes longer is dropped.
	DefaultWriteTimeout = 5 * time.Second
	// eventQueue bounds the packet events on their way from the networks
	// to the runtime's goroutine; when it is full, events are dropped,
	// never the packets.
	eventQueue = 4096
	// maxEdgeEvents is how many data events one edge sends a second at
	// most; the rest of its packets flow unreported (sampled).
	maxEdgeEvents = 20
	// sampleWindow is the window maxEdgeEvents counts in.
	sampleWindow = time.Second
	// maxEventData bounds the JSON of one packet in a data event; a larger
	// packet is reported as a note of its size.
	maxEventData = 4 << 10
	// statusSettle is how long network:getstatus waits, at most, for a
	// graph of the protocol's own that is still running to finish, so
	// that a client that has just seen its last packet sees it finished.
	statusSettle = time.Second
	// closeWait bounds how long Close waits for the graphs the protocol
	// runs to finish once their inports are closed.
	closeWait = 5 * time.Second
	// MaxGraphs bounds the graphs clients build, and the networks they
	// run that have not finished (stopped or not: goflow cannot end a
	// process, so a network whose processes never return, such as a loop,
	// runs until gochat stops); the chat's staged edit counts as a graph. Each graph
	// is bounded like a graph file (graph.MaxProcesses processes,
	// graph.MaxConnections edges, initial packets, exports and groups).
	MaxGraphs = 64
	// Subprotocol is the WebSocket subprotocol of the FBP protocol.
	Subprotocol = "noflo"
	// Version is the protocol version gochat speaks.
	Version = "0.7"
	// DefaultChatID is the graph id the running chat graph goes by.
	DefaultChatID = "chat"
)

// capabilities returns the parts of the protocol gochat implements.
func capabilities() []string {
	return []string{
		"protocol:runtime", "protocol:graph", "protocol:component", "protocol:network",
		"network:status", "network:control", "network:data", "component:getsource",
	}
}

// Chat is the running chat server, as the runtime edits it.
type Chat interface {
	// Graph returns the graph the chat runs.
	Graph() *graph.Graph
	// Apply checks g and makes it the running graph by the server's hot
	// reload, or changes nothing and returns the problems.
	Apply(g *graph.Graph, name string) error
}

// Config configures a Runtime.
type Config struct {
	// Secret, when not empty, is what every message must carry; messages
	// with another are refused.
	Secret string
	// AllowOrigins lists the origins (https://app.flowhub.io) whose pages
	// may connect besides the runtime's own host; "*" allows any.
	// Clients that send no Origin (not browsers) may always connect.
	AllowOrigins []string
	// Chat is the chat server whose graph ChatID names.
	Chat Chat
	// ChatID is the id of the running chat graph; DefaultChatID if empty.
	ChatID string
	// Factory builds the processes of the graphs clients run on their
	// own networks.
	Factory *goflow.Factory
	// WriteTimeout bounds writing one message to a client, which is
	// dropped when it takes longer; DefaultWriteTimeout if zero.
	WriteTimeout time.Duration
	// Log is where the runtime logs; nil discards.
	Log *slog.Logger
}

// Runtime serves the FBP protocol. Its state (the graphs, the networks
// it runs, its clients) is owned by one goroutine; connections and
// networks talk to it through channels, and it never blocks on them.
type Runtime struct {
	cfg     Config
	origins []string
	comps   []graph.ComponentPayload
	start   time.Time

	in       chan request
	joins    chan *client
	leaves   chan *client
	events   chan event
	finished chan *run
	settled  chan *run
	quit     chan struct{}
	done     chan struct{}
	close    sync.Once
}

type request struct {
	c *client
	m Message
}

// New starts a runtime.
func New(cfg Config) *Runtime {
	if cfg.ChatID == "" {
		cfg.ChatID = DefaultChatID
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	rt := &Runtime{
		cfg: cfg, comps: graph.ComponentPayloads(components.Catalog()), start: time.Now(),
		in: make(chan request), joins: make(chan *client), leaves: make(chan *client),
		events: make(chan event, eventQueue), finished: make(chan *run), settled: make(chan *run),
		quit: make(chan struct{}), done: make(chan struct{}),
	}
	// scheme://host, or *, matched against the Origin as coder/websocket
	// does (path.Match on scheme://host).
	rt.origins = slices.Clone(cfg.AllowOrigins)
	st := newState(rt)
	go st.loop()
	return rt
}

// Close drops every client, stops the graphs the runtime runs (waiting
// up to closeWait for them to finish) and returns when its goroutine has.
func (rt *Runtime) Close() {
	rt.close.Do(func() { close(rt.quit) })
	<-rt.done
}

// ServeHTTP accepts a WebSocket connection with subprotocol noflo from
// the runtime's own host, a page of an allowed origin, or a client that
// sends no Origin, and serves the protocol on it until either side
// closes it.
func (rt *Runtime) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{Subprotocol}, OriginPatterns: rt.origins})
	if err != nil {
		rt.cfg.Log.Info("FBP protocol: connection refused", "err", err, "origin", r.Header.Get("Origin"))
		return // Accept answered: 403 for an origin not allowed
	}
	conn.SetReadLimit(MaxMessage)
	c := newClient()
	select {
	case rt.joins <- c:
	case <-rt.quit:
		conn.CloseNow()
		return
	}
	written := make(chan struct{})
	go c.write(conn, rt.cfg.WriteTimeout, written)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-c.gone:
		case <-rt.quit:
		}
		cancel()
	}()
	rt.read(ctx, conn, c)
	cancel()
	c.drop()
	select {
	case rt.leaves <- c:
	case <-rt.quit:
	}
	<-written
}

// read hands the messages c sends to the runtime's goroutine until the
// connection fails or closes.
func (rt *Runtime) read(ctx context.Context, conn *websocket.Conn, c *client) {
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			return
		}
		m, err := Decode(b)
		if err != nil {
			c.offer(encode("runtime", "error", errorPayload{Message: err.Error()}))
			continue
		}
		if !rt.secretOK(m.Secret) {
			c.offer(encode(errorProtocol(m.Protocol), "error", errorPayload{Message: "refused " + m.Protocol + ":" + m.Command + ": the secret does not match"}))
			continue
		}
		select {
		case rt.in <- request{c, m}:
		case <-ctx.Done():
			return
		}
	}
}

// secretOK reports whether secret is the runtime's (any is, without one).
func (rt *Runtime) secretOK(secret string) bool {
	if rt.cfg.Secret == "" {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(secret), []byte(rt.cfg.Secret)) == 1
}

// errorProtocol returns the protocol an error about a message of
// protocol p is sent in.
func errorProtocol(p string) string {
	switch p {
	case "graph", "component", "network":
		return p
	}
	return "runtime"
}

type errorPayload struct {
	Message string `json:"message"`
	Graph   string `json:"graph,omitempty"`
}

// client is one connection. The runtime's goroutine and the connection's
// reader offer it messages; its writer writes them.
type client struct {
	send chan []byte
	gone chan struct{} // closed when the client is dropped
	once sync.Once
	// ctx ends when the client is dropped, ending a write under way.
	ctx    context.Context
	cancel context.CancelFunc
}

func newClient() *client {
	ctx, cancel := context.WithCancel(context.Background())
	return &client{send: make(chan []byte, SendQueue), gone: make(chan struct{}), ctx: ctx, cancel: cancel}
}

// offer queues b for the client without ever blocking; a client whose
// queue is full is dropped.
func (c *client) offer(b []byte) {
	select {
	case <-c.gone:
	case c.send <- b:
	default:
		c.drop()
	}
}

// drop ends the client: its writer closes the connection.
func (c *client) drop() {
	c.once.Do(func() {
		close(c.gone)
		c.cancel()
	})
}

// write writes the client's messages until it is dropped or a write
// fails or takes longer than timeout, then closes the connection.
func (c *client) write(conn *websocket.Conn, timeout time.Duration, done chan<- struct{}) {
	defer close(done)
	defer conn.CloseNow()
	for {
		select {
		case b := <-c.send:
			ctx, cancel := context.WithTimeout(c.ctx, timeout)
			err := conn.Write(ctx, websocket.MessageText, b)
			cancel()
			if err != nil {
				c.drop()
				return
			}
		case <-c.gone:
			return
		}
	}
}
