// Package store holds chat messages: the Store interface the Storage
// component talks to, and its three implementations, side by side.
//
// Memory (memory.go) is the default and the right pick for one gochat
// instance: it keeps the newest messages of each room in a bounded ring
// and forgets everything on restart (each room then gets a new epoch).
// File (file.go) keeps the same in one local file as well, a log of its
// own (filelog.go), so that one instance keeps messages, ids and epochs
// across restarts and crashes.
// Redis (redis.go) lets several instances be one chat and keeps messages,
// ids and epochs across restarts as far as Redis keeps its data. One test
// suite (suite_test.go) runs against all three.
package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// TimeLayout is how message times are written: RFC 3339 in UTC with
// milliseconds, e.g. 2026-11-23T04:00:00.123Z.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// ErrRoomLimit is returned by Append when the message would create a room
// past the store's room bound. Existing rooms keep working.
var ErrRoomLimit = errors.New("room limit reached")

// ErrFull is returned by Append when the message would take the store past
// its bound on stored bytes.
var ErrFull = errors.New("store full")

// Message is one stored chat message.
type Message struct {
	ID     uint64    // per room, from 1, increasing by exactly 1
	Room   string    // the room it was posted to
	Author string    // who wrote it, never empty
	Text   string    // what was written
	Time   time.Time // when the store accepted it
}

// UnmarshalJSON reads a message written by MarshalJSON.
func (m *Message) UnmarshalJSON(b []byte) error {
	var v struct {
		ID     uint64 `json:"id"`
		Room   string `json:"room"`
		Author string `json:"author"`
		Text   string `json:"text"`
		Time   string `json:"time"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	t, err := time.Parse(TimeLayout, v.Time)
	if err != nil {
		return fmt.Errorf("message %d: time: %w", v.ID, err)
	}
	*m = Message{ID: v.ID, Room: v.Room, Author: v.Author, Text: v.Text, Time: t}
	return nil
}

// MarshalJSON writes the message as the API shows it, with Time in
// TimeLayout.
func (m Message) MarshalJSON() ([]byte, error) {
	return m.AppendJSON(nil), nil
}

// ErrKeyReused is returned by Append when the draft's idempotency key was
// used, in the same room and within KeyWindow, for another message.
var ErrKeyReused = errors.New("idempotency key used for another message")

// KeyWindow is how long a store remembers an idempotency key: a repeat
// within it answers the original message and stores nothing.
const KeyWindow = 24 * time.Hour

// Draft is a message before the store gives it an id.
type Draft struct {
	Author string    // who wrote it
	Text   string    // what was written
	Time   time.Time // when the store accepts it, and the clock for keys
	// Key is the client's idempotency key, "" for none. A repeat of a key
	// in the same room within KeyWindow stores nothing: Append returns
	// the original message, or ErrKeyReused if the author or text differ.
	Key string
}

// fingerprint identifies a draft's content, to tell a repeat of a key
// from a reuse.
func (d Draft) fingerprint() string {
	h := sha256.Sum256([]byte(d.Author + "\x00" + d.Text))
	return hex.EncodeToString(h[:12])
}

// Page is what a read of one room returns.
type Page struct {
	Room  string // the room read
	Epoch string // the lifetime of the room's id sequence; "" if the room does not exist yet
	Last  uint64 // the newest id in the room, 0 when empty
	First uint64 // the oldest retained id, 0 when empty
	// Messages holds every retained message with an id above the
	// requested since, oldest first; never nil.
	Messages []Message
}

// Store keeps rooms of messages. Implementations are safe for concurrent
// use.
//
// Pick Memory for one instance: it is fast, has no moving parts, and
// forgets everything on restart. Pick File to keep messages, ids and
// epochs across restarts of one instance. Pick Redis to run several
// instances as one chat.
type Store interface {
	// Append gives d the room's next id and stores it, creating the room on
	// first use. It returns ErrRoomLimit when the room would be one too many.
	// A draft whose Key the room has seen within KeyWindow is not stored
	// again: Append returns the original message (or ErrKeyReused). Append
	// stores a draft at most once even when the store's client retries.
	Append(ctx context.Context, room string, d Draft) (Message, error)
	// Read returns the room's retained messages with ids above since. A room
	// that does not exist reads as empty with epoch "", and is not created.
	Read(ctx context.Context, room string, since uint64) (Page, error)
	// Subscribe returns a subscription to the rooms that get new messages,
	// from any writer of the store (for Redis: any instance).
	Subscribe() *Subscription
	// Ping reports whether the store can be reached now.
	Ping(ctx context.Context) error
	// Close releases the store's connections.
	Close() error
}

// After returns what a reader that has every message up to since is owed
// from p: every retained message newer than since, oldest first, up to and
// including p.Last. It is the read contract, checked on every answer. It
// fails when p cannot answer that reader: p was read from a later since
// (it lacks messages the reader has not seen), or p's messages are not
// the contiguous run from the oldest owed id to p.Last.
func (p Page) After(since uint64) (Page, error) {
	i := 0
	for i < len(p.Messages) && p.Messages[i].ID <= since {
		i++
	}
	p.Messages = p.Messages[i:]
	if p.Last <= since {
		if len(p.Messages) > 0 {
			return Page{}, fmt.Errorf("room %q: page has messages above last %d", p.Room, p.Last)
		}
		return p, nil
	}
	if p.First == 0 && len(p.Messages) == 0 {
		return p, nil // nothing is retained (the room's messages expired)
	}
	want := max(since+1, p.First)
	if len(p.Messages) == 0 {
		return Page{}, fmt.Errorf("room %q: page lacks ids %d to %d owed to a reader at since %d", p.Room, want, p.Last, since)
	}
	if got := p.Messages[0].ID; got != want {
		return Page{}, fmt.Errorf("room %q: page starts at id %d, but a reader at since %d is owed id %d first", p.Room, got, since, want)
	}
	for k, m := range p.Messages {
		if m.ID != want+uint64(k) {
			return Page{}, fmt.Errorf("room %q: page has id %d where %d belongs", p.Room, m.ID, want+uint64(k))
		}
	}
	if end := p.Messages[len(p.Messages)-1].ID; end != p.Last {
		return Page{}, fmt.Errorf("room %q: page ends at id %d, before last %d", p.Room, end, p.Last)
	}
	return p, nil
}
