package store

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// The file store's log. The file is a 16-byte header, then frames, then
// zeros up to a whole number of FileChunk bytes:
//
//	frame: crc32c (4) | length, high bit "more" (4) | sequence (8) | payload
//
// The crc covers length, sequence and payload; sequences count up from 1
// with no gap. A transaction is one frame, or several frames of which all
// but the last have "more" set: replay applies it only once its last
// frame is read. The file grows by writing FileChunk zeros ahead of the
// frames and syncing them, so a frame's fdatasync only ever overwrites
// blocks the file already has, which costs the disk no journal commit.
//
// A crash can tear only the last write, which is at most one frame past
// the last synced one: at start, bad bytes within one frame of the end of
// the last whole frame, with zeros after them, are that torn write and
// are dropped, with the whole frames before them of a transaction that
// did not end (nothing in them was acknowledged). Bad bytes with data
// further on are damage, and the file is refused.

// logMagic is the file's header: it names the format and its version.
const logMagic = "gochat store 1\n\x00"

// logHeader is the header's size; the first frame starts there.
const logHeader = int64(len(logMagic))

// frameHeader is the size of a frame's crc, length and sequence.
const frameHeader = 16

// frameMore marks, in a frame's length, a transaction that goes on in the
// next frame.
const frameMore = 1 << 31

// FileChunk is how much the file store's file grows by at a time, in
// zeros written and synced ahead of the frames that will overwrite them.
// The file's size is a whole number of chunks.
const FileChunk = 1 << 20

// FileMaxFrame is the largest frame payload. A batch of appends is one
// frame; a room written whole (PutRoom, a rewrite) may take several.
const FileMaxFrame = 64 << 10

// castagnoli is the crc32 table the frames are checked with (read only).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errBusy is what lockFile returns while another process holds the lock.
var errBusy = errors.New("file locked by another process")

// logFile is the open, locked log of a file store. One goroutine uses it.
type logFile struct {
	path   string   // the file's name
	f      *os.File // open read-write, locked
	off    int64    // where the next frame goes
	size   int64    // the file's size: zeros from off on
	seq    uint64   // the last frame's sequence number
	tornTo int64    // the end of a torn last write replay found, from off
	// tornFrames are the starts of the whole frames of the unfinished
	// transaction replay found before tornAt.
	tornFrames []int64
	tornAt     int64 // where replay found no whole frame, past off
	torn       int64 // bytes of a torn last write replay found
	// snapshot says another process writes the file: replay ends at the
	// first frame that is not whole, and checks nothing past it.
	snapshot bool
	live     bool    // gochat's log, not a rewrite's new file: each growth, and each frame of a transaction that goes on, is synced at once
	buf      []byte  // the frame being encoded, reused
	tee      []frame // while a rewrite runs: the frames written since it began
}

// frame is a frame's payload and whether its transaction goes on.
type frame struct {
	payload []byte // the records
	more    bool   // the transaction goes on in the next frame
}

// logReplay is what openLog found in the file besides its transactions.
type logReplay struct {
	torn    int64 // bytes of a torn last write dropped
	created bool  // the file was made new
}

// openLog opens (or creates) the log at path, locks it (waiting at most
// timeout for another process to let go), and replays it: apply is called
// with each whole transaction's frame payloads, in order. A torn last
// write is dropped (and zeroed, so new frames follow whole ones); a
// damaged file is refused.
func openLog(path string, timeout time.Duration, apply func(frames [][]byte) error) (*logFile, logReplay, error) {
	var rep logReplay
	f, err := openLocked(path, timeout)
	if err != nil {
		return nil, rep, err
	}
	l := &logFile{path: path, f: f, live: true}
	if err := os.Remove(path + rewriteSuffix); err != nil && !errors.Is(err, os.ErrNotExist) {
		f.Close()
		return nil, rep, fmt.Errorf("remove an unfinished rewrite: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, rep, err
	}
	l.size = info.Size()
	rep.created, err = l.blank()
	if err == nil && rep.created {
		err = l.create()
	} else if err == nil {
		err = l.replay(apply)
		rep.torn = l.torn
		if err == nil {
			err = l.mend()
		}
	}
	if err != nil {
		f.Close()
		return nil, rep, err
	}
	return l, rep, nil
}

// rewriteSuffix names the new file a rewrite writes beside the log.
const rewriteSuffix = ".rewrite"

// openLocked opens path read-write, creating it, and takes its lock. A
// file renamed over path while this waited (a rewrite) is opened again.
func openLocked(path string, timeout time.Duration) (*os.File, error) {
	deadline := time.Now().Add(timeout)
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, err
		}
		err = lockFile(f)
		if err == nil {
			held, err1 := f.Stat()
			named, err2 := os.Stat(path)
			if err1 == nil && err2 == nil && os.SameFile(held, named) {
				return f, nil
			}
		}
		f.Close()
		if err != nil && !errors.Is(err, errBusy) {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("another process holds the file (no lock within %v): one gochat per file; several instances share Redis", timeout)
		}
		time.Sleep(lockPoll)
	}
}

// lockPoll is how often openLocked tries a lock another process holds.
const lockPoll = 10 * time.Millisecond

// blank says whether the file holds nothing but zeros (or nothing): it
// was being made new when a crash came, before its header was written.
func (l *logFile) blank() (bool, error) {
	head := make([]byte, min(l.size, logHeader))
	if _, err := l.f.ReadAt(head, 0); err != nil {
		return false, fmt.Errorf("read the header: %w", err)
	}
	if bytes.Count(head, []byte{0}) != len(head) {
		return false, nil
	}
	last, err := l.lastData(0)
	return last < 0, err
}

// create writes the header and the first chunk of zeros of a new file (or
// of one that holds only zeros).
func (l *logFile) create() error {
	l.off = logHeader
	if err := l.grow(max(FileChunk, l.size)); err != nil {
		return err
	}
	if _, err := l.f.WriteAt([]byte(logMagic), 0); err != nil {
		return fmt.Errorf("write the header: %w", err)
	}
	if l.live {
		if err := l.f.Sync(); err != nil {
			return fmt.Errorf("write the header: %w", err)
		}
	}
	return nil
}

// replay reads every frame, applies each whole transaction, and sets
// where the next frame goes and what it found of a torn last write (torn,
// tornTo, tornAt, tornFrames), for mend.
func (l *logFile) replay(apply func(frames [][]byte) error) error {
	if l.size < logHeader {
		return errors.New("not a gochat store file (too short)")
	}
	r := bufio.NewReaderSize(io.NewSectionReader(l.f, 0, l.size), 1<<16)
	var head [frameHeader]byte
	if _, err := io.ReadFull(r, head[:logHeader]); err != nil {
		return err
	}
	if string(head[:logHeader]) != logMagic {
		return errors.New("not a gochat store file (its header is not gochat's)")
	}
	pos, end := logHeader, logHeader // end: after the last whole transaction
	var txn [][]byte
	var starts []int64 // where txn's frames start
	var txnSeq uint64  // the sequence of the last frame of the last whole transaction
	for {
		if l.size-pos < frameHeader {
			break
		}
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return err
		}
		length := binary.LittleEndian.Uint32(head[4:])
		n := int64(length &^ frameMore)
		seq := binary.LittleEndian.Uint64(head[8:])
		if n == 0 || n > FileMaxFrame || seq != l.seq+1 {
			break
		}
		if pos+frameHeader+n > l.size {
			// A whole header, but its frame runs past the file's end. A
			// frame is written only where the file has grown (synced) to
			// hold all of it, and a torn header only ever says less than
			// it was to, as it tears over zeros, so no crash leaves this:
			// the file was cut.
			if l.snapshot {
				break
			}
			return errTruncated(pos, l.size)
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return err
		}
		sum := crc32.Update(crc32.Checksum(head[4:], castagnoli), castagnoli, payload)
		if sum != binary.LittleEndian.Uint32(head[:]) {
			break
		}
		l.seq = seq
		starts = append(starts, pos)
		pos += frameHeader + n
		txn = append(txn, payload)
		if length&frameMore == 0 {
			if err := apply(txn); err != nil {
				return fmt.Errorf("at byte %d: %w", end, err)
			}
			txn, starts, end, txnSeq = nil, nil, pos, seq
		}
	}
	if l.snapshot {
		l.seq, l.off = txnSeq, end
		return nil
	}
	// pos is where no whole frame is: the rest must be zeros, but for a
	// torn last write.
	last, err := l.lastData(pos)
	if err != nil {
		return err
	}
	l.seq, l.off = txnSeq, end
	if last < pos && txn == nil {
		return nil // a clean end
	}
	if last >= pos && l.size-pos < frameHeader {
		// Data in less than a frame's header at the end: no frame was
		// written there, as none fits, so the file was cut within one.
		return errTruncated(pos, l.size)
	}
	if last >= pos && l.size%FileChunk != 0 {
		return fmt.Errorf("the file is truncated: it ends within a frame at byte %d", l.size)
	}
	if last >= pos+frameHeader+FileMaxFrame {
		return fmt.Errorf("damaged at byte %d: no whole frame there, and data follows up to byte %d", pos, last)
	}
	l.tornTo = min(l.size, pos+frameHeader+FileMaxFrame)
	l.tornFrames, l.tornAt = starts, pos
	l.torn = max(last+1, pos) - end
	return nil
}

// errTruncated is replay's error for a file cut within the frame at pos.
func errTruncated(pos, size int64) error {
	return fmt.Errorf("the file is truncated: the frame at byte %d runs past its end at byte %d", pos, size)
}

// mend writes what replay found the file lacks: the zeros of a growth a
// crash cut short, and zeros over a torn last write, so that new frames
// follow whole ones. It makes the writes of mendSteps, in order, each
// synced before the next.
func (l *logFile) mend() error {
	for _, st := range l.mendSteps() {
		if _, err := l.f.WriteAt(make([]byte, st.to-st.from), st.from); err != nil {
			return fmt.Errorf("mend the file at byte %d: %w", st.from, err)
		}
		if err := fdatasync(l.f); err != nil {
			return fmt.Errorf("mend the file at byte %d: %w", st.from, err)
		}
		l.size = max(l.size, st.to)
	}
	l.tornTo, l.tornFrames = 0, nil
	return nil
}

// chunkEnd returns n rounded up to a whole number of chunks: where the
// chunk that holds byte n-1 ends.
func chunkEnd(n int64) int64 { return (n + FileChunk - 1) / FileChunk * FileChunk }

// zeroStep is a range of the file mend zeroes and syncs at once.
type zeroStep struct{ from, to int64 }

// mendSteps returns the ranges mend zeroes, in order, none longer than a
// chunk. First the rest of a growth a crash cut short, up to a whole
// number of chunks: so a crash in the steps after it leaves bad bytes in
// a file of whole chunks, which replay reads as a torn write, not as a
// file cut short. Then the torn bytes, then the unfinished transaction's
// whole frames, last to first. A crash between these steps leaves that
// transaction's first frames, whole, then zeros; a crash within one,
// whose pages may reach the disk in any order, leaves at most one frame's
// worth of bad bytes after them. The next start reads either as a torn
// last write, and drops it again. Zeroed in one step, a crash could leave
// zeros at the start with whole frames after them, which reads as damage.
func (l *logFile) mendSteps() []zeroStep {
	var steps []zeroStep
	if to := chunkEnd(l.size); to > l.size {
		steps = append(steps, zeroStep{l.size, to})
	}
	if l.tornTo <= l.off {
		return steps
	}
	if l.tornAt < l.tornTo {
		steps = append(steps, zeroStep{l.tornAt, l.tornTo})
	}
	to := l.tornAt
	for _, from := range slices.Backward(l.tornFrames) {
		steps = append(steps, zeroStep{from, to})
		to = from
	}
	return steps
}

// lastData returns the offset of the last byte at or past from that is
// not zero, or from-1 if there is none.
func (l *logFile) lastData(from int64) (int64, error) {
	last := from - 1
	buf := make([]byte, 1<<16)
	for off := from; off < l.size; {
		n, err := l.f.ReadAt(buf[:min(int64(len(buf)), l.size-off)], off)
		for i := n - 1; i >= 0; i-- {
			if buf[i] != 0 {
				last = off + int64(i)
				break
			}
		}
		if err != nil && !(errors.Is(err, io.EOF) && n > 0) {
			return 0, fmt.Errorf("read at byte %d: %w", off, err)
		}
		off += int64(n)
	}
	return last, nil
}

// write adds one frame, not yet synced; more says the transaction goes on
// in the next frame.
func (l *logFile) write(payload []byte, more bool) error {
	n := int64(len(payload))
	if n == 0 || n > FileMaxFrame {
		return fmt.Errorf("frame of %d bytes: want 1 to %d", n, FileMaxFrame)
	}
	if need := l.off + frameHeader + n; need > l.size {
		if err := l.grow(need); err != nil {
			return err
		}
	}
	length := uint32(n)
	if more {
		length |= frameMore
	}
	b := l.buf[:0]
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, length)
	b = binary.LittleEndian.AppendUint64(b, l.seq+1)
	b = append(b, payload...)
	binary.LittleEndian.PutUint32(b, crc32.Checksum(b[4:], castagnoli))
	l.buf = b
	if _, err := l.f.WriteAt(b, l.off); err != nil {
		return fmt.Errorf("write at byte %d: %w", l.off, err)
	}
	l.off += int64(len(b))
	l.seq++
	if l.tee != nil {
		l.tee = append(l.tee, frame{bytes.Clone(payload), more})
	}
	return nil
}

// sync makes every frame written so far durable.
func (l *logFile) sync() error {
	if err := fdatasync(l.f); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}

// grow writes zeros from the file's end up to the chunk that holds byte
// need-1, and syncs them if the log is live.
func (l *logFile) grow(need int64) error {
	to := chunkEnd(need)
	zeros := make([]byte, min(to-l.size, FileChunk))
	for off := l.size; off < to; off += int64(len(zeros)) {
		if _, err := l.f.WriteAt(zeros[:min(int64(len(zeros)), to-off)], off); err != nil {
			return fmt.Errorf("grow the file to %d bytes: %w", to, err)
		}
	}
	l.size = to
	if l.live {
		if err := l.f.Sync(); err != nil {
			return fmt.Errorf("grow the file to %d bytes: %w", to, err)
		}
	}
	return nil
}

// startRewrite creates the new file of a rewrite beside the log, locked,
// with its header, and starts keeping the frames the log is written from
// now on, for finishRewrite.
func (l *logFile) startRewrite() (*logFile, error) {
	name := l.path + rewriteSuffix
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("rewrite: %w", err)
	}
	n := &logFile{path: l.path, f: f}
	err = lockFile(f)
	if err == nil {
		err = n.create()
	}
	if err != nil {
		n.discard()
		return nil, fmt.Errorf("rewrite: %w", err)
	}
	l.tee = []frame{}
	return n, nil
}

// finishRewrite adds to n, the new file of a rewrite, the frames the log
// got since the rewrite began, syncs it and renames it over the log, and
// goes on in it. A crash leaves the one or the other whole.
func (l *logFile) finishRewrite(n *logFile) error {
	tee := l.tee
	l.tee = nil
	var err error
	for _, fr := range tee {
		if err = n.write(fr.payload, fr.more); err != nil {
			break
		}
	}
	if err == nil {
		err = n.f.Sync()
	}
	if err == nil {
		err = os.Rename(n.f.Name(), l.path)
	}
	if err != nil {
		n.discard()
		return fmt.Errorf("rewrite: %w", err)
	}
	l.f.Close()
	n.live = true
	*l = *n
	if err := syncDir(filepath.Dir(l.path)); err != nil {
		return fmt.Errorf("rewrite: %w: %w", errRenameUnsynced, err)
	}
	return nil
}

// errRenameUnsynced is what finishRewrite fails with once the new file
// is renamed over the log and the log goes on in it, but the folder's sync
// failed: that name may not survive a power loss.
var errRenameUnsynced = errors.New("the new file took the log's name, but the folder's sync failed")

// discard closes and removes the new file of a rewrite that did not end.
func (l *logFile) discard() {
	l.f.Close()
	os.Remove(l.f.Name())
}

// endRewrite stops keeping frames for a rewrite that did not end.
func (l *logFile) endRewrite() { l.tee = nil }

// close releases the file and its lock.
func (l *logFile) close() error { return l.f.Close() }
