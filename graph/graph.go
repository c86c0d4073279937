// Package graph describes gochat's network as data — processes, the
// components they run, connections, initial packets and exported ports —
// reads and writes that description as an FBP DSL file (.fbp) or an FBP
// JSON graph, validates it against the component catalogue, and builds
// and runs it as a goflow network.
//
// A graph file is how users rewire gochat without recompiling: Default
// returns the embedded chat.fbp, the network gochat runs unless told
// otherwise.
package graph

import (
	_ "embed"
	"fmt"
)

// InPort is the name of the network inport the HTTP adapter feeds with
// *wire.Request packets. Every graph must export it.
const InPort = "HTTP"

// Graph is a network description.
type Graph struct {
	File        string       // where it was read from, for messages
	Processes   []Process    // the nodes, each an instance of a component
	Connections []Connection // the edges, from an outport to an inport
	IIPs        []IIP        // initial packets, sent once when the network starts
	InPorts     []Export     // ports of processes exposed as network inports
	OutPorts    []Export     // ports of processes exposed as network outports
	// Properties are the graph's FBP properties: name, description,
	// environment and any other; the DSL's annotations (# @name chat)
	// set them. Values are JSON values as encoding/json decodes them,
	// numbers as json.Number or float64.
	Properties map[string]any
	// Groups are the FBP JSON graph's groups of processes, kept for the
	// conversions; the DSL has no syntax for them.
	Groups []Group
	// Comments are the DSL file's comments, in file order, kept so that
	// `graph fbp` can write them back; FBP JSON has none.
	Comments []Comment
}

// Group is a named set of processes, as FBP JSON graphs have them.
type Group struct {
	Name     string         `json:"name"`               // the group's name
	Nodes    []string       `json:"nodes"`              // the names of its processes
	Metadata map[string]any `json:"metadata,omitempty"` // what editors keep about it, as JSON values
}

// Comment is a comment in a DSL file.
type Comment struct {
	Text string // what follows the '#', to the end of the line
	Pos  Pos    // where the '#' is
}

// Pos is a place in a graph file; line and column count from 1. The zero
// Pos means "somewhere in the file".
type Pos struct {
	Line, Col int
}

// String returns line:col, or "" for the zero Pos.
func (p Pos) String() string {
	if p.Line == 0 {
		return ""
	}
	return fmt.Sprintf("%d:%d", p.Line, p.Col)
}

// Process is one node: a named instance of a registered component.
type Process struct {
	Name      string
	Component string
	Pos       Pos
	// Metadata is what graph editors keep about the process, such as
	// its position (x, y), as JSON values: numbers as float64 or
	// json.Number, nil for the null that the reference parser writes
	// for an x or y that is not a number.
	Metadata map[string]any
}

// Endpoint is a port of a process, as the file names it. Port names match
// component fields without regard to case (OUT, out and Out all name the
// field Out). Index, when not empty, addresses one channel of an array
// port (OUT[0]) or a map port (OUT[name]).
type Endpoint struct {
	Process string
	Port    string
	Index   string
	Pos     Pos
}

// PortName returns the port as goflow addresses it: PORT or PORT[index].
func (e Endpoint) PortName() string {
	if e.Index != "" {
		return e.Port + "[" + e.Index + "]"
	}
	return e.Port
}

// String returns process.PORT[index].
func (e Endpoint) String() string {
	return e.Process + "." + e.PortName()
}

// Connection is an edge from an outport to an inport. Buffer is the
// capacity of the channel goflow makes for it (0: unbuffered).
type Connection struct {
	Src, Tgt Endpoint
	Buffer   int
	Pos      Pos
}

// IIP is an initial information packet sent to an inport when the network
// starts. Data is its text: a string port receives it as is, any other
// port receives it decoded as JSON.
type IIP struct {
	Data string
	Tgt  Endpoint
	Pos  Pos
	// JSON says the packet was written as a JSON value other than a
	// string (5, [1,2] or {"a":1} in the DSL, a non-string "data" in FBP
	// JSON): Data is then its JSON text, and the FBP JSON writer keeps it
	// JSON. Otherwise Data is a string, and stays one.
	JSON bool
}

// Export exposes a process port as a network port named Name.
type Export struct {
	Name string
	Endpoint
}

//go:embed chat.fbp
var defaultFBP []byte

// DefaultFile is the name the embedded default graph goes by in messages.
const DefaultFile = "graph/chat.fbp (embedded)"

// Default returns gochat's default network, parsed from the embedded
// graph/chat.fbp.
func Default() *Graph {
	g, err := ParseFBP(DefaultFile, defaultFBP)
	if err != nil {
		// The embedded file is checked by the tests; this cannot happen
		// in a released binary.
		panic(fmt.Sprintf("the embedded default graph does not parse: %v", err))
	}
	return g
}

// DefaultSource returns the text of the embedded default graph.
func DefaultSource() []byte {
	return append([]byte(nil), defaultFBP...)
}
