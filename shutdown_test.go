package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"gochat/internal/testutil"
)

// outcome is what one POST of TestShutdownUnderKeepAliveWrites got.
type outcome struct {
	status int    // the answer's status, 0 if none came
	err    string // why no answer came
	reused bool   // the POST went on a connection that had carried an answer
	late   bool   // its connection was opened after the signal
}

// TestShutdownUnderKeepAliveWrites stops the binary with SIGTERM while
// keep-alive clients post as fast as they can, and checks the contract
// of a graceful stop: every POST the server may have read gets an HTTP
// answer (201, or 503 JSON once it stops taking requests), and answers
// given during the stop close their connection, so clients stop sending
// on it. A POST may get no answer only when it went on a connection the
// server had stopped accepting (opened after the signal), or on an idle
// keep-alive connection the server closed when it stopped, which it logs
// with their number: an HTTP/1.1 client may always find its idle
// connection closed under it, and retries.
func TestShutdownUnderKeepAliveWrites(t *testing.T) {
	const writers = 48
	p := StartBinary(t)
	addr := strings.TrimSuffix(strings.TrimPrefix(p.base, "http://"), "/")
	var (
		signalled atomic.Bool
		answered  atomic.Int64 // answers before the signal
		mu        sync.Mutex
		outcomes  []outcome
		wg        sync.WaitGroup
	)
	record := func(o outcome) {
		mu.Lock()
		defer mu.Unlock()
		outcomes = append(outcomes, o)
	}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				late := signalled.Load()
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					return // the server stopped accepting
				}
				_ = conn.SetDeadline(time.Now().Add(testutil.Timeout))
				r := bufio.NewReader(conn)
				for i := 0; ; i++ {
					o := outcome{reused: i > 0, late: late}
					body := `{"author":"w","text":"keep-alive"}`
					_, err := fmt.Fprintf(conn, "POST /api/rooms/stop%d/messages HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", w, addr, len(body), body)
					var res *http.Response
					if err == nil {
						res, err = http.ReadResponse(r, nil)
					}
					if err != nil {
						o.err = err.Error()
						record(o)
						break
					}
					raw, _ := io.ReadAll(res.Body)
					res.Body.Close()
					o.status = res.StatusCode
					if o.status != 201 && !json.Valid(raw) {
						o.err = "not JSON: " + string(raw)
					}
					record(o)
					if !signalled.Load() {
						answered.Add(1)
					}
					if res.Close {
						break
					}
				}
				conn.Close()
			}
		}()
	}
	testutil.WaitFor(t, "every writer to be answered a few times", func() bool { return answered.Load() >= 20*writers })
	signalled.Store(true)
	if err := p.Stop(syscall.SIGTERM); err != nil {
		t.Errorf("exit: %v, want 0\n%s", err, p.stderr.String())
	}
	wg.Wait()

	closedIdle := 0
	if m := regexp.MustCompile(`closing idle connections.* connections=(\d+)`).FindStringSubmatch(p.stderr.String()); m != nil {
		closedIdle, _ = strconv.Atoi(m[1])
	}
	statuses := map[int]int{}
	unanswered := 0
	for _, o := range outcomes {
		switch {
		case o.status == 201 || o.status == 503:
			statuses[o.status]++
			if o.err != "" {
				t.Errorf("an answer %d: %s", o.status, o.err)
			}
		case o.status != 0:
			t.Errorf("an answer %d, want 201 or 503", o.status)
		case o.late && !o.reused:
			// Sent on a connection opened after the signal: the server
			// may have stopped accepting before it.
		case o.reused:
			unanswered++
		default:
			t.Errorf("the first POST on a connection opened before the signal got no answer: %s", o.err)
		}
	}
	if unanswered > closedIdle {
		t.Errorf("%d POSTs on keep-alive connections got no answer, but the server closed only %d idle connections; answers: %v\n%s",
			unanswered, closedIdle, statuses, p.stderr.String()[max(0, len(p.stderr.String())-3000):])
	}
	t.Logf("answers %v; %d POSTs unanswered on %d idle connections closed", statuses, unanswered, closedIdle)
}
