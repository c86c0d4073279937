// Package redistest runs a private redis-server (Debian's redis-server
// package) for tests: on a free loopback port, in a temp dir, never as a
// system service. By default its data is in an append-only file, synced
// on every write, so that a restart keeps it; StartWith can run it
// without persistence, so that a restart loses everything.
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"gochat/internal/testutil"
)

// Options set up a redis-server.
type Options struct {
	// AOF keeps the data in an append-only file synced on every write
	// (appendfsync always), so that a restart keeps every acknowledged
	// write. Without it the server persists nothing (no AOF, no RDB): a
	// restart starts empty.
	AOF bool
}

// Server is a running redis-server.
type Server struct {
	tb     testing.TB
	Addr   string // host:port
	opts   Options
	path   string // the redis-server program
	dir    string
	cmd    *exec.Cmd
	exited chan error
	out    *testutil.LogBuffer
}

// Start runs redis-server with its data in an append-only file for the
// test, and stops it when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return StartWith(tb, Options{AOF: true})
}

// StartWith runs redis-server set up by opts for the test, and stops it
// when the test ends. A missing redis-server fails the test; under -short
// the test is skipped (see testutil.Tool).
func StartWith(tb testing.TB, opts Options) *Server {
	tb.Helper()
	path := testutil.Tool(tb, "redis-server", "redis-server")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &Server{tb: tb, Addr: addr, opts: opts, path: path, dir: tb.TempDir()}
	s.start()
	tb.Cleanup(func() { s.stop(syscall.SIGTERM) })
	return s
}

// URL returns the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

func (s *Server) start() {
	s.tb.Helper()
	_, port, _ := net.SplitHostPort(s.Addr)
	s.out = &testutil.LogBuffer{}
	persistence := []string{"--appendonly", "no"}
	if s.opts.AOF {
		persistence = []string{"--appendonly", "yes", "--appendfsync", "always"}
	}
	args := append([]string{"--bind", "127.0.0.1", "--port", port, "--dir", s.dir,
		"--save", "", "--daemonize", "no", "--logfile", ""}, persistence...)
	s.cmd = exec.Command(s.path, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		s.tb.Fatal(err)
	}
	s.exited = make(chan error, 1)
	go func(cmd *exec.Cmd, exited chan error) { exited <- cmd.Wait() }(s.cmd, s.exited)
	testutil.WaitFor(s.tb, "redis-server to answer", func() bool {
		select {
		case err := <-s.exited:
			s.exited <- err
			s.tb.Fatalf("redis-server exited: %v\n%s", err, s.out.String())
		default:
		}
		return ping(s.Addr) == nil
	})
}

func (s *Server) stop(sig syscall.Signal) {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // a paused server cannot stop
	_ = s.cmd.Process.Signal(sig)
	<-s.exited
	s.cmd = nil
}

// Kill stops the server at once, as a crash would; what it persisted
// stays on disk.
func (s *Server) Kill() { s.stop(syscall.SIGKILL) }

// Pause stops the server's process (SIGSTOP): connections stay open and
// nothing answers, as in a long stall. Resume continues it.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.tb.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.tb.Fatalf("signal redis-server: %v", err)
	}
}

// Restart starts a killed server again on the same port with what it
// persisted: the same data with AOF, nothing without.
func (s *Server) Restart() { s.start() }

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("redis answered %q", line)
	}
	return nil
}
