package fbpproto

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"gochat/graph"
)

// graphArgs are the fields the graph commands take.
type graphArgs struct {
	Graph       *string         `json:"graph"`
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Component   string          `json:"component"`
	Metadata    json.RawMessage `json:"metadata"`
	From        string          `json:"from"`
	To          string          `json:"to"`
	Src         *srcArg         `json:"src"`
	Tgt         *port           `json:"tgt"`
	Public      string          `json:"public"`
	Node        string          `json:"node"`
	Port        string          `json:"port"`
	Nodes       []string        `json:"nodes"`
	Main        *bool           `json:"main"`
	Library     string          `json:"library"`
	Icon        string          `json:"icon"`
	Description string          `json:"description"`
}

// srcArg is an edge's source: a port, or an initial packet's data.
type srcArg struct {
	port
	Data json.RawMessage `json:"data"`
}

// graphError is a graph command refused: its message goes back as
// graph:error, and the graph is unchanged.
type graphError string

func (e graphError) Error() string { return string(e) }

func refuse(format string, args ...any) error { return graphError(fmt.Sprintf(format, args...)) }

// graph serves the graph commands: each changes the graph it names and is
// sent back, to every client, as the acknowledgement.
func (s *state) graph(c *client, m Message) {
	var a graphArgs
	if err := json.Unmarshal(m.Payload, &a); err != nil {
		c.offer(encode("graph", "error", errorPayload{Message: fmt.Sprintf("graph:%.64s: %v", m.Command, err)}))
		return
	}
	md, err := metadataArg(a.Metadata)
	if err == nil {
		err = s.graphCommand(m.Command, &a, md)
	}
	if err != nil {
		c.offer(encode("graph", "error", errorPayload{Message: err.Error()}))
	}
}

// metadataArg reads a metadata field: absent or null is nil.
func metadataArg(raw json.RawMessage) (metadata, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var md metadata
	if err := json.Unmarshal(raw, &md); err != nil {
		return nil, refuse("metadata must be an object")
	}
	return md, nil
}

// orEmpty returns md, or an empty map for nil.
func orEmpty(md metadata) metadata {
	if md == nil {
		return metadata{}
	}
	return md
}

// roomForGraph refuses a graph id the runtime does not keep yet once it
// keeps MaxGraphs.
func (s *state) roomForGraph(id string) error {
	if _, ok := s.graphs[id]; !ok && len(s.graphs) >= MaxGraphs {
		return refuse("there are %d graphs already, the most a runtime keeps", MaxGraphs)
	}
	return nil
}

func (s *state) graphCommand(cmd string, a *graphArgs, md metadata) error {
	if cmd == "clear" {
		if a.ID == "" {
			return refuse("graph:clear needs an id")
		}
		if err := s.roomForGraph(a.ID); err != nil {
			return err
		}
		s.graphs[a.ID] = &model{id: a.ID, name: a.Name}
		echo := map[string]any{"id": a.ID}
		for k, v := range map[string]string{"name": a.Name, "library": a.Library, "icon": a.Icon, "description": a.Description} {
			if v != "" {
				echo[k] = v
			}
		}
		if a.Main != nil {
			echo["main"] = *a.Main
		}
		s.broadcast(encode("graph", "clear", echo))
		return nil
	}
	if a.Graph == nil || *a.Graph == "" {
		return refuse("No graph specified")
	}
	id := *a.Graph
	if _, ok := s.graphs[id]; !ok && id != s.rt.cfg.ChatID {
		return refuse("Requested graph not found")
	}
	need := func(fields ...string) error {
		var missing []string
		for i := 0; i+1 < len(fields); i += 2 {
			if fields[i+1] == "" {
				missing = append(missing, fields[i])
			}
		}
		if len(missing) > 0 {
			return refuse("graph:%s needs %s", cmd, strings.Join(missing, " and "))
		}
		return nil
	}
	needPort := func(what string, p *port) error {
		if p == nil || p.Node == "" || p.Port == "" {
			return refuse("graph:%s needs %s with a node and a port", cmd, what)
		}
		return nil
	}
	// Check the arguments before staging a copy of the chat graph.
	var err error
	switch cmd {
	case "addnode":
		err = need("id", a.ID, "component", a.Component)
	case "removenode", "changenode":
		err = need("id", a.ID)
	case "renamenode", "renameinport", "renameoutport", "renamegroup":
		err = need("from", a.From, "to", a.To)
	case "addedge", "removeedge", "changeedge":
		if err = needPort("src", srcPort(a.Src)); err == nil {
			err = needPort("tgt", a.Tgt)
		}
	case "addinitial":
		if a.Src == nil || len(a.Src.Data) == 0 {
			err = refuse("graph:addinitial needs src with data")
		} else {
			err = needPort("tgt", a.Tgt)
		}
	case "removeinitial":
		err = needPort("tgt", a.Tgt)
	case "addinport", "addoutport":
		err = need("public", a.Public, "node", a.Node, "port", a.Port)
	case "removeinport", "removeoutport":
		err = need("public", a.Public)
	case "addgroup", "removegroup", "changegroup":
		err = need("name", a.Name)
	default:
		return refuse("unknown command graph:%.64s", cmd)
	}
	if err != nil {
		return err
	}
	if err := s.roomForGraph(id); err != nil {
		return err
	}
	g, _ := s.lookup(id)
	if len(g.nodes) >= graph.MaxProcesses && cmd == "addnode" ||
		len(g.edges)+len(g.iips)+len(g.inports)+len(g.outports)+len(g.groups) >= graph.MaxConnections && strings.HasPrefix(cmd, "add") {
		return refuse("graph %s is as large as a graph may be (%d processes, %d connections)", id, graph.MaxProcesses, graph.MaxConnections)
	}
	return s.edit(g, cmd, a, md)
}

// srcPort returns a's port, nil if a is nil.
func srcPort(a *srcArg) *port {
	if a == nil {
		return nil
	}
	return &a.port
}

// edit makes a checked command's change to g and broadcasts it.
func (s *state) edit(g *model, cmd string, a *graphArgs, md metadata) error {
	id := g.id
	send := func(command string, payload map[string]any) {
		payload["graph"] = id
		s.broadcast(encode("graph", command, payload))
	}
	withMeta := func(p map[string]any) map[string]any {
		if md != nil {
			p["metadata"] = md
		}
		return p
	}
	switch cmd {
	case "addnode":
		if g.node(a.ID) != nil {
			return refuse("a node %s is in graph %s already", a.ID, id)
		}
		if !s.cat.Has(a.Component) {
			return refuse("unknown component %.100s (component:list lists them)", a.Component)
		}
		g.nodes = append(g.nodes, &node{ID: a.ID, Component: a.Component, Metadata: orEmpty(md)})
		send("addnode", withMeta(map[string]any{"id": a.ID, "component": a.Component}))
	case "removenode":
		if g.node(a.ID) == nil {
			return refuse("Requested node %.100s not found", a.ID)
		}
		s.removeNode(g, a.ID, send)
		send("removenode", map[string]any{"id": a.ID})
	case "renamenode":
		n := g.node(a.From)
		if n == nil {
			return refuse("Requested node %.100s not found", a.From)
		}
		if g.node(a.To) != nil {
			return refuse("a node %.100s is in graph %s already", a.To, id)
		}
		g.renameNode(a.From, a.To)
		send("renamenode", map[string]any{"from": a.From, "to": a.To})
	case "changenode":
		n := g.node(a.ID)
		if n == nil {
			return refuse("Requested node %.100s not found", a.ID)
		}
		n.Metadata = merge(n.Metadata, md)
		send("changenode", map[string]any{"id": a.ID, "metadata": n.Metadata})
	case "addedge":
		e := edge{Src: a.Src.port, Tgt: *a.Tgt, Metadata: orEmpty(md)}
		for _, n := range []string{e.Src.Node, e.Tgt.Node} {
			if g.node(n) == nil {
				return refuse("Requested node %.100s not found", n)
			}
		}
		if g.edge(e.Src, e.Tgt) >= 0 {
			return refuse("the edge %s is in graph %s already", e.id(), id)
		}
		g.edges = append(g.edges, e)
		send("addedge", withMeta(map[string]any{"src": e.Src, "tgt": e.Tgt}))
	case "removeedge":
		i := g.edge(a.Src.port, *a.Tgt)
		if i < 0 {
			return refuse("Requested edge %s not found", edge{Src: a.Src.port, Tgt: *a.Tgt}.id())
		}
		e := g.edges[i]
		g.edges = slices.Delete(g.edges, i, i+1)
		send("removeedge", map[string]any{"src": e.Src, "tgt": e.Tgt})
	case "changeedge":
		i := g.edge(a.Src.port, *a.Tgt)
		if i < 0 {
			return refuse("Requested edge %s not found", edge{Src: a.Src.port, Tgt: *a.Tgt}.id())
		}
		e := &g.edges[i]
		e.Metadata = merge(e.Metadata, md)
		send("changeedge", map[string]any{"src": e.Src, "tgt": e.Tgt, "metadata": e.Metadata})
	case "addinitial":
		if g.node(a.Tgt.Node) == nil {
			return refuse("Requested node %.100s not found", a.Tgt.Node)
		}
		iip := initial{Data: bytes.TrimSpace(a.Src.Data), Tgt: *a.Tgt, Metadata: orEmpty(md)}
		// One initial packet a port: a new one replaces the last.
		g.iips = slices.DeleteFunc(g.iips, func(i initial) bool { return i.Tgt.same(iip.Tgt) })
		g.iips = append(g.iips, iip)
		send("addinitial", withMeta(map[string]any{"src": map[string]any{"data": iip.Data}, "tgt": iip.Tgt}))
	case "removeinitial":
		i := slices.IndexFunc(g.iips, func(i initial) bool { return i.Tgt.same(*a.Tgt) })
		if i < 0 {
			return refuse("Requested initial packet to %s not found", a.Tgt.label(false))
		}
		iip := g.iips[i]
		g.iips = slices.Delete(g.iips, i, i+1)
		send("removeinitial", map[string]any{"src": map[string]any{"data": iip.Data}, "tgt": iip.Tgt})
	case "addinport", "addoutport":
		if g.node(a.Node) == nil {
			return refuse("Requested node %.100s not found", a.Node)
		}
		list := g.exports(cmd == "addinport")
		*list = slices.DeleteFunc(*list, func(e export) bool { return e.Public == a.Public })
		*list = append(*list, export{Public: a.Public, Node: a.Node, Port: a.Port, Metadata: orEmpty(md)})
		send(cmd, withMeta(map[string]any{"public": a.Public, "node": a.Node, "port": a.Port}))
	case "removeinport", "removeoutport":
		list := g.exports(cmd == "removeinport")
		n := len(*list)
		*list = slices.DeleteFunc(*list, func(e export) bool { return e.Public == a.Public })
		if len(*list) == n {
			return refuse("Requested port %.100s not found", a.Public)
		}
		send(cmd, map[string]any{"public": a.Public})
	case "renameinport", "renameoutport":
		list := g.exports(cmd == "renameinport")
		i := slices.IndexFunc(*list, func(e export) bool { return e.Public == a.From })
		if i < 0 {
			return refuse("Requested port %.100s not found", a.From)
		}
		(*list)[i].Public = a.To
		send(cmd, map[string]any{"from": a.From, "to": a.To})
	case "addgroup":
		g.groups = slices.DeleteFunc(g.groups, func(gr group) bool { return gr.Name == a.Name })
		g.groups = append(g.groups, group{Name: a.Name, Nodes: a.Nodes, Metadata: orEmpty(md)})
		nodes := a.Nodes
		if nodes == nil {
			nodes = []string{}
		}
		send("addgroup", withMeta(map[string]any{"name": a.Name, "nodes": nodes}))
	case "removegroup":
		n := len(g.groups)
		g.groups = slices.DeleteFunc(g.groups, func(gr group) bool { return gr.Name == a.Name })
		if len(g.groups) == n {
			return refuse("Requested group %.100s not found", a.Name)
		}
		send("removegroup", map[string]any{"name": a.Name})
	case "renamegroup":
		i := slices.IndexFunc(g.groups, func(gr group) bool { return gr.Name == a.From })
		if i < 0 {
			return refuse("Requested group %.100s not found", a.From)
		}
		g.groups[i].Name = a.To
		send("renamegroup", map[string]any{"from": a.From, "to": a.To})
	case "changegroup":
		i := slices.IndexFunc(g.groups, func(gr group) bool { return gr.Name == a.Name })
		if i < 0 {
			return refuse("Requested group %.100s not found", a.Name)
		}
		g.groups[i].Metadata = merge(g.groups[i].Metadata, md)
		send("changegroup", map[string]any{"name": a.Name, "metadata": g.groups[i].Metadata})
	}
	return nil
}

// removeNode removes everything attached to node id from g, sending the
// removals: its edges, initial packets and exports.
func (s *state) removeNode(g *model, id string, send func(string, map[string]any)) {
	var kept []edge
	for _, e := range g.edges {
		if e.Src.Node == id || e.Tgt.Node == id {
			send("removeedge", map[string]any{"src": e.Src, "tgt": e.Tgt})
			continue
		}
		kept = append(kept, e)
	}
	g.edges = kept
	var iips []initial
	for _, i := range g.iips {
		if i.Tgt.Node == id {
			send("removeinitial", map[string]any{"src": map[string]any{"data": i.Data}, "tgt": i.Tgt})
			continue
		}
		iips = append(iips, i)
	}
	g.iips = iips
	for _, in := range []bool{true, false} {
		list := g.exports(in)
		cmd := "removeoutport"
		if in {
			cmd = "removeinport"
		}
		*list = slices.DeleteFunc(*list, func(e export) bool {
			if e.Node == id {
				send(cmd, map[string]any{"public": e.Public})
				return true
			}
			return false
		})
	}
	for i := range g.groups {
		g.groups[i].Nodes = slices.DeleteFunc(g.groups[i].Nodes, func(n string) bool { return n == id })
	}
	g.nodes = slices.DeleteFunc(g.nodes, func(n *node) bool { return n.ID == id })
}

// edge returns the index of the edge src -> tgt in g, or -1.
func (g *model) edge(src, tgt port) int {
	return slices.IndexFunc(g.edges, func(e edge) bool { return e.Src.same(src) && e.Tgt.same(tgt) })
}

// exports returns g's exported inports, or outports.
func (g *model) exports(in bool) *[]export {
	if in {
		return &g.inports
	}
	return &g.outports
}

// renameNode renames node from to to everywhere in g.
func (g *model) renameNode(from, to string) {
	g.node(from).ID = to
	ren := func(p *port) {
		if p.Node == from {
			p.Node = to
		}
	}
	for i := range g.edges {
		ren(&g.edges[i].Src)
		ren(&g.edges[i].Tgt)
	}
	for i := range g.iips {
		ren(&g.iips[i].Tgt)
	}
	for _, list := range []*[]export{&g.inports, &g.outports} {
		for i := range *list {
			if (*list)[i].Node == from {
				(*list)[i].Node = to
			}
		}
	}
	for i := range g.groups {
		for j, n := range g.groups[i].Nodes {
			if n == from {
				g.groups[i].Nodes[j] = to
			}
		}
	}
}
