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

// Build creates the goflow graph g describes, with its processes made by f.
func Build(g *Graph, f *goflow.Factory) (*goflow.Graph, error) {
	net := goflow.NewGraph()
	for _, p := range g.Processes {
		if err := net.AddNew(p.Name, p.Component, f); err != nil {
			return nil, fmt.Errorf("add process %s(%s): %w", p.Name, p.Component, err)
		}
	}
	for _, c := range g.Connections {
		if err := net.ConnectBuf(c.Src.Process, c.Src.Port, c.Tgt.Process, c.Tgt.Port, c.Buffer); err != nil {
			return nil, fmt.Errorf("connect %s.%s -> %s.%s: %w", c.Src.Process, c.Src.Port, c.Tgt.Process, c.Tgt.Port, err)
		}
	}
	for _, e := range g.InPorts {
		net.MapInPort(e.Name, e.Process, e.Port)
	}
	for _, iip := range g.IIPs {
		if err := net.AddIIP(iip.Tgt.Process, iip.Tgt.Port, iip.Data); err != nil {
			return nil, fmt.Errorf("initial packet to %s.%s: %w", iip.Tgt.Process, iip.Tgt.Port, err)
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
