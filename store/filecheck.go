package store

import (
	"fmt"
	"os"
)

// FileReport is what CheckFile finds in a file store's file.
type FileReport struct {
	Rooms    int   // rooms held
	Messages int   // messages held (all the file keeps, whatever -history)
	Log      int64 // bytes of header and frames
	Size     int64 // the file's size: zeros follow the log
	Torn     int64 // bytes of a torn last write, which the next start drops
}

// CheckFile reads the file store's file at path as OpenFile does, without
// locking or changing it, and reports what it holds, or why OpenFile
// would refuse it. Run it on a file no gochat is writing (a torn last
// write may show otherwise), or on a copy.
func CheckFile(path string) (FileReport, error) {
	var rep FileReport
	f, err := os.Open(path)
	if err != nil {
		return rep, fmt.Errorf("check file store: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return rep, fmt.Errorf("check file store %s: %w", path, err)
	}
	ld := &loader{rooms: map[string]*loadedRoom{}}
	l := &logFile{path: path, f: f, size: info.Size()}
	blank, err := l.blank()
	if err != nil {
		return rep, fmt.Errorf("check file store %s: %w", path, err)
	}
	if blank { // the start makes it a new store
		rep.Size = l.size
		return rep, nil
	}
	if rep.Torn, err = l.replay(ld.apply); err != nil {
		return rep, fmt.Errorf("check file store %s: %w", path, err)
	}
	if err := ld.check(); err != nil {
		return rep, fmt.Errorf("check file store %s: %w", path, err)
	}
	for _, lr := range ld.rooms {
		rep.Messages += len(lr.msgs)
	}
	rep.Rooms, rep.Log, rep.Size = len(ld.rooms), l.off, l.size
	return rep, nil
}
