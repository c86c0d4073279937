package components

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"time"

	"gochat/internal/regularfile"
	"gochat/wire"
)

// Transcript buffering: how many lines wait for a slow output before new
// ones are dropped, and how long a stopping Transcript waits for its
// output to take what is left.
const (
	TranscriptBuffer = 4096
	transcriptFlush  = 5 * time.Second
)

// Transcript is a tap on the answer path: it passes every reply on
// unchanged and copies each stored message (a 201 reply) as one JSON line
// to PATH: a regular file, appended to, or "stdout" (the default); a
// FIFO, a device or a directory is refused (see ConfigPorts), and opening
// never blocks. Lines are written by their own goroutine behind a buffer
// of TranscriptBuffer lines: a slow output never slows or blocks the
// chat; when the buffer is full, lines are dropped and the drops logged.
type Transcript struct {
	Path <-chan string `fbp:"optional"` // a regular file, appended to, or "stdout"
	In   <-chan *Reply `description:"replies, e.g. from Storage"`
	Out  chan<- *Reply `description:"the same replies, e.g. to the Responder"`

	stdout io.Writer
	log    *slog.Logger
}

// NewTranscript returns a Transcript whose "stdout" is stdout (nil
// discards).
func NewTranscript(stdout io.Writer, log *slog.Logger) *Transcript {
	if stdout == nil {
		stdout = io.Discard
	}
	return &Transcript{stdout: stdout, log: log}
}

// Process copies and forwards replies until In closes.
func (t *Transcript) Process() {
	path := "stdout"
	if t.Path != nil {
		if p, ok := <-t.Path; ok && p != "" {
			path = p
		}
	}
	out, closeOut := t.open(path)
	lines := make(chan []byte, TranscriptBuffer)
	written := make(chan struct{})
	go func() {
		defer close(written)
		for line := range lines {
			if out != nil {
				if _, err := out.Write(line); err != nil {
					t.log.Error("Transcript: write failed; later lines may be lost", "path", path, "err", err)
					out = nil
				}
			}
		}
	}()
	relayTaking(t.In, t.Out, messageJSON, lines, func(dropped uint64) {
		if powerOfTwo(dropped) {
			t.log.Warn("Transcript: output too slow; lines dropped", "path", path, "dropped", dropped)
		}
	})
	close(lines)
	select {
	case <-written:
	case <-time.After(transcriptFlush):
		t.log.Error("Transcript: output still blocked after stopping; giving up on it", "path", path)
	}
	closeOut()
}

func (t *Transcript) open(path string) (io.Writer, func()) {
	if isStdout(path) {
		return t.stdout, func() {}
	}
	f, err := openTranscript(path, os.O_CREATE)
	if err != nil {
		t.log.Error("Transcript: cannot open its output; messages are not transcribed", "path", path, "err", err)
		return nil, func() {}
	}
	return f, func() { f.Close() }
}

// ConfigPorts implements Configurable: PATH.
func (*Transcript) ConfigPorts() []ConfigPort {
	return []ConfigPort{{Port: "Path", Type: "string", Default: "stdout",
		Description: "where the lines go: a regular file, appended to (created if missing), or stdout",
		Parse:       parsePath}}
}

// parsePath reads PATH: "stdout" or a regular file the Transcript can
// open for appending (created if missing). The check leaves no file
// behind.
func parsePath(path string) (any, error) {
	if isStdout(path) {
		return path, nil
	}
	flag := 0
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		flag = os.O_CREATE | os.O_EXCL
	}
	f, err := openTranscript(path, flag)
	if err != nil {
		return nil, err
	}
	f.Close()
	if flag != 0 {
		os.Remove(path)
	}
	return path, nil
}

func isStdout(path string) bool { return path == "" || path == "stdout" || path == "-" }

// openTranscript opens path for appending, with flag, if it is a regular
// file: never a FIFO or a device, and without ever blocking.
func openTranscript(path string, flag int) (*os.File, error) {
	f, err := regularfile.Open(path, os.O_WRONLY|os.O_APPEND|flag, 0o644)
	var nr *regularfile.NotRegular
	if errors.As(err, &nr) {
		return nil, fmt.Errorf("PATH must be a regular file or 'stdout': %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot open PATH for appending: %w", err)
	}
	return f, nil
}

// messageJSON returns the JSON line of a stored message's reply (a 201).
func messageJSON(rep *Reply) ([]byte, bool) {
	if b, ok := storedMessage(rep); ok {
		return append(slices.Clip(b.Bytes()), '\n'), true
	}
	return nil, false
}

// storedMessage returns the message of a stored message's reply (a 201
// from Storage), not yet encoded.
func storedMessage(rep *Reply) (*wire.Payload, bool) {
	if rep.Err != nil || rep.Status != 201 {
		return nil, false
	}
	b, ok := rep.Body.(*wire.Payload)
	return b, ok
}
