package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

var _ Store = (*File)(nil)

// FileLockTimeout is how long OpenFile waits for the file's lock, which
// another gochat holding the same file keeps: past it OpenFile fails.
const FileLockTimeout = time.Second

// FileMaxBatch is how many appends the file store commits at most in one
// transaction (one fsync).
const FileMaxBatch = 256

// FileCheckLimit is the largest file whose every page OpenFile checks
// (bbolt's Tx.Check) before serving it. Larger files are still read whole
// at start, which finds a torn message page, but not a torn free list.
const FileCheckLimit = 1 << 30

// fileCheckErrors is how many of the problems a check finds an error
// names.
const fileCheckErrors = 3

// fileSweepInterval is how often the file store looks for rooms idle
// longer than the room TTL, at most.
const fileSweepInterval = time.Minute

// ErrClosed is returned by the file store's calls after Close.
var ErrClosed = errors.New("store closed")

// FileConfig sets up a file store.
type FileConfig struct {
	Path     string        // the database file, created if missing
	History  int           // messages kept per room
	MaxRooms int           // rooms kept at most
	MaxBytes int64         // bytes of messages held at most, counted as Memory does; 0: no bound
	RoomTTL  time.Duration // a room without a post this long is forgotten; 0 keeps rooms
	Log      *slog.Logger  // where a failed sweep of idle rooms is told; nil discards
}

// File is a Store in one local file, a bbolt database, for one gochat
// instance that keeps its messages, ids and epochs across restarts.
//
// Every room is a bucket of the file: its meta (epoch, last id, time of
// the last post), its newest History messages and its idempotency keys.
// The whole file is read into an in-memory copy at start (a Memory), which
// serves every read; the disk is only written after that. One goroutine
// owns the writes: it takes every append waiting, plans them against the
// copy, writes them in one transaction, whose commit fsyncs, then applies
// them to the copy and answers. So a returned message is on disk, readers
// never see a message that is not, and concurrent appends share an fsync.
type File struct {
	cfg  FileConfig      // as OpenFile was given it
	db   *bolt.DB        // the file; run writes it
	mem  *Memory         // the copy reads are served from; only run changes it
	reqs chan *appendReq // appends for run
	puts chan *putReq    // whole rooms for run (PutRoom)
	quit chan struct{}   // closed by Close
	once sync.Once       // closes quit
	done sync.WaitGroup  // run

	// touched is when each room got its last post; only run uses it.
	touched map[string]time.Time
	commits atomic.Int64 // batches committed
}

// appendReq is one Append waiting for run.
type appendReq struct {
	room  string         // the room posted to
	d     Draft          // the post
	reply chan appendRes // buffered: run never waits on it
}

// putReq is one PutRoom waiting for run.
type putReq struct {
	room  Room       // the room to write
	reply chan error // buffered: run never waits on it
}

// appendRes is what run answers an appendReq.
type appendRes struct {
	msg Message // the stored message, or the original of a repeated key
	err error   // why it was not stored
}

// Bucket and key names in the file.
var (
	roomsBucket = []byte("rooms") // a bucket per room
	metaKey     = []byte{0}       // in a room: epoch, last id, last post time
)

// Prefixes of a room's other keys.
const (
	msgPrefix = 1 // + 8-byte big-endian id: the message as JSON
	keyPrefix = 2 // + idempotency key: fingerprint, id, time
)

// OpenFile opens (or creates) the file store at cfg.Path and reads it
// whole into memory. A file that another process holds, or that is torn
// or corrupt, is refused with an error naming it.
func OpenFile(cfg FileConfig) (*File, error) {
	if cfg.History < 1 || cfg.MaxRooms < 1 {
		return nil, fmt.Errorf("open file store %s: history and max rooms must be at least 1", cfg.Path)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	mem, err := NewMemory(cfg.History, cfg.MaxRooms)
	if err != nil {
		return nil, fmt.Errorf("open file store %s: %w", cfg.Path, err)
	}
	mem.SetMaxBytes(cfg.MaxBytes)
	_, statErr := os.Stat(cfg.Path)
	created := errors.Is(statErr, os.ErrNotExist)
	f := &File{cfg: cfg, mem: mem, reqs: make(chan *appendReq), puts: make(chan *putReq), quit: make(chan struct{}), touched: map[string]time.Time{}}
	if err := f.open(); err != nil {
		if f.db != nil {
			f.db.Close()
		}
		return nil, fmt.Errorf("open file store %s: %w", cfg.Path, err)
	}
	if created {
		// The new file's name must survive a crash too.
		if err := syncDir(filepath.Dir(cfg.Path)); err != nil {
			f.db.Close()
			return nil, fmt.Errorf("open file store %s: %w", cfg.Path, err)
		}
	}
	f.done.Add(1)
	go f.run()
	return f, nil
}

// open opens the database, checks it and loads it. bbolt may panic on a
// corrupt file, or fault on a torn one that is shorter than it says:
// both are turned into errors here.
func (f *File) open() (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the file is corrupt (%v); see README, Keep messages in a file", p)
		}
	}()
	db, err := bolt.Open(f.cfg.Path, 0o600, &bolt.Options{Timeout: FileLockTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return fmt.Errorf("another process holds the file (no lock within %v): one gochat per file; several instances share Redis", FileLockTimeout)
	}
	if errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrChecksum) || errors.Is(err, bolterrors.ErrVersionMismatch) {
		return fmt.Errorf("the file is corrupt or not a gochat file: %w; see README, Keep messages in a file", err)
	}
	if err != nil {
		return err
	}
	f.db = db
	if info, err := os.Stat(f.cfg.Path); err == nil && info.Size() <= FileCheckLimit {
		err := db.View(func(tx *bolt.Tx) error {
			var problems []string
			n := 0
			for e := range tx.Check() { // read to the end: Check's goroutine sends them all
				if n++; n <= fileCheckErrors {
					problems = append(problems, e.Error())
				}
			}
			if n > fileCheckErrors {
				problems = append(problems, fmt.Sprintf("and %d more problems", n-fileCheckErrors))
			}
			if n > 0 {
				return errors.New(strings.Join(problems, "; "))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("the file is corrupt: %w; see README, Keep messages in a file", err)
		}
	}
	return f.load()
}

// load reads every room into the in-memory copy. Messages beyond History
// (kept under a larger -history before) are deleted from the file.
func (f *File) load() error {
	type loadedKey struct {
		r *ring
		k *key
	}
	var keys []loadedKey
	var extra [][2][]byte // room, message key: beyond History
	err := f.db.Update(func(tx *bolt.Tx) error {
		rooms, err := tx.CreateBucketIfNotExists(roomsBucket)
		if err != nil {
			return err
		}
		return rooms.ForEachBucket(func(name []byte) error {
			room := string(name)
			b := rooms.Bucket(name)
			epoch, last, touched, err := decodeMeta(b.Get(metaKey))
			if err != nil {
				return fmt.Errorf("room %q: %w", room, err)
			}
			r := &ring{name: room, epoch: epoch, last: 0, buf: make([]Message, 0, min(f.cfg.History, 16))}
			var msgs []Message
			c := b.Cursor()
			for k, v := c.Seek([]byte{msgPrefix}); k != nil && k[0] == msgPrefix; k, v = c.Next() {
				var m Message
				if len(k) != 9 || json.Unmarshal(v, &m) != nil || m.ID != binary.BigEndian.Uint64(k[1:]) {
					return fmt.Errorf("room %q: message key %x does not decode", room, k)
				}
				msgs = append(msgs, m)
			}
			for i, m := range msgs {
				if i > 0 && m.ID != msgs[i-1].ID+1 {
					return fmt.Errorf("room %q: message %d follows %d", room, m.ID, msgs[i-1].ID)
				}
			}
			if n := len(msgs); n > 0 && msgs[n-1].ID != last {
				return fmt.Errorf("room %q: newest message %d, but the last id is %d", room, msgs[n-1].ID, last)
			}
			if n := len(msgs); n > f.cfg.History {
				for _, m := range msgs[:n-f.cfg.History] {
					extra = append(extra, [2][]byte{bytes.Clone(name), msgKey(m.ID)})
				}
				msgs = msgs[n-f.cfg.History:]
			}
			for _, m := range msgs {
				m.Room = room
				r.push(m, f.cfg.History)
				f.mem.bytes += size(m)
			}
			r.last = last
			for k, v := c.Seek([]byte{keyPrefix}); k != nil && k[0] == keyPrefix; k, v = c.Next() {
				kk, err := decodeKey(string(k[1:]), v)
				if err != nil {
					return fmt.Errorf("room %q: %w", room, err)
				}
				keys = append(keys, loadedKey{r, kk})
			}
			f.mem.rooms[room] = r
			f.touched[room] = touched
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("the file is corrupt: %w; see README, Keep messages in a file", err)
	}
	slices.SortStableFunc(keys, func(a, b loadedKey) int { return a.k.time.Compare(b.k.time) })
	for _, lk := range keys {
		f.mem.remember(lk.r, lk.k)
		f.mem.bytes += int64(len(lk.k.key) + keyOverhead)
	}
	if len(extra) == 0 {
		return nil
	}
	err = f.db.Update(func(tx *bolt.Tx) error {
		rooms := tx.Bucket(roomsBucket)
		for _, e := range extra {
			if err := rooms.Bucket(e[0]).Delete(e[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("trim to history %d: %w", f.cfg.History, err)
	}
	return nil
}

// Append implements Store. It returns once the message is on disk
// (committed and fsynced), or with the error that kept it off. A ctx that
// ends while the commit runs returns an error, and the message may be
// stored.
func (f *File) Append(ctx context.Context, room string, d Draft) (Message, error) {
	req := &appendReq{room: room, d: d, reply: make(chan appendRes, 1)}
	select {
	case f.reqs <- req:
	case <-f.quit:
		return Message{}, fmt.Errorf("append to room %q: %w", room, ErrClosed)
	case <-ctx.Done():
		return Message{}, fmt.Errorf("append to room %q: %w", room, ctx.Err())
	}
	select {
	case res := <-req.reply:
		return res.msg, res.err
	case <-ctx.Done():
		return Message{}, fmt.Errorf("append to room %q: the commit outlasted the call: %w", room, ctx.Err())
	}
}

// Read implements Store, from the in-memory copy.
func (f *File) Read(ctx context.Context, room string, since uint64) (Page, error) {
	return f.mem.Read(ctx, room, since)
}

// Subscribe implements Store.
func (f *File) Subscribe() *Subscription { return f.mem.Subscribe() }

// Ping implements Store: the file store is there until it is closed.
func (f *File) Ping(context.Context) error {
	select {
	case <-f.quit:
		return fmt.Errorf("file store %s: %w", f.cfg.Path, ErrClosed)
	default:
		return nil
	}
}

// Close implements Store: it waits for the commit under way, and
// releases the file and its lock.
func (f *File) Close() error {
	f.once.Do(func() { close(f.quit) })
	f.done.Wait()
	if err := f.db.Close(); err != nil {
		return fmt.Errorf("close file store %s: %w", f.cfg.Path, err)
	}
	return nil
}

// Rooms returns how many rooms the store holds.
func (f *File) Rooms() int { return f.mem.Rooms() }

// Messages returns how many messages the store holds.
func (f *File) Messages() int { return f.mem.Messages() }

// RoomNames implements Copyable.
func (f *File) RoomNames(context.Context) ([]string, error) {
	f.mem.mu.Lock()
	defer f.mem.mu.Unlock()
	names := make([]string, 0, len(f.mem.rooms))
	for name := range f.mem.rooms {
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

// PutRoom implements Copyable. It keeps the newest History messages of r.
func (f *File) PutRoom(ctx context.Context, r Room) error {
	req := &putReq{room: r, reply: make(chan error, 1)}
	select {
	case f.puts <- req:
	case <-f.quit:
		return fmt.Errorf("put room %q: %w", r.Name, ErrClosed)
	case <-ctx.Done():
		return fmt.Errorf("put room %q: %w", r.Name, ctx.Err())
	}
	select {
	case err := <-req.reply:
		return err
	case <-ctx.Done():
		return fmt.Errorf("put room %q: the commit outlasted the call: %w", r.Name, ctx.Err())
	}
}

// put writes room r whole, on disk then in the copy.
func (f *File) put(r Room) error {
	m := f.mem
	if err := checkRoom(r); err != nil {
		return fmt.Errorf("put room %q: %w", r.Name, err)
	}
	if _, ok := m.rooms[r.Name]; ok {
		return fmt.Errorf("put room %q: %w", r.Name, ErrRoomExists)
	}
	msgs := r.Messages[max(0, len(r.Messages)-m.history):]
	touched := time.Now()
	if n := len(msgs); n > 0 {
		touched = msgs[n-1].Time
	}
	err := f.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(roomsBucket).CreateBucket([]byte(r.Name))
		if err != nil {
			return err
		}
		if err := b.Put(metaKey, encodeMeta(r.Epoch, r.Last, touched)); err != nil {
			return err
		}
		for _, msg := range msgs {
			if err := b.Put(msgKey(msg.ID), msg.AppendJSON(nil)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put room %q: file store %s: %w", r.Name, f.cfg.Path, err)
	}
	ring := &ring{name: r.Name, epoch: r.Epoch, buf: make([]Message, 0, min(m.history, 16))}
	m.mu.Lock()
	for _, msg := range msgs {
		msg.Room = r.Name
		ring.push(msg, m.history)
		m.bytes += size(msg)
	}
	ring.last = r.Last
	m.rooms[r.Name] = ring
	m.mu.Unlock()
	f.touched[r.Name] = touched
	m.hub.publish(r.Name, false)
	return nil
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

// Commits returns how many transactions the store has committed: the
// appends of a batch share one.
func (f *File) Commits() int64 { return f.commits.Load() }

// run owns the writes: it commits the appends waiting, in batches, and
// forgets idle rooms.
func (f *File) run() {
	defer f.done.Done()
	var sweep <-chan time.Time
	if f.cfg.RoomTTL > 0 {
		t := time.NewTicker(min(f.cfg.RoomTTL, fileSweepInterval))
		defer t.Stop()
		sweep = t.C
	}
	for {
		select {
		case req := <-f.reqs:
			batch := []*appendReq{req}
		more:
			for len(batch) < FileMaxBatch {
				select {
				case req := <-f.reqs:
					batch = append(batch, req)
				default:
					break more
				}
			}
			f.commit(batch)
		case req := <-f.puts:
			req.reply <- f.put(req.room)
		case now := <-sweep:
			if err := f.sweep(now); err != nil {
				f.cfg.Log.Warn("idle rooms stay until the next sweep", "err", err)
			}
		case <-f.quit:
			return
		}
	}
}

// plan is what one batch changes in one room.
type plan struct {
	ring    *ring           // the room in the copy; nil for a new room
	epoch   string          // the room's epoch
	last    uint64          // the newest id, with the batch's
	msgs    []Message       // the batch's messages, oldest first
	keys    map[string]*key // the batch's idempotency keys
	touched time.Time       // the batch's last post
}

// commit plans the batch against the copy, writes it in one transaction,
// then applies it to the copy and answers each append.
func (f *File) commit(batch []*appendReq) {
	m := f.mem
	now := batch[0].d.Time
	for _, req := range batch {
		if req.d.Time.After(now) {
			now = req.d.Time
		}
	}
	// The keys Memory.forget drops at now, which the file drops too.
	var expired []*key
	for _, k := range m.keys {
		if now.Sub(k.time) < KeyWindow {
			break
		}
		expired = append(expired, k)
	}
	b := &batchPlan{plans: map[string]*plan{}, bytes: m.bytes}
	for _, k := range expired {
		b.bytes -= int64(len(k.key) + keyOverhead)
	}
	results := make([]appendRes, len(batch))
	for i, req := range batch {
		results[i] = f.planOne(b, req)
	}
	err := f.db.Update(func(tx *bolt.Tx) error {
		rooms := tx.Bucket(roomsBucket)
		for _, k := range expired {
			if m.rooms[k.room.name] != k.room {
				continue // its room was forgotten, and its keys with it
			}
			if b := rooms.Bucket([]byte(k.room.name)); b != nil {
				if err := b.Delete(append([]byte{keyPrefix}, k.key...)); err != nil {
					return err
				}
			}
		}
		for _, room := range b.order {
			p := b.plans[room]
			if len(p.msgs) == 0 {
				continue
			}
			b, err := rooms.CreateBucketIfNotExists([]byte(room))
			if err != nil {
				return err
			}
			if err := b.Put(metaKey, encodeMeta(p.epoch, p.last, p.touched)); err != nil {
				return err
			}
			for _, msg := range p.msgs {
				if err := b.Put(msgKey(msg.ID), msg.AppendJSON(nil)); err != nil {
					return err
				}
				if msg.ID > uint64(f.cfg.History) {
					if err := b.Delete(msgKey(msg.ID - uint64(f.cfg.History))); err != nil {
						return err
					}
				}
			}
			for _, k := range p.keys {
				if err := b.Put(append([]byte{keyPrefix}, k.key...), encodeKey(k)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		err = fmt.Errorf("file store %s: commit: %w", f.cfg.Path, err)
		for i, req := range batch {
			if results[i].err == nil {
				results[i] = appendRes{err: fmt.Errorf("append to room %q: %w", req.room, err)}
			}
			req.reply <- results[i]
		}
		return
	}
	f.commits.Add(1)
	m.mu.Lock()
	m.forget(now)
	for _, room := range b.order {
		p := b.plans[room]
		if len(p.msgs) == 0 {
			continue
		}
		r := p.ring
		if r == nil {
			r = &ring{name: room, epoch: p.epoch, buf: make([]Message, 0, min(m.history, 16))}
			m.rooms[room] = r
		}
		for _, msg := range p.msgs {
			r.push(msg, m.history)
		}
		for _, k := range p.keys {
			m.remember(r, k)
		}
		f.touched[room] = p.touched
	}
	m.bytes = b.bytes
	m.mu.Unlock()
	for _, room := range b.order {
		if len(b.plans[room].msgs) > 0 {
			m.hub.publish(room, false)
		}
	}
	for i, req := range batch {
		req.reply <- results[i]
	}
}

// batchPlan is what one commit's batch changes.
type batchPlan struct {
	plans   map[string]*plan // by room
	order   []string         // rooms in the order the batch first touched them
	bytes   int64            // what Memory counts once the batch is in
	created int              // rooms the batch creates
}

// planOne plans one append as Memory.Append would make it, against the
// copy with the batch's earlier appends in b: it gives the message its id
// and counts its bytes into b.
func (f *File) planOne(b *batchPlan, req *appendReq) appendRes {
	m, room, d := f.mem, req.room, req.d
	p, ok := b.plans[room]
	if !ok {
		p = &plan{ring: m.rooms[room], keys: map[string]*key{}}
		if p.ring != nil {
			p.epoch, p.last = p.ring.epoch, p.ring.last
		}
		b.plans[room] = p
		b.order = append(b.order, room)
	}
	if d.Key != "" {
		k, seen := p.keys[d.Key]
		if !seen && p.ring != nil {
			k, seen = p.ring.keys[d.Key]
			seen = seen && d.Time.Sub(k.time) < KeyWindow
		}
		if seen {
			if k.fingerprint != d.fingerprint() {
				return appendRes{err: fmt.Errorf("append to room %q: key %q: %w", room, d.Key, ErrKeyReused)}
			}
			return appendRes{msg: Message{ID: k.id, Room: room, Author: d.Author, Text: d.Text, Time: k.time}}
		}
	}
	creates := p.ring == nil && len(p.msgs) == 0
	if creates {
		if b.created+len(m.rooms) >= m.maxRooms {
			return appendRes{err: fmt.Errorf("append to room %q: %w (%d rooms)", room, ErrRoomLimit, m.maxRooms)}
		}
		if p.epoch == "" {
			epoch, err := newEpoch()
			if err != nil {
				return appendRes{err: fmt.Errorf("append to room %q: %w", room, err)}
			}
			p.epoch = epoch
		}
	}
	msg := Message{ID: p.last + 1, Room: room, Author: d.Author, Text: d.Text, Time: d.Time}
	freed := int64(0)
	if p.retained() >= m.history { // the oldest goes, as in Memory.Append
		freed = size(p.message(msg.ID - uint64(m.history)))
	}
	grown := size(msg)
	if d.Key != "" {
		grown += int64(len(d.Key) + keyOverhead)
	}
	if m.maxBytes > 0 && b.bytes-freed+grown > m.maxBytes {
		return appendRes{err: fmt.Errorf("append to room %q: %w (%d bytes)", room, ErrFull, m.maxBytes)}
	}
	b.bytes += grown - freed
	if creates {
		b.created++
	}
	p.last = msg.ID
	p.msgs = append(p.msgs, msg)
	p.touched = d.Time
	if d.Key != "" {
		p.keys[d.Key] = &key{key: d.Key, fingerprint: d.fingerprint(), id: msg.ID, time: d.Time}
	}
	return appendRes{msg: msg}
}

// retained returns how many messages the room holds as planned, before
// trimming: fewer than History after a restart with a larger History.
func (p *plan) retained() int {
	n := len(p.msgs)
	if p.ring != nil {
		n += len(p.ring.buf)
	}
	return n
}

// message returns message id of the room as planned: from the batch or
// from the copy. The zero Message if neither holds it.
func (p *plan) message(id uint64) Message {
	if len(p.msgs) > 0 && id >= p.msgs[0].ID {
		return p.msgs[id-p.msgs[0].ID]
	}
	if p.ring != nil {
		if first := p.ring.first(); first != 0 && id >= first && id <= p.ring.last {
			n := len(p.ring.buf)
			return p.ring.buf[(p.ring.head+int(id-first))%n]
		}
	}
	return Message{}
}

// sweep forgets the rooms without a post for RoomTTL at now, on disk and
// in the copy.
func (f *File) sweep(now time.Time) error {
	var idle []string
	for room, t := range f.touched {
		if now.Sub(t) >= f.cfg.RoomTTL {
			idle = append(idle, room)
		}
	}
	if len(idle) == 0 {
		return nil
	}
	err := f.db.Update(func(tx *bolt.Tx) error {
		rooms := tx.Bucket(roomsBucket)
		for _, room := range idle {
			if err := rooms.DeleteBucket([]byte(room)); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("file store %s: forget idle rooms: %w", f.cfg.Path, err)
	}
	m := f.mem
	m.mu.Lock()
	for _, room := range idle {
		if r, ok := m.rooms[room]; ok {
			for _, msg := range r.buf {
				m.bytes -= size(msg)
			}
			delete(m.rooms, room)
		}
		delete(f.touched, room)
	}
	m.mu.Unlock()
	return nil
}

// msgKey is the key of message id in its room's bucket.
func msgKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{msgPrefix}, id)
}

// encodeMeta writes a room's meta: last id, last post time (Unix ms),
// epoch.
func encodeMeta(epoch string, last uint64, touched time.Time) []byte {
	b := binary.BigEndian.AppendUint64(nil, last)
	b = binary.BigEndian.AppendUint64(b, uint64(touched.UnixMilli()))
	return append(b, epoch...)
}

// decodeMeta reads what encodeMeta wrote.
func decodeMeta(b []byte) (epoch string, last uint64, touched time.Time, err error) {
	if len(b) <= 16 {
		return "", 0, time.Time{}, fmt.Errorf("meta %x does not decode", b)
	}
	last = binary.BigEndian.Uint64(b)
	touched = time.UnixMilli(int64(binary.BigEndian.Uint64(b[8:])))
	return string(b[16:]), last, touched, nil
}

// encodeKey writes an idempotency key's record: id, time (Unix ms),
// fingerprint.
func encodeKey(k *key) []byte {
	b := binary.BigEndian.AppendUint64(nil, k.id)
	b = binary.BigEndian.AppendUint64(b, uint64(k.time.UnixMilli()))
	return append(b, k.fingerprint...)
}

// decodeKey reads what encodeKey wrote for key name.
func decodeKey(name string, b []byte) (*key, error) {
	if len(b) <= 16 {
		return nil, fmt.Errorf("idempotency key %q: record %x does not decode", name, b)
	}
	return &key{
		key:         name,
		id:          binary.BigEndian.Uint64(b),
		time:        time.UnixMilli(int64(binary.BigEndian.Uint64(b[8:]))).UTC(),
		fingerprint: string(b[16:]), // a copy: b lives in the transaction
	}, nil
}

// syncDir fsyncs a directory, so that a file just created in it is there
// after a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
