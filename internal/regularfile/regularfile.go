// Package regularfile opens files that must be regular files, such as
// graph files and transcripts, so that the open itself can never block:
// opening a FIFO nobody reads or writes would wait for the other end.
//
//	f, err := regularfile.Open("chat.fbp", os.O_RDONLY, 0)
//	var nr *regularfile.NotRegular
//	if errors.As(err, &nr) {
//		fmt.Println(nr.Path, "is", nr.Kind) // e.g. "/dev/zero is a character device"
//	}
package regularfile

import (
	"fmt"
	"os"
	"syscall"
)

// NotRegular is the error of a path that is not a regular file.
type NotRegular struct {
	Path string // the path opened
	Kind string // what it is instead, e.g. "a FIFO"
}

// Error says what the path is.
func (e *NotRegular) Error() string { return e.Path + " is " + e.Kind }

// Open opens path with flag and perm, as os.OpenFile does, and returns a
// *NotRegular error for anything but a regular file. It looks before it
// opens, and opens with O_NONBLOCK in case the path became a FIFO since:
// the open then fails rather than waits. O_NONBLOCK changes nothing for a
// regular file.
func Open(path string, flag int, perm os.FileMode) (*os.File, error) {
	if info, err := os.Stat(path); err == nil && !info.Mode().IsRegular() {
		return nil, &NotRegular{Path: path, Kind: Kind(info.Mode())}
	}
	f, err := os.OpenFile(path, flag|syscall.O_NONBLOCK, perm)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, &NotRegular{Path: path, Kind: Kind(info.Mode())}
	}
	return f, nil
}

// Kind says what kind of file m describes, for people: "a directory",
// "a FIFO", "a character device", "a device", "a socket".
func Kind(m os.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
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
