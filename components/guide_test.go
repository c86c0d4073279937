package components_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gochat/graph"
)

// guide is the "Write your own component" guide, from this package's
// folder.
const guide = "../docs/components.md"

// source matches the line before an excerpt, which names the file it is
// copied from as a link relative to the guide: [path](../path):
var source = regexp.MustCompile(`\[([^\]]+)\]\(\.\./([^)]+)\):\s*$`)

// output matches the line before an excerpt of what a graph command
// prints: from `gochat graph ARGS`:
var output = regexp.MustCompile("from `gochat graph ([^`]+)`:\\s*$")

// TestGuideExcerpts keeps the guide's code honest: every Go block, and
// every other block whose preceding line names a file, is copied word
// for word from that file, so it compiles and runs as the guide shows;
// a block said to come from a graph command is what it prints now.
// Edit the code, and the guide fails this test until its excerpt is
// copied again.
func TestGuideExcerpts(t *testing.T) {
	b, err := os.ReadFile(guide)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	checked, file, command := 0, "", ""
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if m := source.FindStringSubmatch(line); m != nil {
			if m[1] != m[2] {
				t.Errorf("%s:%d: the link text %s and its target %s differ", guide, i+1, m[1], m[2])
			}
			file = m[2]
			continue
		}
		if m := output.FindStringSubmatch(line); m != nil {
			command = m[1]
			continue
		}
		if !strings.HasPrefix(line, "```") {
			if strings.TrimSpace(line) != "" {
				file, command = "", "" // a source names only the block right after it
			}
			continue
		}
		lang, start := strings.TrimPrefix(line, "```"), i+1
		for i++; i < len(lines) && lines[i] != "```"; i++ {
		}
		if i == len(lines) {
			t.Fatalf("%s:%d: the code block never ends", guide, start)
		}
		excerpt := strings.Join(lines[start:i], "\n") + "\n"
		switch {
		case file == "" && lang == "go":
			t.Errorf("%s:%d: a Go excerpt must follow a line naming its file, e.g. From [components/webhook.go](../components/webhook.go):", guide, start)
		case command != "":
			var out, errs strings.Builder
			if code := graph.Command(strings.Fields(command), &out, &errs); code != 0 || !strings.Contains(out.String(), excerpt) {
				t.Errorf("%s:%d: gochat graph %s (exit %d) does not print this any more; copy it again:\n%s%s", guide, start, command, code, out.String(), errs.String())
			}
			checked++
		case file != "":
			src, err := os.ReadFile(filepath.Join("..", file))
			if err != nil {
				t.Errorf("%s:%d: %v", guide, start, err)
			} else if !strings.Contains(string(src), excerpt) {
				t.Errorf("%s:%d: the excerpt is not in %s as it is now; copy it again:\n%s", guide, start, file, excerpt)
			}
			checked++
		}
		file, command = "", ""
	}
	if checked < 10 {
		t.Errorf("only %d excerpts checked; the guide's excerpts are not found", checked)
	}
}
