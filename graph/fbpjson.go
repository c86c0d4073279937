package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
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
// "outports" is read like "inports"; "properties", "groups" and each
// process's "metadata" are kept as they are; of a connection's metadata
// only "buffer" is read, and other keys ("caseSensitive") are ignored. An
// initial packet's data is its text if it is a JSON string, and its JSON
// otherwise. Problems carry the line and column of the value at fault.
// ParseJSON does not check components or ports: see Validate.
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
	if root.kind != kindObject {
		probs.add(root.pos, `a graph is an object with "processes" and "connections"`, "not a JSON graph")
		return nil, probs.err()
	}
	endpoint := func(v *jvalue, what string) (Endpoint, bool) {
		e := Endpoint{Pos: v.pos}
		proc, port := v.field("process"), v.field("port")
		if v.kind != kindObject || proc == nil || proc.kind != kindString || port == nil || port.kind != kindString {
			probs.add(v.pos, `write {"process": "name", "port": "PORT"}`, "%s must name a process and a port", what)
			return e, false
		}
		e.Process, e.Port, e.Pos = proc.str, port.str, port.pos
		if idx := v.field("index"); idx != nil {
			switch idx.kind {
			case kindNumber, kindString:
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
			if f.val.kind != kindObject {
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
				if p.val.kind != kindObject || comp == nil || comp.kind != kindString || comp.str == "" {
					probs.add(p.val.pos, `write {"component": "Component"}`, "process %s has no component", p.key)
					continue
				}
				proc := Process{Name: p.key, Component: comp.str, Pos: p.pos}
				if meta := p.val.field("metadata"); meta != nil && meta.kind != kindNull {
					if meta.kind != kindObject {
						probs.add(meta.pos, `write "metadata": {"x": 320, "y": 96}`, "metadata of process %s must be an object", p.key)
						continue
					}
					proc.Metadata = meta.object(src)
				}
				g.Processes = append(g.Processes, proc)
			}
		case "connections":
			if f.val.kind != kindArray {
				probs.add(f.val.pos, "", "connections must be an array")
				continue
			}
			for i, c := range f.val.arr {
				what := fmt.Sprintf("connections[%d]", i)
				tgtV := c.field("tgt")
				if c.kind != kindObject || tgtV == nil {
					probs.add(c.pos, `write {"src": {...}, "tgt": {...}} or {"data": ..., "tgt": {...}}`, "%s needs a tgt", what)
					continue
				}
				tgt, ok := endpoint(tgtV, what+".tgt")
				if !ok {
					continue
				}
				if data := c.field("data"); data != nil {
					iip := IIP{Data: data.str, Tgt: tgt, Pos: data.pos}
					if data.kind != kindString {
						iip.Data, iip.JSON = strings.TrimSpace(string(src[data.start:data.end])), true
					}
					g.IIPs = append(g.IIPs, iip)
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
					if buf.kind != kindNumber || err != nil || n < 0 || n > maxBuffer {
						probs.add(buf.pos, fmt.Sprintf("a whole number from 0 to %d", maxBuffer), "bad buffer in %s", what)
						continue
					}
					conn.Buffer = n
				}
				g.Connections = append(g.Connections, conn)
			}
		case "properties":
			if f.val.kind != kindObject {
				probs.add(f.val.pos, `write "properties": {"name": "chat"}`, "properties must be an object")
				continue
			}
			g.Properties = f.val.object(src)
		case "groups":
			if f.val.kind != kindArray {
				probs.add(f.val.pos, `write "groups": [{"name": "group", "nodes": ["process"]}]`, "groups must be an array")
				continue
			}
			for i, gv := range f.val.arr {
				var grp Group
				if gv.kind != kindObject || json.Unmarshal(src[gv.start:gv.end], &grp) != nil {
					probs.add(gv.pos, `write {"name": "group", "nodes": ["process"]}`, "groups[%d] must have a name and a list of nodes", i)
					continue
				}
				g.Groups = append(g.Groups, grp)
			}
		case "inports", "outports":
			if f.val.kind != kindObject {
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

// MarshalJSON writes g in the FBP JSON format that ParseJSON reads, as
// the reference parser (npm fbp) writes it: connections and initial
// packets in the order of the file, quoted initial packets as strings
// and JSON ones as JSON, node metadata, properties and groups. The
// properties' name is name when g has none.
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
		pos      Pos
	}
	type process struct {
		Component string         `json:"component"`
		Metadata  map[string]any `json:"metadata,omitempty"`
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
		Properties  map[string]any      `json:"properties"`
		InPorts     map[string]endpoint `json:"inports"`
		OutPorts    map[string]endpoint `json:"outports"`
		Groups      []Group             `json:"groups"`
		Processes   map[string]process  `json:"processes"`
		Connections []connection        `json:"connections"`
	}{
		Properties:  map[string]any{"name": name},
		InPorts:     map[string]endpoint{},
		OutPorts:    map[string]endpoint{},
		Groups:      []Group{},
		Processes:   map[string]process{},
		Connections: []connection{},
	}
	for k, v := range g.Properties {
		out.Properties[k] = v
	}
	out.Groups = append(out.Groups, g.Groups...)
	for _, e := range g.InPorts {
		out.InPorts[e.Name] = ep(e.Endpoint)
	}
	for _, e := range g.OutPorts {
		out.OutPorts[e.Name] = ep(e.Endpoint)
	}
	for _, p := range g.Processes {
		out.Processes[p.Name] = process{p.Component, p.Metadata}
	}
	for _, c := range g.Connections {
		src := ep(c.Src)
		conn := connection{Src: &src, Tgt: ep(c.Tgt), pos: c.Pos}
		if c.Buffer > 0 {
			conn.Metadata = map[string]int{"buffer": c.Buffer}
		}
		out.Connections = append(out.Connections, conn)
	}
	for _, iip := range g.IIPs {
		// JSON stays JSON, a string a string, and so is JSON too deep
		// for a graph file (ParseJSON reads either back as the same
		// text).
		data, _ := json.Marshal(iip.Data)
		if js, ok := compactJSON(iip); ok {
			data = js
		}
		out.Connections = append(out.Connections, connection{Data: data, Tgt: ep(iip.Tgt), pos: iip.Pos})
	}
	// In the file's order, as the reference writes them.
	slices.SortStableFunc(out.Connections, func(a, b connection) int { return comparePos(a.pos, b.pos) })
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal graph %s: %w", g.File, err)
	}
	return append(b, '\n'), nil
}

// iipDepth is how deep an initial packet's data sits in an FBP JSON
// graph: in the root object, its connections array, its connection.
const iipDepth = 3

// jkind is the kind of a JSON value.
type jkind int

// The kinds of JSON values.
const (
	kindNull jkind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

// jvalue is a JSON value with where it starts.
type jvalue struct {
	pos        Pos
	kind       jkind
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
	if v == nil || v.kind != kindObject {
		return nil
	}
	for _, f := range v.obj {
		if f.key == key {
			return f.val
		}
	}
	return nil
}

// object decodes an object value, numbers as json.Number; src is the
// text the tree was decoded from.
func (v *jvalue) object(src []byte) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(src[v.start:v.end]))
	dec.UseNumber()
	var m map[string]any
	_ = dec.Decode(&m) // the tree holds valid JSON no deeper than MaxDepth
	return m
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
			v.kind = kindArray
			if t == '{' {
				v.kind = kindObject
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
			v.kind, v.str = kindString, t
		case json.Number:
			v.kind, v.str = kindNumber, t.String()
		case bool:
			v.kind = kindBool
		case nil:
			v.kind = kindNull
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

// compactJSON returns a JSON initial packet's data as compact JSON, and
// false for a text packet or data that is not JSON within the depth an
// initial packet may have.
func compactJSON(iip IIP) ([]byte, bool) {
	if !iip.JSON || JSONDepth(iip.Data) > MaxDepth-iipDepth {
		return nil, false
	}
	var buf bytes.Buffer
	if json.Compact(&buf, []byte(iip.Data)) != nil { // Compact checks all of it, as json.Valid does
		return nil, false
	}
	return buf.Bytes(), true
}
