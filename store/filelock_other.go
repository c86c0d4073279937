//go:build !unix

package store

import (
	"errors"
	"os"
)

// lockFile fails: the file store needs a Unix system's file locks.
func lockFile(*os.File) error {
	return errors.New("the file store needs a Unix system (file locks)")
}

// lockShared fails: the file store needs a Unix system's file locks.
func lockShared(*os.File) error {
	return errors.New("the file store needs a Unix system (file locks)")
}
