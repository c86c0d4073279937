package graph

import (
	"strconv"
	"strings"
)

// ParseFBP reads a graph written in the FBP DSL, the grammar of
// flowbased/fbp (npm fbp 1.8) with gochat's additions:
//
//	# a comment
//	# @name chat                               # an annotation: a property of the graph
//	INPORT=router.IN:HTTP                      # export a port as a network inport
//	router(Router) READ -> IN controller(Controller)
//	controller OUT -> READ storage(Storage:x=320,y=96) OUT -> IN responder(Responder)  # a chain; node metadata
//	sender OUT -(16)-> WRITE storage           # a connection with a 16-packet buffer (gochat's)
//	'10000' -> CAPACITY storage                # an initial packet
//	10000 -> CAPACITY storage                  # one written as JSON
//	split OUT[0] -> IN a(A), split OUT[1] -> IN b(B)  # array ports; commas separate statements
//	a(A) -> b(B)                               # default ports: OUT to IN
//	(core/Repeat) -> (core/Output)             # anonymous processes: _core_Repeat_1, _core_Output_1
//
// A process is declared once as name(Component), inline where it is first
// used, anywhere later, or alone on a line, and named alone elsewhere.
// Quoted initial packets are single-quoted text on one line (\' and \\
// escape); a port that does not take a string receives the text decoded
// as JSON ('["spam","eggs"]'). ParseFBP reports every syntax error it
// finds, each with its line and column; it does not check components or
// ports: see Validate.
func ParseFBP(file string, src []byte) (*Graph, error) {
	p := &fbpParser{g: &Graph{File: file}, probs: problems{file: file}, procs: map[string]int{}, used: map[string]Pos{},
		anonymous: map[string]int{}, defaultIn: "IN", defaultOut: "OUT"}
	l := lex(string(src), &p.probs, p.statement)
	p.broken = p.broken || l.skipped
	p.g.Properties, p.g.Comments = l.props, l.comments
	// A process used but never declared is worth a problem of its own
	// only when every statement was read: a garbled one may declare it.
	if !p.broken {
		for name, pos := range p.used {
			if _, ok := p.procs[name]; !ok {
				p.probs.add(pos, "declare it once as "+name+"(Component)", "process %s has no component", name)
			}
		}
	}
	sortProblems(p.probs.list)
	if err := p.probs.err(); err != nil {
		return nil, err
	}
	return p.g, nil
}

type fbpParser struct {
	g          *Graph
	probs      problems
	procs      map[string]int // process name → index in g.Processes
	used       map[string]Pos // process names used, where first
	anonymous  map[string]int // anonymous processes per component name
	defaultIn  string         // the port an arrow reaches when it names none
	defaultOut string         // the port an arrow leaves when it names none
	broken     bool           // a statement was not read for a mistake
}

// fail reports a problem in a statement, which is then not read on.
func (p *fbpParser) fail(pos Pos, hint, format string, args ...any) {
	p.probs.add(pos, hint, format, args...)
	p.broken = true
}

func (p *fbpParser) statement(toks []token) {
	if toks[0].kind == tIdent && len(toks) > 1 && toks[1].kind == tEquals {
		switch toks[0].text {
		case "INPORT", "OUTPORT":
			p.export(toks)
			return
		case "DEFAULT_INPORT", "DEFAULT_OUTPORT":
			if len(toks) != 3 || !p.isPort(toks[2], "after "+toks[0].text+"=") || toks[2].hasIndex {
				p.fail(toks[0].pos, "write "+toks[0].text+"=PORT", "bad %s", toks[0].text)
				return
			}
			if toks[0].text == "DEFAULT_INPORT" {
				p.defaultIn = toks[2].text
			} else {
				p.defaultOut = toks[2].text
			}
			return
		}
	}
	p.chain(toks)
}

// export parses INPORT=proc.PORT:NAME or OUTPORT=proc.PORT:NAME.
func (p *fbpParser) export(toks []token) {
	kind := toks[0].text
	bad := func() { p.fail(toks[0].pos, "write "+kind+"=process.PORT:NAME", "bad %s", kind) }
	// proc.PORT is one name token, or proc(Component) '.' PORT.
	rest := toks[2:]
	if len(rest) == 0 || rest[0].kind != tIdent || rest[0].hasIndex {
		bad()
		return
	}
	proc, port := rest[0], token{}
	if name, portName, ok := strings.Cut(proc.text, "."); ok && !proc.hasComp {
		port = proc
		port.text, port.pos.Col = portName, proc.pos.Col+len(name)+1
		port.index, port.hasIndex = proc.index, proc.hasIndex
		proc.text, proc.index, proc.hasIndex = name, "", false
		rest = rest[1:]
	} else if len(rest) >= 3 && rest[1].kind == tDot && rest[2].kind == tIdent && !rest[2].hasComp {
		port = rest[2]
		rest = rest[3:]
	} else {
		bad()
		return
	}
	if len(rest) != 2 || rest[0].kind != tColon || rest[1].kind != tIdent || rest[1].hasComp || rest[1].hasIndex ||
		!p.isNode(proc) || !p.isPort(port, "after "+proc.text+".") || !p.isPort(rest[1], "to name the network port") {
		if !p.broken {
			bad()
		}
		return
	}
	e := Export{Name: rest[1].text, Endpoint: Endpoint{Process: p.use(proc), Port: port.text, Index: port.index, Pos: proc.pos}}
	if kind == "INPORT" {
		p.g.InPorts = append(p.g.InPorts, e)
	} else {
		p.g.OutPorts = append(p.g.OutPorts, e)
	}
}

// element is what stands between two arrows: [PORT] process [PORT].
type element struct {
	in, node, out *token
}

// chain parses source -> element -> ... -> target, where the source is an
// initial packet or process [PORT], each element between arrows
// [PORT] process [PORT], and the target [PORT] process. A port left out
// is the default one (IN, OUT; see DEFAULT_INPORT); an element with one
// port names it on the side where its process has no component, as the
// reference grammar reads it.
func (p *fbpParser) chain(toks []token) {
	first := toks[0]
	if len(toks) == 1 && first.kind == tIdent && first.hasComp {
		if p.isNode(first) {
			p.use(first) // a declaration alone: name(Component)
		}
		return
	}
	// Split at the arrows.
	var parts [][]token
	var arrows []token
	startAt := 0
	for i, t := range toks {
		if t.kind == tArrow {
			parts = append(parts, toks[startAt:i])
			arrows = append(arrows, t)
			startAt = i + 1
		}
	}
	parts = append(parts, toks[startAt:])
	end := token{kind: tEOF, pos: toks[len(toks)-1].pos}
	var src Endpoint
	var iip *token
	switch {
	case first.kind == tString || first.kind == tJSON:
		iip = &first
		if len(parts[0]) > 1 {
			p.fail(parts[0][1].pos, "connect with ->", "expected '->', found %s", parts[0][1].describe())
			return
		}
	case first.kind == tIdent:
		head := parts[0]
		if !p.isNode(head[0]) {
			return
		}
		var out *token
		if len(head) > 1 {
			if !p.isPort(head[1], "after process "+head[0].describe()) {
				return
			}
			out = &head[1]
		}
		if len(head) > 2 {
			p.fail(head[2].pos, "connect with ->", "expected '->', found %s", head[2].describe())
			return
		}
		if len(arrows) == 0 {
			p.fail(end.pos, "connect with ->", "expected '->', found the end of the statement")
			return
		}
		src = p.endpoint(head[0], out, p.defaultOut)
	default:
		p.fail(first.pos, "a statement is proc PORT -> PORT proc, 'data' -> PORT proc, or INPORT=proc.PORT:NAME", "unexpected %s", first.describe())
		return
	}
	for k, arrow := range arrows {
		el, ok := p.element(parts[k+1], k+1 == len(arrows), arrow)
		if !ok {
			return
		}
		tgt := p.endpoint(*el.node, el.in, p.defaultIn)
		if iip != nil {
			p.g.IIPs = append(p.g.IIPs, IIP{Data: iip.text, JSON: iip.json, Tgt: tgt, Pos: iip.pos})
			iip = nil
		} else {
			p.g.Connections = append(p.g.Connections, Connection{Src: src, Tgt: tgt, Buffer: arrow.buffer, Pos: arrow.pos})
		}
		if k+1 < len(arrows) {
			src = p.endpoint(*el.node, el.out, p.defaultOut)
		}
	}
}

// element reads the tokens after an arrow: [PORT] process [PORT] between
// two arrows, [PORT] process after the last.
func (p *fbpParser) element(toks []token, last bool, arrow token) (element, bool) {
	if len(toks) == 0 {
		found := token{kind: tEOF, pos: arrow.pos}
		if !last {
			found = token{kind: tArrow, pos: arrow.pos}
		}
		p.fail(found.pos, "ports are names like OUT, IN or OUT[0]", "expected a port after '->', found %s", found.describe())
		return element{}, false
	}
	for _, t := range toks {
		if t.kind != tIdent {
			p.fail(t.pos, "ports are names like OUT, IN or OUT[0]", "expected a port after '->', found %s", t.describe())
			return element{}, false
		}
	}
	var el element
	switch {
	case len(toks) == 3:
		el = element{in: &toks[0], node: &toks[1], out: &toks[2]}
	case len(toks) == 2 && toks[0].hasComp && !last:
		el = element{node: &toks[0], out: &toks[1]}
	case len(toks) == 2:
		el = element{in: &toks[0], node: &toks[1]}
	case len(toks) == 1:
		el = element{node: &toks[0]}
	default:
		p.fail(toks[3].pos, "connect with ->", "expected '->', found %s", toks[3].describe())
		return el, false
	}
	if el.in != nil && !p.isPort(*el.in, "after '->'") {
		return el, false
	}
	if !p.isNode(*el.node) {
		return el, false
	}
	if last && el.out != nil {
		p.fail(el.out.pos, "connect with ->", "expected '->', found the end of the statement")
		return el, false
	}
	if !last && el.out == nil && !el.node.hasComp {
		// Between arrows, a process without its component names both
		// ports (the reference grammar has no other reading).
		p.fail(el.node.pos, "write -> PORT process PORT ->", "expected a port to continue the chain after process %s, found '->'", el.node.text)
		return el, false
	}
	if el.out != nil && !p.isPort(*el.out, "to continue the chain after process "+el.node.describe()) {
		return el, false
	}
	return el, true
}

// endpoint returns the endpoint of port (def if nil) on the process t
// names, recording its use.
func (p *fbpParser) endpoint(t token, port *token, def string) Endpoint {
	name := p.use(t)
	if port == nil {
		return Endpoint{Process: name, Port: def, Pos: t.pos}
	}
	return Endpoint{Process: name, Port: port.text, Index: port.index, Pos: port.pos}
}

// isNode reports whether t names a process: [A-Za-z_][A-Za-z0-9_-]*
// with no [index], or is an anonymous (Component).
func (p *fbpParser) isNode(t token) bool {
	if t.kind != tIdent || t.hasIndex || strings.Contains(t.text, ".") {
		p.fail(t.pos, "process names are letters, digits, _ and -", "expected a process, found %s", t.describe())
		return false
	}
	return true
}

// isPort reports whether t names a port: [A-Za-z_][A-Za-z0-9_.]*,
// maybe with an [index].
func (p *fbpParser) isPort(t token, where string) bool {
	if t.kind != tIdent || t.hasComp || strings.Contains(t.text, "-") {
		p.fail(t.pos, "ports are names like OUT, IN or OUT[0]", "expected a port %s, found %s", where, t.describe())
		return false
	}
	return true
}

// use records a process name, declaring it if t carries a component, and
// returns the name; an anonymous (Component) is named as the reference
// names it: _Component_N, with the first run of other characters than
// letters and digits in Component made '_'.
func (p *fbpParser) use(t token) string {
	name := t.text
	if name == "" {
		base := t.comp
		if i := strings.IndexFunc(base, func(r rune) bool { return r > 127 || !isNameByte(byte(r)) || r == '_' }); i >= 0 {
			j := i
			for j < len(base) && (!isNameByte(base[j]) || base[j] == '_') {
				j++
			}
			base = base[:i] + "_" + base[j:]
		}
		p.anonymous[base]++
		name = "_" + base + "_" + strconv.Itoa(p.anonymous[base])
	}
	if _, ok := p.used[name]; !ok {
		p.used[name] = t.pos
	}
	if !t.hasComp {
		return name
	}
	if i, ok := p.procs[name]; ok {
		prev := &p.g.Processes[i]
		if prev.Component != t.comp {
			p.probs.add(t.pos, "give each process its own name", "duplicate process %s: declared as %s at %s and as %s here",
				name, prev.Component, prev.Pos, t.comp)
		}
		if t.meta != nil {
			prev.Metadata = t.meta // a later declaration's metadata replaces, as in the reference
		}
		return name
	}
	p.procs[name] = len(p.g.Processes)
	p.g.Processes = append(p.g.Processes, Process{Name: name, Component: t.comp, Pos: t.pos, Metadata: t.meta})
	return name
}
