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

// DefaultCatalog returns the ports of every component in
// components.Catalog.
func DefaultCatalog() Catalog {
	cat := Catalog{}
	for _, info := range components.Catalog() {
		cat[info.Name] = components.Ports(info.New(components.Deps{}))
	}
	return cat
}

func (c Catalog) names() string {
	names := make([]string, 0, len(c))
	for n := range c {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// plan is a validated graph: every port resolved to its component field
// and every initial packet converted to its port's type.
type plan struct {
	g     *Graph
	ports map[string][]components.Port // by process name
	conns []resolvedConn
	iips  []resolvedIIP
	ins   []resolvedExport
	outs  []resolvedExport
}

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
	e    Export
}

// Validate checks g against cat and returns every problem it finds: unknown
// components, processes and ports, wrong directions, types that cannot
// flow between two ports, initial packets that do not convert to their
// port's type, required ports left unconnected, fan-ins and fan-outs goflow
// cannot wire, a missing HTTP inport, graphs past MaxProcesses or
// MaxConnections, any way a request can end without reaching a Responder
// (see checkAnswered), and configuration a component refuses (see
// components.ConfigChecker), such as a Transcript PATH that is a FIFO.
func Validate(g *Graph, cat Catalog) error {
	_, err := check(g, cat)
	return err
}

func check(g *Graph, cat Catalog) (*plan, error) {
	p := &plan{g: g, ports: map[string][]components.Port{}}
	probs := problems{file: g.File}
	if len(g.Processes) > MaxProcesses {
		probs.add(g.Processes[MaxProcesses].Pos, fmt.Sprintf("gochat runs at most %d", MaxProcesses), "the graph has %d processes", len(g.Processes))
	}
	if len(g.Connections) > MaxConnections {
		probs.add(g.Connections[MaxConnections].Pos, fmt.Sprintf("gochat runs at most %d", MaxConnections), "the graph has %d connections", len(g.Connections))
	}
	if len(g.IIPs) > MaxConnections {
		probs.add(g.IIPs[MaxConnections].Pos, fmt.Sprintf("gochat sends at most %d", MaxConnections), "the graph has %d initial packets", len(g.IIPs))
	}
	if len(probs.list) > 0 {
		return nil, probs.err()
	}
	procs := map[string]Process{}
	for _, proc := range g.Processes {
		if prev, dup := procs[proc.Name]; dup {
			probs.add(proc.Pos, "give each process its own name", "duplicate process %s: also declared at %s", proc.Name, prev.Pos)
			continue
		}
		procs[proc.Name] = proc
		if !validName(proc.Name) {
			probs.add(proc.Pos, "use letters, digits, _ and -, not starting with _", "bad process name %q", proc.Name)
		}
		ports, ok := cat[proc.Component]
		if !ok {
			probs.add(proc.Pos, "known components: "+cat.names(), "unknown component %s for process %s", proc.Component, proc.Name)
			continue
		}
		p.ports[proc.Name] = ports
	}

	fed := map[string]bool{}   // process.Port inports with a source
	drawn := map[string]bool{} // process.Port outports with a target
	// resolve finds the port e names, checking it is an inport (in) or an
	// outport, and returns it with its goflow address.
	resolve := func(e Endpoint, in bool, role string) (components.Port, string, bool) {
		if _, ok := procs[e.Process]; !ok {
			probs.add(e.Pos, "declare it as "+e.Process+"(Component)", "unknown process %s", e.Process)
			return components.Port{}, "", false
		}
		ports, ok := p.ports[e.Process]
		if !ok {
			return components.Port{}, "", false // its component is unknown: reported above
		}
		comp := procs[e.Process].Component
		port, ok := components.FindPort(ports, e.Port)
		if !ok {
			probs.add(e.Pos, comp+" has "+listPorts(ports), "%s %s has no port %s", comp, e.Process, e.Port)
			return components.Port{}, "", false
		}
		if port.In != in {
			want := "an outport"
			if in {
				want = "an inport"
			}
			probs.add(e.Pos, fmt.Sprintf("%s needs %s; %s has %s", role, want, comp, listPorts(filterPorts(ports, in))),
				"%s is %s of %s, not %s", strings.ToUpper(port.Name), article(port.Direction()+"port"), comp, want)
			return components.Port{}, "", false
		}
		addr := port.Name
		switch {
		case port.Kind == components.Plain && e.Index != "":
			probs.add(e.Pos, "drop ["+e.Index+"]", "%s of %s is not an array or map port", strings.ToUpper(port.Name), comp)
			return components.Port{}, "", false
		case port.Kind != components.Plain && e.Index == "":
			probs.add(e.Pos, "write "+strings.ToUpper(port.Name)+"[0] or "+strings.ToUpper(port.Name)+"[name]", "%s of %s needs an index", strings.ToUpper(port.Name), comp)
			return components.Port{}, "", false
		case port.Kind == components.Array:
			if n, err := strconv.Atoi(e.Index); err != nil || n < 0 || n > maxArrayIndex {
				probs.add(e.Pos, fmt.Sprintf("use an index from 0 to %d", maxArrayIndex), "%s of %s is an array port; [%s] is not an index", strings.ToUpper(port.Name), comp, e.Index)
				return components.Port{}, "", false
			}
		}
		if e.Index != "" {
			addr += "[" + e.Index + "]"
		}
		return port, addr, true
	}

	wiring := newWiring()
	for _, c := range g.Connections {
		sp, saddr, sok := resolve(c.Src, false, "a connection leaves from")
		tp, taddr, tok := resolve(c.Tgt, true, "a connection arrives at")
		if !sok || !tok {
			continue
		}
		if sp.Elem != tp.Elem {
			probs.add(c.Pos, fmt.Sprintf("%s sends %s; connect it to a port that takes %s", c.Src, sp.Elem, sp.Elem),
				"%s sends %s but %s takes %s", c.Src, sp.Elem, c.Tgt, tp.Elem)
			continue
		}
		if c.Buffer < 0 || c.Buffer > maxBuffer {
			probs.add(c.Pos, fmt.Sprintf("use 0 to %d", maxBuffer), "bad buffer %d", c.Buffer)
			continue
		}
		src, tgt := c.Src.Process+"."+saddr, c.Tgt.Process+"."+taddr
		if err := wiring.connect(src, tgt); err != "" {
			probs.add(c.Pos, "goflow shares one channel per fan-out or fan-in; route through one port instead", "%s", err)
			continue
		}
		fed[c.Tgt.Process+"."+tp.Name] = true
		drawn[c.Src.Process+"."+sp.Name] = true
		p.conns = append(p.conns, resolvedConn{src: saddr, tgt: taddr, elem: sp.Elem, c: c})
	}
	iipAt := map[string]Pos{}
	for _, iip := range g.IIPs {
		port, addr, ok := resolve(iip.Tgt, true, "an initial packet goes to")
		if !ok {
			continue
		}
		key := iip.Tgt.Process + "." + addr
		if prev, dup := iipAt[key]; dup {
			// A component takes one packet from a configuration port; goflow
			// would block forever sending the second (see goflow issue #77).
			probs.add(iip.Pos, "keep one; a list goes in one packet as JSON, e.g. '[\"a\",\"b\"]'", "a second initial packet to %s (the first is at %s)", iip.Tgt, prev)
			continue
		}
		iipAt[key] = iip.Pos
		if !plainData(port.Elem) {
			probs.add(iip.Pos, "initial packets configure; they cannot make packets such as requests", "%s takes %s, which an initial packet cannot be", iip.Tgt, port.Elem)
			continue
		}
		if port.Elem.Kind() != reflect.String && jsonDepth(iip.Data) > MaxDepth {
			probs.add(iip.Pos, "configuration is shallow: a number, a string, a list", "initial packet to %s nests deeper than %d", iip.Tgt, MaxDepth)
			continue
		}
		v, err := convert(iip.Data, port.Elem)
		if err != nil {
			probs.add(iip.Pos, "write it as JSON of that type, e.g. "+example(port.Elem), "initial packet %q cannot be a %s for %s: %v", iip.Data, port.Elem, iip.Tgt, err)
			continue
		}
		fed[iip.Tgt.Process+"."+port.Name] = true
		p.iips = append(p.iips, resolvedIIP{port: addr, field: port.Name, value: v, iip: iip})
	}
	exported := map[string]bool{}
	for _, list := range []struct {
		exports []Export
		in      bool
		out     *[]resolvedExport
	}{{g.InPorts, true, &p.ins}, {g.OutPorts, false, &p.outs}} {
		for _, e := range list.exports {
			if exported[e.Name] {
				probs.add(e.Pos, "give each exported port its own name", "network port %s exported twice", e.Name)
				continue
			}
			exported[e.Name] = true
			port, addr, ok := resolve(e.Endpoint, list.in, "an export names")
			if !ok {
				continue
			}
			if list.in {
				fed[e.Process+"."+port.Name] = true
			} else {
				drawn[e.Process+"."+port.Name] = true
			}
			*list.out = append(*list.out, resolvedExport{port: addr, e: e})
		}
	}
	httpType := requestType
	found := false
	for _, e := range p.ins {
		if e.e.Name == InPort {
			found = true
			if port, _ := components.FindPort(p.ports[e.e.Process], e.e.Port); port.Elem != httpType {
				probs.add(e.e.Pos, "export the Router's IN", "inport %s must take %s, not %s", InPort, httpType, port.Elem)
			}
		}
	}
	if !found {
		probs.add(Pos{}, "add INPORT=router.IN:"+InPort, "the graph does not export the inport %s that HTTP requests enter by", InPort)
	}
	for _, proc := range g.Processes {
		for _, port := range p.ports[proc.Name] {
			key := proc.Name + "." + port.Name
			switch {
			case !port.Required:
			case port.In && !fed[key]:
				probs.add(proc.Pos, fmt.Sprintf("connect something -> %s %s, or send it an initial packet", strings.ToUpper(port.Name), proc.Name),
					"nothing feeds inport %s of %s(%s)", strings.ToUpper(port.Name), proc.Name, proc.Component)
			case !port.In && !drawn[key]:
				probs.add(proc.Pos, fmt.Sprintf("connect %s %s -> IN somewhere", proc.Name, strings.ToUpper(port.Name)),
					"outport %s of %s(%s) goes nowhere", strings.ToUpper(port.Name), proc.Name, proc.Component)
			}
		}
	}
	if len(probs.list) == 0 {
		checkAnswered(p, wiring, &probs)
		// Last, as it may look at files: what components say of their
		// configuration.
		for _, iip := range p.iips {
			if err := components.CheckConfig(procs[iip.iip.Tgt.Process].Component, iip.field, iip.value); err != nil {
				probs.add(iip.iip.Pos, "", "initial packet to %s: %v", iip.iip.Tgt, err)
			}
		}
	}
	sortProblems(probs.list)
	if err := probs.err(); err != nil {
		return nil, err
	}
	return p, nil
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
// strings, numbers, booleans, and slices and string-keyed maps of them.
func plainData(t reflect.Type) bool {
	switch t.Kind() {
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

// jsonDepth returns how deeply the arrays and objects of the JSON text
// data nest, in one pass; it does not check that data is valid JSON.
func jsonDepth(data string) int {
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

// convert turns an initial packet's text into a value of type t.
func convert(data string, t reflect.Type) (any, error) {
	if t.Kind() == reflect.String {
		return reflect.ValueOf(data).Convert(t).Interface(), nil
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
