package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
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
	module := installReference(t, testutil.Tool(t, "npm", "npm"))
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

// installReference returns the directory of the reference parser's npm
// module, installing it with npm into the user's cache (where it stays
// for the next runs) when it is not there.
func installReference(t *testing.T, npm string) string {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "gochat-test", "fbp")
	module := filepath.Join(dir, "node_modules", "fbp")
	if _, err := os.Stat(filepath.Join(module, "package.json")); err == nil {
		return module
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	// Install beside it and rename, so a test running at the same time
	// never sees half a module.
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "fbp-install-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--prefix", tmp, referenceFBP)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install %s: %v\n%s", referenceFBP, err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(module, "package.json")); statErr != nil {
			t.Fatalf("install %s into %s: %v", referenceFBP, dir, err)
		}
	}
	return module
}
