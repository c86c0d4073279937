package graph

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ReadFile returns the contents of the graph file at path. It refuses
// anything but a regular file (a FIFO, a device or a directory could
// block or never end) and a file of more than MaxFileBytes, which it
// notices after reading MaxFileBytes+1 bytes. Opening never blocks.
func ReadFile(path string) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO nobody writes to would otherwise wait
	// for a writer. It changes nothing for a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("load graph %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("load graph %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("load graph %s: not a regular file (%s); a graph file must be one", path, describeMode(info.Mode()))
	}
	src, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("load graph %s: %w", path, err)
	}
	if len(src) > MaxFileBytes {
		return nil, fmt.Errorf("load graph %s: %s", path, tooLarge())
	}
	return src, nil
}

// tooLarge says that a graph file is past MaxFileBytes.
func tooLarge() string { return fmt.Sprintf("graph file is larger than %d MiB", MaxFileBytes>>20) }

// describeMode names the kind of file mode m is, for messages.
func describeMode(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "mode " + m.String()
}

// Load reads the graph file at path with ReadFile and parses it: FBP JSON
// when its name ends in .json or its text starts with '{', the FBP DSL
// otherwise.
func Load(path string) (*Graph, error) {
	src, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src)
}

// Parse reads a graph from src, named file in messages, in the format
// Load would pick. A src of more than MaxFileBytes is refused.
func Parse(file string, src []byte) (*Graph, error) {
	if len(src) > MaxFileBytes {
		return nil, Problems{{File: file, Msg: tooLarge(), Hint: "split it, or drop what gochat does not read"}}
	}
	if strings.EqualFold(filepath.Ext(file), ".json") || bytes.HasPrefix(bytes.TrimSpace(src), []byte("{")) {
		return ParseJSON(file, src)
	}
	return ParseFBP(file, src)
}
