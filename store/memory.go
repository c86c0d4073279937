package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"
)

var _ Store = (*Memory)(nil)

// Memory is a Store that keeps each room's newest messages in memory.
// It holds at most maxRooms rooms of at most history messages each.
type Memory struct {
	history  int
	maxRooms int
	maxBytes int64 // 0: no bound
	bytes    int64 // the size of the messages and idempotency keys held

	mu    sync.Mutex
	rooms map[string]*ring
	keys  []*key // every room's idempotency keys, oldest first
	hub   hub
}

// NewMemory returns an empty in-memory store that keeps the newest history
// messages per room and at most maxRooms rooms. Both must be at least 1.
// SetMaxBytes bounds the bytes it holds.
func NewMemory(history, maxRooms int) (*Memory, error) {
	if history < 1 {
		return nil, fmt.Errorf("new memory store: history must be at least 1, got %d", history)
	}
	if maxRooms < 1 {
		return nil, fmt.Errorf("new memory store: max rooms must be at least 1, got %d", maxRooms)
	}
	return &Memory{history: history, maxRooms: maxRooms, rooms: make(map[string]*ring)}, nil
}

// SetMaxBytes bounds the size of the messages the store holds (their
// texts, authors and rooms, plus a fixed overhead each); an append past it
// fails with ErrFull. 0 means no bound. Call it before use.
func (m *Memory) SetMaxBytes(n int64) { m.maxBytes = n }

// messageOverhead is what a message costs beyond its strings.
const messageOverhead = 96

func size(msg Message) int64 {
	return int64(len(msg.Room) + len(msg.Author) + len(msg.Text) + messageOverhead)
}

// keyOverhead is what a remembered idempotency key costs beyond its text.
const keyOverhead = 80

// Append implements Store.
func (m *Memory) Append(_ context.Context, room string, d Draft) (Message, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.forget(d.Time)
	r, ok := m.rooms[room]
	if ok && d.Key != "" {
		if k, seen := r.keys[d.Key]; seen {
			if k.fingerprint != d.fingerprint() {
				return Message{}, fmt.Errorf("append to room %q: key %q: %w", room, d.Key, ErrKeyReused)
			}
			return Message{ID: k.id, Room: r.name, Author: d.Author, Text: d.Text, Time: k.time}, nil
		}
	}
	if !ok {
		if len(m.rooms) >= m.maxRooms {
			return Message{}, fmt.Errorf("append to room %q: %w (%d rooms)", room, ErrRoomLimit, m.maxRooms)
		}
		epoch, err := newEpoch()
		if err != nil {
			return Message{}, fmt.Errorf("append to room %q: %w", room, err)
		}
		r, _ = newRing(room, epoch, m.history, nil, 0)
		m.rooms[room] = r
	}
	msg := Message{ID: r.last + 1, Room: r.name, Author: d.Author, Text: d.Text, Time: d.Time}
	freed := int64(0)
	if len(r.buf) == m.history {
		freed = size(r.buf[r.head]) // the oldest goes
	}
	grown := size(msg)
	if d.Key != "" {
		grown += int64(len(d.Key) + keyOverhead)
	}
	if m.maxBytes > 0 && m.bytes-freed+grown > m.maxBytes {
		if len(r.buf) == 0 {
			delete(m.rooms, room)
		}
		return Message{}, fmt.Errorf("append to room %q: %w (%d bytes)", room, ErrFull, m.maxBytes)
	}
	m.bytes += grown - freed
	r.push(msg, m.history)
	if d.Key != "" {
		m.remember(r, &key{key: d.Key, fingerprint: d.fingerprint(), id: msg.ID, time: d.Time})
	}
	m.hub.publish(room, false)
	return msg, nil
}

// Subscribe implements Store.
func (m *Memory) Subscribe() *Subscription { return m.hub.subscribe() }

// Ping implements Store: memory is always there.
func (m *Memory) Ping(context.Context) error { return nil }

// Close implements Store.
func (m *Memory) Close() error { return nil }

// Read implements Store.
func (m *Memory) Read(_ context.Context, room string, since uint64) (Page, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := Page{Room: room, Messages: []Message{}}
	r, ok := m.rooms[room]
	if !ok {
		return p, nil
	}
	p.Epoch, p.Last, p.First = r.epoch, r.last, r.first()
	p.Messages = r.since(since)
	return p, nil
}

// Messages returns how many messages the store holds.
func (m *Memory) Messages() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, r := range m.rooms {
		n += len(r.buf)
	}
	return n
}

// Rooms returns how many rooms the store holds.
func (m *Memory) Rooms() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.rooms)
}

// ring is one room: its newest messages in a circular buffer.
type ring struct {
	name  string // the room's name, shared by its messages
	epoch string
	last  uint64          // newest id handed out
	buf   []Message       // grows up to history, then wraps
	head  int             // index of the oldest message once buf is full
	keys  map[string]*key // its idempotency keys within KeyWindow
}

// key is an idempotency key a room remembers for KeyWindow.
type key struct {
	room        *ring // the room it was used in
	key         string
	fingerprint string    // of the draft it came with
	id          uint64    // the id its message got
	time        time.Time // when its message was stored
}

// remember keeps k, used in room r, for KeyWindow.
func (m *Memory) remember(r *ring, k *key) {
	if r.keys == nil {
		r.keys = map[string]*key{}
	}
	k.room = r
	r.keys[k.key] = k
	m.keys = append(m.keys, k)
}

// expired returns how many of the oldest keys are past KeyWindow at now,
// and the bytes they count.
func (m *Memory) expired(now time.Time) (n int, bytes int64) {
	for n < len(m.keys) && now.Sub(m.keys[n].time) >= KeyWindow {
		bytes += int64(len(m.keys[n].key) + keyOverhead)
		n++
	}
	return n, bytes
}

// forget drops the keys of every room older than KeyWindow at now, and
// what they cost from the bytes held.
func (m *Memory) forget(now time.Time) {
	n, bytes := m.expired(now)
	for i, k := range m.keys[:n] {
		delete(k.room.keys, k.key)
		m.keys[i] = nil
	}
	m.bytes -= bytes
	m.keys = m.keys[n:] // append moves the live ones when it grows
}

// newRing returns the ring of room name holding msgs (oldest first; at
// most history of them), with last as its newest id, and the bytes the
// messages count.
func newRing(name, epoch string, history int, msgs []Message, last uint64) (*ring, int64) {
	r := &ring{name: name, epoch: epoch, buf: make([]Message, 0, min(history, max(len(msgs), 16)))}
	var bytes int64
	for _, m := range msgs {
		m.Room = name
		r.push(m, history)
		bytes += size(m)
	}
	r.last = last
	return r, bytes
}

func (r *ring) push(m Message, history int) {
	r.last = m.ID
	if len(r.buf) < history {
		r.buf = append(r.buf, m)
		return
	}
	r.buf[r.head] = m
	r.head = (r.head + 1) % len(r.buf)
}

// first returns the oldest retained id, 0 when empty.
func (r *ring) first() uint64 {
	if len(r.buf) == 0 {
		return 0
	}
	return r.last - uint64(len(r.buf)) + 1
}

// since copies the retained messages with ids above since, oldest first.
func (r *ring) since(since uint64) []Message {
	n := len(r.buf)
	if since >= r.last || n == 0 {
		return []Message{}
	}
	skip := 0
	if first := r.first(); since >= first {
		skip = int(since - first + 1)
	}
	out := make([]Message, 0, n-skip)
	for i := skip; i < n; i++ {
		out = append(out, r.buf[(r.head+i)%n])
	}
	return out
}

// newEpoch returns a random name for a room's id sequence.
func newEpoch() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new epoch: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
