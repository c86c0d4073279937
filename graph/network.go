package graph

import (
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/trustmaster/goflow"

	"gochat/components"
	"gochat/wire"
)

// Network is a running goflow network fed through its HTTP inport.
type Network struct {
	// In feeds the network. Closing it shuts the network down in order:
	// each process returns when its inports close, and goflow then closes
	// its outports.
	In chan<- *wire.Request
	// Done is closed when every process has returned.
	Done <-chan struct{}
	// Graph is the description the network was built from.
	Graph *Graph
	// Counts, when the network counts packets, holds the number of packets
	// that have crossed each of Graph.Connections, in the same order.
	Counts []*atomic.Uint64
}

// build creates the goflow graph p describes, validated by Check, with
// its processes made by f, which must know every component of the
// catalogue p was checked against. When counts is not nil it must have
// one counter per connection of p's graph: each connection then runs
// through a components.Tap that counts its packets, and observe, when
// not nil, is told of every packet that crosses connection number i.
func build(p *Plan, f *goflow.Factory, counts []*atomic.Uint64, observe func(conn int, packet any)) (*goflow.Graph, error) {
	net := goflow.NewGraph()
	for _, proc := range p.g.Processes {
		if err := net.AddNew(proc.Name, p.comps[proc.Name], f); err != nil {
			return nil, fmt.Errorf("add process %s(%s): %w", proc.Name, proc.Component, err)
		}
	}
	for i, c := range p.conns {
		src, tgt := c.c.Src, c.c.Tgt
		if counts != nil {
			// src -> tap -> tgt; goflow still shares the channels of
			// fan-outs (on src's side) and fan-ins (on tgt's side).
			var seen func(any)
			if observe != nil {
				seen = func(v any) { observe(i, v) }
			}
			tap, err := components.NewTap(c.elem, counts[i], seen)
			if err != nil {
				return nil, fmt.Errorf("count %s -> %s: %w", src, tgt, err)
			}
			name := fmt.Sprintf("_tap%d", i)
			if err := net.Add(name, tap); err != nil {
				return nil, fmt.Errorf("count %s -> %s: %w", src, tgt, err)
			}
			if err := net.ConnectBuf(src.Process, c.src, name, "In", c.c.Buffer); err != nil {
				return nil, fmt.Errorf("connect %s -> %s: %w", src, tgt, err)
			}
			if err := net.Connect(name, "Out", tgt.Process, c.tgt); err != nil {
				return nil, fmt.Errorf("connect %s -> %s: %w", src, tgt, err)
			}
			continue
		}
		if err := net.ConnectBuf(src.Process, c.src, tgt.Process, c.tgt, c.c.Buffer); err != nil {
			return nil, fmt.Errorf("connect %s -> %s: %w", src, tgt, err)
		}
	}
	for _, e := range p.ins {
		net.MapInPort(e.e.Name, e.e.Process, e.port)
	}
	for _, e := range p.outs {
		net.MapOutPort(e.e.Name, e.e.Process, e.port)
	}
	for _, iip := range p.iips {
		if err := net.AddIIP(iip.iip.Tgt.Process, iip.port, iip.value); err != nil {
			return nil, fmt.Errorf("initial packet to %s: %w", iip.iip.Tgt, err)
		}
	}
	return net, nil
}

// Start builds p with f and runs it, with a channel of buffer slots as
// its HTTP inport. With count, the network counts the packets on each
// connection (see Network.Counts), at the cost of one more hop per edge.
func Start(p *Plan, f *goflow.Factory, buffer int, count bool) (*Network, error) {
	return start(p, f, buffer, count, nil)
}

// StartObserved is Start with the packets counted, and observe told of
// each packet that crosses connection number conn of p's graph; observe
// runs on the packet's way and must not block. The FBP protocol shows
// the chat's packets so.
func StartObserved(p *Plan, f *goflow.Factory, buffer int, observe func(conn int, packet any)) (*Network, error) {
	return start(p, f, buffer, true, observe)
}

func start(p *Plan, f *goflow.Factory, buffer int, count bool, observe func(conn int, packet any)) (*Network, error) {
	g := p.g
	n := &Network{Graph: g}
	if count {
		n.Counts = newCounts(len(g.Connections))
	}
	net, err := build(p, f, n.Counts, observe)
	if err != nil {
		return nil, fmt.Errorf("build network: %w", err)
	}
	in := make(chan *wire.Request, buffer)
	if err := net.SetInPort(InPort, in); err != nil {
		return nil, fmt.Errorf("build network: inport %s: %w", InPort, err)
	}
	n.In, n.Done = in, run(net)
	return n, nil
}

// newCounts returns n packet counters, one per connection.
func newCounts(n int) []*atomic.Uint64 {
	counts := make([]*atomic.Uint64, n)
	for i := range counts {
		counts[i] = new(atomic.Uint64)
	}
	return counts
}

// run runs net and returns a channel closed once every process has
// returned.
func run(net *goflow.Graph) <-chan struct{} {
	wait := goflow.Run(net)
	done := make(chan struct{})
	go func() {
		<-wait
		close(done)
	}()
	return done
}

// Standalone is a graph running on a goflow network of its own, outside
// the chat: its initial packets are all that feed it, so it finishes when
// they have flowed through. The FBP protocol runs the graphs its clients
// build so.
type Standalone struct {
	// Done is closed when every process has returned.
	Done <-chan struct{}
	// Counts holds the number of packets that have crossed each
	// connection of the graph, in its order.
	Counts []*atomic.Uint64

	ins  []reflect.Value // the exported inports' channels, which nothing feeds
	stop sync.Once
}

// RunStandalone builds p, checked by Check or CheckStandalone, with f and
// runs it. Its exported inports (HTTP too) get channels nothing feeds,
// which Stop closes; what leaves its exported outports is discarded.
// observe, when not nil, is told of each packet that crosses connection
// number conn of p's graph; it runs on the packet's way and must not
// block.
func RunStandalone(p *Plan, f *goflow.Factory, observe func(conn int, packet any)) (*Standalone, error) {
	s := &Standalone{Counts: newCounts(len(p.g.Connections))}
	net, err := build(p, f, s.Counts, observe)
	if err != nil {
		return nil, fmt.Errorf("build network: %w", err)
	}
	var outs []reflect.Value
	for _, side := range []struct {
		exports []resolvedExport
		set     func(name string, ch interface{}) error
		what    string
		chans   *[]reflect.Value
	}{{p.ins, net.SetInPort, "inport", &s.ins}, {p.outs, net.SetOutPort, "outport", &outs}} {
		for _, e := range side.exports {
			ch := reflect.MakeChan(reflect.ChanOf(reflect.BothDir, e.elem), 0)
			if err := side.set(e.e.Name, ch.Interface()); err != nil {
				return nil, fmt.Errorf("build network: %s %s: %w", side.what, e.e.Name, err)
			}
			*side.chans = append(*side.chans, ch)
		}
	}
	for _, ch := range outs {
		go func() {
			for {
				if _, ok := ch.Recv(); !ok {
					return
				}
			}
		}()
	}
	s.Done = run(net)
	return s, nil
}

// Stop closes the network's exported inports, so that processes fed by
// them finish; processes fed by initial packets finish on their own.
func (s *Standalone) Stop() {
	s.stop.Do(func() {
		for _, ch := range s.ins {
			ch.Close()
		}
	})
}
