package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gochat/graph"
	"gochat/internal/testutil"
	"gochat/server"
)

// TestReloadBlocksNothing holds a reload up while it reads its graph
// file, as a slow or hostile file would: health checks, readiness, the
// API and Close go on meanwhile, and the reload then gives up.
func TestReloadBlocksNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.fbp")
	MustWrite(t, path, graph.DefaultSource())
	s, c := MustOpen(t, server.Config{GraphFile: path})
	reading, release := make(chan struct{}), make(chan struct{})
	server.SetReadGraph(s, func(path string) ([]byte, error) {
		close(reading)
		<-release
		return graph.ReadFile(path)
	})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	reloaded := make(chan error, 1)
	go func() { reloaded <- s.Reload() }()
	select {
	case <-reading:
	case <-time.After(timeout):
		t.Fatal("the reload does not read its file")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for _, path := range []string{"healthz", "readyz"} {
		if a, err := c.Do(ctx, "GET", path, "", ""); err != nil || a.Status != 200 {
			t.Fatalf("%s during a reload: %v %d %s", path, err, a.Status, a.Raw)
		}
	}
	if a, err := c.Do(ctx, "POST", "api/rooms/r/messages", "application/json", `{"text":"during a reload"}`); err != nil || a.Status != 201 {
		t.Fatalf("a post during a reload: %v %d %s", err, a.Status, a.Raw)
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close(ctx) }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("close: %v", err)
		}
	case <-time.After(timeout):
		t.Fatal("Close waits for a reload that is reading its file")
	}
	close(release)
	if err := <-reloaded; err == nil || !strings.Contains(err.Error(), "the server is closed") {
		t.Errorf("a reload that ends after Close: %v", err)
	}
}

// TestWatchReportsFilesItCannotRead: -watch logs a graph file that grew
// past the limit, once, and keeps the running graph.
func TestWatchReportsFilesItCannotRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.fbp")
	MustWrite(t, path, graph.DefaultSource())
	var logs LogBuffer
	s, c := MustOpen(t, server.Config{GraphFile: path, Watch: true, WatchInterval: 10 * time.Millisecond, Log: logs.Logger()})
	// Each file appears whole, as editors save: the watcher sees no half
	// of it.
	replace := func(src []byte) {
		MustWrite(t, path+".new", src)
		if err := os.Rename(path+".new", path); err != nil {
			t.Fatal(err)
		}
	}
	replace(append(graph.DefaultSource(), make([]byte, graph.MaxFileBytes)...))
	testutil.WaitFor(t, "the watcher to report the file", func() bool {
		return strings.Contains(logs.String(), "graph file is larger than 1 MiB")
	})
	c.Post("w", "", "still serving")
	replace(append(graph.DefaultSource(), "# edited\n"...))
	testutil.WaitFor(t, "the watcher to reload", func() bool { return s.Stats().Reloads.Load() == 1 })
	if n := s.Stats().ReloadFailures.Load(); n != 1 {
		t.Errorf("the oversized file was reported %d times", n)
	}
}
