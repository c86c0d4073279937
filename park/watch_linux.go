package park

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"unsafe"
)

// watchBatch is how many events one epoll_wait returns at most.
const watchBatch = 256

// watcher tells, from one goroutine, when the client of a held
// connection leaves: its socket reports EPOLLRDHUP (the client shut
// down or closed), EPOLLHUP or EPOLLERR. Bytes a client pipelines behind
// its held request do not wake it. Watched for reading (an idle
// connection, see watchRead), a socket also reports its next request.
type watcher struct {
	ep int // the epoll instance
	// epf is ep as a file in Go's own poller, which tells the loop when
	// ep has events: the loop waits without holding a thread in a system
	// call, so it runs as soon as any goroutine would.
	epf     *os.File
	eprc    syscall.RawConn // epf's descriptor, for epoll_wait
	wake    [2]int          // a pipe whose read end is watched: a byte on it stops the loop
	onEvent func(id uint64) // told of each connection whose client left or, if watched for it, sent bytes
	stopped chan struct{}   // closed when the loop ends
}

// wakeID is the id of the pipe that stops the loop; Parker ids start at 1.
const wakeID = 0

// newWatcher starts a watcher that calls onEvent from its goroutine.
func newWatcher(onEvent func(id uint64)) (*watcher, error) {
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("park: epoll: %w", err)
	}
	if err := syscall.SetNonblock(ep, true); err != nil {
		syscall.Close(ep)
		return nil, fmt.Errorf("park: epoll: %w", err)
	}
	w := &watcher{ep: ep, epf: os.NewFile(uintptr(ep), "epoll"), onEvent: onEvent, stopped: make(chan struct{})}
	if w.eprc, err = w.epf.SyscallConn(); err != nil {
		w.epf.Close()
		return nil, fmt.Errorf("park: epoll: %w", err)
	}
	if err := syscall.Pipe2(w.wake[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		w.epf.Close()
		return nil, fmt.Errorf("park: pipe: %w", err)
	}
	if err := w.ctl(syscall.EPOLL_CTL_ADD, w.wake[0], syscall.EPOLLIN, wakeID); err != nil {
		w.closeFDs()
		return nil, err
	}
	go w.loop()
	return w, nil
}

// ctl adds or modifies fd with the given events and id.
func (w *watcher) ctl(op, fd int, events uint32, id uint64) error {
	ev := syscall.EpollEvent{Events: events, Fd: int32(uint32(id)), Pad: int32(uint32(id >> 32))}
	if err := syscall.EpollCtl(w.ep, op, fd, &ev); err != nil {
		return fmt.Errorf("park: epoll_ctl: %w", err)
	}
	return nil
}

// watch reports the client of fd leaving, once, under id. Level-triggered:
// a client that left before this call is reported at once. One-shot: once
// reported, fd stays in the epoll instance but is not reported again until
// watched anew, so a connection answered and handed back is never removed
// (a system call saved per answer; closing the socket removes it), and an
// event for it later, under an id no longer held, is ignored. again says
// fd was watched before (a connection handed back): it is re-armed.
func (w *watcher) watch(fd int, id uint64, again bool) error {
	return w.arm(fd, id, again, syscall.EPOLLRDHUP|syscall.EPOLLONESHOT)
}

// watchRead is watch for an idle connection: it also reports, once,
// bytes the client sends (its next request).
func (w *watcher) watchRead(fd int, id uint64, again bool) error {
	return w.arm(fd, id, again, syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLONESHOT)
}

// arm watches fd under id for events, adding or modifying as again says
// it should, and the other if that fails.
func (w *watcher) arm(fd int, id uint64, again bool, events uint32) error {
	op, other := syscall.EPOLL_CTL_ADD, syscall.EPOLL_CTL_MOD
	if again {
		op, other = other, op
	}
	err := w.ctl(op, fd, events, id)
	if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.EEXIST) {
		err = w.ctl(other, fd, events, id)
	}
	return err
}

// loop reports departures and requests until stop.
func (w *watcher) loop() {
	defer close(w.stopped)
	evs := make([]syscall.EpollEvent, watchBatch)
	for {
		var n int
		var werr error
		err := w.eprc.Read(func(fd uintptr) bool {
			for {
				n, werr = syscall.EpollWait(int(fd), evs, 0)
				if !errors.Is(werr, syscall.EINTR) {
					return werr != nil || n > 0 // none yet: Go's poller waits for some
				}
			}
		})
		if err != nil || werr != nil {
			return // only a bad epoll fd does this: stop closed it
		}
		for _, ev := range evs[:n] {
			id := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			if id == wakeID {
				return
			}
			w.onEvent(id)
		}
	}
}

// stop ends the loop, waits for it and releases the epoll instance.
func (w *watcher) stop() {
	_, _ = syscall.Write(w.wake[1], []byte{0})
	<-w.stopped
	w.closeFDs()
}

func (w *watcher) closeFDs() {
	syscall.Close(w.wake[0])
	syscall.Close(w.wake[1])
	w.epf.Close()
}

// sock makes a connection's reads and writes that never wait. The
// functions its RawConn runs are made once, with the sock: made for each
// call, as closures, they cost several allocations per request. Reads and
// writes keep state of their own, so one of each may run at once.
type sock struct {
	rc              syscall.RawConn
	readFn, writeFn func(fd uintptr) bool // s.read and s.write
	rbuf            []byte                // what read fills
	rn              int                   // what it read
	rerr            error                 // why it failed
	head, body      []byte                // what write sends
	wn              int                   // what it wrote
	werr            error                 // why it failed
}

// init makes s the sock of rc.
func (s *sock) init(rc syscall.RawConn) {
	s.rc = rc
	s.readFn, s.writeFn = s.read, s.write
}

// writeNow writes head then body to the socket, in one writev while the
// socket takes it all, without waiting: it returns how many bytes of the
// two it wrote, and the rest is the caller's.
func (s *sock) writeNow(head, body []byte) (int, error) {
	s.head, s.body, s.wn, s.werr = head, body, 0, nil
	err := s.rc.Write(s.writeFn)
	if err == nil {
		err = s.werr
	}
	n := s.wn
	s.head, s.body, s.werr = nil, nil, nil
	return n, err
}

// write is writeNow's work, run by the RawConn.
func (s *sock) write(fd uintptr) bool {
	head, body := s.head, s.body
	for total := len(head) + len(body); s.wn < total; {
		var iov [2]syscall.Iovec
		n := 0
		if s.wn < len(head) {
			iov[n] = iovec(head[s.wn:])
			n++
		}
		if len(body) > 0 {
			iov[n] = iovec(body[max(s.wn-len(head), 0):])
			n++
		}
		m, _, errno := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(n))
		switch {
		case errno == syscall.EINTR:
			continue
		case errno == syscall.EAGAIN: // full: the rest is the caller's
			return true
		case errno != 0:
			s.werr = errno
			return true
		case int(m) <= 0: // took nothing: the rest is the caller's
			return true
		}
		s.wn += int(m)
	}
	return true // never wait for the socket here
}

// iovec returns the system's view of b, which is not empty.
func iovec(b []byte) syscall.Iovec {
	v := syscall.Iovec{Base: &b[0]}
	v.SetLen(len(b))
	return v
}

// readNow reads what the socket holds now into b, without waiting: n is
// 0 with no error when it holds nothing yet, and err is io.EOF once the
// client closed its side.
func (s *sock) readNow(b []byte) (int, error) {
	s.rbuf, s.rn, s.rerr = b, 0, nil
	err := s.rc.Read(s.readFn)
	if err == nil {
		err = s.rerr
	}
	n := s.rn
	s.rbuf, s.rerr = nil, nil
	return n, err
}

// read is readNow's work, run by the RawConn.
func (s *sock) read(fd uintptr) bool {
	for {
		m, err := syscall.Read(int(fd), s.rbuf)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN): // nothing yet
		case err != nil:
			s.rerr = err
		case m == 0:
			s.rerr = io.EOF
		default:
			s.rn = m
		}
		return true // never wait for the socket here
	}
}
