package server

import (
	"encoding/json"
	"net/http"
	"strings"

	"gochat/graph"
)

// serveGraphJSON answers the running graph with a packet count per
// connection.
func (s *Server) serveGraphJSON(w http.ResponseWriter) {
	n := s.nets.Current()
	type process struct {
		Name      string `json:"name"`
		Component string `json:"component"`
	}
	type connection struct {
		Src     string `json:"src"`
		Tgt     string `json:"tgt"`
		Buffer  int    `json:"buffer,omitempty"`
		Packets uint64 `json:"packets"`
	}
	type iip struct {
		Data string `json:"data"`
		Tgt  string `json:"tgt"`
	}
	type export struct {
		Name string `json:"name"`
		Port string `json:"port"`
	}
	out := struct {
		Graph       string       `json:"graph"`
		Processes   []process    `json:"processes"`
		Connections []connection `json:"connections"`
		IIPs        []iip        `json:"iips"`
		InPorts     []export     `json:"inports"`
	}{Graph: n.Graph.File, Processes: []process{}, Connections: []connection{}, IIPs: []iip{}, InPorts: []export{}}
	for _, p := range n.Graph.Processes {
		out.Processes = append(out.Processes, process{p.Name, p.Component})
	}
	counts := counts(n)
	for i, c := range n.Graph.Connections {
		out.Connections = append(out.Connections, connection{portName(c.Src), portName(c.Tgt), c.Buffer, counts[i]})
	}
	for _, p := range n.Graph.IIPs {
		out.IIPs = append(out.IIPs, iip{p.Data, portName(p.Tgt)})
	}
	for _, e := range n.Graph.InPorts {
		out.InPorts = append(out.InPorts, export{e.Name, portName(e.Endpoint)})
	}
	body, _ := json.MarshalIndent(out, "", "  ")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(body)
}

// serveGraphDOT answers the running graph in DOT, with packet counts.
func (s *Server) serveGraphDOT(w http.ResponseWriter) {
	n := s.nets.Current()
	w.Header().Set("Content-Type", "text/vnd.graphviz; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(graph.DOT(n.Graph, counts(n)))
}

func counts(n *graph.Network) []uint64 {
	out := make([]uint64, len(n.Graph.Connections))
	for i, c := range n.Counts {
		out[i] = c.Load()
	}
	return out
}

func portName(e graph.Endpoint) string {
	return e.Process + "." + strings.ToUpper(e.PortName())
}
