package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"

	"gochat/internal/testutil"
)

// Binary is a gochat process started by a test.
type Binary struct {
	tb     testing.TB
	cmd    *exec.Cmd
	base   string
	stdout *syncBuffer
	stderr *syncBuffer
	client *http.Client
	exited chan error
}

// StartBinary runs the test binary on a free loopback port with args and
// waits until it serves. The test's end stops it.
func StartBinary(tb testing.TB, args ...string) *Binary {
	tb.Helper()
	b := &Binary{tb: tb, stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan error, 1)}
	b.cmd = exec.Command(bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	b.cmd.Stdout, b.cmd.Stderr = b.stdout, b.stderr
	if err := b.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { b.exited <- b.cmd.Wait() }()
	tb.Cleanup(func() { b.Stop(syscall.SIGTERM) })
	url := regexp.MustCompile(`open (http://\S+/) to chat`)
	testutil.WaitFor(tb, "gochat to start", func() bool {
		select {
		case err := <-b.exited:
			b.exited <- err
			tb.Fatalf("gochat exited: %v\n%s", err, b.stderr.String())
		default:
		}
		return url.MatchString(b.stderr.String())
	})
	b.base = url.FindStringSubmatch(b.stderr.String())[1]
	tr := &http.Transport{}
	b.client = &http.Client{Transport: tr}
	tb.Cleanup(tr.CloseIdleConnections)
	return b
}

// Stop sends sig and waits for the process to exit; it returns how it
// exited. Calling it again returns nil.
func (b *Binary) Stop(sig os.Signal) error {
	if b.cmd.ProcessState != nil {
		return nil
	}
	b.client.CloseIdleConnections()
	_ = b.cmd.Process.Signal(sig)
	return <-b.exited
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (b *Binary) do(method, path, ctype, body string, headers ...string) answer {
	b.tb.Helper()
	req, _ := http.NewRequest(method, b.base+path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, string(raw)}
}

// Post posts text as author to room, with optional headers.
func (b *Binary) Post(room, author, text string, headers ...string) answer {
	b.tb.Helper()
	body, _ := json.Marshal(map[string]string{"author": author, "text": text})
	return b.do("POST", "api/rooms/"+room+"/messages", "application/json", string(body), headers...)
}

// Get reads a room.
func (b *Binary) Get(room, query string) answer {
	b.tb.Helper()
	return b.do("GET", "api/rooms/"+room+"/messages?"+query, "", "")
}

// syncBuffer is a bytes.Buffer safe for a process to write and a test to
// read at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}
