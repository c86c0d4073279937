package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gochat/graph"
	"gochat/internal/testutil"
)

// referenceFBP is the npm package of the reference parser of the FBP
// DSL (flowbased/fbp), the grammar gochat's parser follows.
const referenceFBP = "fbp@1.8"

// TestConformsToReferenceParser: for the shipped graphs and a corpus of
// valid DSL (graph/testdata/fbp), `graph json` writes the FBP JSON that
// the reference parser, npm fbp, makes of the same file, compared as
// JSON values. Two differences are on purpose (README, "Graph tools"):
// the reference adds "caseSensitive" (it is run case-sensitive, as
// gochat keeps port names as written), and gochat names a graph without
// a # @name annotation after its file.
func TestConformsToReferenceParser(t *testing.T) {
	node := testutil.Tool(t, "nodejs", "node", "nodejs")
	module := filepath.Join(testutil.NPMPackage(t, testutil.Tool(t, "npm", "npm"), referenceFBP, "fbp", "node_modules/fbp/package.json"), "node_modules", "fbp")
	files, _ := filepath.Glob("testdata/fbp/*.fbp")
	examples, _ := filepath.Glob("examples/*.fbp")
	files = append(append(files, "chat.fbp"), examples...)
	if len(files) < 6 {
		t.Fatalf("the corpus is missing: %v", files)
	}
	// One node process parses every file; a file the reference refuses
	// yields its error message.
	script := `const fbp = require(process.argv[1]), fs = require('fs'), out = {};
for (const f of process.argv.slice(2)) {
  try { out[f] = fbp.parse(fs.readFileSync(f, 'utf8'), {caseSensitive: true}); } catch (e) { out[f] = String(e.message); }
}
process.stdout.write(JSON.stringify(out));`
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, append([]string{"-e", script, module}, files...)...).Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var reference map[string]any
	if err := json.Unmarshal(out, &reference); err != nil {
		t.Fatalf("the reference's output: %v\n%s", err, out)
	}
	for _, f := range files {
		want, ok := reference[f].(map[string]any)
		if !ok {
			t.Errorf("%s: the reference parser refuses it: %v", f, reference[f])
			continue
		}
		var stdout, stderr bytes.Buffer
		if code := graph.Command([]string{"json", f}, &stdout, &stderr); code != 0 {
			t.Errorf("graph json %s: exit %d\n%s", f, code, &stderr)
			continue
		}
		var got map[string]any
		if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
			t.Fatalf("graph json %s: %v", f, err)
		}
		delete(want, "caseSensitive")
		if _, named := want["properties"]; !named {
			props := got["properties"].(map[string]any)
			if props["name"] != strings.TrimSuffix(filepath.Base(f), ".fbp") {
				t.Errorf("%s: a graph without @name is named after its file: %v", f, props)
			}
			delete(props, "name")
			if len(props) == 0 {
				delete(got, "properties")
			}
		}
		if !reflect.DeepEqual(got, want) {
			g, _ := json.MarshalIndent(got, "", "  ")
			w, _ := json.MarshalIndent(want, "", "  ")
			t.Errorf("%s: gochat's JSON differs from the reference's:\n%s\nwant\n%s", f, g, w)
		}
	}
}
