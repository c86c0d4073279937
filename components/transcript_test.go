package components_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gochat/components"
	"gochat/store"
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
		{Status: 201, Body: msg},
		{Status: 200, Body: components.ReadAnswer{}},
		{Err: components.Errorf(400, "bad")},
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
