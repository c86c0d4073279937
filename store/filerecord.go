package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// The records in the file store's frames. Strings are a uvarint length
// and their bytes; numbers are varints.
//
//	room:   1 | name | epoch | last | first | touched (Unix ms)
//	        the room's state after the transaction: its newest id and
//	        its oldest retained one (last+1 when it holds none)
//	msg:    2 | id | time (Unix ns) | author | text   (in the last room named)
//	key:    3 | key | id | time (Unix ms) | fingerprint   (likewise)
//	forget: 4 | name
const (
	recRoom   = 1
	recMsg    = 2
	recKey    = 3
	recForget = 4
)

// recOverhead bounds what a message's records cost beyond its room's
// name, author, text and key: the message, its key and its room record.
const recOverhead = 256

// fileMaxPost is the largest post (room, author, text and key) the file
// store takes, so that a batch of them fits a frame. gochat's API limits
// posts to far less.
const fileMaxPost = FileMaxFrame / 4

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendRoomRec(b []byte, name, epoch string, last, first uint64, touched time.Time) []byte {
	b = append(b, recRoom)
	b = appendString(b, name)
	b = appendString(b, epoch)
	b = binary.AppendUvarint(b, last)
	b = binary.AppendUvarint(b, first)
	return binary.AppendVarint(b, touched.UnixMilli())
}

func appendMsgRec(b []byte, m Message) []byte {
	b = append(b, recMsg)
	b = binary.AppendUvarint(b, m.ID)
	b = binary.AppendVarint(b, m.Time.UnixNano())
	b = appendString(b, m.Author)
	return appendString(b, m.Text)
}

func appendKeyRec(b []byte, k *key) []byte {
	b = append(b, recKey)
	b = appendString(b, k.key)
	b = binary.AppendUvarint(b, k.id)
	b = binary.AppendVarint(b, k.time.UnixMilli())
	return appendString(b, k.fingerprint)
}

func appendForgetRec(b []byte, name string) []byte {
	b = append(b, recForget)
	return appendString(b, name)
}

// recReader reads records; the first error sticks.
type recReader struct {
	b   []byte // what is left
	err error  // the first problem
}

var errShort = errors.New("a record ends early")

func (r *recReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *recReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *recReader) string() string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *recReader) fail() {
	if r.err == nil {
		r.err = errShort
	}
	r.b = nil
}

// loadedRoom is a room as the replay has it so far.
type loadedRoom struct {
	epoch   string          // its epoch
	last    uint64          // its newest id
	first   uint64          // its oldest retained id
	touched time.Time       // its last post
	msgs    []Message       // retained, oldest first
	keys    map[string]*key // its idempotency keys
}

// loader rebuilds the rooms from the log's transactions.
type loader struct {
	rooms map[string]*loadedRoom // by name
}

// apply applies one transaction's records.
func (ld *loader) apply(frames [][]byte) error {
	var cur *loadedRoom
	var name string
	for _, p := range frames {
		r := &recReader{b: p}
		for len(r.b) > 0 && r.err == nil {
			kind := r.b[0]
			r.b = r.b[1:]
			switch kind {
			case recRoom:
				name = r.string()
				epoch := r.string()
				last, first := r.uvarint(), r.uvarint()
				touched := time.UnixMilli(r.varint())
				if r.err != nil {
					break
				}
				if epoch == "" || first == 0 || first > last+1 {
					return fmt.Errorf("room %q: epoch %q, ids %d to %d do not make a room", name, epoch, first, last)
				}
				cur = ld.rooms[name]
				if cur == nil {
					cur = &loadedRoom{keys: map[string]*key{}}
					ld.rooms[name] = cur
				}
				if cur.epoch != "" && (cur.epoch != epoch || last < cur.last) {
					return fmt.Errorf("room %q: epoch %s, last id %d after epoch %s, last id %d", name, epoch, last, cur.epoch, cur.last)
				}
				cur.epoch, cur.last, cur.first, cur.touched = epoch, last, first, touched
				if n := len(cur.msgs); n > 0 && cur.msgs[0].ID < first {
					cur.msgs = cur.msgs[min(first-cur.msgs[0].ID, uint64(n)):]
				}
			case recMsg:
				m := Message{ID: r.uvarint()}
				m.Time = time.Unix(0, r.varint()).UTC()
				m.Author, m.Text = r.string(), r.string()
				if r.err != nil {
					break
				}
				if cur == nil {
					return fmt.Errorf("message %d before any room", m.ID)
				}
				want := cur.first
				if n := len(cur.msgs); n > 0 {
					want = cur.msgs[n-1].ID + 1
				}
				if m.ID != want || m.ID > cur.last {
					return fmt.Errorf("room %q: message %d where %d belongs (last %d)", name, m.ID, want, cur.last)
				}
				m.Room = name
				cur.msgs = append(cur.msgs, m)
			case recKey:
				k := &key{key: r.string(), id: r.uvarint()}
				k.time = time.UnixMilli(r.varint()).UTC()
				k.fingerprint = r.string()
				if r.err != nil {
					break
				}
				if cur == nil {
					return fmt.Errorf("idempotency key %q before any room", k.key)
				}
				cur.keys[k.key] = k
			case recForget:
				delete(ld.rooms, r.string())
				cur = nil
			default:
				return fmt.Errorf("unknown record kind %d", kind)
			}
		}
		if r.err != nil {
			return r.err
		}
	}
	return nil
}

// check returns what is wrong with the rooms once the whole log is read:
// each room's messages must run from its first id to its last.
func (ld *loader) check() error {
	for name, lr := range ld.rooms {
		n := uint64(len(lr.msgs))
		if n != lr.last+1-lr.first || (n > 0 && lr.msgs[0].ID != lr.first) {
			return fmt.Errorf("the file is damaged: room %q holds %d messages, where ids %d to %d belong", name, n, lr.first, lr.last)
		}
	}
	return nil
}

// txnWriter writes one transaction's records into frames: a frame is
// written when the next record would not fit it, and in the live log such
// a frame (one with more to come) is synced at once, so that at most one
// frame is ever written and not synced.
type txnWriter struct {
	l      *logFile // the log written to
	frame  []byte   // the frame being filled
	rec    []byte   // the record being encoded
	frames int      // frames written
	err    error    // the first failure
}

// room adds a room's records, whole: its state, then its messages and
// idempotency keys.
func (t *txnWriter) room(name, epoch string, last, first uint64, touched time.Time, msgs []Message, keys map[string]*key) {
	t.rec = appendRoomRec(t.rec[:0], name, epoch, last, first, touched)
	t.add(t.rec)
	for _, m := range msgs {
		t.rec = appendMsgRec(t.rec[:0], m)
		t.add(t.rec)
	}
	for _, k := range keys {
		t.rec = appendKeyRec(t.rec[:0], k)
		t.add(t.rec)
	}
}

// forget adds a room's forgetting.
func (t *txnWriter) forget(name string) {
	t.rec = appendForgetRec(t.rec[:0], name)
	t.add(t.rec)
}

// add adds a record.
func (t *txnWriter) add(rec []byte) {
	if t.err != nil {
		return
	}
	if len(rec) > FileMaxFrame {
		t.err = fmt.Errorf("a record of %d bytes: at most %d", len(rec), FileMaxFrame)
		return
	}
	if len(t.frame)+len(rec) > FileMaxFrame {
		if t.err = t.l.write(t.frame, true); t.err == nil && t.l.live {
			t.err = t.l.sync()
		}
		t.frame = t.frame[:0]
		t.frames++
	}
	t.frame = append(t.frame, rec...)
}

// end writes the last frame; the caller syncs it.
func (t *txnWriter) end() error {
	if t.err == nil && len(t.frame) > 0 {
		t.err = t.l.write(t.frame, false)
		t.frames++
	}
	return t.err
}
