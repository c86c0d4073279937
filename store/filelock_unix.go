//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockFile takes f's exclusive lock without waiting: errBusy if another
// process holds it. The lock goes with f's closing.
func lockFile(f *os.File) error { return flock(f, syscall.LOCK_EX) }

// lockShared takes a shared lock of f without waiting, as a reader that
// no writer may start under: errBusy if another process holds f's
// exclusive lock.
func lockShared(f *os.File) error { return flock(f, syscall.LOCK_SH) }

func flock(f *os.File, how int) error {
	err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errBusy
	}
	if err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	return nil
}
