package store

import (
	"context"
	"errors"
	"fmt"
)

// Room is one room whole, as Copy moves it from store to store.
type Room struct {
	Name  string // the room's name
	Epoch string // the lifetime of its id sequence, kept by the copy
	Last  uint64 // its newest id
	// Messages holds its retained messages, oldest first, with their ids.
	Messages []Message
}

// Copyable is a store whose rooms can be listed and written whole, with
// their ids and epochs: File and Redis. Memory is not one: it holds
// nothing once gochat stops.
type Copyable interface {
	Store
	// RoomNames returns the names of the rooms the store holds.
	RoomNames(ctx context.Context) ([]string, error)
	// PutRoom writes r under its name, epoch and ids. It fails with
	// ErrRoomExists if the store holds a room of that name.
	PutRoom(ctx context.Context, r Room) error
}

// Source is what Copy copies from: a Copyable, or a FileSnapshot.
type Source interface {
	// RoomNames returns the names of the rooms the source holds.
	RoomNames(ctx context.Context) ([]string, error)
	// Read returns a room's messages with ids above since, as Store's.
	Read(ctx context.Context, room string, since uint64) (Page, error)
}

// ErrRoomExists is returned by PutRoom for a room the store holds.
var ErrRoomExists = errors.New("the room exists")

// Copy copies every room of from, with its epoch, ids and retained
// messages, into to, and returns how many rooms and messages it copied.
// Idempotency keys are not copied. It writes nothing if to holds a room of
// the same name as one of from.
func Copy(ctx context.Context, from Source, to Copyable) (rooms, messages int, err error) {
	names, err := from.RoomNames(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("copy: list the rooms: %w", err)
	}
	var all []Room
	for _, name := range names {
		p, err := from.Read(ctx, name, 0)
		if err != nil {
			return 0, 0, fmt.Errorf("copy: %w", err)
		}
		if p.Epoch == "" {
			continue // forgotten (a room TTL) since it was listed
		}
		if q, err := to.Read(ctx, name, 0); err != nil {
			return 0, 0, fmt.Errorf("copy: %w", err)
		} else if q.Epoch != "" {
			return 0, 0, fmt.Errorf("copy: room %q: the target holds it already; nothing was copied", name)
		}
		all = append(all, Room{Name: name, Epoch: p.Epoch, Last: p.Last, Messages: p.Messages})
	}
	for _, r := range all {
		if err := to.PutRoom(ctx, r); err != nil {
			return rooms, messages, fmt.Errorf("copy: room %q: %w (%d rooms copied before it)", r.Name, err, rooms)
		}
		rooms++
		messages += len(r.Messages)
	}
	return rooms, messages, nil
}

// checkRoom checks that r can be stored: an epoch, and messages with
// contiguous ids up to r.Last.
func checkRoom(r Room) error {
	if r.Epoch == "" {
		return errors.New("no epoch")
	}
	for i, msg := range r.Messages {
		if want := r.Last - uint64(len(r.Messages)-1-i); msg.ID != want {
			return fmt.Errorf("message %d where %d belongs (last %d)", msg.ID, want, r.Last)
		}
	}
	return nil
}
