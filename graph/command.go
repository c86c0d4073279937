package graph

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"gochat/components"
)

// CommandUsage describes the graph subcommands.
const CommandUsage = `Usage: gochat graph COMMAND [FILE]

  components   list every component, what it does, its ports and their defaults
               (--json: as FBP protocol component messages' payloads)
  check FILE   validate a graph file; exit 0 if it is sound, 1 with every problem if not
  dot FILE     print the graph in Graphviz DOT (render: dot -Tsvg), its problems
               marked in red and listed on stderr
  json FILE    print the graph in the FBP JSON format
  fbp FILE     print the graph in the FBP DSL

FILE is an FBP DSL file (.fbp) or an FBP JSON graph (.json); "-" names the
embedded default graph. json and fbp convert any graph the grammar
accepts, whatever its components; check and dot validate it against
gochat's components.
`

// Command runs `gochat graph ARGS...` and returns its exit code.
func Command(args []string, stdout, stderr io.Writer) int {
	if len(args) >= 1 && args[0] == "components" {
		switch {
		case len(args) == 1:
			writeComponents(stdout)
			return 0
		case len(args) == 2 && args[1] == "--json":
			stdout.Write(ComponentsJSON(components.Catalog()))
			return 0
		}
	}
	if len(args) != 2 || !strings.Contains(" check dot json fbp ", " "+args[0]+" ") {
		fmt.Fprint(stderr, CommandUsage)
		return 2
	}
	var g *Graph
	var err error
	if args[1] == "-" {
		g, err = Default(), nil
	} else {
		g, err = Load(args[1])
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	// Conversion takes any graph the grammar accepts; the rest validate.
	if args[0] != "json" && args[0] != "fbp" {
		err = Validate(g, DefaultCatalog())
	}
	if args[0] == "dot" {
		// Drawn even with problems, which are marked: check is the gate.
		var probs Problems
		if errors.As(err, &probs) {
			fmt.Fprintln(stderr, err)
		}
		stdout.Write(DOTProblems(g, probs))
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	switch args[0] {
	case "check":
		fmt.Fprintf(stdout, "%s: ok: %d processes, %d connections, %d initial packets\n", g.File, len(g.Processes), len(g.Connections), len(g.IIPs))
	case "json":
		b, err := MarshalJSON(g, strings.TrimSuffix(filepath.Base(g.File), filepath.Ext(g.File)))
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		stdout.Write(b)
	case "fbp":
		b, lost, err := MarshalFBP(g)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		for _, l := range lost {
			fmt.Fprintf(stderr, "%s: not written, the DSL cannot say it: %s\n", g.File, l)
		}
		stdout.Write(b)
	}
	return 0
}

// writeComponents lists every component, what it does, and its ports;
// a configuration port says what it takes and its default.
func writeComponents(w io.Writer) {
	for _, info := range components.Catalog() {
		fmt.Fprintf(w, "%s\n    %s\n", info.Name, info.Description)
		for _, p := range info.Ports() {
			line := "    " + p.String()
			if p.Description != "" {
				line += ": " + p.Description
			}
			if c := p.Config; c != nil {
				if len(c.Values) > 0 {
					line += "; one of " + strings.Join(c.Values, ", ")
				}
				if !p.Required && c.Default != "" { // an empty default goes without saying
					line += "; default '" + c.Default + "'"
				}
			}
			fmt.Fprintln(w, line)
		}
	}
}
