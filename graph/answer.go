package graph

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"gochat/components"
	"gochat/wire"
)

// answerer is the component that completes requests: every packet that
// carries a request must reach one, or its client waits for nothing.
const answerer = "Responder"

// requestType is the packet the HTTP adapter injects and waits on.
var requestType = reflect.TypeFor[*wire.Request]()

// carriesRequest reports whether packets of type t carry a request whose
// client waits for an answer: t is *wire.Request, or a struct (or
// a pointer to one) with a field that holds a *wire.Request or a
// slice of them, as ReadQuery, WriteCommand and Reply do.
func carriesRequest(t reflect.Type) bool {
	if t == requestType {
		return true
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return false
	}
	for i := 0; i < t.NumField(); i++ {
		ft := t.Field(i).Type
		if ft == requestType || (ft.Kind() == reflect.Slice || ft.Kind() == reflect.Array) && ft.Elem() == requestType {
			return true
		}
	}
	return false
}

// checkAnswered reports every way a request entering at the HTTP inport
// can end without reaching an answerer: a process that takes requests but
// has no way to pass them on, an outport carrying requests exported
// rather than connected (gochat reads no network outport), and loops
// that never lead out. Packets follow goflow's channels: a packet sent on
// a channel shared by a fan-out or a fan-in may reach any of its
// readers, so every reader must lead to an answerer.
//
// It runs on a plan without other problems.
func checkAnswered(p *Plan, w *wiring, probs *problems) {
	procs := map[string]Process{}
	for _, proc := range p.g.Processes {
		procs[proc.Name] = proc
	}
	// readers[channel] are the processes that read requests from it;
	// next[process] the channels it sends requests on.
	readers := map[int][]string{}
	next := map[string][]int{}
	type edge struct {
		c    Connection
		from string
	}
	var edges []edge
	for _, c := range p.conns {
		if !carriesRequest(c.elem) {
			continue
		}
		ch := w.ch[c.c.Src.Process+"."+c.src]
		if !slices.Contains(readers[ch], c.c.Tgt.Process) {
			readers[ch] = append(readers[ch], c.c.Tgt.Process)
		}
		if !slices.Contains(next[c.c.Src.Process], ch) {
			next[c.c.Src.Process] = append(next[c.c.Src.Process], ch)
		}
		edges = append(edges, edge{c.c, c.c.Src.Process})
	}
	// An exported outport carrying requests: they go where nobody reads.
	exported := map[string]bool{}
	for _, e := range p.outs {
		port, _ := components.FindPort(p.ports[e.e.Process], e.e.Port)
		if !carriesRequest(port.Elem) {
			continue
		}
		exported[e.e.Process] = true
		probs.add(e.e.Pos, fmt.Sprintf("wire %s %s to a Responder's IN", e.e.Process, strings.ToUpper(e.e.Port)),
			"%s.%s carries requests (%s) but is exported as the network outport %s, which nothing reads: they would never be answered",
			e.e.Process, strings.ToUpper(e.e.Port), port.Elem, e.e.Name)
	}
	// The processes requests reach from the HTTP inport.
	reached := map[string]bool{}
	var queue []string
	for _, e := range p.ins {
		if e.e.Name == InPort && !reached[e.e.Process] {
			reached[e.e.Process] = true
			queue = append(queue, e.e.Process)
		}
	}
	for len(queue) > 0 {
		proc := queue[0]
		queue = queue[1:]
		for _, ch := range next[proc] {
			for _, r := range readers[ch] {
				if !reached[r] {
					reached[r] = true
					queue = append(queue, r)
				}
			}
		}
	}
	// A process that takes requests and has no outport to pass them on,
	// or none connected, swallows them.
	swallows := map[string]bool{}
	for name := range reached {
		proc := procs[name]
		if p.comps[name] == answerer || len(next[name]) > 0 || exported[name] {
			continue
		}
		swallows[name] = true
		var in reflect.Type
		for _, port := range p.ports[name] {
			if port.In && carriesRequest(port.Elem) {
				in = port.Elem
				break
			}
		}
		probs.add(proc.Pos, "only a "+answerer+" answers; send them to a "+answerer+"'s IN",
			"%s(%s) takes requests (%s) but neither answers them nor passes them on", name, proc.Component, in)
	}
	// answers: every channel a process sends requests on leads only to
	// processes that answer, the least such set (a loop proves nothing).
	// explained: it does not answer because of a problem reported above.
	answers := map[string]bool{}
	explained := map[string]bool{}
	for name := range reached {
		answers[name] = p.comps[name] == answerer
		explained[name] = swallows[name] || exported[name]
	}
	for changed := true; changed; {
		changed = false
		for name := range reached {
			allAnswer, anyExplained := len(next[name]) > 0 && !exported[name], false
			for _, ch := range next[name] {
				for _, r := range readers[ch] {
					allAnswer = allAnswer && answers[r]
					anyExplained = anyExplained || !answers[r] && explained[r]
				}
			}
			if allAnswer && !answers[name] {
				answers[name], changed = true, true
			}
			if anyExplained && !explained[name] {
				explained[name], changed = true, true
			}
		}
	}
	// What is left goes round in a loop: report the connections of the
	// loop, those within one strongly connected component.
	comp := sccs(reached, func(proc string) []string {
		var out []string
		for _, ch := range next[proc] {
			out = append(out, readers[ch]...)
		}
		return out
	})
	for _, e := range edges {
		if reached[e.from] && !answers[e.from] && !explained[e.from] && !answers[e.c.Tgt.Process] && comp[e.from] == comp[e.c.Tgt.Process] {
			probs.add(e.c.Pos, "let the chain end at a "+answerer+"'s IN",
				"requests from %s to %s go round in a loop and never reach a %s", e.c.Src, e.c.Tgt, answerer)
		}
	}
}

// sccs numbers the strongly connected components of the graph of
// nodes and their successors (Tarjan's algorithm, linear in its size):
// two nodes have the same number when each leads to the other.
func sccs(nodes map[string]bool, succ func(string) []string) map[string]int {
	index, low, comp := map[string]int{}, map[string]int{}, map[string]int{}
	var stack []string
	onStack := map[string]bool{}
	var visit func(v string)
	visit = func(v string) {
		index[v], low[v] = len(index), len(index)
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range succ(v) {
			if _, seen := index[w]; !seen {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			n := len(comp)
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp[w] = n
				if w == v {
					break
				}
			}
		}
	}
	for v := range nodes {
		if _, seen := index[v]; !seen {
			visit(v)
		}
	}
	return comp
}
