// Package graph describes gochat's network as data — processes, the
// components they run, connections and initial packets — and builds and
// runs it as a goflow network through a component factory.
//
// The description is what a graph file holds, so a network can be rewired
// without recompiling: Default returns the network gochat runs unless
// told otherwise.
package graph

// InPort is the name of the network inport the HTTP adapter feeds with
// *components.Request packets.
const InPort = "HTTP"

// Graph is a network description.
type Graph struct {
	Processes   []Process    // the nodes, each an instance of a component
	Connections []Connection // the edges, from an outport to an inport
	IIPs        []IIP        // initial packets, sent once when the network starts
	InPorts     []Export     // ports of processes exposed as network inports
}

// Process is one node: a named instance of a registered component.
type Process struct {
	Name      string
	Component string
}

// Endpoint is a port of a process. Port names are matched as goflow does:
// an all-upper or all-lower name is title-cased (OUT → Out), an index
// follows in brackets (OUT[0], OUT[name]).
type Endpoint struct {
	Process string
	Port    string
}

// Connection is an edge from an outport to an inport, with an optional
// channel buffer.
type Connection struct {
	Src, Tgt Endpoint
	Buffer   int
}

// IIP is an initial information packet sent to an inport on start.
type IIP struct {
	Data any
	Tgt  Endpoint
}

// Export exposes a process port as a network port named Name.
type Export struct {
	Name string
	Endpoint
}

// Default returns gochat's default network:
//
//	HTTP -> router -READ-> controller -OUT-> READ storage -OUT-> responder
//	        router -WRITE-> sender    -OUT-> WRITE storage
//	router, controller, sender ERR -> responder
func Default() *Graph {
	return &Graph{
		Processes: []Process{
			{"router", "Router"},
			{"controller", "Controller"},
			{"sender", "SendController"},
			{"storage", "Storage"},
			{"responder", "Responder"},
		},
		Connections: []Connection{
			{Src: Endpoint{"router", "READ"}, Tgt: Endpoint{"controller", "IN"}},
			{Src: Endpoint{"router", "WRITE"}, Tgt: Endpoint{"sender", "IN"}},
			{Src: Endpoint{"controller", "OUT"}, Tgt: Endpoint{"storage", "READ"}},
			{Src: Endpoint{"sender", "OUT"}, Tgt: Endpoint{"storage", "WRITE"}},
			{Src: Endpoint{"storage", "OUT"}, Tgt: Endpoint{"responder", "IN"}},
			{Src: Endpoint{"router", "ERR"}, Tgt: Endpoint{"responder", "IN"}},
			{Src: Endpoint{"controller", "ERR"}, Tgt: Endpoint{"responder", "IN"}},
			{Src: Endpoint{"sender", "ERR"}, Tgt: Endpoint{"responder", "IN"}},
		},
		InPorts: []Export{{Name: InPort, Endpoint: Endpoint{"router", "IN"}}},
	}
}
