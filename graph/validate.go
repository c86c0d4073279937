package graph

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gochat/components"
)

// maxArrayIndex bounds array port indexes: goflow gives an array port 32
// slots and cannot grow past them.
const maxArrayIndex = 31

// Catalog maps component names to their ports.
type Catalog map[string][]components.Port

// LibraryPrefix is gochat's component library, as FBP graphs shared
// between runtimes name it: gochat/Router is Router.
const LibraryPrefix = "gochat/"

// DefaultCatalog returns the ports of every component in
// components.Catalog, read from their types: it builds no component.
func DefaultCatalog() Catalog {
	cat := Catalog{}
	for _, info := range components.Catalog() {
		cat[info.Name] = info.Ports()
	}
	return cat
}

// Has reports whether the catalogue has component, with or without
// LibraryPrefix.
func (c Catalog) Has(component string) bool {
	_, _, ok := c.lookup(component)
	return ok
}

// lookup returns the catalogue's name for component, with or without
// LibraryPrefix, and its ports.
func (c Catalog) lookup(component string) (string, []components.Port, bool) {
	if ports, ok := c[component]; ok {
		return component, ports, true
	}
	name := strings.TrimPrefix(component, LibraryPrefix)
	ports, ok := c[name]
	return name, ports, ok
}

func (c Catalog) names() []string {
	names := make([]string, 0, len(c))
	for n := range c {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Plan is a validated graph, what Build builds: every process's component
// found in the catalogue, every port resolved to its component's field
// and every initial packet read by its port (see
// components.ConfigPort.Parse). Check makes one.
type Plan struct {
	g     *Graph
	comps map[string]string            // catalogue component names, by process name
	ports map[string][]components.Port // by process name
	conns []resolvedConn
	iips  []resolvedIIP
	ins   []resolvedExport
	outs  []resolvedExport
}

// Graph returns the graph p was checked from.
func (p *Plan) Graph() *Graph { return p.g }

type resolvedConn struct {
	src, tgt string       // goflow port addresses, e.g. Out or Out[0]
	elem     reflect.Type // what flows
	c        Connection
}

type resolvedIIP struct {
	port  string // the goflow address, e.g. Path or Words[0]
	field string // the port's field, e.g. Path
	value any
	iip   IIP
}

type resolvedExport struct {
	port string
	elem reflect.Type // what flows through the port
	e    Export
}

// Validate checks g against cat and returns every problem it finds (see
// Check).
func Validate(g *Graph, cat Catalog) error {
	_, err := Check(g, cat)
	return err
}

// Check checks g against cat and returns the Plan to build, or every
// problem it finds: unknown components, processes and ports, wrong
// directions, types that cannot flow between two ports, initial packets
// their port does not accept (a configuration port reads them with its
// components.ConfigPort.Parse: a MODE that is not a mode, a PATH that
// cannot be opened), required ports left unconnected, fan-ins and
// fan-outs goflow cannot wire, a missing HTTP inport, graphs past
// MaxProcesses or MaxConnections, and any way a request can end without
// reaching a Responder (see checkAnswered). A mistake is reported once,
// where it is made: a process whose component is unknown, or a
// connection to a port that does not exist, leads to no further problems
// about the ports involved. Names that are almost right get a "did you
// mean" hint.
func Check(g *Graph, cat Catalog) (*Plan, error) {
	return check(g, cat, true)
}

// CheckStandalone checks g like Check, but g need not export the HTTP
// inport: it is for a graph run on a network of its own (see
// RunStandalone), which
// receives no requests, such as one a client of the FBP protocol builds.
func CheckStandalone(g *Graph, cat Catalog) (*Plan, error) {
	return check(g, cat, false)
}

func check(g *Graph, cat Catalog, needHTTP bool) (*Plan, error) {
	r := &resolver{
		cat:   cat,
		p:     &Plan{g: g, comps: map[string]string{}, ports: map[string][]components.Port{}},
		probs: problems{file: g.File},
		procs: map[string]Process{},
		fed:   map[string]bool{},
		drawn: map[string]bool{},

		misnamed: map[string]bool{},
		wiring:   newWiring(),
	}
	if !r.withinLimits() {
		return nil, r.probs.err()
	}
	r.processes()
	r.connections()
	r.initialPackets()
	r.exports()
	if needHTTP {
		r.httpInport()
	}
	r.requiredPorts()
	if len(r.probs.list) == 0 {
		checkAnswered(r.p, r.wiring, &r.probs)
	}
	sortProblems(r.probs.list)
	if err := r.probs.err(); err != nil {
		return nil, err
	}
	return r.p, nil
}

// resolver checks a graph against a catalogue, one rule a method, and
// collects the Plan and the problems.
type resolver struct {
	cat   Catalog
	p     *Plan
	probs problems
	procs map[string]Process // declared processes, by name
	fed   map[string]bool    // process.Port inports with a source
	drawn map[string]bool    // process.Port outports with a target
	// misnamed holds process/in and process/out when an endpoint names a
	// port of the process that does not exist, goes the wrong way or has
	// a bad index: its unconnected ports of that direction are then not
	// reported, as the port meant is likely one of them.
	misnamed map[string]bool
	wiring   *wiring
}

// withinLimits reports whether the graph is within MaxProcesses and
// MaxConnections; past them, nothing else is checked.
func (r *resolver) withinLimits() bool {
	g := r.p.g
	if len(g.Processes) > MaxProcesses {
		r.probs.add(g.Processes[MaxProcesses].Pos, fmt.Sprintf("gochat runs at most %d", MaxProcesses), "the graph has %d processes", len(g.Processes))
	}
	if len(g.Connections) > MaxConnections {
		r.probs.add(g.Connections[MaxConnections].Pos, fmt.Sprintf("gochat runs at most %d", MaxConnections), "the graph has %d connections", len(g.Connections))
	}
	if len(g.IIPs) > MaxConnections {
		r.probs.add(g.IIPs[MaxConnections].Pos, fmt.Sprintf("gochat sends at most %d", MaxConnections), "the graph has %d initial packets", len(g.IIPs))
	}
	return len(r.probs.list) == 0
}

// processes checks each process: a name of its own, and a component the
// catalogue has.
func (r *resolver) processes() {
	for _, proc := range r.p.g.Processes {
		if prev, dup := r.procs[proc.Name]; dup {
			r.probs.add(proc.Pos, "give each process its own name", "duplicate process %s: also declared at %s", proc.Name, prev.Pos)
			continue
		}
		r.procs[proc.Name] = proc
		if !validName(proc.Name) {
			r.probs.add(proc.Pos, "use letters, digits, _ and -, not starting with _", "bad process name %q", proc.Name)
		}
		name, ports, ok := r.cat.lookup(proc.Component)
		if !ok {
			known := r.cat.names()
			r.probs.add(proc.Pos, r.didYouMean(proc.Component[strings.LastIndex(proc.Component, "/")+1:], known)+"known components: "+strings.Join(known, ", "),
				"unknown component %s for process %s", proc.Component, proc.Name)
			continue
		}
		r.p.comps[proc.Name] = name
		r.p.ports[proc.Name] = ports
	}
}

// didYouMean returns the hint of the candidate closest to name, or ""
// (see didYouMean), unless no more problems are listed.
func (r *resolver) didYouMean(name string, candidates []string) string {
	if r.probs.full() {
		return ""
	}
	return didYouMean(name, candidates)
}

// endpoint finds the port e names, checking that it is an inport (in) or
// an outport, and returns it with its goflow address. role says what
// names it, for hints. A problem is reported unless the process's
// component is unknown, which processes reported.
func (r *resolver) endpoint(e Endpoint, in bool, role string) (components.Port, string, bool) {
	proc, ok := r.procs[e.Process]
	if !ok {
		var names []string
		if !r.probs.full() {
			names = make([]string, 0, len(r.procs))
			for n := range r.procs {
				names = append(names, n)
			}
			sort.Strings(names)
		}
		r.probs.add(e.Pos, r.didYouMean(e.Process, names)+"declare it as "+e.Process+"(Component)", "unknown process %s", e.Process)
		return components.Port{}, "", false
	}
	ports, ok := r.p.ports[e.Process]
	if !ok {
		return components.Port{}, "", false
	}
	port, addr, ok := r.port(e, r.p.comps[proc.Name], ports, in, role)
	if !ok {
		// The port meant is likely one of this direction left unconnected.
		r.misnamed[e.Process+"/"+direction(in)] = true
	}
	return port, addr, ok
}

// port finds the port e names among ports, those of component comp (see
// endpoint).
func (r *resolver) port(e Endpoint, comp string, ports []components.Port, in bool, role string) (components.Port, string, bool) {
	port, ok := components.FindPort(ports, e.Port)
	if !ok {
		names := make([]string, 0, len(ports))
		for _, p := range filterPorts(ports, in) {
			names = append(names, strings.ToUpper(p.Name))
		}
		r.probs.add(e.Pos, r.didYouMean(strings.ToUpper(e.Port), names)+comp+" has "+listPorts(ports), "%s %s has no port %s", comp, e.Process, e.Port)
		return components.Port{}, "", false
	}
	if port.In != in {
		want := "an outport"
		if in {
			want = "an inport"
		}
		r.probs.add(e.Pos, fmt.Sprintf("%s needs %s; %s has %s", role, want, comp, listPorts(filterPorts(ports, in))),
			"%s is %s of %s, not %s", strings.ToUpper(port.Name), article(port.Direction()+"port"), comp, want)
		return components.Port{}, "", false
	}
	addr, ok := r.index(e, port, comp)
	return port, addr, ok
}

// direction returns "in" for an inport, "out" for an outport, as
// components.Port.Direction does.
func direction(in bool) string {
	if in {
		return "in"
	}
	return "out"
}

// index checks e's index against port's kind and returns the port's
// goflow address: Out, Out[0] or Out[key].
func (r *resolver) index(e Endpoint, port components.Port, comp string) (string, bool) {
	name := strings.ToUpper(port.Name)
	switch {
	case port.Kind == components.Plain && e.Index != "":
		r.probs.add(e.Pos, "drop ["+e.Index+"]", "%s of %s is not an array or map port", name, comp)
		return "", false
	case port.Kind != components.Plain && e.Index == "":
		r.probs.add(e.Pos, "write "+name+"[0] or "+name+"[name]", "%s of %s needs an index", name, comp)
		return "", false
	case port.Kind == components.Array:
		if n, err := strconv.Atoi(e.Index); err != nil || n < 0 || n > maxArrayIndex {
			r.probs.add(e.Pos, fmt.Sprintf("use an index from 0 to %d", maxArrayIndex), "%s of %s is an array port; [%s] is not an index", name, comp, e.Index)
			return "", false
		}
	}
	if e.Index != "" {
		return port.Name + "[" + e.Index + "]", true
	}
	return port.Name, true
}

// connections checks each connection: two ports that exist, the right
// way round, of one type, with a sane buffer, joined as goflow can. The
// end that resolves counts as connected even when the other does not,
// so that one misspelt name is one problem.
func (r *resolver) connections() {
	for _, c := range r.p.g.Connections {
		sp, saddr, sok := r.endpoint(c.Src, false, "a connection leaves from")
		tp, taddr, tok := r.endpoint(c.Tgt, true, "a connection arrives at")
		if sok {
			r.drawn[c.Src.Process+"."+sp.Name] = true
		}
		if tok {
			r.fed[c.Tgt.Process+"."+tp.Name] = true
		}
		if !sok || !tok {
			continue
		}
		if sp.Elem != tp.Elem {
			r.probs.add(c.Pos, fmt.Sprintf("%s sends %s; connect it to a port that takes %s", c.Src, sp.Elem, sp.Elem),
				"%s sends %s but %s takes %s", c.Src, sp.Elem, c.Tgt, tp.Elem)
			continue
		}
		if c.Buffer < 0 || c.Buffer > maxBuffer {
			r.probs.add(c.Pos, fmt.Sprintf("use 0 to %d", maxBuffer), "bad buffer %d", c.Buffer)
			continue
		}
		src, tgt := c.Src.Process+"."+saddr, c.Tgt.Process+"."+taddr
		if err := r.wiring.connect(src, tgt); err != "" {
			r.probs.add(c.Pos, "goflow shares one channel per fan-out or fan-in; route through one port instead", "%s", err)
			continue
		}
		r.p.conns = append(r.p.conns, resolvedConn{src: saddr, tgt: taddr, elem: sp.Elem, c: c})
	}
}

// initialPackets checks each initial packet: one to a port, to a port
// that takes data, and a value the port accepts. A configuration port
// reads it with its ConfigPort.Parse, so the component says what is
// wrong with it (and may look at files: a Transcript's PATH).
func (r *resolver) initialPackets() {
	at := map[string]Pos{}
	for _, iip := range r.p.g.IIPs {
		port, addr, ok := r.endpoint(iip.Tgt, true, "an initial packet goes to")
		if !ok {
			continue
		}
		r.fed[iip.Tgt.Process+"."+port.Name] = true
		key := iip.Tgt.Process + "." + addr
		if prev, dup := at[key]; dup {
			// A component takes one packet from a configuration port; goflow
			// would block forever sending the second (see goflow issue #77).
			r.probs.add(iip.Pos, "keep one; a list goes in one packet as JSON, e.g. '[\"a\",\"b\"]'", "a second initial packet to %s (the first is at %s)", iip.Tgt, prev)
			continue
		}
		at[key] = iip.Pos
		v, ok := r.packet(iip, port)
		if !ok {
			continue
		}
		r.p.iips = append(r.p.iips, resolvedIIP{port: addr, field: port.Name, value: v, iip: iip})
	}
}

// packet reads an initial packet's text as port takes it.
func (r *resolver) packet(iip IIP, port components.Port) (any, bool) {
	if !plainData(port.Elem) {
		r.probs.add(iip.Pos, "initial packets configure; they cannot make packets such as requests", "%s takes %s, which an initial packet cannot be", iip.Tgt, port.Elem)
		return nil, false
	}
	if port.Elem.Kind() != reflect.String && JSONDepth(iip.Data) > MaxDepth {
		r.probs.add(iip.Pos, "configuration is shallow: a number, a string, a list", "initial packet to %s nests deeper than %d", iip.Tgt, MaxDepth)
		return nil, false
	}
	if c := port.Config; c != nil && c.Parse != nil {
		v, err := c.Parse(iip.Data)
		if err != nil {
			hint := fmt.Sprintf("the initial packet to %s", iip.Tgt)
			if c.Default != "" {
				hint += "; without one it is '" + c.Default + "'"
			}
			r.probs.add(iip.Pos, hint, "%v", err)
			return nil, false
		}
		if reflect.TypeOf(v) != port.Elem {
			r.probs.add(iip.Pos, "a bug in the component: its ConfigPort.Parse must return what the port takes", "%s read %q as %T, but the port takes %s", iip.Tgt, iip.Data, v, port.Elem)
			return nil, false
		}
		return v, true
	}
	v, err := convert(iip.Data, iip.JSON, port.Elem)
	if err != nil {
		r.probs.add(iip.Pos, "write it as JSON of that type, e.g. "+example(port.Elem), "initial packet %q cannot be a %s for %s: %v", iip.Data, port.Elem, iip.Tgt, err)
		return nil, false
	}
	return v, true
}

// exports checks the exported ports: one name each, naming a port that
// exists, the right way round.
func (r *resolver) exports() {
	exported := map[string]bool{}
	for _, list := range []struct {
		exports []Export
		in      bool
		out     *[]resolvedExport
	}{{r.p.g.InPorts, true, &r.p.ins}, {r.p.g.OutPorts, false, &r.p.outs}} {
		for _, e := range list.exports {
			if exported[e.Name] {
				r.probs.add(e.Pos, "give each exported port its own name", "network port %s exported twice", e.Name)
				continue
			}
			exported[e.Name] = true
			port, addr, ok := r.endpoint(e.Endpoint, list.in, "an export names")
			if !ok {
				continue
			}
			if list.in {
				r.fed[e.Process+"."+port.Name] = true
			} else {
				r.drawn[e.Process+"."+port.Name] = true
			}
			*list.out = append(*list.out, resolvedExport{port: addr, elem: port.Elem, e: e})
		}
	}
}

// httpInport checks that the graph exports InPort, and that it takes
// requests. An export that names a port with a problem was reported.
func (r *resolver) httpInport() {
	found := false
	for _, e := range r.p.g.InPorts {
		found = found || e.Name == InPort
	}
	if !found {
		r.probs.add(Pos{}, "add INPORT=router.IN:"+InPort, "the graph does not export the inport %s that HTTP requests enter by", InPort)
	}
	for _, e := range r.p.ins {
		if e.e.Name != InPort {
			continue
		}
		if port, _ := components.FindPort(r.p.ports[e.e.Process], e.e.Port); port.Elem != requestType {
			r.probs.add(e.e.Pos, "export the Router's IN", "inport %s must take %s, not %s", InPort, requestType, port.Elem)
		}
	}
}

// requiredPorts checks that every required inport is fed and every
// required outport goes somewhere.
func (r *resolver) requiredPorts() {
	for _, proc := range r.p.g.Processes {
		for _, port := range r.p.ports[proc.Name] {
			key := proc.Name + "." + port.Name
			switch {
			case !port.Required, r.misnamed[proc.Name+"/"+port.Direction()]:
			case port.In && !r.fed[key]:
				r.probs.add(proc.Pos, fmt.Sprintf("connect something -> %s %s, or send it an initial packet", strings.ToUpper(port.Name), proc.Name),
					"nothing feeds inport %s of %s(%s)", strings.ToUpper(port.Name), proc.Name, proc.Component)
			case !port.In && !r.drawn[key]:
				r.probs.add(proc.Pos, fmt.Sprintf("connect %s %s -> IN somewhere", proc.Name, strings.ToUpper(port.Name)),
					"outport %s of %s(%s) goes nowhere", strings.ToUpper(port.Name), proc.Name, proc.Component)
			}
		}
	}
}

// wiring follows how goflow shares channels: a connection reuses the
// channel already on its outport (fan-out) or else on its inport
// (fan-in). Joining two different channels would leave one unread.
type wiring struct {
	ch   map[string]int // port address → channel id
	next int
}

func newWiring() *wiring { return &wiring{ch: map[string]int{}} }

func (w *wiring) connect(src, tgt string) string {
	s, sok := w.ch[src]
	t, tok := w.ch[tgt]
	switch {
	case sok && tok && s != t:
		return fmt.Sprintf("%s already fans out and %s already fans in on other channels: goflow cannot join them", src, tgt)
	case sok:
		w.ch[tgt] = s
	case tok:
		w.ch[src] = t
	default:
		w.next++
		w.ch[src], w.ch[tgt] = w.next, w.next
	}
	return ""
}

// plainData reports whether t is data an initial packet can carry:
// strings, numbers, booleans, and slices and string-keyed maps of them,
// or any of those where a port takes anything (core/Repeat's IN).
func plainData(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Interface:
		return t.NumMethod() == 0
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	case reflect.Slice:
		return plainData(t.Elem())
	case reflect.Map:
		return t.Key().Kind() == reflect.String && plainData(t.Elem())
	}
	return false
}

// JSONDepth returns how deeply the arrays and objects of the JSON text
// data nest, in one pass; it does not check that data is valid JSON.
func JSONDepth[T string | []byte](data T) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(data); i++ {
		switch c := data[i]; {
		case inString && c == '\\':
			i++ // skip the escaped byte
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}

// convert turns an initial packet's text into a value of type t. A port
// that takes anything (core/Repeat's IN) gets the packet as it was
// written: the JSON value for a packet written as JSON (isJSON, see
// IIP.JSON), else the text as a string.
func convert(data string, isJSON bool, t reflect.Type) (any, error) {
	if t.Kind() == reflect.String {
		return reflect.ValueOf(data).Convert(t).Interface(), nil
	}
	if t.Kind() == reflect.Interface && !isJSON {
		return data, nil
	}
	if t.Kind() == reflect.Interface {
		var v any
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			return nil, err
		}
		return v, nil
	}
	v := reflect.New(t)
	if err := json.Unmarshal([]byte(data), v.Interface()); err != nil {
		return nil, err
	}
	return v.Elem().Interface(), nil
}

func example(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64, reflect.Float64:
		return "'100'"
	case reflect.Bool:
		return "'true'"
	case reflect.Slice:
		return `'["a","b"]'`
	}
	return `'{"key":"value"}'`
}

func listPorts(ports []components.Port) string {
	names := make([]string, len(ports))
	for i, p := range ports {
		names[i] = p.String()
	}
	if len(names) == 0 {
		return "no such ports"
	}
	return strings.Join(names, ", ")
}

func filterPorts(ports []components.Port, in bool) []components.Port {
	var out []components.Port
	for _, p := range ports {
		if p.In == in {
			out = append(out, p)
		}
	}
	return out
}

func article(s string) string {
	if strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// validName reports whether name is a process name: [A-Za-z0-9_-], not
// starting with _ (gochat's own processes, such as taps, use those).
func validName(name string) bool {
	if name == "" || name[0] == '_' {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isNameByte(c) && c != '-' {
			return false
		}
	}
	return true
}
