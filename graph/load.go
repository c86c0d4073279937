package graph

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gochat/internal/regularfile"
)

// ReadFile returns the contents of the graph file at path. It refuses
// anything but a regular file (a FIFO, a device or a directory could
// block or never end) and a file of more than MaxFileBytes, which it
// notices after reading MaxFileBytes+1 bytes. Opening never blocks.
func ReadFile(path string) ([]byte, error) {
	f, err := regularfile.Open(path, os.O_RDONLY, 0)
	var nr *regularfile.NotRegular
	if errors.As(err, &nr) {
		return nil, fmt.Errorf("load graph %s: not a regular file (%s); a graph file must be one", path, nr.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("load graph %s: %w", path, err)
	}
	defer f.Close()
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
