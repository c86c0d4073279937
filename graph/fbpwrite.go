package graph

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MarshalFBP writes g in the FBP DSL that ParseFBP reads: its properties
// as annotations, then its exports, connections, initial packets,
// declarations and comments in the order of their positions (a graph
// read from FBP JSON has them in the order of that file). Each
// connection is a statement of its own, every port is named, and each
// process is declared, with its metadata, where it is first named.
//
// What the DSL cannot say is left out and listed in lost, one line
// each: groups, and properties and metadata that are not annotation or
// metadata text ([A-Za-z0-9/_] in metadata; x and y whole numbers). A
// process, port or exported name that the DSL cannot spell is an error:
// the graph written without it would be another graph.
func MarshalFBP(g *Graph) (src []byte, lost []string, err error) {
	w := &fbpWriter{declared: map[string]bool{}, procs: map[string]*Process{}}
	for i := range g.Processes {
		p := &g.Processes[i]
		if !isNodeName(p.Name) || !isComponentName(p.Component) {
			return nil, nil, fmt.Errorf("write graph %s as FBP: process %q of component %q: the DSL has no such names", g.File, p.Name, p.Component)
		}
		w.procs[p.Name] = p
	}
	if err := w.check(g); err != nil {
		return nil, nil, fmt.Errorf("write graph %s as FBP: %w", g.File, err)
	}
	w.properties(g.Properties)
	for _, grp := range g.Groups {
		w.lose("group %s (%s): the DSL has no groups", grp.Name, strings.Join(grp.Nodes, ", "))
	}
	type item struct {
		pos     Pos
		comment bool   // a comment, text, which may follow a statement on its line
		text    string // a comment's text
		write   func()
	}
	var items []item
	for _, e := range g.InPorts {
		items = append(items, item{e.Pos, false, "", func() { w.printf("INPORT=%s.%s:%s", e.Process, e.Endpoint.PortName(), e.Name) }})
	}
	for _, e := range g.OutPorts {
		items = append(items, item{e.Pos, false, "", func() { w.printf("OUTPORT=%s.%s:%s", e.Process, e.Endpoint.PortName(), e.Name) }})
	}
	for _, c := range g.Connections {
		arrow := "->"
		if c.Buffer > 0 {
			arrow = fmt.Sprintf("-(%d)->", c.Buffer)
		}
		items = append(items, item{c.Pos, false, "", func() {
			w.printf("%s %s %s %s %s", w.node(c.Src.Process), c.Src.PortName(), arrow, c.Tgt.PortName(), w.node(c.Tgt.Process))
		}})
	}
	for _, iip := range g.IIPs {
		items = append(items, item{iip.Pos, false, "", func() {
			w.printf("%s -> %s %s", packet(iip), iip.Tgt.PortName(), w.node(iip.Tgt.Process))
		}})
	}
	for _, c := range g.Comments {
		items = append(items, item{c.Pos, true, c.Text, func() { w.printf("#%s", c.Text) }})
	}
	slices.SortStableFunc(items, func(a, b item) int { return comparePos(a.pos, b.pos) })
	line := 0
	for i, it := range items {
		switch {
		case i == 0:
		case it.comment && it.pos.Line == line && line > 0:
			w.b.WriteString(" ") // a comment after a statement stays on its line
			it.comment = false
		case len(g.Comments) > 0 && line > 0 && it.pos.Line > line+1:
			// A DSL file's blank lines between statements stay, one each;
			// positions in a JSON file are not lines of the DSL.
			w.b.WriteString("\n\n")
		default:
			w.b.WriteString("\n")
		}
		if it.pos.Line > 0 {
			line = it.pos.Line
		}
		if _, _, ok := annotation(it.text); ok && it.comment {
			// An indented comment that would be an annotation at the
			// start of a line stays indented.
			w.b.WriteString(" ")
		}
		it.write()
	}
	if len(items) > 0 {
		w.b.WriteString("\n")
	}
	// Processes no statement names are declared alone.
	for _, p := range g.Processes {
		if !w.declared[p.Name] {
			w.printf("%s\n", w.node(p.Name))
		}
	}
	return []byte(w.b.String()), w.lost, nil
}

// fbpWriter holds the state of MarshalFBP.
type fbpWriter struct {
	b        strings.Builder
	lost     []string
	procs    map[string]*Process
	declared map[string]bool
}

func (w *fbpWriter) printf(format string, args ...any) { fmt.Fprintf(&w.b, format, args...) }

func (w *fbpWriter) lose(format string, args ...any) {
	w.lost = append(w.lost, fmt.Sprintf(format, args...))
}

// check refuses a graph with endpoints or exports the DSL cannot spell.
func (w *fbpWriter) check(g *Graph) error {
	var eps []Endpoint
	for _, c := range g.Connections {
		eps = append(eps, c.Src, c.Tgt)
	}
	for _, iip := range g.IIPs {
		eps = append(eps, iip.Tgt)
	}
	for _, e := range slices.Concat(g.InPorts, g.OutPorts) {
		if !isPortName(e.Name) {
			return fmt.Errorf("exported port %q: the DSL has no such name", e.Name)
		}
		eps = append(eps, e.Endpoint)
	}
	for _, e := range eps {
		if _, ok := w.procs[e.Process]; !ok || !isPortName(e.Port) || strings.ContainsAny(e.Index, "]\n") {
			return fmt.Errorf("%s: the DSL has no such port, or no such process is declared", e)
		}
	}
	return nil
}

// properties writes the properties the DSL has annotations for.
func (w *fbpWriter) properties(props map[string]any) {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	slices.SortStableFunc(keys, func(a, b string) int { // the name first
		return boolInt(b == "name") - boolInt(a == "name")
	})
	for _, k := range keys {
		v := props[k]
		if env, ok := v.(map[string]any); ok && k == "environment" && len(env) == 1 {
			if typ, ok := env["type"].(string); ok && isAnnotationValue(typ) {
				w.printf("# @runtime %s\n", typ)
				continue
			}
		}
		if s, ok := v.(string); ok && isAnnotationKey(k) && k != "runtime" && isAnnotationValue(s) {
			w.printf("# @%s %s\n", k, s)
			continue
		}
		js, _ := json.Marshal(v)
		w.lose("property %s = %s: an annotation is # @key value, value [A-Za-z0-9_ .-]", k, js)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// node returns a process as the DSL names it: name(Component:metadata)
// the first time, name after.
func (w *fbpWriter) node(name string) string {
	if w.declared[name] {
		return name
	}
	w.declared[name] = true
	p := w.procs[name]
	return name + "(" + p.Component + w.metadata(p) + ")"
}

// metadata returns ":k=v,..." for the metadata the DSL can carry.
func (w *fbpWriter) metadata(p *Process) string {
	keys := make([]string, 0, len(p.Metadata))
	for k := range p.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var items []string
	for _, k := range keys {
		v := p.Metadata[k]
		if text, ok := metaText(k, v); ok {
			items = append(items, k+"="+text)
			continue
		}
		js, _ := json.Marshal(v)
		w.lose("metadata %s = %s of process %s: node metadata is [A-Za-z0-9/_] text, x and y whole numbers", k, js, p.Name)
	}
	if len(items) == 0 {
		return ""
	}
	return ":" + strings.Join(items, ",")
}

// metaText returns the DSL text of a metadata value that ParseFBP reads
// back as the same value.
func metaText(k string, v any) (string, bool) {
	if !allBytes(k, isMetaKeyByte) {
		return "", false
	}
	if k != "x" && k != "y" {
		s, ok := v.(string)
		return s, ok && allBytes(s, isMetaKeyByte)
	}
	var f float64
	switch n := v.(type) {
	case nil:
		return "", true // null, as the reference reads x= too
	case float64:
		f = n
	case json.Number:
		var err error
		if f, err = n.Float64(); err != nil {
			return "", false
		}
	default:
		return "", false
	}
	if f < 0 || f != math.Trunc(f) || math.IsInf(f, 0) {
		return "", false
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}

func isMetaKeyByte(c byte) bool { return isNameByte(c) || c == '/' }

// packet returns an initial packet as the DSL writes it: 'text' (\' for
// a quote), or JSON for a JSON packet and for text with a backslash or a
// control character, which the reference reads the same way only so.
func packet(iip IIP) string {
	if js, ok := compactJSON(iip); ok {
		return string(js)
	}
	special := strings.ContainsFunc(iip.Data, func(r rune) bool { return r == '\\' || r < ' ' || r == 0x7f })
	if special && utf8.ValidString(iip.Data) {
		js, _ := json.Marshal(iip.Data)
		return string(js)
	}
	// Text that is not UTF-8 only quotes carry as it is; gochat reads \\
	// in them as one backslash.
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(iip.Data) + "'"
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// isNodeName: [A-Za-z_][A-Za-z0-9_-]*, and not a keyword of the DSL.
func isNodeName(s string) bool {
	if s == "" || !isNameStart(s[0]) || !allBytes(s, func(c byte) bool { return isNameByte(c) || c == '-' }) ||
		strings.Contains(s, "->") || strings.HasSuffix(s, "-") {
		return false
	}
	return true
}

// isPortName: [A-Za-z_][A-Za-z0-9_.]*, no '.' at the end or twice in a row.
func isPortName(s string) bool {
	return s != "" && isNameStart(s[0]) && allBytes(s, func(c byte) bool { return isNameByte(c) || c == '.' }) &&
		!strings.HasSuffix(s, ".") && !strings.Contains(s, "..")
}

func isComponentName(s string) bool { return s != "" && allBytes(s, isComponentByte) }

func isAnnotationKey(s string) bool {
	return s != "" && allBytes(s, func(c byte) bool { return isNameByte(c) || c == '-' })
}

func isAnnotationValue(s string) bool {
	return s != "" && s[0] != ' ' && allBytes(s, func(c byte) bool { return isNameByte(c) || strings.IndexByte("- .", c) >= 0 })
}
