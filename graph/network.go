package graph

import (
	"fmt"

	"github.com/trustmaster/goflow"

	"gochat/components"
)

// Network is a running goflow network fed through its HTTP inport.
type Network struct {
	// In feeds the network. Closing it shuts the network down in order:
	// each process returns when its inports close, and goflow then closes
	// its outports.
	In chan<- *components.Request
	// Done is closed when every process has returned.
	Done <-chan struct{}
}

// Build validates g against the component catalogue and creates the
// goflow graph it describes, with its processes made by f. A graph with
// problems returns them all as Problems and builds nothing.
func Build(g *Graph, f *goflow.Factory) (*goflow.Graph, error) {
	p, err := check(g, DefaultCatalog())
	if err != nil {
		return nil, err
	}
	net := goflow.NewGraph()
	for _, proc := range g.Processes {
		if err := net.AddNew(proc.Name, proc.Component, f); err != nil {
			return nil, fmt.Errorf("add process %s(%s): %w", proc.Name, proc.Component, err)
		}
	}
	for _, c := range p.conns {
		if err := net.ConnectBuf(c.c.Src.Process, c.src, c.c.Tgt.Process, c.tgt, c.c.Buffer); err != nil {
			return nil, fmt.Errorf("connect %s -> %s: %w", c.c.Src, c.c.Tgt, err)
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

// Start builds g with f and runs it, with a channel of buffer slots as its
// HTTP inport.
func Start(g *Graph, f *goflow.Factory, buffer int) (*Network, error) {
	net, err := Build(g, f)
	if err != nil {
		return nil, fmt.Errorf("build network: %w", err)
	}
	in := make(chan *components.Request, buffer)
	if err := net.SetInPort(InPort, in); err != nil {
		return nil, fmt.Errorf("build network: inport %s: %w", InPort, err)
	}
	wait := goflow.Run(net)
	done := make(chan struct{})
	go func() {
		<-wait
		close(done)
	}()
	return &Network{In: in, Done: done}, nil
}
