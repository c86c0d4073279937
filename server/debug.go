package server

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"gochat/components"
	"gochat/debugui"
	"gochat/graph"
	"gochat/wire"
)

// Limits of the live graph page.
const (
	// maxDebugSubscribers bounds the /debug/events streams served at once;
	// one more is answered 503.
	maxDebugSubscribers = 16
	// debugEventInterval is how often a stream sends the packet counts.
	debugEventInterval = time.Second
	// debugEventWriteTimeout is how long a subscriber has to take an
	// event; one that does not is dropped.
	debugEventWriteTimeout = 5 * time.Second
	// csrfHeader carries the page's CSRF token on every edit.
	csrfHeader = "X-Gochat-Csrf"
	// editName is what problems and logs call a graph the page posts.
	editName = "the live graph page's edit"
)

// debugRoute names the route of p, a path under /debug, in logs and
// metrics: each path the live graph page answers is its own route, and
// any other (the page itself included) is "/debug/".
func debugRoute(p string) string {
	if _, page := debugMethods(p); page && p != "/debug" {
		return p
	}
	return "/debug/"
}

// debugMethods returns the methods the live graph page's path p takes,
// and whether it answers p at all (GET and HEAD when it does not, for the
// 404).
func debugMethods(p string) (methods []string, page bool) {
	switch p {
	case "/debug/graph":
		return []string{http.MethodGet, http.MethodHead, http.MethodPost}, true
	case "/debug/save", "/debug/fbp":
		return []string{http.MethodPost}, true
	case "/debug", "/debug/", "/debug/graph.dot", "/debug/events", "/debug/components", "/debug/app.js", "/debug/style.css":
		return []string{http.MethodGet, http.MethodHead}, true
	}
	return []string{http.MethodGet, http.MethodHead}, false
}

// isDebugPath reports whether p is /debug or under it.
func isDebugPath(p string) bool { return p == "/debug" || strings.HasPrefix(p, "/debug/") }

// debugUI serves the live graph page and its endpoints under /debug/.
type debugUI struct {
	s     *Server      // the server whose graph it shows and edits
	token string       // the per-process CSRF token edits must carry
	page  []byte       // index.html with the token in it
	files http.Handler // the page's script and style
	// subscribers counts the /debug/events streams being served.
	subscribers atomic.Int64
	// interval and writeTimeout are debugEventInterval and
	// debugEventWriteTimeout, but for tests (SetDebugEvents).
	interval, writeTimeout atomic.Int64
}

func newDebugUI(s *Server) (*debugUI, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("debug page: CSRF token: %w", err)
	}
	page, err := fs.ReadFile(debugui.FS(), "index.html")
	if err != nil {
		return nil, fmt.Errorf("debug page: %w", err)
	}
	token := hex.EncodeToString(b[:])
	d := &debugUI{
		s: s, token: token,
		page:  bytes.ReplaceAll(page, []byte(debugui.TokenPlaceholder), []byte(token)),
		files: http.StripPrefix("/debug/", http.FileServerFS(debugui.FS())),
	}
	d.interval.Store(int64(debugEventInterval))
	d.writeTimeout.Store(int64(debugEventWriteTimeout))
	return d, nil
}

// handler serves everything under /debug/; with onlyLoopback it answers
// 403 to peers not on loopback (the main listener; -debug-addr serves it
// to anyone who reaches that listener).
func (d *debugUI) handler(onlyLoopback bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if onlyLoopback && !loopbackPeer(r) {
			wire.WriteAnswer(w, wire.ErrorAnswer(wire.Errorf(http.StatusForbidden,
				"the live graph page is served to loopback only; use -debug-addr for a listener of its own")))
			return
		}
		p := r.URL.Path
		allow, _ := debugMethods(p)
		if !slices.Contains(allow, r.Method) {
			e := wire.Errorf(http.StatusMethodNotAllowed, "%s takes %s", p, strings.Join(allow, ", "))
			e.Header = http.Header{"Allow": {strings.Join(allow, ", ")}}
			wire.WriteAnswer(w, wire.ErrorAnswer(e))
			return
		}
		switch {
		case p == "/debug":
			http.Redirect(w, r, "/debug/", http.StatusMovedPermanently)
		case p == "/debug/":
			h := w.Header()
			wire.SetSecurityHeaders(h, wire.Page)
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Cache-Control", "no-store") // the token changes with the process
			w.Write(d.page)
		case p == "/debug/graph" && r.Method == http.MethodPost:
			d.edit(w, r, false)
		case p == "/debug/save":
			d.edit(w, r, true)
		case p == "/debug/fbp":
			d.writeFBP(w, r)
		case p == "/debug/graph":
			d.s.serveGraphJSON(w)
		case p == "/debug/graph.dot":
			d.s.serveGraphDOT(w)
		case p == "/debug/components":
			h := w.Header()
			h.Set("Content-Type", "application/json; charset=utf-8")
			h.Set("Cache-Control", "no-store")
			w.Write(graph.ComponentsJSON(components.Catalog()))
		case p == "/debug/events":
			d.serveEvents(w, r)
		case p == "/debug/app.js" || p == "/debug/style.css":
			wire.SetSecurityHeaders(w.Header(), wire.Page)
			w.Header().Set("Cache-Control", "no-cache")
			d.files.ServeHTTP(w, r)
		default:
			wire.WriteAnswer(w, wire.ErrorAnswer(wire.Errorf(http.StatusNotFound, "no such page under /debug/")))
		}
	})
}

// checkEdit refuses an edit that does not come from the page itself: it
// must carry the page's CSRF token, and a browser's Origin and
// Sec-Fetch-Site, when sent, must say it is same-origin. The custom
// header alone makes a cross-origin fetch need a preflight, which is
// never answered; the Host allowlist, checked before, keeps a rebound
// name out.
func (d *debugUI) checkEdit(r *http.Request) *wire.Error {
	if subtle.ConstantTimeCompare([]byte(r.Header.Get(csrfHeader)), []byte(d.token)) != 1 {
		return wire.Errorf(http.StatusForbidden, "an edit needs the CSRF token of the page at /debug/ in %s", csrfHeader)
	}
	if o := r.Header.Get("Origin"); o != "" && !sameHost(o, r.Host) {
		return wire.Errorf(http.StatusForbidden, "an edit must come from the page at /debug/, not from %.100s", o)
	}
	if f := r.Header.Get("Sec-Fetch-Site"); f != "" && f != "same-origin" {
		return wire.Errorf(http.StatusForbidden, "an edit must come from the page at /debug/ (Sec-Fetch-Site: %.40s)", f)
	}
	return nil
}

// problemJSON is a problem of a posted graph, with what it concerns so
// that the page can draw it: a process, a port (process.PORT) or a
// connection (src -> tgt, ports as /debug/graph names them).
type problemJSON struct {
	Line       int    `json:"line,omitempty"`       // where in the posted text, from 1; 0 for the whole graph
	Col        int    `json:"col,omitempty"`        // the column, from 1
	Message    string `json:"message"`              // what is wrong
	Hint       string `json:"hint,omitempty"`       // how to fix it, when that helps
	Process    string `json:"process,omitempty"`    // the process it concerns
	Port       string `json:"port,omitempty"`       // the port it concerns, process.PORT
	Connection string `json:"connection,omitempty"` // the connection it concerns, src -> tgt
}

// edit applies the graph posted as FBP JSON by the same checked hot
// reload as SIGHUP, and with save also writes it over the -graph file.
// Problems are answered 422 with each problem and what it concerns; the
// running graph is then unchanged.
func (d *debugUI) edit(w http.ResponseWriter, r *http.Request, save bool) {
	if e := d.checkEdit(r); e != nil {
		wire.WriteAnswer(w, wire.ErrorAnswer(e))
		return
	}
	file := d.s.cfg.GraphFile
	if save && file == "" {
		wire.WriteAnswer(w, wire.ErrorAnswer(wire.Errorf(http.StatusConflict,
			"nothing to save to: this server runs the embedded default graph; start gochat with -graph FILE to save edits (or use Download .fbp)")))
		return
	}
	g, ok := readGraph(w, r)
	if !ok {
		return
	}
	err := d.s.Apply(g, editName)
	var probs graph.Problems
	switch {
	case errors.As(err, &probs):
		writeProblems(w, g, probs)
		return
	case errors.Is(err, errClosed):
		wire.WriteAnswer(w, wire.ErrorAnswer(wire.Errorf(http.StatusServiceUnavailable, "the server is shutting down")))
		return
	case err != nil:
		wire.WriteAnswer(w, wire.ErrorAnswer(wire.Errorf(http.StatusInternalServerError, "%v", err)))
		return
	}
	out := struct {
		Applied bool   `json:"applied"`
		Saved   string `json:"saved,omitempty"`
	}{Applied: true}
	if save {
		if err := saveGraph(file, g); err != nil {
			d.s.cfg.Log.Error("the live graph page's edit runs but was not saved", "graph", file, "err", err)
			wire.WriteAnswer(w, wire.ErrorAnswer(wire.Errorf(http.StatusInternalServerError, "the graph runs but was not saved: %v", err)))
			return
		}
		d.s.cfg.Log.Info("graph saved from the live graph page", "graph", file)
		out.Saved = file
	}
	wire.WriteAnswer(w, wire.Encode(http.StatusOK, out, nil))
}

// readGraph reads the FBP JSON graph posted in r; a body that is too
// large or not a graph is answered, and ok is false.
func readGraph(w http.ResponseWriter, r *http.Request) (g *graph.Graph, ok bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, graph.MaxFileBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			wire.WriteAnswer(w, wire.ErrorAnswer(wire.Errorf(http.StatusRequestEntityTooLarge, "a graph is at most %d bytes", graph.MaxFileBytes)))
			return nil, false
		}
		wire.WriteAnswer(w, wire.ErrorAnswer(wire.Errorf(http.StatusBadRequest, "reading the graph: %v", err)))
		return nil, false
	}
	g, err = graph.ParseJSON(editName, body)
	var probs graph.Problems
	switch {
	case errors.As(err, &probs):
		writeProblems(w, nil, probs)
		return nil, false
	case err != nil:
		wire.WriteAnswer(w, wire.ErrorAnswer(wire.Errorf(http.StatusUnprocessableEntity, "%v", err)))
		return nil, false
	}
	return g, true
}

// writeProblems answers 422 with the problems of g (nil if it did not
// parse), each with what it concerns.
func writeProblems(w http.ResponseWriter, g *graph.Graph, probs graph.Problems) {
	out := struct {
		Err      wire.ErrorJSON `json:"error"`
		Problems []problemJSON  `json:"problems"`
	}{Err: wire.ErrorJSON{Status: http.StatusUnprocessableEntity, Message: fmt.Sprintf("the graph has %d problems; nothing changed", len(probs))}, Problems: concerns(g, probs)}
	wire.WriteAnswer(w, wire.Encode(http.StatusUnprocessableEntity, out, nil))
}

// writeFBP answers the graph posted as FBP JSON in the FBP DSL (what
// graph fbp writes, positions included), with what the DSL cannot hold,
// for the page's Download .fbp. It changes nothing, but is guarded as
// an edit is.
func (d *debugUI) writeFBP(w http.ResponseWriter, r *http.Request) {
	if e := d.checkEdit(r); e != nil {
		wire.WriteAnswer(w, wire.ErrorAnswer(e))
		return
	}
	g, ok := readGraph(w, r)
	if !ok {
		return
	}
	src, lost, err := graph.MarshalFBP(g)
	if err != nil {
		wire.WriteAnswer(w, wire.ErrorAnswer(wire.Errorf(http.StatusUnprocessableEntity, "%v", err)))
		return
	}
	out := struct {
		FBP  string   `json:"fbp"`
		Lost []string `json:"lost"`
	}{string(src), lost}
	if out.Lost == nil {
		out.Lost = []string{}
	}
	wire.WriteAnswer(w, wire.Encode(http.StatusOK, out, nil))
}

// concerns returns probs with, for each, the process, port or connection
// of g found at its position (g may be nil: the posted text did not
// parse).
func concerns(g *graph.Graph, probs graph.Problems) []problemJSON {
	type concern struct{ process, port, conn string }
	at := map[graph.Pos]concern{}
	if g != nil {
		for _, p := range g.Processes {
			at[p.Pos] = concern{process: p.Name}
		}
		for _, c := range g.Connections {
			conn := portName(c.Src) + " -> " + portName(c.Tgt)
			at[c.Pos] = concern{conn: conn}
			at[c.Src.Pos] = concern{port: portName(c.Src), conn: conn}
			at[c.Tgt.Pos] = concern{port: portName(c.Tgt), conn: conn}
		}
		for _, p := range g.IIPs {
			at[p.Pos] = concern{process: p.Tgt.Process, port: portName(p.Tgt)}
			at[p.Tgt.Pos] = concern{process: p.Tgt.Process, port: portName(p.Tgt)}
		}
		for _, e := range append(append([]graph.Export(nil), g.InPorts...), g.OutPorts...) {
			at[e.Pos] = concern{process: e.Process, port: portName(e.Endpoint)}
		}
	}
	out := make([]problemJSON, 0, len(probs))
	for _, p := range probs {
		c := at[p.Pos]
		if p.Pos == (graph.Pos{}) {
			c = concern{}
		}
		out = append(out, problemJSON{Line: p.Pos.Line, Col: p.Pos.Col, Message: p.Msg, Hint: p.Hint, Process: c.process, Port: c.port, Connection: c.conn})
	}
	return out
}

// serveEvents streams the running network's packet counts as
// server-sent events, one "counts" event a second; a "graph" event
// comes first and whenever the running graph changed, for the page to
// fetch it again. Counts are atomic loads: a stream never holds up the
// network. A subscriber that takes an event no sooner than
// debugEventWriteTimeout is dropped; at most maxDebugSubscribers are
// served at once.
func (d *debugUI) serveEvents(w http.ResponseWriter, r *http.Request) {
	if d.subscribers.Add(1) > maxDebugSubscribers {
		d.subscribers.Add(-1)
		wire.WriteAnswer(w, wire.ErrorAnswer(wire.Errorf(http.StatusServiceUnavailable, "at most %d live graph pages are served at once", maxDebugSubscribers)))
		return
	}
	defer d.subscribers.Add(-1)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	rc := http.NewResponseController(w)
	var last *graph.Network
	tick := time.NewTicker(time.Duration(d.interval.Load()))
	defer tick.Stop()
	for {
		var b bytes.Buffer
		n := d.s.nets.Current()
		if n != last {
			b.WriteString("event: graph\ndata: {}\n\n")
			last = n
		}
		data, _ := json.Marshal(struct {
			Packets []uint64 `json:"packets"`
		}{counts(n)})
		fmt.Fprintf(&b, "event: counts\ndata: %s\n\n", data)
		if err := rc.SetWriteDeadline(time.Now().Add(time.Duration(d.writeTimeout.Load()))); err != nil {
			return
		}
		if _, err := w.Write(b.Bytes()); err != nil {
			return // dropped: too slow, or gone
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-d.s.stopWatch: // Close has begun
			return
		case <-tick.C:
		}
	}
}

// serveGraphJSON answers the running graph with a packet count per
// connection.
func (s *Server) serveGraphJSON(w http.ResponseWriter) {
	n := s.nets.Current()
	type process struct {
		Name      string         `json:"name"`
		Component string         `json:"component"`
		Metadata  map[string]any `json:"metadata,omitempty"` // what editors keep, such as x and y
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
		JSON bool   `json:"json,omitempty"` // Data is a JSON value other than a string
	}
	type export struct {
		Name string `json:"name"`
		Port string `json:"port"`
	}
	out := struct {
		Graph       string       `json:"graph"`
		SaveTo      string       `json:"saveTo"` // the -graph file Save writes, "" for none
		Processes   []process    `json:"processes"`
		Connections []connection `json:"connections"`
		IIPs        []iip        `json:"iips"`
		InPorts     []export     `json:"inports"`
		OutPorts    []export     `json:"outports"`
	}{Graph: n.Graph.File, SaveTo: s.cfg.GraphFile, Processes: []process{}, Connections: []connection{}, IIPs: []iip{}, InPorts: []export{}, OutPorts: []export{}}
	for _, p := range n.Graph.Processes {
		out.Processes = append(out.Processes, process{p.Name, p.Component, p.Metadata})
	}
	counts := counts(n)
	for i, c := range n.Graph.Connections {
		out.Connections = append(out.Connections, connection{portName(c.Src), portName(c.Tgt), c.Buffer, counts[i]})
	}
	for _, p := range n.Graph.IIPs {
		out.IIPs = append(out.IIPs, iip{p.Data, portName(p.Tgt), p.JSON})
	}
	for _, e := range n.Graph.InPorts {
		out.InPorts = append(out.InPorts, export{e.Name, portName(e.Endpoint)})
	}
	for _, e := range n.Graph.OutPorts {
		out.OutPorts = append(out.OutPorts, export{e.Name, portName(e.Endpoint)})
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

// openDebug serves the live graph page on a listener of its own at
// Config.DebugAddr, to whoever reaches it; any other path there leads to
// /debug/.
func (s *Server) openDebug() (*side, error) {
	d := s.debug.handler(false)
	return s.listenSide(s.cfg.DebugAddr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wire.SetSecurityHeaders(w.Header(), wire.Any)
		if !isDebugPath(r.URL.Path) {
			http.Redirect(w, r, "/debug/", http.StatusFound)
			return
		}
		d.ServeHTTP(w, r)
	}), func(p string) string {
		if isDebugPath(p) {
			return debugRoute(p)
		}
		return wire.Unmatched
	})
}
