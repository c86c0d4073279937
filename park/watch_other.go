//go:build !linux

package park

import "syscall"

// watcher is Linux-only.
type watcher struct{}

func newWatcher(func(id uint64)) (*watcher, error) { return nil, ErrUnsupported }
func (*watcher) watch(int, uint64, bool) error     { return ErrUnsupported }
func (*watcher) watchRead(int, uint64, bool) error { return ErrUnsupported }
func (*watcher) stop()                             {}

func writeNow(syscall.RawConn, []byte, []byte) (int, error) { return 0, ErrUnsupported }
func readNow(syscall.RawConn, []byte) (int, error)          { return 0, ErrUnsupported }
