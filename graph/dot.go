package graph

import (
	"fmt"
	"strconv"
	"strings"
)

// DOT draws g in Graphviz's DOT language: processes as boxes labelled
// "name (Component)", connections as edges labelled "OUT → IN", initial
// packets as notes and exported inports as plain text. When counts is not
// nil, counts[i] is added to the label of g.Connections[i].
func DOT(g *Graph, counts []uint64) []byte { return drawDOT(g, counts, nil) }

// DOTProblems draws g as DOT does, with probs, the problems Check found
// in it, marked where they are: the processes, connections, initial
// packets and exports at a problem's position in red, the message as
// their tooltip. Problems of the whole graph, or at no such place, are
// listed in red under the drawing. A half-edited file can thus be looked
// at; `gochat graph check` is what refuses it.
func DOTProblems(g *Graph, probs Problems) []byte { return drawDOT(g, nil, probs) }

// problemMarks holds the messages of problems by position.
type problemMarks struct {
	at   map[Pos][]string
	used map[Pos]bool
}

// attrs returns the DOT attributes that mark the problems at any of
// positions ("" if none), and notes them as drawn.
func (m *problemMarks) attrs(positions ...Pos) string {
	var msgs []string
	for _, pos := range positions {
		if pos.Line == 0 || len(m.at[pos]) == 0 {
			continue
		}
		m.used[pos] = true
		msgs = append(msgs, m.at[pos]...)
	}
	if len(msgs) == 0 {
		return ""
	}
	return fmt.Sprintf(", color=red, fontcolor=red, penwidth=2, tooltip=%s", strconv.Quote(strings.Join(msgs, "\n")))
}

func drawDOT(g *Graph, counts []uint64, probs Problems) []byte {
	marks := &problemMarks{at: map[Pos][]string{}, used: map[Pos]bool{}}
	for _, p := range probs {
		msg := p.Msg
		if p.Hint != "" {
			msg += " (" + p.Hint + ")"
		}
		marks.at[p.Pos] = append(marks.at[p.Pos], msg)
	}
	var b strings.Builder
	q := strconv.Quote
	b.WriteString("digraph gochat {\n")
	b.WriteString("  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n")
	for _, p := range g.Processes {
		fmt.Fprintf(&b, "  %s [label=%s%s];\n", q(p.Name), q(p.Name+" ("+p.Component+")"), marks.attrs(p.Pos))
	}
	for i, e := range g.InPorts {
		id := fmt.Sprintf("_in%d", i)
		fmt.Fprintf(&b, "  %s [label=%s, shape=plaintext];\n", q(id), q(e.Name))
		fmt.Fprintf(&b, "  %s -> %s [label=%s%s];\n", q(id), q(e.Process), q("→ "+strings.ToUpper(e.PortName())), marks.attrs(e.Pos))
	}
	for i, e := range g.OutPorts {
		id := fmt.Sprintf("_out%d", i)
		fmt.Fprintf(&b, "  %s [label=%s, shape=plaintext];\n", q(id), q(e.Name))
		fmt.Fprintf(&b, "  %s -> %s [label=%s%s];\n", q(e.Process), q(id), q(strings.ToUpper(e.PortName())+" →"), marks.attrs(e.Pos))
	}
	for i, c := range g.Connections {
		label := strings.ToUpper(c.Src.PortName()) + " → " + strings.ToUpper(c.Tgt.PortName())
		if c.Buffer > 0 {
			label += fmt.Sprintf(" (buffer %d)", c.Buffer)
		}
		if counts != nil && i < len(counts) {
			label += fmt.Sprintf("\n%d packets", counts[i])
		}
		fmt.Fprintf(&b, "  %s -> %s [label=%s%s];\n", q(c.Src.Process), q(c.Tgt.Process), q(label), marks.attrs(c.Pos, c.Src.Pos, c.Tgt.Pos))
	}
	for i, iip := range g.IIPs {
		id := fmt.Sprintf("_iip%d", i)
		mark := marks.attrs(iip.Pos, iip.Tgt.Pos)
		fmt.Fprintf(&b, "  %s [label=%s, shape=note, style=\"\"%s];\n", q(id), q("'"+iip.Data+"'"), mark)
		fmt.Fprintf(&b, "  %s -> %s [label=%s, style=dashed%s];\n", q(id), q(iip.Tgt.Process), q("→ "+strings.ToUpper(iip.Tgt.PortName())), mark)
	}
	var rest []string
	for _, p := range probs {
		if !marks.used[p.Pos] {
			rest = append(rest, p.String())
		}
	}
	if len(rest) > 0 {
		fmt.Fprintf(&b, "  labelloc=b;\n  fontcolor=red;\n  fontname=\"Helvetica\";\n  label=%s;\n", q(strings.Join(rest, "\n")))
	}
	b.WriteString("}\n")
	return []byte(b.String())
}
