package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

var _ Store = (*File)(nil)

// FileLockTimeout is how long OpenFile waits for the file's lock, which
// another gochat holding the same file keeps: past it OpenFile fails.
const FileLockTimeout = time.Second

// FileMaxBatch is how many appends the file store commits at most in one
// frame (one fsync).
const FileMaxBatch = 256

// FileRewriteSlack is how far the file store's log may grow past twice
// the bytes it holds (as -max-bytes counts them) before it is rewritten
// with only what it holds.
const FileRewriteSlack = 4 << 20

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

// File is a Store in one local file, for one gochat instance that keeps
// its messages, ids and epochs across restarts and crashes.
//
// The file is a log (see filelog.go): every commit appends one frame
// holding the changes of a batch of posts, and syncs it. The whole file is
// replayed into an in-memory copy at start (a Memory), which serves every
// read; after that the disk is only written. One goroutine owns the
// writes: it takes every append waiting, plans them against the copy,
// appends them as one frame and fdatasyncs it, then applies them to the
// copy and answers. So a returned message is on disk, readers never see a
// message that is not, and concurrent appends share an fsync. When the
// log has grown past twice what the store holds (plus FileRewriteSlack),
// it is rewritten with only that, by a goroutine of its own while the
// posts go on.
type File struct {
	cfg  FileConfig      // as OpenFile was given it
	log  *logFile        // the file; run writes it
	mem  *Memory         // the copy reads are served from; only run changes it
	reqs chan *appendReq // appends for run
	puts chan *putReq    // whole rooms for run (PutRoom)
	quit chan struct{}   // closed by Close
	once sync.Once       // closes quit
	done sync.WaitGroup  // run

	// touched is when each room got its last post; only run uses it.
	touched map[string]time.Time
	commits atomic.Int64          // batches committed
	fault   atomic.Pointer[error] // why the log cannot be written to any more
	// rewriting is the rewrite under way, if any; only run uses it.
	rewriting *rewrite
	// rewriteAt is the log size past which run tries a failed rewrite again.
	rewriteAt int64
}

// rewrite is a rewrite of the log under way: a goroutine writes what the
// store held when it began into a new file, while run goes on writing the
// log, which keeps the frames it gets meanwhile for the new file.
type rewrite struct {
	n      *logFile   // the new file; the goroutine's until done answers
	done   chan error // the goroutine's result (buffered)
	start  time.Time  // when it began
	before int64      // the log's size then
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

// OpenFile opens (or creates) the file store at cfg.Path and reads it
// whole into memory. A file that another process holds, or that is
// damaged, is refused with an error naming it; a torn last write, which
// held nothing acknowledged, is dropped and logged.
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
	f := &File{cfg: cfg, mem: mem, reqs: make(chan *appendReq), puts: make(chan *putReq), quit: make(chan struct{}), touched: map[string]time.Time{}}
	ld := &loader{rooms: map[string]*loadedRoom{}}
	log, rep, err := openLog(cfg.Path, FileLockTimeout, ld.apply)
	if err == nil {
		f.log = log
		err = f.load(ld)
		if err != nil {
			log.close()
		}
	}
	if err == nil && rep.created {
		// The new file's name must survive a crash too.
		err = syncDir(filepath.Dir(cfg.Path))
		if err != nil {
			log.close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open file store %s: %w; see README, Keep messages in a file", cfg.Path, err)
	}
	if rep.torn > 0 {
		cfg.Log.Warn("dropped a torn last write of the file store: a crash cut it short, and none of it was acknowledged", "file", cfg.Path, "bytes", rep.torn)
	}
	f.done.Add(1)
	go f.run()
	return f, nil
}

// load fills the in-memory copy with the rooms the log holds. Messages
// beyond History (kept under a larger -history before) are dropped, and
// the log is told so.
func (f *File) load(ld *loader) error {
	type loadedKey struct {
		r *ring
		k *key
	}
	var keys []loadedKey
	now := time.Now()
	t := &txnWriter{l: f.log}
	if err := ld.check(); err != nil {
		return err
	}
	for name, lr := range ld.rooms {
		if n := len(lr.msgs); n > f.cfg.History {
			lr.msgs = lr.msgs[n-f.cfg.History:]
			lr.first = lr.msgs[0].ID
			t.room(name, lr.epoch, lr.last, lr.first, lr.touched, nil, nil)
		}
		r, bytes := newRing(name, lr.epoch, f.cfg.History, lr.msgs, lr.last)
		f.mem.bytes += bytes
		for _, k := range lr.keys {
			if now.Sub(k.time) < KeyWindow {
				keys = append(keys, loadedKey{r, k})
			}
		}
		f.mem.rooms[name] = r
		f.touched[name] = lr.touched
	}
	slices.SortStableFunc(keys, func(a, b loadedKey) int { return a.k.time.Compare(b.k.time) })
	for _, lk := range keys {
		f.mem.remember(lk.r, lk.k)
		f.mem.bytes += int64(len(lk.k.key) + keyOverhead)
	}
	if t.end(); t.frames > 0 && t.err == nil {
		t.err = f.log.sync()
	}
	if t.err != nil {
		return fmt.Errorf("trim to history %d: %w", f.cfg.History, t.err)
	}
	return nil
}

// Append implements Store. It returns once the message is on disk
// (committed and fsynced), or with the error that kept it off. A ctx that
// ends while the commit runs returns an error, and the message may be
// stored.
func (f *File) Append(ctx context.Context, room string, d Draft) (Message, error) {
	req := &appendReq{room: room, d: d, reply: make(chan appendRes, 1)}
	if n := req.cost() - recOverhead; n > fileMaxPost {
		return Message{}, fmt.Errorf("append to room %q: a post of %d bytes: the file store takes at most %d", room, n, fileMaxPost)
	}
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
	if f.closing() {
		return fmt.Errorf("file store %s: %w", f.cfg.Path, ErrClosed)
	}
	if err := f.failed(); err != nil {
		return fmt.Errorf("file store %s: %w", f.cfg.Path, err)
	}
	return nil
}

// Close implements Store: it waits for the commit under way, and
// releases the file and its lock.
func (f *File) Close() error {
	f.once.Do(func() { close(f.quit) })
	f.done.Wait()
	if err := f.log.close(); err != nil {
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
	// Each record must fit a frame, as for Append: a larger one would
	// fail the log.
	if n := len(r.Name) + len(r.Epoch); n > fileMaxPost {
		return fmt.Errorf("put room %q: a name and epoch of %d bytes: the file store takes at most %d", r.Name, n, fileMaxPost)
	}
	for _, msg := range msgs {
		if n := len(r.Name) + len(msg.Author) + len(msg.Text); n > fileMaxPost {
			return fmt.Errorf("put room %q: message %d of %d bytes: the file store takes at most %d", r.Name, msg.ID, n, fileMaxPost)
		}
	}
	touched := time.Now()
	if n := len(msgs); n > 0 {
		touched = msgs[n-1].Time
	}
	first := r.Last + 1
	if len(msgs) > 0 {
		first = msgs[0].ID
	}
	err := f.txn(func(t *txnWriter) {
		t.room(r.Name, r.Epoch, r.Last, first, touched, msgs, nil)
	})
	if err != nil {
		return fmt.Errorf("put room %q: file store %s: %w", r.Name, f.cfg.Path, err)
	}
	ring, bytes := newRing(r.Name, r.Epoch, m.history, msgs, r.Last)
	m.mu.Lock()
	m.bytes += bytes
	m.rooms[r.Name] = ring
	m.mu.Unlock()
	f.touched[r.Name] = touched
	m.hub.publish(r.Name, false)
	return nil
}

// txn writes one transaction to the log, what add adds, and syncs it. A
// failure fails the store.
func (f *File) txn(add func(t *txnWriter)) error {
	if err := f.failed(); err != nil {
		return err
	}
	t := &txnWriter{l: f.log}
	add(t)
	err := t.end()
	if err == nil && t.frames > 0 {
		err = f.log.sync()
	}
	if err != nil {
		return f.fail(err)
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
	var next *appendReq // taken, and left for the next batch
	for {
		if next == nil {
			select {
			case next = <-f.reqs:
			case req := <-f.puts:
				req.reply <- f.put(req.room)
				f.rewriteIfDue()
				continue
			case now := <-sweep:
				if err := f.sweep(now); err != nil {
					f.cfg.Log.Warn("idle rooms stay until the next sweep", "err", err)
				}
				continue
			case err := <-f.rewriteDone():
				f.finishRewrite(err)
				continue
			case <-f.quit:
				if rw := f.rewriting; rw != nil {
					<-rw.done
					rw.n.discard()
				}
				return
			}
		}
		batch, bytes := []*appendReq{next}, next.cost()
		next = nil
	more:
		for len(batch) < FileMaxBatch {
			select {
			case req := <-f.reqs:
				if bytes += req.cost(); bytes > FileMaxFrame {
					next = req
					break more
				}
				batch = append(batch, req)
			default:
				break more
			}
		}
		f.commit(batch)
		f.rewriteIfDue()
	}
}

// fail marks the store as failed by err, a write or sync of the log that
// did not succeed: what is on disk past the last synced frame is unknown,
// so nothing more is written, and Ping tells. A restart replays the file
// as it is.
func (f *File) fail(err error) error {
	err = fmt.Errorf("the store stops writing, restart gochat: %w", err)
	f.fault.CompareAndSwap(nil, &err)
	return err
}

// failed returns why the store stopped writing, or nil.
func (f *File) failed() error {
	if p := f.fault.Load(); p != nil {
		return *p
	}
	return nil
}

// cost bounds the bytes an append's records take in a frame.
func (req *appendReq) cost() int {
	return recOverhead + len(req.room) + len(req.d.Author) + len(req.d.Text) + len(req.d.Key)
}

// rewriteIfDue starts a rewrite of the log once it has grown past twice
// what the store holds, plus FileRewriteSlack.
func (f *File) rewriteIfDue() {
	if f.rewriting != nil || f.log.off <= max(2*f.mem.bytes+FileRewriteSlack, f.rewriteAt) || f.failed() != nil {
		return
	}
	rw := &rewrite{done: make(chan error, 1), start: time.Now(), before: f.log.off}
	var err error
	if rw.n, err = f.log.startRewrite(); err != nil {
		f.rewriteAt = f.log.off + FileRewriteSlack
		f.cfg.Log.Warn("the file store's log stays as it is for now", "file", f.cfg.Path, "err", err)
		return
	}
	type snap struct {
		name, epoch string
		last, first uint64
		touched     time.Time
		msgs        []Message
		keys        map[string]*key // a copy: run changes the room's
	}
	rooms := make([]snap, 0, len(f.mem.rooms))
	for name, r := range f.mem.rooms {
		s := snap{name: name, epoch: r.epoch, last: r.last, first: r.last + 1, touched: f.touched[name], msgs: r.since(0), keys: maps.Clone(r.keys)}
		if len(s.msgs) > 0 {
			s.first = s.msgs[0].ID
		}
		rooms = append(rooms, s)
	}
	f.rewriting = rw
	go func() {
		var err error
		for _, s := range rooms {
			if f.closing() {
				err = ErrClosed // Close waits for this goroutine: stop now
				break
			}
			t := &txnWriter{l: rw.n}
			t.room(s.name, s.epoch, s.last, s.first, s.touched, s.msgs, s.keys)
			if err = t.end(); err != nil {
				break
			}
		}
		rw.done <- err
	}()
}

// closing reports whether Close has begun.
func (f *File) closing() bool {
	select {
	case <-f.quit:
		return true
	default:
		return false
	}
}

// rewriteDone is what the rewrite under way answers on, or nil.
func (f *File) rewriteDone() <-chan error {
	if f.rewriting == nil {
		return nil
	}
	return f.rewriting.done
}

// finishRewrite ends the rewrite under way, whose goroutine answered err:
// the log goes on in the new file, or stays as it is.
func (f *File) finishRewrite(err error) {
	rw := f.rewriting
	f.rewriting = nil
	if err == nil {
		err = f.failed()
	}
	if err == nil {
		err = f.log.finishRewrite(rw.n)
	} else {
		rw.n.discard()
		f.log.endRewrite()
	}
	if errors.Is(err, errRenameUnsynced) {
		f.cfg.Log.Error("the file store stops writing", "file", f.cfg.Path, "err", f.fail(err))
		return
	}
	if err != nil {
		f.rewriteAt = f.log.off + FileRewriteSlack
		f.cfg.Log.Warn("the file store's log stays as it is for now", "file", f.cfg.Path, "err", err)
		return
	}
	f.cfg.Log.Info("rewrote the file store's log", "file", f.cfg.Path, "bytes_before", rw.before, "bytes_after", f.log.off, "took", time.Since(rw.start))
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
	_, freed := m.expired(now) // the keys m.forget drops once the batch is in
	b := &batchPlan{plans: map[string]*plan{}, bytes: m.bytes - freed}
	results := make([]appendRes, len(batch))
	for i, req := range batch {
		results[i] = f.planOne(b, req)
	}
	err := f.txn(func(t *txnWriter) {
		for _, room := range b.order {
			p := b.plans[room]
			if len(p.msgs) == 0 {
				continue
			}
			first := p.last - uint64(min(p.retained(), m.history)) + 1
			kept := p.msgs[max(0, len(p.msgs)-m.history):] // those from first on
			t.room(room, p.epoch, p.last, first, p.touched, kept, p.keys)
		}
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
			r, _ = newRing(room, p.epoch, m.history, nil, 0)
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
	err := f.txn(func(t *txnWriter) {
		for _, room := range idle {
			t.forget(room)
		}
	})
	if err != nil {
		return fmt.Errorf("file store %s: forget idle rooms: %w", f.cfg.Path, err)
	}
	m := f.mem
	m.mu.Lock()
	gone := map[*ring]bool{}
	for _, room := range idle {
		if r, ok := m.rooms[room]; ok {
			for _, msg := range r.buf {
				m.bytes -= size(msg)
			}
			delete(m.rooms, room)
			gone[r] = true
		}
		delete(f.touched, room)
	}
	// Their keys go too, as the file no longer holds them.
	m.keys = slices.DeleteFunc(m.keys, func(k *key) bool {
		if gone[k.room] {
			m.bytes -= int64(len(k.key) + keyOverhead)
		}
		return gone[k.room]
	})
	m.mu.Unlock()
	return nil
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
