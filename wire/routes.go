package wire

import (
	"net/http"
	"slices"
	"strings"

	"github.com/julienschmidt/httprouter"
)

// MessagesPath is the route of a room's messages.
const MessagesPath = "/api/rooms/:room/messages"

// Unmatched is the route name of a path no route matches.
const Unmatched = "unmatched"

// Route is one route of the API: requests with Method whose path matches
// Path (an httprouter pattern) go out of the Router's outport Port.
type Route struct {
	Method string // the HTTP method
	Path   string // the path pattern, also the route's name in logs and metrics
	Port   string // the Router's outport, e.g. "READ"
}

// Routes returns the API's route table.
func Routes() []Route {
	return []Route{
		{http.MethodGet, MessagesPath, "READ"},
		{http.MethodPost, MessagesPath, "WRITE"},
	}
}

// Table matches requests against Routes with one httprouter tree. It is
// safe for concurrent use.
type Table struct {
	tree    *httprouter.Router
	methods []string // the methods of the routes, each once
}

// NewTable returns the Table of Routes.
func NewTable() *Table {
	t := &Table{tree: httprouter.New()}
	for _, rt := range Routes() {
		// httprouter's tree stores a Handle per route; ours only reports
		// the route to the found that Match passes it.
		t.tree.Handle(rt.Method, rt.Path, func(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
			w.(*found).route = rt
		})
		if !slices.Contains(t.methods, rt.Method) {
			t.methods = append(t.methods, rt.Method)
		}
	}
	return t
}

// found receives the route whose Handle the tree matched. It is a
// ResponseWriter only to be passed to that Handle, which sets route and
// calls nothing.
type found struct {
	http.ResponseWriter
	route Route
}

// Match returns the route of method and path and the path's parameters.
// When none matches, it returns the error to answer: 405 with Allow when
// another method has a route at path, 404 otherwise.
func (t *Table) Match(method, path string) (Route, httprouter.Params, *Error) {
	handle, params, _ := t.tree.Lookup(method, path)
	if handle == nil {
		return Route{}, nil, t.notRouted(method, path)
	}
	var f found
	handle(&f, nil, params)
	return f.route, params, nil
}

// notRouted explains why no route matched: 405 with the allowed methods
// when the path is known, 404 otherwise.
func (t *Table) notRouted(method, path string) *Error {
	allow := t.allowed(path)
	if len(allow) == 0 {
		return Errorf(http.StatusNotFound, "no API at %s", path)
	}
	e := Errorf(http.StatusMethodNotAllowed, "%s is not allowed here; use %s", method, strings.Join(allow, " or "))
	e.Header = http.Header{"Allow": {strings.Join(allow, ", ")}}
	return e
}

// allowed returns the methods that have a route at path.
func (t *Table) allowed(path string) []string {
	var allow []string
	for _, m := range t.methods {
		if h, _, _ := t.tree.Lookup(m, path); h != nil {
			allow = append(allow, m)
		}
	}
	return allow
}

// RouteOf names the route of path, whatever its method, for logs and
// metrics: its pattern (such as MessagesPath), or Unmatched.
func (t *Table) RouteOf(path string) string {
	for _, m := range t.methods {
		if h, params, _ := t.tree.Lookup(m, path); h != nil {
			var f found
			h(&f, nil, params)
			return f.route.Path
		}
	}
	return Unmatched
}
