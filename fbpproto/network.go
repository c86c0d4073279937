package fbpproto

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"gochat/components"
	"gochat/graph"
	"gochat/wire"
)

// run is one start of a graph of the protocol's own on a network of its
// own. Its fields but the samplers are owned by the runtime's goroutine.
type run struct {
	graph     string
	net       *graph.Standalone
	started   time.Time
	finished  bool
	edges     []edge // the graph's edges when it started, in the order of its connections
	connected []bool // an edge has sent connect
	samplers  []*sampler
	waiting   []*client   // getstatus waiting for the network to finish
	settle    *time.Timer // ends their wait after statusSettle
}

// event is a packet seen on an edge of a run, or of the chat's network
// running graph chat.
type event struct {
	run  *run
	chat *graph.Graph
	edge int
	data json.RawMessage
}

// sampler lets through at most maxEdgeEvents events of one edge a
// sampleWindow. It is called on the packet's way, by the edge's tap.
type sampler struct {
	mu     sync.Mutex
	window time.Time
	n      int
}

func (s *sampler) allow(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.window) >= sampleWindow {
		s.window, s.n = now, 0
	}
	if s.n >= maxEdgeEvents {
		return false
	}
	s.n++
	return true
}

// eventData returns packet v as the JSON a data event carries: its
// JSON, or a note when it has none or is larger than maxEventData.
func eventData(v any) json.RawMessage {
	b, err := json.Marshal(v)
	switch {
	case err != nil:
		b, _ = json.Marshal(fmt.Sprintf("(a %T packet)", v))
	case len(b) > maxEventData:
		b, _ = json.Marshal(fmt.Sprintf("(a %T packet of %d bytes)", v, len(b)))
	}
	return b
}

// observer returns what the taps of r call for each packet: sampled, it
// is encoded and offered to the runtime's goroutine, and dropped when
// its queue is full. It never blocks the packet.
func (rt *Runtime) observer(r *run) func(conn int, v any) {
	return func(conn int, v any) {
		if !r.samplers[conn].allow(time.Now()) {
			return
		}
		select {
		case rt.events <- event{run: r, edge: conn, data: eventData(v)}:
		default:
		}
	}
}

// watch tells the runtime's goroutine when r's network has finished.
func (rt *Runtime) watch(r *run) {
	select {
	case <-r.net.Done:
	case <-rt.quit:
		return
	}
	select {
	case rt.finished <- r:
	case <-rt.quit:
	}
}

// ObserveChat returns what the taps of a chat network running g call for
// each packet (see graph.StartObserved): sampled like a run's, each is
// offered to the runtime's goroutine as a summary that reads only what
// no component changes once the packet is made (the request's method and
// path), and dropped when the queue is full. It never blocks the packet.
func (rt *Runtime) ObserveChat(g *graph.Graph) func(conn int, v any) {
	samplers := make([]*sampler, len(g.Connections))
	for i := range samplers {
		samplers[i] = &sampler{}
	}
	return func(conn int, v any) {
		if !samplers[conn].allow(time.Now()) {
			return
		}
		select {
		case rt.events <- event{chat: g, edge: conn, data: chatData(v)}:
		default:
		}
	}
}

// chatData summarises a packet of the chat network: what kind it is and
// the request it carries.
func chatData(v any) json.RawMessage {
	var kind string
	var req *wire.Request
	switch p := v.(type) {
	case *wire.Request:
		kind, req = "request", p
	case *components.ReadQuery:
		kind, req = "read", p.Req
	case *components.WriteCommand:
		kind, req = "write", p.Req
	case *components.Reply:
		kind, req = "reply", p.Req
	default:
		return eventData(fmt.Sprintf("(a %T packet)", v))
	}
	out := map[string]string{"packet": kind}
	if req != nil {
		out["method"], out["path"] = req.Method, req.Path
	}
	return eventData(out)
}
