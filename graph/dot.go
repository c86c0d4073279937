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
func DOT(g *Graph, counts []uint64) []byte {
	var b strings.Builder
	q := strconv.Quote
	b.WriteString("digraph gochat {\n")
	b.WriteString("  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n")
	for _, p := range g.Processes {
		fmt.Fprintf(&b, "  %s [label=%s];\n", q(p.Name), q(p.Name+" ("+p.Component+")"))
	}
	for i, e := range g.InPorts {
		id := fmt.Sprintf("_in%d", i)
		fmt.Fprintf(&b, "  %s [label=%s, shape=plaintext];\n", q(id), q(e.Name))
		fmt.Fprintf(&b, "  %s -> %s [label=%s];\n", q(id), q(e.Process), q("→ "+strings.ToUpper(e.PortName())))
	}
	for i, e := range g.OutPorts {
		id := fmt.Sprintf("_out%d", i)
		fmt.Fprintf(&b, "  %s [label=%s, shape=plaintext];\n", q(id), q(e.Name))
		fmt.Fprintf(&b, "  %s -> %s [label=%s];\n", q(e.Process), q(id), q(strings.ToUpper(e.PortName())+" →"))
	}
	for i, c := range g.Connections {
		label := strings.ToUpper(c.Src.PortName()) + " → " + strings.ToUpper(c.Tgt.PortName())
		if c.Buffer > 0 {
			label += fmt.Sprintf(" (buffer %d)", c.Buffer)
		}
		if counts != nil && i < len(counts) {
			label += fmt.Sprintf("\n%d packets", counts[i])
		}
		fmt.Fprintf(&b, "  %s -> %s [label=%s];\n", q(c.Src.Process), q(c.Tgt.Process), q(label))
	}
	for i, iip := range g.IIPs {
		id := fmt.Sprintf("_iip%d", i)
		fmt.Fprintf(&b, "  %s [label=%s, shape=note, style=\"\"];\n", q(id), q("'"+iip.Data+"'"))
		fmt.Fprintf(&b, "  %s -> %s [label=%s, style=dashed];\n", q(id), q(iip.Tgt.Process), q("→ "+strings.ToUpper(iip.Tgt.PortName())))
	}
	b.WriteString("}\n")
	return []byte(b.String())
}
