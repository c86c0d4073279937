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

// problems collects Problems for one file.
type problems struct {
	file string
	list Problems
}

func (ps *problems) add(pos Pos, hint, format string, args ...any) {
	ps.list = append(ps.list, Problem{File: ps.file, Pos: pos, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	return ps.list
}

func sortProblems(ps Problems) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Col - b.Pos.Col
	})
}
