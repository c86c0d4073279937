package graph

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseFBP reads a graph written in the FBP DSL:
//
//	# a comment
//	INPORT=router.IN:HTTP                      # export a port as a network inport
//	router(Router) READ -> IN controller(Controller)
//	controller OUT -> READ storage(Storage) OUT -> IN responder(Responder)  # a chain
//	sender OUT -(16)-> WRITE storage           # a connection with a 16-packet buffer
//	'10000' -> CAPACITY storage                # an initial packet
//	split OUT[0] -> IN a(A), split OUT[1] -> IN b(B)  # array ports; commas separate statements
//
// A process is declared once as name(Component), inline where it is first
// used, anywhere later, or alone on a line, and named alone elsewhere. Initial packets are
// single-quoted text (\' and \\ escape); a port that does not take a
// string receives the text decoded as JSON ('["spam","eggs"]'). ParseFBP
// reports every syntax error it finds, each with its line and column; it
// does not check components or ports: see Validate.
func ParseFBP(file string, src []byte) (*Graph, error) {
	p := &fbpParser{g: &Graph{File: file}, probs: problems{file: file}, procs: map[string]int{}, used: map[string]Pos{}}
	toks := p.lex(string(src))
	var stmt []token
	for _, t := range toks {
		if t.kind == tNewline || t.kind == tComma || t.kind == tEOF {
			if len(stmt) > 0 {
				p.statement(stmt)
			}
			stmt = stmt[:0]
			continue
		}
		stmt = append(stmt, t)
	}
	for name, pos := range p.used {
		if _, ok := p.procs[name]; !ok {
			p.probs.add(pos, "declare it once as "+name+"(Component)", "process %s has no component", name)
		}
	}
	sortProblems(p.probs.list)
	if err := p.probs.err(); err != nil {
		return nil, err
	}
	return p.g, nil
}

type tokenKind int

const (
	tEOF tokenKind = iota
	tNewline
	tComma
	tIdent  // a name, maybe with [index] or (Component)
	tString // 'text'
	tArrow  // -> or -(N)->
	tEquals
	tDot
	tColon
)

type token struct {
	kind     tokenKind
	text     string // the name or the string's content
	index    string // NAME[index]
	hasIndex bool
	comp     string // name(Component)
	hasComp  bool
	buffer   int // -(N)->
	pos      Pos
}

func (t token) describe() string {
	switch t.kind {
	case tIdent:
		return "'" + t.text + "'"
	case tString:
		return "an initial packet"
	case tArrow:
		return "'->'"
	case tEquals:
		return "'='"
	case tDot:
		return "'.'"
	case tColon:
		return "':'"
	}
	return "the end of the statement"
}

type fbpParser struct {
	g     *Graph
	probs problems
	procs map[string]int // process name → index in g.Processes
	used  map[string]Pos // process names used, where first
}

func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// lex splits src into tokens; a line with a lexical error is reported and
// skipped.
func (p *fbpParser) lex(src string) []token {
	var toks []token
	line, lineStart := 1, 0
	i := 0
	pos := func() Pos { return Pos{line, i - lineStart + 1} }
	skipLine := func() {
		for i < len(src) && src[i] != '\n' {
			i++
		}
	}
	for i < len(src) {
		c := src[i]
		start := pos()
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '\n':
			toks = append(toks, token{kind: tNewline, pos: start})
			i++
			line, lineStart = line+1, i
		case c == '#':
			skipLine()
		case c == ',':
			toks = append(toks, token{kind: tComma, pos: start})
			i++
		case c == '=':
			toks = append(toks, token{kind: tEquals, pos: start})
			i++
		case c == '.':
			toks = append(toks, token{kind: tDot, pos: start})
			i++
		case c == ':':
			toks = append(toks, token{kind: tColon, pos: start})
			i++
		case c == '\'':
			var b strings.Builder
			i++
			closed := false
			for i < len(src) && src[i] != '\n' {
				if src[i] == '\\' && i+1 < len(src) && (src[i+1] == '\'' || src[i+1] == '\\') {
					b.WriteByte(src[i+1])
					i += 2
					continue
				}
				if src[i] == '\'' {
					closed = true
					i++
					break
				}
				b.WriteByte(src[i])
				i++
			}
			if !closed {
				p.probs.add(start, `close it with ' on the same line; write \' for a quote inside`, "unterminated initial packet")
				continue
			}
			toks = append(toks, token{kind: tString, text: b.String(), pos: start})
		case c == '-' && i+1 < len(src) && src[i+1] == '>':
			toks = append(toks, token{kind: tArrow, pos: start})
			i += 2
		case c == '-' && i+1 < len(src) && src[i+1] == '(':
			j := i + 2
			for j < len(src) && '0' <= src[j] && src[j] <= '9' {
				j++
			}
			n, err := strconv.Atoi(src[i+2 : j])
			if err != nil || !strings.HasPrefix(src[j:], ")->") || n > maxBuffer {
				p.probs.add(start, fmt.Sprintf("write -(N)-> with N from 0 to %d", maxBuffer), "bad buffered connection")
				skipLine()
				continue
			}
			toks = append(toks, token{kind: tArrow, buffer: n, pos: start})
			i = j + 3
		case isNameByte(c):
			j := i
			for j < len(src) && (isNameByte(src[j]) || src[j] == '-' && j+1 < len(src) && isNameByte(src[j+1])) {
				j++
			}
			t := token{kind: tIdent, text: src[i:j], pos: start}
			i = j
			if i < len(src) && src[i] == '[' {
				end := strings.IndexAny(src[i:], "]\n")
				if end < 0 || src[i+end] != ']' || end == 1 {
					p.probs.add(pos(), "write PORT[0] or PORT[name]", "bad port index")
					skipLine()
					continue
				}
				t.index, t.hasIndex = src[i+1:i+end], true
				i += end + 1
			}
			if i < len(src) && src[i] == '(' {
				end := strings.IndexAny(src[i:], ")\n")
				if end < 0 || src[i+end] != ')' {
					p.probs.add(pos(), "write name(Component)", "unclosed component declaration")
					skipLine()
					continue
				}
				comp, _, _ := strings.Cut(src[i+1:i+end], ":") // name(Component:metadata)
				t.comp, t.hasComp = strings.TrimSpace(comp), true
				if t.comp == "" {
					p.probs.add(pos(), "write name(Component); `gochat graph components` lists them", "empty component name")
				}
				i += end + 1
			}
			toks = append(toks, t)
		default:
			p.probs.add(start, "", "unexpected character %q", rune(c))
			skipLine()
		}
	}
	return append(toks, token{kind: tEOF, pos: pos()})
}

// maxBuffer bounds a connection's buffer, so a typo cannot allocate
// gigabytes.
const maxBuffer = 1 << 16

func (p *fbpParser) statement(toks []token) {
	if toks[0].kind == tIdent && (toks[0].text == "INPORT" || toks[0].text == "OUTPORT") && len(toks) > 1 && toks[1].kind == tEquals {
		p.export(toks)
		return
	}
	p.chain(toks)
}

// export parses INPORT=proc.PORT:NAME or OUTPORT=proc.PORT:NAME.
func (p *fbpParser) export(toks []token) {
	kind := toks[0].text
	hint := kind + "=process.PORT:NAME"
	if len(toks) != 7 || toks[2].kind != tIdent || toks[3].kind != tDot || toks[4].kind != tIdent ||
		toks[5].kind != tColon || toks[6].kind != tIdent || toks[2].hasComp || toks[2].hasIndex || toks[4].hasComp || toks[6].hasComp || toks[6].hasIndex {
		p.probs.add(toks[0].pos, "write "+hint, "bad %s", kind)
		return
	}
	e := Export{Name: toks[6].text, Endpoint: Endpoint{Process: toks[2].text, Port: toks[4].text, Index: toks[4].index, Pos: toks[2].pos}}
	p.use(toks[2])
	if kind == "INPORT" {
		p.g.InPorts = append(p.g.InPorts, e)
	} else {
		p.g.OutPorts = append(p.g.OutPorts, e)
	}
}

// chain parses [IIP | proc PORT] -> PORT proc [PORT -> PORT proc]...
func (p *fbpParser) chain(toks []token) {
	i := 0
	next := func() token {
		if i < len(toks) {
			i++
			return toks[i-1]
		}
		return token{kind: tEOF, pos: toks[len(toks)-1].pos}
	}
	var src Endpoint
	var iip *token
	first := next()
	if len(toks) == 1 && first.kind == tIdent && first.hasComp && !first.hasIndex {
		p.use(first) // a declaration alone: name(Component)
		return
	}
	switch {
	case first.kind == tString:
		iip = &first
	case first.kind == tIdent && !first.hasIndex:
		port := next()
		if !p.isPort(port, "after process "+first.text) {
			return
		}
		p.use(first)
		src = Endpoint{Process: first.text, Port: port.text, Index: port.index, Pos: port.pos}
	default:
		p.probs.add(first.pos, "a statement is proc PORT -> PORT proc, 'data' -> PORT proc, or INPORT=proc.PORT:NAME", "unexpected %s", first.describe())
		return
	}
	for {
		arrow := next()
		if arrow.kind != tArrow {
			p.probs.add(arrow.pos, "connect with ->", "expected '->', found %s", arrow.describe())
			return
		}
		port := next()
		if !p.isPort(port, "after '->'") {
			return
		}
		proc := next()
		if proc.kind != tIdent || proc.hasIndex {
			p.probs.add(proc.pos, "write -> PORT process", "expected a process after port %s, found %s", port.text, proc.describe())
			return
		}
		p.use(proc)
		tgt := Endpoint{Process: proc.text, Port: port.text, Index: port.index, Pos: port.pos}
		if iip != nil {
			p.g.IIPs = append(p.g.IIPs, IIP{Data: iip.text, Tgt: tgt, Pos: iip.pos})
			iip = nil
		} else {
			p.g.Connections = append(p.g.Connections, Connection{Src: src, Tgt: tgt, Buffer: arrow.buffer, Pos: arrow.pos})
		}
		if i == len(toks) {
			return
		}
		out := next()
		if !p.isPort(out, "to continue the chain after process "+proc.text) {
			return
		}
		src = Endpoint{Process: proc.text, Port: out.text, Index: out.index, Pos: out.pos}
	}
}

func (p *fbpParser) isPort(t token, where string) bool {
	if t.kind != tIdent || t.hasComp {
		p.probs.add(t.pos, "ports are names like OUT, IN or OUT[0]", "expected a port %s, found %s", where, t.describe())
		return false
	}
	return true
}

// use records a process name, declaring it if t carries a component.
func (p *fbpParser) use(t token) {
	if _, ok := p.used[t.text]; !ok {
		p.used[t.text] = t.pos
	}
	if !t.hasComp || t.comp == "" {
		return
	}
	if i, ok := p.procs[t.text]; ok {
		if prev := p.g.Processes[i]; prev.Component != t.comp {
			p.probs.add(t.pos, "give each process its own name", "duplicate process %s: declared as %s at %s and as %s here",
				t.text, prev.Component, prev.Pos, t.comp)
		}
		return
	}
	p.procs[t.text] = len(p.g.Processes)
	p.g.Processes = append(p.g.Processes, Process{Name: t.text, Component: t.comp, Pos: t.pos})
}
