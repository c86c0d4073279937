package graph

import (
	"fmt"
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

// Build creates the goflow graph p describes, validated by Check, with
// its processes made by f, which must know every component of the
// catalogue p was checked against. When counts is not nil it must have
// one counter per connection of p's graph: each connection then runs
// through a components.Tap that counts its packets.
func Build(p *Plan, f *goflow.Factory, counts []*atomic.Uint64) (*goflow.Graph, error) {
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
			tap, err := components.NewTap(c.elem, counts[i])
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
	g := p.g
	n := &Network{Graph: g}
	if count {
		n.Counts = make([]*atomic.Uint64, len(g.Connections))
		for i := range n.Counts {
			n.Counts[i] = new(atomic.Uint64)
		}
	}
	net, err := Build(p, f, n.Counts)
	if err != nil {
		return nil, fmt.Errorf("build network: %w", err)
	}
	in := make(chan *wire.Request, buffer)
	if err := net.SetInPort(InPort, in); err != nil {
		return nil, fmt.Errorf("build network: inport %s: %w", InPort, err)
	}
	wait := goflow.Run(net)
	done := make(chan struct{})
	go func() {
		<-wait
		close(done)
	}()
	n.In, n.Done = in, done
	return n, nil
}
