package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gochat/graph"
)

// saveGraph writes g over the graph file path as FBP JSON (gochat reads a
// file starting with '{' as FBP JSON whatever its name), with each
// process's metadata, its x and y among them. The old file is kept as
// path.bak. Both are written atomically: to a temp file in the same
// folder, renamed over.
func saveGraph(path string, g *graph.Graph) error {
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	text, err := graph.MarshalJSON(g, name)
	if err != nil {
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
