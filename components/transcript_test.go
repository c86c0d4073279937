package components_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gochat/components"
	"gochat/internal/testutil"
	"gochat/store"
	"gochat/wire"
)

func TestTranscriptToFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.jsonl")
	in, out := make(chan *components.Reply), make(chan *components.Reply, 3)
	p := make(chan string, 1)
	p <- path
	close(p)
	tr := components.NewTranscript(nil, slog.New(slog.DiscardHandler))
	tr.Path, tr.In, tr.Out = p, in, out
	done := Start(tr)
	msg := store.Message{ID: 1, Room: "r", Author: "ann", Text: "hi <b>", Time: time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)}
	reps := []*components.Reply{
		{Status: 201, Body: wire.NewPayload(msg)}, // as Storage sends it
		{Status: 200, Body: components.ReadAnswer{}},
		{Err: wire.Errorf(400, "bad")},
	}
	for _, rep := range reps {
		in <- rep
		if got := Recv(t, out); got != rep {
			t.Errorf("reply not passed on unchanged: %+v", got)
		}
	}
	close(in)
	Recv(t, done)
	b, err := os.ReadFile(path)
	want := `{"id":1,"room":"r","author":"ann","text":"hi \u003cb\u003e","time":"2026-01-02T03:04:05.006Z"}` + "\n"
	if err != nil || string(b) != want {
		t.Errorf("transcript: %q %v, want %q", b, err, want)
	}
}

// blockedWriter never returns from Write until released.
type blockedWriter struct{ release chan struct{} }

func (w blockedWriter) Write(p []byte) (int, error) { <-w.release; return len(p), nil }

func TestTranscriptNeverBlocksTheChat(t *testing.T) {
	w := blockedWriter{make(chan struct{})}
	in, out := make(chan *components.Reply), make(chan *components.Reply)
	tr := components.NewTranscript(w, slog.New(slog.DiscardHandler))
	tr.In, tr.Out = in, out
	done := Start(tr)
	// Far more messages than the buffer holds all pass, with the output stuck.
	for i := range components.TranscriptBuffer * 2 {
		in <- &components.Reply{Status: 201, Body: store.Message{ID: uint64(i + 1)}}
		Recv(t, out)
	}
	close(w.release)
	close(in)
	Recv(t, done)
}

// TestTranscriptNeverOpensAFIFO: a PATH that is a FIFO nobody reads
// would block open(2) for writing, and with it the answer path. The
// Transcript refuses it, logs why, and passes every reply on.
func TestTranscriptNeverOpensAFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	var logs testutil.LogBuffer
	in, out := make(chan *components.Reply), make(chan *components.Reply)
	p := make(chan string, 1)
	p <- fifo
	close(p)
	tr := components.NewTranscript(nil, logs.Logger())
	tr.Path, tr.In, tr.Out = p, in, out
	done := Start(tr)
	for i := range 3 {
		rep := &components.Reply{Status: 201, Body: store.Message{ID: uint64(i + 1)}}
		select {
		case in <- rep:
		case <-time.After(timeout):
			t.Fatal("the Transcript does not take replies: blocked opening its FIFO")
		}
		Recv(t, out)
	}
	close(in)
	Recv(t, done)
	if !strings.Contains(logs.String(), "PATH must be a regular file or 'stdout'") {
		t.Errorf("logs:\n%s", logs.String())
	}
}

// TestTranscriptPath: how graph check reads the Transcript's PATH.
func TestTranscriptPath(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(dir, "existing.jsonl")
	os.WriteFile(existing, []byte("{}\n"), 0o644)
	fresh := filepath.Join(dir, "fresh.jsonl")
	parse := ConfigParse(t, (*components.Transcript)(nil), "Path")
	for path, want := range map[string]string{
		"stdout":                 "",
		existing:                 "",
		fresh:                    "",
		fifo:                     "PATH must be a regular file or 'stdout': " + fifo + " is a FIFO",
		"/dev/null":              "PATH must be a regular file or 'stdout': /dev/null is a character device",
		dir:                      "PATH must be a regular file or 'stdout': " + dir + " is a directory",
		dir + "/missing/x.jsonl": "cannot open PATH for appending: open " + dir + "/missing/x.jsonl: no such file or directory",
	} {
		_, err := parse(path)
		if (want == "") != (err == nil) || err != nil && err.Error() != want {
			t.Errorf("%s: got %v, want %q", path, err, want)
		}
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("the check left %s behind: %v", fresh, err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "{}\n" {
		t.Errorf("the check changed %s: %q", existing, b)
	}
}
