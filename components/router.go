package components

import "gochat/wire"

// Router sends each request out of the port of its route in
// wire.Routes, matched by method and path. An unknown path is answered 404
// and a known path with the wrong method 405 with Allow, both through ERR.
type Router struct {
	In    <-chan *wire.Request `description:"requests from the HTTP adapter"`
	Read  chan<- *wire.Request `fbp:"optional" description:"GET /api/rooms/{room}/messages"`
	Write chan<- *wire.Request `fbp:"optional" description:"POST /api/rooms/{room}/messages"`
	Err   chan<- *Reply        `description:"404, 405, and 503 for a route the graph left unconnected"`
}

// NewRouter returns a Router; goflow connects its ports.
func NewRouter() *Router { return &Router{} }

// Process routes requests until In closes.
func (r *Router) Process() {
	routes := wire.NewTable()
	for req := range r.In {
		route, params, err := routes.Match(req.Method, req.Path)
		if err != nil {
			reject(r.Err, req, err)
			continue
		}
		req.Params = params
		forward(r.port(route.Port), req, r.Err, req, "Router")
	}
}

// port returns the outport named name in wire.Routes.
func (r *Router) port(name string) chan<- *wire.Request {
	switch name {
	case "READ":
		return r.Read
	case "WRITE":
		return r.Write
	}
	panic("Router has no outport " + name + " for a route of wire.Routes")
}
