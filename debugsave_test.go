package main

import (
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"

	"gochat/graph"
)

// TestLiveGraphSaveSurvivesRestart: an edit saved from the live graph
// page (POST /debug/save with the page's token) is written over the
// -graph file, and the built binary started again on that file runs it.
func TestLiveGraphSaveSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "chat.fbp")
	if err := os.WriteFile(file, graph.DefaultSource(), 0o644); err != nil {
		t.Fatal(err)
	}
	moderated, err := graph.Load("graph/examples/moderated.fbp")
	if err != nil {
		t.Fatal(err)
	}
	body, err := graph.MarshalJSON(moderated, "moderated")
	if err != nil {
		t.Fatal(err)
	}
	b := StartBinary(t, "-debug", "-graph", file)
	page := b.do("GET", "debug/", "", "")
	token := regexp.MustCompile(`name="gochat-csrf" content="([0-9a-f]{64})"`).FindStringSubmatch(page.body)
	if page.status != 200 || token == nil {
		t.Fatalf("GET /debug/: %d %s", page.status, page.body)
	}
	if a := b.do("POST", "debug/save", "application/json", string(body), "X-Gochat-Csrf", token[1]); a.status != 200 {
		t.Fatalf("save: %d %s", a.status, a.body)
	}
	if err := b.Stop(syscall.SIGTERM); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := os.Stat(file + ".bak"); err != nil {
		t.Errorf("no backup: %v", err)
	}
	b = StartBinary(t, "-graph", file)
	if a := b.Post("r", "a", "buy spam now"); a.status != 422 {
		t.Errorf("after a restart on the saved file, spam: %d %s", a.status, a.body)
	}
	if a := b.Post("r", "a", "hello"); a.status != 201 {
		t.Errorf("after a restart on the saved file: %d %s", a.status, a.body)
	}
}
