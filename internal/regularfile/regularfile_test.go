package regularfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(file, os.O_RDONLY, 0)
	if err != nil {
		t.Fatalf("a regular file: %v", err)
	}
	f.Close()
	// Nobody is at the FIFO's other end: the open must not wait.
	for path, kind := range map[string]string{fifo: "a FIFO", dir: "a directory", "/dev/null": "a character device"} {
		for _, flag := range []int{os.O_RDONLY, os.O_WRONLY | os.O_APPEND} {
			_, err := Open(path, flag, 0)
			var nr *NotRegular
			if !errors.As(err, &nr) || nr.Kind != kind || nr.Path != path {
				t.Errorf("Open(%s, %#x): %v, want it refused as %s", path, flag, err, kind)
			}
		}
	}
	if _, err := Open(filepath.Join(dir, "missing"), os.O_RDONLY, 0); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
}
