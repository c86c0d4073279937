package components

import (
	"net/http"
	"slices"
	"strings"

	"github.com/julienschmidt/httprouter"

	"gochat/wire"
)

// MessagesPath is the route of a room's messages.
const MessagesPath = "/api/rooms/:room/messages"

// Router sends each request out of the port of its route, matched by
// method and path with httprouter's tree. An unknown path is answered 404
// and a known path with the wrong method 405 with Allow, both through ERR.
type Router struct {
	In    <-chan *wire.Request // requests from the HTTP adapter
	Read  chan<- *wire.Request `fbp:"optional"` // GET /api/rooms/{room}/messages
	Write chan<- *wire.Request `fbp:"optional"` // POST /api/rooms/{room}/messages
	Err   chan<- *Reply        // 404, 405, and 503 for a route the graph left unconnected
}

// NewRouter returns a Router; goflow connects its ports.
func NewRouter() *Router { return &Router{} }

// Process routes requests until In closes.
func (r *Router) Process() {
	// httprouter's tree stores a Handle per route; ours only records which
	// outport the route feeds, so calling the matched Handle reads the match.
	var matched chan<- *wire.Request
	tree := httprouter.New()
	var methods []string
	route := func(method, path string, port chan<- *wire.Request) {
		tree.Handle(method, path, func(http.ResponseWriter, *http.Request, httprouter.Params) { matched = port })
		methods = append(methods, method)
	}
	route(http.MethodGet, MessagesPath, r.Read)
	route(http.MethodPost, MessagesPath, r.Write)

	for req := range r.In {
		handle, params, _ := tree.Lookup(req.Method, req.Path)
		if handle == nil {
			reject(r.Err, req, notRouted(tree, methods, req))
			continue
		}
		matched = nil
		handle(nil, nil, params)
		req.Params = params
		forward(matched, req, r.Err, req, "Router")
	}
}

// notRouted explains why no route matched req: 405 with the allowed
// methods when the path is known, 404 otherwise.
func notRouted(tree *httprouter.Router, methods []string, req *wire.Request) *wire.Error {
	var allow []string
	for _, m := range methods {
		if h, _, _ := tree.Lookup(m, req.Path); h != nil && !slices.Contains(allow, m) {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		return wire.Errorf(http.StatusNotFound, "no API at %s", req.Path)
	}
	e := wire.Errorf(http.StatusMethodNotAllowed, "%s is not allowed here; use %s", req.Method, strings.Join(allow, " or "))
	e.Header = http.Header{"Allow": {strings.Join(allow, ", ")}}
	return e
}

// RouteOf names the API route of path, for metrics: MessagesPath, or
// "unmatched".
func RouteOf(path string) string {
	rest, ok := strings.CutPrefix(path, "/api/rooms/")
	if room, ok2 := strings.CutSuffix(rest, "/messages"); ok && ok2 && room != "" && !strings.Contains(room, "/") {
		return MessagesPath
	}
	return "unmatched"
}
