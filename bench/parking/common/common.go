// Package common: shared pieces of the three prototype servers.
package common

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Answer is one message's pre-encoded HTTP answers, one per connection kind.
type Answer struct {
	KeepAlive11 []byte // HTTP/1.1, keep-alive
	KeepAlive10 []byte // HTTP/1.0 with Connection: keep-alive
	Close       []byte // Connection: close (HTTP/1.0 default or asked for)
}

const (
	KindKeepAlive11 = iota
	KindKeepAlive10
	KindClose
)

func (a *Answer) For(kind int) []byte {
	switch kind {
	case KindKeepAlive10:
		return a.KeepAlive10
	case KindClose:
		return a.Close
	}
	return a.KeepAlive11
}

func Encode(status int, body []byte) *Answer {
	h := func(proto, conn string) []byte {
		s := fmt.Sprintf("%s %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n",
			proto, status, http.StatusText(status), len(body), conn)
		return append([]byte(s), body...)
	}
	return &Answer{
		KeepAlive11: h("HTTP/1.1", ""),
		KeepAlive10: h("HTTP/1.0", "Connection: keep-alive\r\n"),
		Close:       h("HTTP/1.1", "Connection: close\r\n"),
	}
}

// Kind tells how a request's connection must be treated after the answer.
func Kind(r *http.Request) int {
	hasClose, keep := false, false
	for _, v := range r.Header["Connection"] {
		for _, t := range strings.Split(v, ",") {
			switch strings.ToLower(strings.TrimSpace(t)) {
			case "close":
				hasClose = true
			case "keep-alive":
				keep = true
			}
		}
	}
	if hasClose || r.ProtoMajor < 1 || (r.ProtoMajor == 1 && r.ProtoMinor == 0 && !keep) {
		return KindClose
	}
	if r.ProtoMajor == 1 && r.ProtoMinor == 0 {
		return KindKeepAlive10
	}
	return KindKeepAlive11
}

func RSSKiB() int {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// Stats answers /stats: parked=…, rss_kib=…, goroutines=…; ?gc=1 forces a GC first.
func Stats(w http.ResponseWriter, r *http.Request, parked func() int) {
	if r.URL.Query().Get("gc") == "1" {
		runtime.GC()
		debug.FreeOSMemory()
	}
	fmt.Fprintf(w, "parked=%d rss_kib=%d goroutines=%d pid=%d wake_us=%d deferred=%d slow=%d\n", parked(), RSSKiB(), runtime.NumGoroutine(), os.Getpid(), LastWake.Load(), Deferred.Load(), Slow.Load())
}

// RaiseNofile raises RLIMIT_NOFILE to the hard limit.
func RaiseNofile() {
	var rl syscallRlimit
	getrl(&rl)
	want := rl
	want.Cur, want.Max = 300000, 300000
	if setrl(&want) != nil { // not privileged: up to the hard limit
		rl.Cur = rl.Max
		_ = setrl(&rl)
	}
}

// LastWake is how long the last wake (all parked answers written) took, µs.
var LastWake atomic.Int64

// Split runs f over [0,n) cut into w contiguous parts, in w goroutines, and waits.
func Split(n, w int, f func(i, j int)) {
	if w <= 1 || n < 2*w {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for k := 0; k < w; k++ {
		i, j := n*k/w, n*(k+1)/w
		wg.Add(1)
		go func() { defer wg.Done(); f(i, j) }()
	}
	wg.Wait()
}

// Deferred counts requests queued behind a parked poll; Slow counts answers
// that did not fit the socket buffer at once.
var Deferred, Slow atomic.Int64
