//go:build !linux

package park

import "syscall"

// watcher is Linux-only.
type watcher struct{}

func newWatcher(func(id uint64)) (*watcher, error) { return nil, ErrUnsupported }
func (*watcher) watch(int, uint64, bool) error     { return ErrUnsupported }
func (*watcher) watchRead(int, uint64, bool) error { return ErrUnsupported }
func (*watcher) stop()                             {}

// sock is Linux-only.
type sock struct{ rc syscall.RawConn }

func (s *sock) init(rc syscall.RawConn)            { s.rc = rc }
func (*sock) writeNow([]byte, []byte) (int, error) { return 0, ErrUnsupported }
func (*sock) readNow([]byte) (int, error)          { return 0, ErrUnsupported }
