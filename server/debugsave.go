package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gochat/graph"
)

// saveGraph writes g over the graph file path as FBP JSON (gochat reads a
// file starting with '{' as FBP JSON whatever its name), keeping each
// process's x and y from posted, the FBP JSON the page sent, as its
// metadata. The old file is kept as path.bak. Both are written
// atomically: to a temp file in the same folder, renamed over.
func saveGraph(path string, g *graph.Graph, posted []byte) error {
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	text, err := graph.MarshalJSON(g, name)
	if err != nil {
		return err
	}
	if text, err = withPositions(text, posted); err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	old, err := os.ReadFile(path)
	switch {
	case err == nil:
		if st, err := os.Stat(path); err == nil {
			mode = st.Mode().Perm()
		}
		if err := writeAtomic(path+".bak", old, mode); err != nil {
			return fmt.Errorf("keep a backup: %w", err)
		}
	case !os.IsNotExist(err):
		return fmt.Errorf("keep a backup: %w", err)
	}
	return writeAtomic(path, text, mode)
}

// withPositions returns the FBP JSON graph text with the numeric x and y
// of each process's metadata in posted copied into it.
func withPositions(text, posted []byte) ([]byte, error) {
	var from struct {
		Processes map[string]struct {
			Metadata map[string]any `json:"metadata"`
		} `json:"processes"`
	}
	dec := json.NewDecoder(bytes.NewReader(posted))
	dec.UseNumber()
	if err := dec.Decode(&from); err != nil {
		return nil, fmt.Errorf("read positions: %w", err)
	}
	var to map[string]any
	dec = json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	if err := dec.Decode(&to); err != nil {
		return nil, fmt.Errorf("read positions: %w", err)
	}
	procs, _ := to["processes"].(map[string]any)
	for name, p := range procs {
		meta := map[string]any{}
		for _, k := range []string{"x", "y"} {
			if v, ok := from.Processes[name].Metadata[k].(json.Number); ok {
				meta[k] = v
			}
		}
		if pm, ok := p.(map[string]any); ok && len(meta) > 0 {
			pm["metadata"] = meta
		}
	}
	out, err := json.MarshalIndent(to, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("write positions: %w", err)
	}
	return append(out, '\n'), nil
}

// writeAtomic writes data to path through a temp file in path's folder,
// synced, then renamed over path: a reader sees the old file or the new
// one, never a part.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
