package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"syscall"
	"testing"

	"gochat/internal/redistest"
	"gochat/internal/testutil"
)

// parked returns how many long-polls the binary holds, from /healthz.
func (b *Binary) parked() int {
	b.tb.Helper()
	var h struct{ Parked int }
	if err := json.Unmarshal([]byte(b.do("GET", "healthz", "", "").body), &h); err != nil {
		b.tb.Fatal(err)
	}
	return h.Parked
}

// TestSIGTERMWhileRedisStalls parks reads in six rooms, stalls Redis
// (SIGSTOP) and sends SIGTERM: every parked read is answered before the
// process exits (503 when the store does not answer in time), and it
// exits 0. Before the fix, the shutdown read one room at a time, 5 s
// each, and most reads lost their connection when the process exited.
func TestSIGTERMWhileRedisStalls(t *testing.T) {
	const rooms = 6
	srv := redistest.Start(t)
	b := StartBinary(t, "-store", srv.URL(), "-redis-prefix", "t:"+t.Name()+":")
	type result struct {
		status int
		body   string
		err    error
	}
	results := make(chan result, rooms)
	client := &http.Client{Transport: &http.Transport{}}
	for i := range rooms {
		go func() {
			res, err := client.Get(fmt.Sprintf("%sapi/rooms/r%d/messages?wait=30", b.base, i))
			if err != nil {
				results <- result{err: err}
				return
			}
			defer res.Body.Close()
			raw, err := io.ReadAll(res.Body)
			results <- result{res.StatusCode, string(raw), err}
		}()
	}
	testutil.WaitFor(t, "six parked reads", func() bool { return b.parked() == rooms })
	srv.Pause()
	defer srv.Resume()
	if err := b.Stop(syscall.SIGTERM); err != nil {
		t.Errorf("gochat exited with %v after SIGTERM\n%s", err, b.stderr.String())
	}
	for range rooms {
		r := <-results
		if r.err != nil || (r.status != 200 && r.status != 503) || len(r.body) == 0 || r.body[0] != '{' {
			t.Errorf("a parked read at shutdown: %d %q %v", r.status, r.body, r.err)
		}
	}
}
