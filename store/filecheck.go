package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
)

// FileReport is what CheckFile finds in a file store's file.
type FileReport struct {
	Rooms    int   // rooms held
	Messages int   // messages held (all the file keeps, whatever -history)
	Log      int64 // bytes of header and frames
	Size     int64 // the file's size: zeros follow the log
	Torn     int64 // bytes of a torn last write, which the next start drops
	// Live says another process (a running gochat) holds the file: it
	// was read up to its last whole frame, and not checked past it.
	Live bool
}

// CheckFile reads the file store's file at path as OpenFile does, without
// changing it, and reports what it holds, or why OpenFile would refuse it.
// A file a running gochat holds is read as a snapshot (see SnapshotFile).
func CheckFile(path string) (FileReport, error) {
	ld, l, err := readFile(path)
	if err != nil {
		return FileReport{}, fmt.Errorf("check file store %s: %w", path, err)
	}
	rep := FileReport{Rooms: len(ld.rooms), Log: l.off, Size: l.size, Torn: l.torn, Live: l.snapshot}
	for _, lr := range ld.rooms {
		rep.Messages += len(lr.msgs)
	}
	return rep, nil
}

// FileSnapshot is what a file store's file holds, read without changing
// it, for Copy: a backup of a file gochat is using, or of one it is not.
type FileSnapshot struct {
	rooms map[string]*loadedRoom // by name
}

var _ Source = (*FileSnapshot)(nil)

// SnapshotFile reads the file store's file at path without changing it.
// If a running gochat holds the file, the snapshot holds every commit
// whole up to where the read found the log's end: every message
// acknowledged before the read began, and none partly. Otherwise the
// file is checked as OpenFile checks it, and a gochat starting meanwhile
// waits for the read.
func SnapshotFile(path string) (*FileSnapshot, error) {
	ld, _, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("read file store %s: %w", path, err)
	}
	return &FileSnapshot{rooms: ld.rooms}, nil
}

// RoomNames implements Source.
func (s *FileSnapshot) RoomNames(context.Context) ([]string, error) {
	return slices.Sorted(maps.Keys(s.rooms)), nil
}

// Read implements Source: the room's messages with ids above since.
func (s *FileSnapshot) Read(_ context.Context, room string, since uint64) (Page, error) {
	p := Page{Room: room, Messages: []Message{}}
	lr, ok := s.rooms[room]
	if !ok {
		return p, nil
	}
	p.Epoch, p.Last = lr.epoch, lr.last
	if len(lr.msgs) > 0 {
		p.First = lr.first
	}
	for _, m := range lr.msgs {
		if m.ID > since {
			p.Messages = append(p.Messages, m)
		}
	}
	return p, nil
}

// readFile replays the file at path without changing it: as a snapshot
// up to the log's last whole frame if another process holds its lock,
// else with every check OpenFile makes, holding a shared lock meanwhile.
func readFile(path string) (*loader, *logFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	l := &logFile{path: path, f: f}
	if err := lockShared(f); errors.Is(err, errBusy) {
		l.snapshot = true
	} else if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	l.size = info.Size()
	ld := &loader{rooms: map[string]*loadedRoom{}}
	if blank, err := l.blank(); err != nil || blank {
		return ld, l, err // a blank file: the start makes it a new store
	}
	if err := l.replay(ld.apply); err != nil {
		return nil, nil, err
	}
	if err := ld.check(); err != nil {
		return nil, nil, err
	}
	return ld, l, nil
}
