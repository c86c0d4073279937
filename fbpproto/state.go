package fbpproto

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gochat/graph"
)

// state is what the runtime's goroutine owns.
type state struct {
	rt      *Runtime
	cat     graph.Catalog
	clients map[*client]bool
	graphs  map[string]*model // graphs of the protocol's own, and the chat's staged edit
	runs    map[string]*run   // the last run of each graph of the protocol's own
	every   []*run            // every run started, for Close to wait for
	watch   map[string]map[string]bool
}

func newState(rt *Runtime) *state {
	return &state{rt: rt, cat: graph.DefaultCatalog(), clients: map[*client]bool{},
		graphs: map[string]*model{}, runs: map[string]*run{}, watch: map[string]map[string]bool{}}
}

// loop serves requests, clients and events until the runtime closes.
func (s *state) loop() {
	rt := s.rt
	defer close(rt.done)
	defer s.shutdown()
	for {
		select {
		case req := <-rt.in:
			s.handle(req.c, req.m)
		case c := <-rt.joins:
			s.clients[c] = true
		case c := <-rt.leaves:
			delete(s.clients, c)
		case ev := <-rt.events:
			s.packet(ev)
		case r := <-rt.finished:
			// The packets of r seen before it finished are all queued
			// by now: their events go first.
			s.drainEvents()
			s.finish(r)
		case r := <-rt.settled:
			s.answerStatus(r)
		case <-rt.quit:
			return
		}
	}
}

// shutdown drops every client and stops every run, waiting up to
// closeWait for their networks to finish.
func (s *state) shutdown() {
	for c := range s.clients {
		c.drop()
	}
	deadline := time.NewTimer(closeWait)
	defer deadline.Stop()
	for _, r := range s.every {
		if r.settle != nil {
			r.settle.Stop()
		}
		r.net.Stop()
	}
	for _, r := range s.every {
		select {
		case <-r.net.Done:
		case <-deadline.C:
			s.rt.cfg.Log.Warn("FBP protocol: a graph did not finish on close", "graph", r.graph)
			return
		}
	}
}

// drainEvents sends the events queued now.
func (s *state) drainEvents() {
	for {
		select {
		case ev := <-s.rt.events:
			s.packet(ev)
		default:
			return
		}
	}
}

// broadcast offers msg to every client.
func (s *state) broadcast(msg []byte) {
	for c := range s.clients {
		c.offer(msg)
	}
}

func (s *state) handle(c *client, m Message) {
	switch m.Protocol {
	case "runtime":
		s.runtime(c, m)
	case "component":
		s.component(c, m)
	case "graph":
		s.graph(c, m)
	case "network":
		s.network(c, m)
	default:
		c.offer(encode("runtime", "error", errorPayload{Message: fmt.Sprintf("unknown protocol %.64q", m.Protocol)}))
	}
}

func (s *state) runtime(c *client, m Message) {
	if m.Command != "getruntime" {
		c.offer(encode("runtime", "error", errorPayload{Message: fmt.Sprintf("unknown command runtime:%.64s", m.Command)}))
		return
	}
	c.offer(encode("runtime", "runtime", map[string]any{
		"type": "gochat", "version": Version, "label": "gochat chat server",
		"capabilities": capabilities(), "allCapabilities": capabilities(), "graph": s.rt.cfg.ChatID,
	}))
}

func (s *state) component(c *client, m Message) {
	switch m.Command {
	case "list":
		for _, p := range s.rt.comps {
			c.offer(encode("component", "component", p))
		}
		c.offer(encode("component", "componentsready", len(s.rt.comps)))
	case "getsource":
		var a struct {
			Name string `json:"name"`
		}
		_ = json.Unmarshal(m.Payload, &a)
		g := s.source(a.Name)
		if g == nil {
			c.offer(encode("component", "error", errorPayload{Message: fmt.Sprintf("no source for %.100q: gochat's components are Go code; getsource gives graphs, such as %s", a.Name, s.rt.cfg.ChatID)}))
			return
		}
		code, err := graph.MarshalJSON(g, a.Name)
		if err != nil {
			c.offer(encode("component", "error", errorPayload{Message: err.Error()}))
			return
		}
		c.offer(encode("component", "source", map[string]any{"name": a.Name, "language": "json", "library": "gochat", "code": string(code)}))
	default:
		c.offer(encode("component", "error", errorPayload{Message: fmt.Sprintf("unknown command component:%.64s", m.Command)}))
	}
}

// source returns the graph id names, with or without gochat's library
// prefix: the chat's staged edit or running graph, or a graph of the
// protocol's own; nil if none.
func (s *state) source(id string) *graph.Graph {
	if _, ok := s.graphs[id]; !ok && id != s.rt.cfg.ChatID {
		id = strings.TrimPrefix(id, graph.LibraryPrefix)
	}
	if g, ok := s.graphs[id]; ok {
		return g.graph(id)
	}
	if id == s.rt.cfg.ChatID {
		return s.rt.cfg.Chat.Graph()
	}
	return nil
}

// lookup returns the graph a graph or network command names: the one
// being edited, or for the chat's id, a staged copy of the running graph.
func (s *state) lookup(id string) (*model, bool) {
	if g, ok := s.graphs[id]; ok {
		return g, true
	}
	if id == s.rt.cfg.ChatID {
		g := fromGraph(id, s.rt.cfg.Chat.Graph())
		s.graphs[id] = g
		return g, true
	}
	return nil, false
}

// network serves network:start, stop, getstatus and edges.
func (s *state) network(c *client, m Message) {
	var a struct {
		Graph string `json:"graph"`
		Edges []struct {
			Src port `json:"src"`
			Tgt port `json:"tgt"`
		} `json:"edges"`
	}
	fail := func(format string, args ...any) {
		c.offer(encode("network", "error", errorPayload{Message: fmt.Sprintf(format, args...), Graph: a.Graph}))
	}
	if err := json.Unmarshal(m.Payload, &a); err != nil {
		fail("network:%.64s: %v", m.Command, err)
		return
	}
	if a.Graph == "" {
		fail("No graph specified")
		return
	}
	chat := a.Graph == s.rt.cfg.ChatID
	if _, ok := s.graphs[a.Graph]; !ok && !chat {
		fail("Requested graph not found")
		return
	}
	switch m.Command {
	case "start":
		if chat {
			s.applyChat(c, a.Graph)
			return
		}
		s.startRun(c, a.Graph)
	case "stop":
		if chat {
			fail("the chat network runs as long as gochat does: it cannot be stopped from the protocol (edit it and start it to rewire it)")
			return
		}
		r := s.runs[a.Graph]
		uptime := 0.0
		if r != nil {
			r.net.Stop()
			uptime = time.Since(r.started).Seconds()
			delete(s.runs, a.Graph)
		}
		s.broadcast(encode("network", "stopped", map[string]any{"graph": a.Graph, "time": now(), "uptime": uptime, "running": false, "started": false}))
	case "getstatus":
		if chat {
			c.offer(encode("network", "status", map[string]any{"graph": a.Graph, "running": true, "started": true, "uptime": time.Since(s.rt.start).Seconds()}))
			return
		}
		r := s.runs[a.Graph]
		if r != nil && !r.finished {
			// Wait a little for it to finish: see statusSettle.
			r.waiting = append(r.waiting, c)
			if r.settle == nil {
				r.settle = time.AfterFunc(statusSettle, func() {
					select {
					case s.rt.settled <- r:
					case <-s.rt.quit:
					}
				})
			}
			return
		}
		c.offer(encode("network", "status", status(a.Graph, r)))
	case "edges":
		sel := map[string]bool{}
		edges := []map[string]port{}
		for _, e := range a.Edges {
			sel[edge{Src: e.Src, Tgt: e.Tgt}.id()] = true
			edges = append(edges, map[string]port{"src": e.Src, "tgt": e.Tgt})
		}
		s.watch[a.Graph] = sel
		c.offer(encode("network", "edges", map[string]any{"graph": a.Graph, "edges": edges}))
	default:
		fail("unknown command network:%.64s", m.Command)
	}
}

// status returns the network:status payload of graph id, last run as r
// (nil: never started or stopped); uptime only while it runs.
func status(id string, r *run) map[string]any {
	p := map[string]any{"graph": id, "running": false, "started": false}
	if r != nil {
		p["started"] = true
		p["running"] = !r.finished
		if !r.finished {
			p["uptime"] = time.Since(r.started).Seconds()
		}
	}
	return p
}

// answerStatus answers the getstatus requests waiting for r.
func (s *state) answerStatus(r *run) {
	if r.settle != nil {
		r.settle.Stop()
		r.settle = nil
	}
	if len(r.waiting) == 0 {
		return
	}
	cur := r
	if s.runs[r.graph] != r {
		cur = s.runs[r.graph] // stopped or started again meanwhile
	}
	msg := encode("network", "status", status(r.graph, cur))
	for _, c := range r.waiting {
		c.offer(msg)
	}
	r.waiting = nil
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// broadcastStarted tells every client that graph id's network runs.
func (s *state) broadcastStarted(id string) {
	s.broadcast(encode("network", "started", map[string]any{"graph": id, "time": now(), "started": true, "running": true}))
}

// applyChat makes the staged edit of the chat graph live through the
// server's checked hot reload.
func (s *state) applyChat(c *client, id string) {
	if g, ok := s.graphs[id]; ok {
		if err := s.rt.cfg.Chat.Apply(g.graph(id), "the FBP protocol's edit of "+id); err != nil {
			c.offer(encode("network", "error", errorPayload{Message: problemsText(err), Graph: id}))
			return
		}
		delete(s.graphs, id)
		s.rt.cfg.Log.Info("FBP protocol: the edited chat graph runs", "graph", id)
	}
	s.broadcastStarted(id)
}

// problemsText returns err's problems, one a line.
func problemsText(err error) string {
	var probs graph.Problems
	if errors.As(err, &probs) {
		return probs.Error()
	}
	return err.Error()
}

// startRun runs graph id of the protocol's own on a network of its own,
// after stopping its last run.
func (s *state) startRun(c *client, id string) {
	g := s.graphs[id]
	gr := g.graph(id)
	p, err := graph.CheckStandalone(gr, s.cat)
	if err != nil {
		c.offer(encode("network", "error", errorPayload{Message: problemsText(err), Graph: id}))
		return
	}
	if len(s.every) >= MaxGraphs {
		c.offer(encode("network", "error", errorPayload{Graph: id, Message: fmt.Sprintf(
			"%d networks run already, the most a runtime runs: stop one (a network that never finishes, such as a loop, runs until gochat stops)", MaxGraphs)}))
		return
	}
	if old := s.runs[id]; old != nil {
		old.net.Stop()
	}
	r := &run{graph: id, started: time.Now(), edges: slices.Clone(g.edges), connected: make([]bool, len(g.edges))}
	for range g.edges {
		r.samplers = append(r.samplers, &sampler{})
	}
	net, err := graph.RunStandalone(p, s.rt.cfg.Factory, s.rt.observer(r))
	if err != nil {
		c.offer(encode("network", "error", errorPayload{Message: err.Error(), Graph: id}))
		return
	}
	r.net = net
	s.runs[id] = r
	s.every = append(s.every, r)
	// Started, and the initial packets, before any packet's event: those
	// queue for this goroutine, which sends these first.
	s.broadcastStarted(id)
	for _, i := range g.iips {
		if s.watched(id, i.id()) {
			s.broadcast(encode("network", "data", map[string]any{"id": i.id(), "graph": id, "tgt": i.Tgt, "data": i.Data}))
		}
	}
	go s.rt.watch(r)
}

// watched reports whether a client asked for the events of edge id of
// graph g (every edge, until one asks for some with network:edges).
func (s *state) watched(g, id string) bool {
	sel, ok := s.watch[g]
	return !ok || len(sel) == 0 || sel[id]
}

// packet sends the events of a packet seen on an edge of a run or of
// the chat.
func (s *state) packet(ev event) {
	if ev.chat != nil {
		s.chatPacket(ev)
		return
	}
	r := ev.run
	if s.runs[r.graph] != r {
		return // an old run
	}
	e := r.edges[ev.edge]
	id := e.id()
	if !s.watched(r.graph, id) {
		return
	}
	if !r.connected[ev.edge] {
		r.connected[ev.edge] = true
		s.broadcast(encode("network", "connect", map[string]any{"id": id, "graph": r.graph, "src": e.Src, "tgt": e.Tgt}))
	}
	s.broadcast(encode("network", "data", map[string]any{"id": id, "graph": r.graph, "src": e.Src, "tgt": e.Tgt, "data": ev.data}))
}

// finish notes that r's network has finished: its edges disconnect, and
// clients waiting for its status get it.
func (s *state) finish(r *run) {
	r.finished = true
	s.every = slices.DeleteFunc(s.every, func(x *run) bool { return x == r })
	if s.runs[r.graph] == r {
		for i, e := range r.edges {
			if r.connected[i] {
				s.broadcast(encode("network", "disconnect", map[string]any{"id": e.id(), "graph": r.graph, "src": e.Src, "tgt": e.Tgt}))
			}
		}
	}
	s.answerStatus(r)
}

// chatPacket sends the data event of a packet seen on an edge of the
// chat's network (no connect or disconnect: the chat's edges stay
// connected as long as it runs).
func (s *state) chatPacket(ev event) {
	c := ev.chat.Connections[ev.edge]
	e := edge{Src: portOf(c.Src), Tgt: portOf(c.Tgt)}
	id := s.rt.cfg.ChatID
	if !s.watched(id, e.id()) {
		return
	}
	s.broadcast(encode("network", "data", map[string]any{"id": e.id(), "graph": id, "src": e.Src, "tgt": e.Tgt, "data": ev.data}))
}
