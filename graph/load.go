package graph

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Load reads the graph file at path: FBP JSON when its name ends in .json
// or its text starts with '{', the FBP DSL otherwise.
func Load(path string) (*Graph, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load graph %s: %w", path, err)
	}
	return Parse(path, src)
}

// Parse reads a graph from src, named file in messages, in the format
// Load would pick.
func Parse(file string, src []byte) (*Graph, error) {
	if strings.EqualFold(filepath.Ext(file), ".json") || bytes.HasPrefix(bytes.TrimSpace(src), []byte("{")) {
		return ParseJSON(file, src)
	}
	return ParseFBP(file, src)
}

// LoadChecked is Load followed by Validate against the default catalogue.
func LoadChecked(path string) (*Graph, error) {
	g, err := Load(path)
	if err != nil {
		return nil, err
	}
	if err := Validate(g, DefaultCatalog()); err != nil {
		return nil, err
	}
	return g, nil
}
