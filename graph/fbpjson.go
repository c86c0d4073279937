package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// ParseJSON reads a graph in the FBP JSON format that FBP tools exchange:
//
//	{"inports":    {"HTTP": {"process": "router", "port": "in"}},
//	 "processes":  {"router": {"component": "Router"}, ...},
//	 "connections": [
//	   {"src": {"process": "router", "port": "read"}, "tgt": {"process": "controller", "port": "in"}},
//	   {"src": {"process": "split", "port": "out", "index": 0}, "tgt": ..., "metadata": {"buffer": 16}},
//	   {"data": 10000, "tgt": {"process": "storage", "port": "capacity"}}]}
//
// "outports" is read like "inports"; other keys ("properties", "groups",
// "caseSensitive", metadata) are ignored but for a connection's
// metadata.buffer. An initial packet's data is its text if it is a JSON
// string, and its JSON otherwise. Problems carry the line and column of
// the value at fault.
func ParseJSON(file string, src []byte) (*Graph, error) {
	probs := problems{file: file}
	root, err := decodeTree(src)
	if err != nil {
		var se *treeError
		if errors.As(err, &se) {
			probs.add(se.pos, "", "%s", se.msg)
		} else {
			probs.add(Pos{}, "", "%v", err)
		}
		return nil, probs.err()
	}
	g := &Graph{File: file}
	if root.kind != '{' {
		probs.add(root.pos, `a graph is an object with "processes" and "connections"`, "not a JSON graph")
		return nil, probs.err()
	}
	endpoint := func(v *jvalue, what string) (Endpoint, bool) {
		e := Endpoint{Pos: v.pos}
		proc, port := v.field("process"), v.field("port")
		if v.kind != '{' || proc == nil || proc.kind != 's' || port == nil || port.kind != 's' {
			probs.add(v.pos, `write {"process": "name", "port": "PORT"}`, "%s must name a process and a port", what)
			return e, false
		}
		e.Process, e.Port, e.Pos = proc.str, port.str, port.pos
		if idx := v.field("index"); idx != nil {
			switch idx.kind {
			case 'n', 's':
				e.Index = idx.str
			default:
				probs.add(idx.pos, "an index is a number or a string", "bad index in %s", what)
				return e, false
			}
		}
		return e, true
	}
	for _, f := range root.obj {
		switch f.key {
		case "processes":
			if f.val.kind != '{' {
				probs.add(f.val.pos, `write "processes": {"name": {"component": "Component"}}`, "processes must be an object")
				continue
			}
			seen := map[string]Pos{}
			for _, p := range f.val.obj {
				if prev, dup := seen[p.key]; dup {
					probs.add(p.pos, "give each process its own name", "duplicate process %s: also declared at %s", p.key, prev)
					continue
				}
				seen[p.key] = p.pos
				comp := p.val.field("component")
				if p.val.kind != '{' || comp == nil || comp.kind != 's' || comp.str == "" {
					probs.add(p.val.pos, `write {"component": "Component"}`, "process %s has no component", p.key)
					continue
				}
				g.Processes = append(g.Processes, Process{Name: p.key, Component: comp.str, Pos: p.pos})
			}
		case "connections":
			if f.val.kind != '[' {
				probs.add(f.val.pos, "", "connections must be an array")
				continue
			}
			for i, c := range f.val.arr {
				what := fmt.Sprintf("connections[%d]", i)
				tgtV := c.field("tgt")
				if c.kind != '{' || tgtV == nil {
					probs.add(c.pos, `write {"src": {...}, "tgt": {...}} or {"data": ..., "tgt": {...}}`, "%s needs a tgt", what)
					continue
				}
				tgt, ok := endpoint(tgtV, what+".tgt")
				if !ok {
					continue
				}
				if data := c.field("data"); data != nil {
					text := strings.TrimSpace(string(src[data.start:data.end]))
					if data.kind == 's' {
						text = data.str
					}
					g.IIPs = append(g.IIPs, IIP{Data: text, Tgt: tgt, Pos: data.pos})
					continue
				}
				srcV := c.field("src")
				if srcV == nil {
					probs.add(c.pos, "", "%s needs a src or data", what)
					continue
				}
				src, ok := endpoint(srcV, what+".src")
				if !ok {
					continue
				}
				conn := Connection{Src: src, Tgt: tgt, Pos: c.pos}
				if buf := c.field("metadata").field("buffer"); buf != nil {
					n, err := strconv.Atoi(buf.str)
					if buf.kind != 'n' || err != nil || n < 0 || n > maxBuffer {
						probs.add(buf.pos, fmt.Sprintf("a whole number from 0 to %d", maxBuffer), "bad buffer in %s", what)
						continue
					}
					conn.Buffer = n
				}
				g.Connections = append(g.Connections, conn)
			}
		case "inports", "outports":
			if f.val.kind != '{' {
				probs.add(f.val.pos, "", "%s must be an object", f.key)
				continue
			}
			for _, p := range f.val.obj {
				e, ok := endpoint(p.val, f.key+"."+p.key)
				if !ok {
					continue
				}
				e.Pos = p.pos
				if f.key == "inports" {
					g.InPorts = append(g.InPorts, Export{Name: p.key, Endpoint: e})
				} else {
					g.OutPorts = append(g.OutPorts, Export{Name: p.key, Endpoint: e})
				}
			}
		}
	}
	sortProblems(probs.list)
	if err := probs.err(); err != nil {
		return nil, err
	}
	return g, nil
}

// MarshalJSON writes g in the FBP JSON format that ParseJSON reads.
func MarshalJSON(g *Graph, name string) ([]byte, error) {
	type endpoint struct {
		Process string `json:"process"`
		Port    string `json:"port"`
		Index   any    `json:"index,omitempty"`
	}
	type connection struct {
		Src      *endpoint       `json:"src,omitempty"`
		Data     json.RawMessage `json:"data,omitempty"`
		Tgt      endpoint        `json:"tgt"`
		Metadata map[string]int  `json:"metadata,omitempty"`
	}
	type process struct {
		Component string `json:"component"`
	}
	ep := func(e Endpoint) endpoint {
		out := endpoint{Process: e.Process, Port: e.Port}
		if e.Index != "" {
			out.Index = e.Index
			if n, err := strconv.Atoi(e.Index); err == nil {
				out.Index = n
			}
		}
		return out
	}
	out := struct {
		Properties  map[string]string   `json:"properties"`
		InPorts     map[string]endpoint `json:"inports"`
		OutPorts    map[string]endpoint `json:"outports"`
		Processes   map[string]process  `json:"processes"`
		Connections []connection        `json:"connections"`
	}{
		Properties:  map[string]string{"name": name},
		InPorts:     map[string]endpoint{},
		OutPorts:    map[string]endpoint{},
		Processes:   map[string]process{},
		Connections: []connection{},
	}
	for _, e := range g.InPorts {
		out.InPorts[e.Name] = ep(e.Endpoint)
	}
	for _, e := range g.OutPorts {
		out.OutPorts[e.Name] = ep(e.Endpoint)
	}
	for _, p := range g.Processes {
		out.Processes[p.Name] = process{p.Component}
	}
	for _, c := range g.Connections {
		src := ep(c.Src)
		conn := connection{Src: &src, Tgt: ep(c.Tgt)}
		if c.Buffer > 0 {
			conn.Metadata = map[string]int{"buffer": c.Buffer}
		}
		out.Connections = append(out.Connections, conn)
	}
	for _, iip := range g.IIPs {
		// JSON other than a string stays JSON; everything else is a string,
		// and so is JSON too deep for a graph file (ParseJSON reads either
		// back as the same text).
		data, _ := json.Marshal(iip.Data)
		var v any
		if jsonDepth(iip.Data) <= MaxDepth-iipDepth && json.Unmarshal([]byte(iip.Data), &v) == nil {
			if _, isString := v.(string); !isString {
				var buf bytes.Buffer
				if json.Compact(&buf, []byte(iip.Data)) == nil {
					data = buf.Bytes()
				}
			}
		}
		out.Connections = append(out.Connections, connection{Data: data, Tgt: ep(iip.Tgt)})
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal graph %s: %w", g.File, err)
	}
	return append(b, '\n'), nil
}

// iipDepth is how deep an initial packet's data sits in an FBP JSON
// graph: in the root object, its connections array, its connection.
const iipDepth = 3

// jvalue is a JSON value with where it starts.
type jvalue struct {
	pos        Pos
	kind       byte     // '{' object, '[' array, 's' string, 'n' number, 'b' bool, 'z' null
	obj        []jfield // in file order
	arr        []*jvalue
	str        string // a string's value, or a number's text
	start, end int    // the value's JSON text is src[start:end]
}

type jfield struct {
	key string
	pos Pos
	val *jvalue
}

// field returns the value of key in an object, nil if v is not an object
// or has no such key. It is safe on a nil v.
func (v *jvalue) field(key string) *jvalue {
	if v == nil || v.kind != '{' {
		return nil
	}
	for _, f := range v.obj {
		if f.key == key {
			return f.val
		}
	}
	return nil
}

type treeError struct {
	pos Pos
	msg string
}

// Error implements error.
func (e *treeError) Error() string { return e.pos.String() + ": " + e.msg }

// lineIndex turns byte offsets into line:column positions: it holds
// where each line starts, found in one pass, and looks an offset up by
// binary search, so positions cost O(log lines) each rather than a
// count from the start of the file.
type lineIndex []int

func newLineIndex(src []byte) lineIndex {
	starts := lineIndex{0}
	for i, c := range src {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// pos returns the line and column (counted in bytes, from 1) of offset
// off.
func (li lineIndex) pos(off int) Pos {
	line := sort.SearchInts(li, off+1) // the first line starting after off
	return Pos{line, off - li[line-1] + 1}
}

// decodeTree parses src into a tree of values that know their positions.
// It takes time and memory linear in len(src) and refuses values nested
// deeper than MaxDepth.
func decodeTree(src []byte) (*jvalue, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	lines := newLineIndex(src)
	posAt := func(off int64) Pos { return lines.pos(min(int(off), len(src))) }
	// start skips what separates tokens to find where the next one begins.
	start := func(off int64) int64 {
		for off < int64(len(src)) && strings.IndexByte(" \t\r\n,:", src[off]) >= 0 {
			off++
		}
		return off
	}
	fail := func(err error) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return &treeError{posAt(se.Offset), "not valid JSON: " + se.Error()}
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return &treeError{posAt(int64(len(src))), "not valid JSON: unexpected end of file"}
		}
		return &treeError{posAt(dec.InputOffset()), "not valid JSON: " + err.Error()}
	}
	var value func(depth int) (*jvalue, error)
	value = func(depth int) (*jvalue, error) {
		off := start(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return nil, fail(err)
		}
		v := &jvalue{pos: posAt(off), start: int(off)}
		switch t := tok.(type) {
		case json.Delim:
			if depth == MaxDepth {
				return nil, &treeError{v.pos, fmt.Sprintf("not valid JSON: nested deeper than %d", MaxDepth)}
			}
			v.kind = byte(t)
			if t == '{' {
				for dec.More() {
					koff := start(dec.InputOffset())
					k, err := dec.Token()
					if err != nil {
						return nil, fail(err)
					}
					key, _ := k.(string)
					val, err := value(depth + 1)
					if err != nil {
						return nil, err
					}
					v.obj = append(v.obj, jfield{key: key, pos: posAt(koff), val: val})
				}
			} else {
				for dec.More() {
					val, err := value(depth + 1)
					if err != nil {
						return nil, err
					}
					v.arr = append(v.arr, val)
				}
			}
			if _, err := dec.Token(); err != nil { // the closing delimiter
				return nil, fail(err)
			}
		case string:
			v.kind, v.str = 's', t
		case json.Number:
			v.kind, v.str = 'n', t.String()
		case bool:
			v.kind = 'b'
		case nil:
			v.kind = 'z'
		}
		v.end = int(dec.InputOffset())
		return v, nil
	}
	root, err := value(0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &treeError{posAt(start(dec.InputOffset())), "not valid JSON: more after the graph object"}
	}
	return root, nil
}
