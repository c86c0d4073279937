package graph

import (
	"fmt"
	"slices"
	"strings"
)

// Problem is one mistake in a graph file, with where it is and, when it
// helps, how to fix it.
type Problem struct {
	File string
	Pos  Pos
	Msg  string
	Hint string
}

// String returns file:line:col: message (hint).
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if pos := p.Pos.String(); pos != "" {
		b.WriteString(":" + pos)
	}
	b.WriteString(": " + p.Msg)
	if p.Hint != "" {
		b.WriteString(" (" + p.Hint + ")")
	}
	return b.String()
}

// Problems is every mistake found in a graph file; it is the error that
// parsing and validation return.
type Problems []Problem

// Error lists the problems, one a line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects Problems for one file, at most MaxProblems of them.
type problems struct {
	file string
	list Problems
	more int // problems found past MaxProblems
}

func (ps *problems) add(pos Pos, hint, format string, args ...any) {
	if len(ps.list) == MaxProblems {
		ps.more++
		return
	}
	ps.list = append(ps.list, Problem{File: ps.file, Pos: pos, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// full reports whether more problems would go uncounted but listed no
// more: a caller may then skip working out a hint.
func (ps *problems) full() bool { return len(ps.list) == MaxProblems }

// err returns the problems, nil if there are none; call it after
// sortProblems.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	if ps.more > 0 {
		return append(ps.list, Problem{File: ps.file, Msg: fmt.Sprintf("%d more problems not shown", ps.more), Hint: "fix the ones above first"})
	}
	return ps.list
}

func sortProblems(ps Problems) {
	slices.SortStableFunc(ps, func(a, b Problem) int { return comparePos(a.Pos, b.Pos) })
}

// comparePos orders positions by line, then column.
func comparePos(a, b Pos) int {
	if a.Line != b.Line {
		return a.Line - b.Line
	}
	return a.Col - b.Col
}
