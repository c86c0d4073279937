// loadgen: fan-out latency, memory and functional checks for the prototypes.
//
//	loadgen -addr 127.0.0.1:8082 -mode fanout -n 10000 -rounds 3
//	loadgen -addr 127.0.0.1:8082 -mode check     (ends by SIGTERMing the server)
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"gochat-parking-prototypes/common"
)

var addr string
var srcN atomic.Int64

// dial spreads clients over 127.0.0.2..127.0.0.9 so ports do not run out.
func dial(rcvbuf int) (*net.TCPConn, error) {
	i := srcN.Add(1)
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%8))}, Timeout: 10 * time.Second}
	if rcvbuf > 0 {
		d.Control = func(_, _ string, c syscall.RawConn) error {
			return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf) })
		}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

const pollReq = "GET /poll HTTP/1.1\r\nHost: x\r\n\r\n"

type stats struct{ parked, rss, goroutines, pid, wake, deferred, slow int }

func getStats(gc bool) stats {
	u := "http://" + addr + "/stats"
	if gc {
		u += "?gc=1"
	}
	resp, err := http.Get(u)
	if err != nil {
		fmt.Println("stats:", err)
		os.Exit(1)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var s stats
	for _, f := range strings.Fields(string(b)) {
		kv := strings.SplitN(f, "=", 2)
		n, _ := strconv.Atoi(kv[1])
		switch kv[0] {
		case "parked":
			s.parked = n
		case "rss_kib":
			s.rss = n
		case "goroutines":
			s.goroutines = n
		case "pid":
			s.pid = n
		case "deferred":
			s.deferred = n
		case "slow":
			s.slow = n
		case "wake_us":
			s.wake = n
		}
	}
	return s
}

func waitParked(want int, d time.Duration) (stats, bool) {
	end := time.Now().Add(d)
	for {
		s := getStats(false)
		if s.parked == want {
			return s, true
		}
		if time.Now().After(end) {
			return s, false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cpuMs is the server process's user+system CPU time, in ms.
func cpuMs(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	u, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return float64(u+st) * 10 // USER_HZ = 100
}

func post(body []byte) int {
	resp, err := http.Post("http://"+addr+"/post", "application/json", bytes.NewReader(body))
	if err != nil {
		fmt.Println("post:", err)
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(float64(len(d)-1) * p)
	return d[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

func fanout(n, rounds int) {
	base := getStats(true)
	type rec struct {
		round int
		at    time.Duration
	}
	var t0 atomic.Int64
	var round atomic.Int64
	var mu sync.Mutex
	lat := make([][]time.Duration, rounds)
	var dup, errs atomic.Int64
	conns := make([]*net.TCPConn, 0, n)
	for i := 0; i < n; i++ {
		c, err := dial(0)
		if err != nil {
			fmt.Println("dial:", err)
			os.Exit(1)
		}
		conns = append(conns, c)
		go func(c *net.TCPConn) {
			br := bufio.NewReader(c)
			if _, err := io.WriteString(c, pollReq); err != nil {
				errs.Add(1)
				return
			}
			for {
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				r := int(round.Load())
				if r < 0 || r >= rounds {
					dup.Add(1)
				} else {
					d := time.Duration(time.Now().UnixNano() - t0.Load())
					mu.Lock()
					lat[r] = append(lat[r], d)
					mu.Unlock()
				}
				if _, err := io.WriteString(c, pollReq); err != nil {
					return
				}
			}
		}(c)
	}
	round.Store(-1)
	if _, ok := waitParked(n, 60*time.Second); !ok {
		fmt.Println("not all parked")
	}
	s := getStats(true)
	perConn := float64(s.rss-base.rss) / float64(n)
	fmt.Printf("N=%d base_rss=%dKiB parked_rss=%dKiB per_conn=%.2fKiB goroutines_base=%d goroutines_parked=%d\n",
		n, base.rss, s.rss, perConn, base.goroutines, s.goroutines)
	msg := []byte(`{"id":1,"text":"hello, parked readers"}`)
	for r := 0; r < rounds; r++ {
		if _, ok := waitParked(n, 30*time.Second); !ok {
			fmt.Println("round", r, ": not all re-parked (keep-alive broken?)")
		}
		time.Sleep(200 * time.Millisecond)
		c0 := cpuMs(s.pid)
		t0.Store(time.Now().UnixNano())
		round.Store(int64(r))
		code := post(msg)
		end := time.Now().Add(30 * time.Second)
		for {
			mu.Lock()
			got := len(lat[r])
			mu.Unlock()
			if got >= n || time.Now().After(end) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		mu.Lock()
		l := append([]time.Duration(nil), lat[r]...)
		mu.Unlock()
		waitParked(n, 10*time.Second)
		cpu := cpuMs(s.pid) - c0
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		fmt.Printf("  round %d: post=%d answered=%d/%d p50=%sms p99=%sms max=%sms server_wake=%dus server_cpu=%.0fms\n", r, code, len(l), n, ms(pct(l, .5)), ms(pct(l, .99)), ms(pct(l, 1)), getStats(false).wake, cpu)
		round.Store(-1)
	}
	time.Sleep(300 * time.Millisecond)
	fmt.Printf("  duplicates=%d errors=%d\n", dup.Load(), errs.Load())
	for _, c := range conns {
		c.Close()
	}
	s2, ok := waitParked(0, 10*time.Second)
	fmt.Printf("  after close: parked=%d (ok=%v) goroutines=%d; server: deferred=%d slow=%d\n", s2.parked, ok, s2.goroutines, s2.deferred, s2.slow)
}

func readResp(br *bufio.Reader, c net.Conn, d time.Duration) (*http.Response, []byte, error) {
	c.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b, err
}

func result(name string, ok bool, detail string) {
	s := "PASS"
	if !ok {
		s = "FAIL"
	}
	fmt.Printf("%-28s %s  %s\n", name, s, detail)
}

func expectEOF(br *bufio.Reader, c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := br.ReadByte()
	return err == io.EOF
}

func check() {
	msg := []byte(`{"id":7,"text":"check"}`)
	// 1. keep-alive after a long-poll answer
	{
		c, _ := dial(0)
		br := bufio.NewReader(c)
		io.WriteString(c, pollReq)
		waitParked(1, 2*time.Second)
		post(msg)
		r1, b1, err := readResp(br, c, 2*time.Second)
		ok := err == nil && r1.StatusCode == 200 && bytes.Equal(b1, msg)
		io.WriteString(c, "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
		r2, b2, err2 := readResp(br, c, 2*time.Second)
		ok = ok && err2 == nil && r2.StatusCode == 200 && string(b2) == "pong"
		io.WriteString(c, pollReq)
		_, parkedAgain := waitParked(1, 2*time.Second)
		post(msg)
		r3, _, err3 := readResp(br, c, 2*time.Second)
		ok = ok && parkedAgain && err3 == nil && r3.StatusCode == 200
		result("keep-alive", ok, fmt.Sprint(err, err2, err3))
		c.Close()
		waitParked(0, 2*time.Second)
	}
	// 2. a request pipelined behind a long-poll is answered after it, in order
	{
		c, _ := dial(0)
		br := bufio.NewReader(c)
		io.WriteString(c, pollReq+"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
		waitParked(1, 2*time.Second)
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		_, early := br.Peek(1)
		post(msg)
		r1, b1, err := readResp(br, c, 2*time.Second)
		r2, b2, err2 := readResp(br, c, 2*time.Second)
		ok := early != nil && err == nil && err2 == nil && r1.StatusCode == 200 && bytes.Equal(b1, msg) && string(b2) == "pong" && r2.StatusCode == 200
		// and a poll pipelined behind a poll parks again after the first answer
		io.WriteString(c, pollReq+pollReq)
		waitParked(1, 2*time.Second)
		post(msg)
		_, _, e3 := readResp(br, c, 2*time.Second)
		_, again := waitParked(1, 2*time.Second)
		post(msg)
		_, _, e4 := readResp(br, c, 2*time.Second)
		ok = ok && e3 == nil && again && e4 == nil
		result("pipelining", ok, fmt.Sprintf("noEarlyAnswer=%v %v %v %v %v", early != nil, err, err2, e3, e4))
		c.Close()
		waitParked(0, 2*time.Second)
	}
	// 3./4. HTTP/1.0 and Connection: close get the answer, then EOF
	for _, tc := range []struct{ name, req string }{
		{"HTTP/1.0", "GET /poll HTTP/1.0\r\n\r\n"},
		{"HTTP/1.0 keep-alive", "GET /poll HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
		{"Connection: close", "GET /poll HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
	} {
		c, _ := dial(0)
		br := bufio.NewReader(c)
		io.WriteString(c, tc.req)
		waitParked(1, 2*time.Second)
		post(msg)
		r, b, err := readResp(br, c, 2*time.Second)
		ok := err == nil && r.StatusCode == 200 && bytes.Equal(b, msg)
		if strings.Contains(tc.name, "keep-alive") {
			io.WriteString(c, "GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
			_, b2, err2 := readResp(br, c, 2*time.Second)
			ok = ok && err2 == nil && string(b2) == "pong"
		} else {
			ok = ok && expectEOF(br, c)
		}
		result(tc.name, ok, fmt.Sprint(err))
		c.Close()
		waitParked(0, 2*time.Second)
	}
	// 5. disconnect while parked is noticed at once
	{
		const k = 500
		before := getStats(false)
		cs := []*net.TCPConn{}
		for i := 0; i < k; i++ {
			c, _ := dial(0)
			io.WriteString(c, pollReq)
			cs = append(cs, c)
		}
		_, ok1 := waitParked(k, 5*time.Second)
		mid := getStats(false)
		t := time.Now()
		for _, c := range cs {
			c.Close()
		}
		s, ok := waitParked(0, 5*time.Second)
		result("disconnect noticed", ok1 && ok, fmt.Sprintf("%d parked closed -> 0 in %v; goroutines %d -> %d (parked) -> %d", k, time.Since(t).Round(time.Millisecond), before.goroutines, mid.goroutines, s.goroutines))
	}
	// 5b. disconnect with a request pipelined behind the parked poll
	{
		c, _ := dial(0)
		io.WriteString(c, pollReq+"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
		waitParked(1, 2*time.Second)
		c.Close()
		_, ok := waitParked(0, 3*time.Second)
		result("disconnect w/ pipelined", ok, "")
	}
	// 6. a client that never reads cannot stall the others: 4 answers of
	// 1.5 MiB to a client with a 2 KiB receive buffer overflow every socket
	// buffer; 50 normal readers must still get each answer quickly.
	{
		big := bytes.Repeat([]byte("x"), 1536<<10)
		nr, _ := dial(2048)
		io.WriteString(nr, pollReq+pollReq+pollReq+pollReq+pollReq)
		const k = 50
		var got atomic.Int64
		var bad atomic.Int64
		for i := 0; i < k; i++ {
			c, _ := dial(0)
			defer c.Close()
			io.WriteString(c, pollReq)
			go func() {
				br := bufio.NewReader(c)
				for {
					_, b, err := readResp(br, c, 30*time.Second)
					if err != nil {
						return
					}
					if len(b) != len(big) {
						bad.Add(1)
					}
					got.Add(1)
					io.WriteString(c, pollReq)
				}
			}()
		}
		waitParked(k+1, 5*time.Second)
		var worst time.Duration
		for r := 1; r <= 4; r++ {
			waitParked(k, 2*time.Second) // the non-reader may or may not be parked
			time.Sleep(100 * time.Millisecond)
			t := time.Now()
			post(big)
			for got.Load() < int64(r*k) && time.Since(t) < 15*time.Second {
				time.Sleep(2 * time.Millisecond)
			}
			if d := time.Since(t); d > worst {
				worst = d
			}
		}
		time.Sleep(6 * time.Second) // past the servers' 5 s write deadline
		nr.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, err := io.Copy(io.Discard, nr)
		closed := err == nil || strings.Contains(fmt.Sprint(err), "reset")
		result("non-reader isolated", bad.Load() == 0 && got.Load() == 4*k && worst < 3*time.Second,
			fmt.Sprintf("worst round for %d readers %v (answers %d/%d, bad %d); non-reader got %d bytes, then dropped by server=%v (%v)",
				k, worst.Round(time.Millisecond), got.Load(), 4*k, bad.Load(), n, closed, err))
		nr.Close()
	}
	// 7. graceful shutdown answers every parked read
	{
		time.Sleep(200 * time.Millisecond)
		const k = 100
		cs := []*net.TCPConn{}
		for i := 0; i < k; i++ {
			c, _ := dial(0)
			io.WriteString(c, pollReq)
			cs = append(cs, c)
		}
		s, _ := waitParked(k, 5*time.Second)
		syscall.Kill(s.pid, syscall.SIGTERM)
		answered, eof := 0, 0
		for _, c := range cs {
			br := bufio.NewReader(c)
			if r, _, err := readResp(br, c, 5*time.Second); err == nil && r != nil {
				answered++
				if expectEOF(br, c) {
					eof++
				}
			}
			c.Close()
		}
		result("shutdown answers parked", answered == k && eof == k, fmt.Sprintf("answered %d/%d, then closed %d", answered, k, eof))
	}
}

func main() {
	flag.StringVar(&addr, "addr", "127.0.0.1:8082", "server")
	mode := flag.String("mode", "fanout", "fanout or check")
	n := flag.Int("n", 1000, "parked readers")
	rounds := flag.Int("rounds", 3, "posts per fan-out run")
	flag.Parse()
	common.RaiseNofile()
	switch *mode {
	case "fanout":
		fanout(*n, *rounds)
	case "check":
		check()
	}
}
