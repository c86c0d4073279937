package fbpproto

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gochat/graph"
)

// metadata is the free-form metadata the protocol keeps on nodes, edges,
// initial packets, exports and groups (x/y positions, routes, ...).
type metadata = map[string]any

// port is an end of an edge, as the protocol names it.
type port struct {
	Node  string `json:"node"`
	Port  string `json:"port"`
	Index any    `json:"index,omitempty"` // a number or a string, for addressable ports
}

// index returns p's index as graph.Endpoint has it: "" for none.
func (p port) index() string {
	switch v := p.Index.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		return v
	}
	return fmt.Sprint(p.Index)
}

// same reports whether p and q name one port (ports without regard to
// case, as graph files match them).
func (p port) same(q port) bool {
	return p.Node == q.Node && strings.EqualFold(p.Port, q.Port) && p.index() == q.index()
}

// label returns how noflo names p in an edge id: Node() PORT or
// Node() PORT[index], with the port before or after the node.
func (p port) label(src bool) string {
	name := strings.ToUpper(p.Port)
	if i := p.index(); i != "" {
		name += "[" + i + "]"
	}
	if src {
		return p.Node + "() " + name
	}
	return name + " " + p.Node + "()"
}

type node struct {
	ID        string
	Component string
	Metadata  metadata
}

type edge struct {
	Src, Tgt port
	Metadata metadata
}

// id is the edge's noflo-style id: "Hello() OUT -> IN World()".
func (e edge) id() string { return e.Src.label(true) + " -> " + e.Tgt.label(false) }

type initial struct {
	Data     json.RawMessage // the packet, a JSON value
	Tgt      port
	Metadata metadata
}

// id is the initial packet's noflo-style edge id: "DATA -> IN Hello()".
func (i initial) id() string { return "DATA -> " + i.Tgt.label(false) }

type export struct {
	Public   string
	Node     string
	Port     string
	Metadata metadata
}

type group struct {
	Name     string
	Nodes    []string
	Metadata metadata
}

// model is a graph as the protocol edits it: graph.Graph plus the
// metadata the protocol carries. It is owned by the runtime's goroutine.
type model struct {
	id, name string
	nodes    []*node
	edges    []edge
	iips     []initial
	inports  []export
	outports []export
	groups   []group
}

func (m *model) node(id string) *node {
	for _, n := range m.nodes {
		if n.ID == id {
			return n
		}
	}
	return nil
}

// fromGraph returns the model of g, with id.
func fromGraph(id string, g *graph.Graph) *model {
	m := &model{id: id, name: id}
	if name, ok := g.Properties["name"].(string); ok && name != "" {
		m.name = name
	}
	ep := portOf
	for _, p := range g.Processes {
		m.nodes = append(m.nodes, &node{ID: p.Name, Component: p.Component, Metadata: merge(nil, p.Metadata)})
	}
	for _, c := range g.Connections {
		md := metadata{}
		if c.Buffer > 0 {
			md["buffer"] = float64(c.Buffer)
		}
		m.edges = append(m.edges, edge{Src: ep(c.Src), Tgt: ep(c.Tgt), Metadata: md})
	}
	for _, iip := range g.IIPs {
		data, _ := json.Marshal(iip.Data) // a string always encodes
		if iip.JSON {
			data = []byte(iip.Data)
		}
		m.iips = append(m.iips, initial{Data: data, Tgt: ep(iip.Tgt), Metadata: metadata{}})
	}
	for _, e := range g.InPorts {
		m.inports = append(m.inports, export{Public: e.Name, Node: e.Process, Port: strings.ToLower(e.Port), Metadata: metadata{}})
	}
	for _, e := range g.OutPorts {
		m.outports = append(m.outports, export{Public: e.Name, Node: e.Process, Port: strings.ToLower(e.Port), Metadata: metadata{}})
	}
	for _, gr := range g.Groups {
		m.groups = append(m.groups, group{Name: gr.Name, Nodes: slices.Clone(gr.Nodes), Metadata: merge(nil, gr.Metadata)})
	}
	return m
}

// portOf returns e as the protocol names a port: the port in lower case,
// a numeric index as a number.
func portOf(e graph.Endpoint) port {
	p := port{Node: e.Process, Port: strings.ToLower(e.Port)}
	if e.Index != "" {
		p.Index = e.Index
		if n, err := strconv.Atoi(e.Index); err == nil {
			p.Index = float64(n)
		}
	}
	return p
}

// iip returns the graph's initial packet of the JSON value data: a
// string as its text, any other value as its JSON (see graph.IIP).
func iip(data json.RawMessage, tgt graph.Endpoint) graph.IIP {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		return graph.IIP{Data: s, Tgt: tgt}
	}
	return graph.IIP{Data: string(data), Tgt: tgt, JSON: true}
}

// graph returns the graph m describes, named file in messages.
func (m *model) graph(file string) *graph.Graph {
	g := &graph.Graph{File: file, Properties: map[string]any{"name": m.name}}
	ep := func(p port) graph.Endpoint {
		return graph.Endpoint{Process: p.Node, Port: p.Port, Index: p.index()}
	}
	for _, n := range m.nodes {
		g.Processes = append(g.Processes, graph.Process{Name: n.ID, Component: n.Component, Metadata: merge(nil, n.Metadata)})
	}
	for _, e := range m.edges {
		c := graph.Connection{Src: ep(e.Src), Tgt: ep(e.Tgt)}
		if b, ok := e.Metadata["buffer"].(float64); ok && b > 0 && b <= maxBuffer {
			c.Buffer = int(b)
		}
		g.Connections = append(g.Connections, c)
	}
	for _, i := range m.iips {
		g.IIPs = append(g.IIPs, iip(i.Data, ep(i.Tgt)))
	}
	for _, e := range m.inports {
		g.InPorts = append(g.InPorts, graph.Export{Name: e.Public, Endpoint: graph.Endpoint{Process: e.Node, Port: e.Port}})
	}
	for _, e := range m.outports {
		g.OutPorts = append(g.OutPorts, graph.Export{Name: e.Public, Endpoint: graph.Endpoint{Process: e.Node, Port: e.Port}})
	}
	for _, gr := range m.groups {
		g.Groups = append(g.Groups, graph.Group{Name: gr.Name, Nodes: slices.Clone(gr.Nodes), Metadata: merge(nil, gr.Metadata)})
	}
	return g
}

// maxBuffer bounds the buffer an edge's metadata.buffer asks for.
const maxBuffer = 1 << 16

// merge merges changes into md: a null value removes its key.
func merge(md, changes metadata) metadata {
	if md == nil {
		md = metadata{}
	}
	for k, v := range changes {
		if v == nil {
			delete(md, k)
			continue
		}
		md[k] = v
	}
	return md
}
