// Command bench measures gochat against a plain net/http long-poll server
// (bench/refserver) over real HTTP on loopback, in the same run, and
// writes bench/README.md (a results table) and bench/fanout.svg (fan-out
// p99 against parked readers).
//
//	go run ./bench                       # the full run, about 3 minutes
//	go run ./bench -n 1000 -repeat 1     # a quick look
//	go run ./bench -n 1000 -repeat 1 -scale 0   # without the scale run
//
// Each scenario runs on a fresh server process; the two servers alternate
// and every figure is the median of -repeat runs, so a noisy machine
// affects both alike and the ratios hold.
//
// Last comes one fan-out run at -scale parked readers per server (issue
// 13 asks for 50,000). Each parked reader holds a descriptor in the bench
// and one in the server, so the bench first raises its file limit (soft to
// hard, and hard too where it may; the servers inherit it), and runs at the
// most readers that limit leaves room for, saying so in the report when
// that is fewer than asked. Readers dial from their own loopback source
// addresses, 127.0.0.2 upward, a fresh one every sourceBlock connections,
// so no address runs out of ephemeral ports, even with the previous runs'
// connections still in TIME_WAIT; gochat's per-client limits exempt all of
// 127.0.0.0/8, and its default graph parks at most 10,000 reads, so the
// scale run passes gochat a copy of graph/chat.fbp with CAPACITY raised.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	ns := flag.String("n", "1000,5000,10000", "parked readers for the fan-out runs")
	gochatArgs := flag.String("gochat-args", "", "extra arguments for gochat, space-separated")
	storeSpec := flag.String("store", "memory", "gochat's store: memory, file (a new file for each gochat process, in the bench's temp folder) or redis://host:port/db")
	m := flag.Int("m", 20, "messages per fan-out run")
	c := flag.Int("c", 32, "concurrent clients for throughput runs")
	d := flag.Duration("d", 4*time.Second, "duration of a throughput run")
	repeat := flag.Int("repeat", 3, "runs of each scenario and server; figures are medians")
	out := flag.String("out", "bench", "folder for README.md and fanout.svg; empty writes nothing")
	scale := flag.Int("scale", 50000, "parked readers for the one scale run per server at the end, or as many as the file limit allows; 0 skips it")
	flag.Parse()
	extra := strings.Fields(*gochatArgs)
	if *storeSpec != "memory" && *storeSpec != "file" {
		extra = append(extra, "-store", *storeSpec)
	}
	if err := run(parseInts(*ns), *m, *c, *d, *repeat, *scale, *out, extra, *storeSpec == "file"); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseInts(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// target is a server under test.
type target struct {
	name string
	bin  string
	args func(addr string) []string
}

// run runs the bench. extra are gochat's arguments; with files, each
// gochat process gets -store file: on a new file of its own.
func run(ns []int, m, c int, d time.Duration, repeat, scale int, out string, extra []string, files bool) error {
	limit := raiseFileLimit()
	// With the collection before each post (runFanout), a wake-up's garbage
	// (~10 KiB a reader) then fits under the heap goal without another one.
	debug.SetGCPercent(benchGCPercent)
	src := newSources()
	dir, err := os.MkdirTemp("", "gochat-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var stores atomic.Int64 // files made for -store file
	gochatArgs := func(a string) []string {
		args := append([]string{"-addr", a}, extra...)
		if files {
			args = append(args, "-store", fmt.Sprintf("file:%s/chat-%d.db", dir, stores.Add(1)))
		}
		return args
	}
	targets := []target{
		{"gochat", filepath.Join(dir, "gochat"), gochatArgs},
		{"reference", filepath.Join(dir, "refserver"), func(a string) []string { return []string{"-addr", a} }},
	}
	for pkg, bin := range map[string]string{".": targets[0].bin, "./bench/refserver": targets[1].bin} {
		if b, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", pkg, err, b)
		}
	}
	res := map[string]*results{}
	for _, t := range targets {
		res[t.name] = &results{fan: map[int][]fanout{}}
	}
	for r := range repeat {
		order := targets
		if r%2 == 1 {
			order = []target{targets[1], targets[0]}
		}
		for _, t := range order {
			for _, n := range ns {
				f, err := withServer(t, func(base string, pid int) (fanout, error) { return runFanout(base, pid, n, m, src) })
				if err != nil {
					return fmt.Errorf("%s fan-out %d: %w", t.name, n, err)
				}
				res[t.name].fan[n] = append(res[t.name].fan[n], f)
				fmt.Printf("%s run %d fan-out N=%d: p50 %.2f ms p99 %.2f ms, %.1f KiB/reader, CPU per delivery %.1f µs server %.1f µs bench, lost %d dup %d\n",
					t.name, r+1, n, f.p50, f.p99, f.kib, f.serverUS, f.benchUS, f.lost, f.dup)
			}
			for _, sc := range []struct {
				name string
				fn   func(string) (rate, error)
			}{
				{"writes, 32 rooms", func(b string) (rate, error) { return runWrites(b, c, d, true) }},
				{"writes, one room", func(b string) (rate, error) { return runWrites(b, c, d, false) }},
				{"catch-up reads", func(b string) (rate, error) { return runCatchUp(b, c, d) }},
			} {
				x, err := withServer(t, func(base string, _ int) (rate, error) { return sc.fn(base) })
				if err != nil {
					return fmt.Errorf("%s %s: %w", t.name, sc.name, err)
				}
				res[t.name].add(sc.name, x)
				fmt.Printf("%s run %d %s: %.0f req/s p50 %.2f ms p99 %.2f ms\n", t.name, r+1, sc.name, x.rps, x.p50, x.p99)
			}
		}
	}
	var sc *scaleResult
	if scale > 0 {
		if sc, err = runScale(targets, dir, scale, min(m, scaleMessages), limit, src); err != nil {
			return err
		}
	}
	report := render(res["gochat"], res["reference"], ns, m, c, d, repeat, scale, sc)
	fmt.Println(report)
	if out != "" {
		if err := os.WriteFile(filepath.Join(out, "README.md"), []byte(report), 0o644); err != nil {
			return err
		}
		if len(ns) > 0 { // no fan-out run, nothing to plot
			if err := os.WriteFile(filepath.Join(out, "fanout.svg"), chart(res["gochat"], res["reference"], ns), 0o644); err != nil {
				return err
			}
		}
	}
	if sc != nil {
		return errors.Join(sc.errs...)
	}
	return nil
}

// benchGCPercent is the bench's GOGC.
const benchGCPercent = 400

// scaleMessages is the most messages posted in the scale run: each one
// wakes every reader, so a few give enough wake-ups for a p99.
const scaleMessages = 5

// fdSpare is how many file descriptors the scale run leaves free beside its
// readers' connections, in the bench and in each server: listeners, the
// poster's and health checks' connections, pipes, epoll, the binaries.
const fdSpare = 500

// fileLimit is the bench's RLIMIT_NOFILE once raised, which the servers it
// starts inherit.
type fileLimit struct {
	soft, hard uint64
	err        error // why the soft limit could not be raised, if not
}

// raiseFileLimit raises the bench's file limit: the hard limit to
// fs.nr_open where the process may (root may; others get EPERM, ignored),
// then the soft limit to the hard. Go (package syscall) raises its soft limit at
// start too, but sets it back for the processes it starts unless the
// program sets the limit itself, as here.
func raiseFileLimit() fileLimit {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return fileLimit{err: fmt.Errorf("getrlimit: %w", err)}
	}
	if b, err := os.ReadFile("/proc/sys/fs/nr_open"); err == nil {
		if most, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && most > l.Max {
			if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: most, Max: most}) == nil {
				l = syscall.Rlimit{Cur: most, Max: most}
			}
		}
	}
	var err error
	if l.Cur < l.Max {
		if e := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: l.Max, Max: l.Max}); e != nil {
			err = fmt.Errorf("raise the soft file limit to %d: %w", l.Max, e)
		} else {
			l.Cur = l.Max
		}
	}
	return fileLimit{soft: l.Cur, hard: l.Max, err: err}
}

// readers returns the most parked readers the limit leaves room for, in
// thousands.
func (l fileLimit) readers() int {
	soft := min(l.soft, 1<<30) // RLIM_INFINITY would overflow an int
	if soft < fdSpare+1000 {
		return 0
	}
	return int((soft - fdSpare) / 1000 * 1000)
}

// sourceBlock is how many connections the bench dials from one loopback
// source address before it moves to the next, well under the ephemeral
// port range (28,232 ports by default): an address never runs out of
// ports, even counting this run's connections still in TIME_WAIT.
const sourceBlock = 10000

// sources hands the readers' connections their loopback source addresses,
// from 127.0.0.2 upward, a fresh one every block dials. (A connection from
// 127.0.0.2 to a server on 127.0.0.1 stays on the loopback interface,
// which holds all of 127.0.0.0/8 on Linux.)
type sources struct {
	block int64        // dials from one address
	ports string       // the ephemeral port range, for the report
	dials atomic.Int64 // dials so far
}

func newSources() *sources {
	s := &sources{block: sourceBlock, ports: "unknown"}
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			lo, err1 := strconv.ParseInt(f[0], 10, 64)
			hi, err2 := strconv.ParseInt(f[1], 10, 64)
			if err1 == nil && err2 == nil && hi >= lo {
				s.ports = fmt.Sprintf("%d–%d", lo, hi)
				s.block = max(1, min(s.block, (hi-lo+1)/2))
			}
		}
	}
	return s
}

// addr is the source address of dial number k.
func (s *sources) addr(k int64) net.IP {
	i := 2 + k/s.block
	return net.IPv4(127, byte(i>>16), byte(i>>8), byte(i))
}

// ipBindAddressNoPort is Linux's IP_BIND_ADDRESS_NO_PORT (linux/in.h),
// which package syscall lacks.
const ipBindAddressNoPort = 24

// dial is a Transport's DialContext. It binds the source address with
// IP_BIND_ADDRESS_NO_PORT, so the port is chosen at connect as for any
// client, unique per destination: a plain bind to port 0 must find a port
// free of every socket on that address, TIME_WAIT ones included. With a
// previous run's thousands in TIME_WAIT, a 19,000-reader run spent 48 s of
// system time (7 s with this option) and its readers' first requests failed
// with EOF, likely closed by the servers' header timeout while the bench
// stalled.
func (s *sources) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{
		LocalAddr: &net.TCPAddr{IP: s.addr(s.dials.Add(1) - 1)},
		Control: func(_, _ string, c syscall.RawConn) error {
			return c.Control(func(fd uintptr) {
				// A kernel without it (before 4.2) binds a port at once, as before.
				_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, ipBindAddressNoPort, 1)
			})
		},
	}
	return d.DialContext(ctx, network, addr)
}

// span names the source addresses of dials from up to (not including) to.
func (s *sources) span(from, to int64) string {
	if to <= from {
		return "none"
	}
	if a, b := s.addr(from), s.addr(to-1); !a.Equal(b) {
		return fmt.Sprintf("%v–%v", a, b)
	}
	return s.addr(from).String()
}

// scaleResult is the scale run: one fan-out per server at as many readers
// as asked, or as the file limit allows.
type scaleResult struct {
	asked, n, m int
	limit       fileLimit
	ports       string            // the ephemeral port range
	block       int64             // connections dialled from one source address at most
	fan         map[string]fanout // by server
	from        map[string]string // source addresses, by server
	failed      map[string]string // why a server's run failed, by server
	errs        []error
}

// runScale runs one fan-out of m messages at asked readers per server, or
// at the most the file limit allows.
func runScale(targets []target, dir string, asked, m int, limit fileLimit, src *sources) (*scaleResult, error) {
	sc := &scaleResult{asked: asked, n: min(asked, limit.readers()), m: m, limit: limit, ports: src.ports, block: src.block,
		fan: map[string]fanout{}, from: map[string]string{}, failed: map[string]string{}}
	if sc.n < 1 {
		return sc, nil
	}
	graph, err := scaleGraph(dir, sc.n)
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		if t.name == "gochat" {
			args := t.args
			t.args = func(a string) []string { return append(args(a), "-graph", graph) }
		}
		first := src.dials.Load()
		f, err := withServer(t, func(base string, pid int) (fanout, error) { return runFanout(base, pid, sc.n, m, src) })
		sc.from[t.name] = src.span(first, src.dials.Load())
		if err != nil {
			sc.failed[t.name] = err.Error()
			sc.errs = append(sc.errs, fmt.Errorf("%s scale N=%d: %w", t.name, sc.n, err))
			fmt.Printf("%s scale N=%d: %v\n", t.name, sc.n, err)
			continue
		}
		sc.fan[t.name] = f
		fmt.Printf("%s scale N=%d: p50 %.2f ms p99 %.2f ms, %.1f KiB/reader, lost %d dup %d\n", t.name, sc.n, f.p50, f.p99, f.kib, f.lost, f.dup)
	}
	return sc, nil
}

// capacityLine is the line of graph/chat.fbp that bounds parked reads.
var capacityLine = regexp.MustCompile(`(?m)^'\d+' -> CAPACITY storage$`)

// scaleGraph writes a copy of graph/chat.fbp, gochat's default graph, with
// Storage's CAPACITY raised to n, and returns its path.
func scaleGraph(dir string, n int) (string, error) {
	b, err := os.ReadFile(filepath.Join("graph", "chat.fbp"))
	if err != nil {
		return "", fmt.Errorf("scale graph: %w", err)
	}
	if !capacityLine.Match(b) {
		return "", errors.New("scale graph: graph/chat.fbp has no line '<n>' -> CAPACITY storage")
	}
	path := filepath.Join(dir, "scale.fbp")
	b = capacityLine.ReplaceAll(b, fmt.Appendf(nil, "'%d' -> CAPACITY storage", n))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return "", fmt.Errorf("scale graph: %w", err)
	}
	return path, nil
}

// withServer starts a fresh server process, runs f against it and stops it.
func withServer[T any](t target, f func(base string, pid int) (T, error)) (T, error) {
	var zero T
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return zero, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(t.bin, t.args(addr)...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return zero, err
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	base := "http://" + addr + "/"
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		if _, err := parked(base); err == nil {
			break
		}
		if time.Since(start) > 10*time.Second {
			return zero, errors.New("the server did not start")
		}
	}
	return f(base, cmd.Process.Pid)
}

func newClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxIdleConns: conns}}
}

// parked asks a server how many long-polls it holds.
func parked(base string) (int64, error) {
	res, err := http.Get(base + "healthz")
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var h struct{ Parked int64 }
	if err := json.NewDecoder(res.Body).Decode(&h); err != nil {
		return 0, err
	}
	return h.Parked, nil
}

// waitParked waits for a server to hold n long-polls, for a minute at most
// or until failed names a reason to stop.
func waitParked(base string, n int64, failed func() error) error {
	for start := time.Now(); ; time.Sleep(2 * time.Millisecond) {
		p, err := parked(base)
		if err == nil && p == n {
			return nil
		}
		if err := failed(); err != nil {
			return fmt.Errorf("parked %d, want %d; a reader failed: %w", p, n, err)
		}
		if time.Since(start) > time.Minute {
			return fmt.Errorf("parked %d, want %d", p, n)
		}
	}
}

// rss reads a process's resident memory in KiB.
func rss(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}

type page struct {
	Last     uint64
	Messages []struct{ ID uint64 }
}

func post(c *http.Client, base, room, text string) error {
	res, err := c.Post(base+"api/rooms/"+room+"/messages", "application/x-www-form-urlencoded", strings.NewReader("author=bench&text="+text))
	if err != nil {
		return err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 201 {
		return fmt.Errorf("post: %s", res.Status)
	}
	return nil
}

type fanout struct {
	p50, p90, p99, max float64 // ms
	kib                float64 // per parked reader
	// serverUS and benchUS are the CPU time the server and the bench
	// (its readers and poster) spent per delivery, in µs, from each post
	// until every reader had the message.
	serverUS, benchUS float64
	lost, dup         int
}

// runFanout parks n readers in one room and posts m messages one at a
// time, each once every reader has the previous one and polls again. Each
// reader has a connection of its own, dialled from src.
//
// The parked count alone cannot tell that a message has reached every
// reader: a server may answer the post before it wakes anyone (gochat
// does), and the count is then still n. So each message also counts the
// readers that have it.
func runFanout(base string, pid, n, m int, src *sources) (fanout, error) {
	var f fanout
	poster := newClient(1)
	if err := post(poster, base, "fan", "first"); err != nil {
		return f, err
	}
	before := rss(pid)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sent := make([]atomic.Int64, m+2)     // post time of message id, in ns
	have := make([]atomic.Int64, m+2)     // readers that have message id
	reached := make([]chan struct{}, m+2) // closed when every reader has message id
	for i := range reached {
		reached[i] = make(chan struct{})
	}
	lat := make([][]float64, n)
	var mu sync.Mutex
	var dup int
	var readerErr error           // the first reader that gave up, and why
	gaveUp := make(chan struct{}) // closed with readerErr
	fail := func(err error) {
		if ctx.Err() == nil {
			mu.Lock()
			if readerErr == nil {
				readerErr = err
				close(gaveUp)
			}
			mu.Unlock()
		}
	}
	var wg sync.WaitGroup
	for r := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true, DialContext: src.dial}
			defer tr.CloseIdleConnections()
			cl := &http.Client{Transport: tr}
			since := uint64(1)
			for since < uint64(m)+1 {
				req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%sapi/rooms/fan/messages?since=%d&wait=55", base, since), nil)
				res, err := cl.Do(req)
				if err != nil {
					fail(err)
					return
				}
				if res.StatusCode != http.StatusOK {
					b, _ := io.ReadAll(io.LimitReader(res.Body, 200))
					res.Body.Close()
					fail(fmt.Errorf("read: %s %s", res.Status, bytes.TrimSpace(b)))
					return
				}
				var p page
				err = json.NewDecoder(res.Body).Decode(&p)
				res.Body.Close()
				now := time.Now().UnixNano()
				if err != nil {
					fail(fmt.Errorf("read: %w", err))
					return
				}
				for _, msg := range p.Messages {
					if msg.ID <= since {
						mu.Lock()
						dup++
						mu.Unlock()
					}
					if msg.ID > since && msg.ID < uint64(len(sent)) {
						if sent[msg.ID].Load() > 0 {
							lat[r] = append(lat[r], float64(now-sent[msg.ID].Load())/1e6)
						}
						if have[msg.ID].Add(1) == int64(n) {
							close(reached[msg.ID])
						}
					}
					since = max(since, msg.ID)
				}
			}
		}()
	}
	// parkedAll waits for every reader to park, or names why one gave up.
	parkedAll := func() error {
		return waitParked(base, int64(n), func() error {
			mu.Lock()
			defer mu.Unlock()
			return readerErr
		})
	}
	if err := parkedAll(); err != nil {
		return f, err
	}
	f.kib = float64(rss(pid)-before) / float64(n)
	var serverCPU, benchCPU time.Duration
	for i := 2; i <= m+1; i++ {
		// Collect the bench's garbage while nothing is timed: at 19,000
		// readers its heap is ~300 MB, and a collection in the middle of a
		// wake-up took ~0.5 s of CPU from the server being measured.
		runtime.GC()
		server0, bench0 := cpuOf(pid), cpuOfSelf()
		sent[i].Store(time.Now().UnixNano())
		if err := post(poster, base, "fan", "x"); err != nil {
			return f, err
		}
		select {
		case <-reached[i]:
		case <-gaveUp:
			return f, fmt.Errorf("message %d reached %d of %d readers; a reader failed: %w", i, have[i].Load(), n, readerErr)
		case <-time.After(time.Minute):
			return f, fmt.Errorf("message %d reached %d of %d readers in a minute", i, have[i].Load(), n)
		}
		serverCPU += cpuOf(pid) - server0
		benchCPU += cpuOfSelf() - bench0
		if i <= m {
			if err := parkedAll(); err != nil {
				return f, err
			}
		}
	}
	wg.Wait()
	var all []float64
	for _, l := range lat {
		all = append(all, l...)
	}
	f.lost = n*m - len(all) // each delivery that came is in all once
	f.dup = dup
	f.p50, f.p90, f.p99, f.max = pct(all, 50), pct(all, 90), pct(all, 99), pct(all, 100)
	f.serverUS = float64(serverCPU.Microseconds()) / float64(n*m)
	f.benchUS = float64(benchCPU.Microseconds()) / float64(n*m)
	return f, nil
}

type rate struct{ rps, p50, p99 float64 }

// load runs c clients doing one request each in a loop for d.
func load(c int, d time.Duration, do func(cl *http.Client, i int) error) (rate, error) {
	cl := newClient(c)
	var mu sync.Mutex
	var all []float64
	var firstErr error
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	for i := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []float64
			for time.Now().Before(end) {
				t0 := time.Now()
				if err := do(cl, i); err != nil {
					mu.Lock()
					firstErr = cmp(firstErr, err)
					mu.Unlock()
					return
				}
				mine = append(mine, float64(time.Since(t0))/1e6)
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return rate{float64(len(all)) / d.Seconds(), pct(all, 50), pct(all, 99)}, firstErr
}

func cmp(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func runWrites(base string, c int, d time.Duration, spread bool) (rate, error) {
	return load(c, d, func(cl *http.Client, i int) error {
		room := "one"
		if spread {
			room = fmt.Sprint("r", i)
		}
		return post(cl, base, room, "hello+world")
	})
}

func runCatchUp(base string, c int, d time.Duration) (rate, error) {
	cl := newClient(1)
	for i := range 100 {
		if err := post(cl, base, "history", fmt.Sprintf("message+number+%d+with+some+ordinary+text+in+it", i)); err != nil {
			return rate{}, err
		}
	}
	return load(c, d, func(cl *http.Client, _ int) error {
		res, err := cl.Get(base + "api/rooms/history/messages?since=0&wait=0")
		if err != nil {
			return err
		}
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || n < 1000 {
			return fmt.Errorf("catch-up read: %s, %d bytes", res.Status, n)
		}
		return nil
	})
}

func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

func median(xs []float64) float64 { return pct(xs, 50) }

type results struct {
	fan  map[int][]fanout
	rate map[string][]rate
}

func (r *results) add(name string, x rate) {
	if r.rate == nil {
		r.rate = map[string][]rate{}
	}
	r.rate[name] = append(r.rate[name], x)
}

func (r *results) fanMedian(n int) fanout {
	var f fanout
	get := func(sel func(fanout) float64) float64 {
		var xs []float64
		for _, x := range r.fan[n] {
			xs = append(xs, sel(x))
		}
		return median(xs)
	}
	f.p50, f.p90 = get(func(x fanout) float64 { return x.p50 }), get(func(x fanout) float64 { return x.p90 })
	f.p99, f.max = get(func(x fanout) float64 { return x.p99 }), get(func(x fanout) float64 { return x.max })
	f.kib = get(func(x fanout) float64 { return x.kib })
	f.serverUS = get(func(x fanout) float64 { return x.serverUS })
	f.benchUS = get(func(x fanout) float64 { return x.benchUS })
	for _, x := range r.fan[n] {
		f.lost += x.lost
		f.dup += x.dup
	}
	return f
}

func (r *results) rateMedian(name string) rate {
	var a, b, c []float64
	for _, x := range r.rate[name] {
		a, b, c = append(a, x.rps), append(b, x.p50), append(c, x.p99)
	}
	return rate{median(a), median(b), median(c)}
}

func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%d cores (%s), %s, %s/%s", runtime.NumCPU(), model, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func render(g, ref *results, ns []int, m, c int, d time.Duration, repeat, scale int, sc *scaleResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# gochat benchmark\n\nMade by `go run ./bench -n %s -m %d -c %d -d %v -repeat %d -scale %d` on %s, %s.\n",
		strings.Trim(strings.Join(strings.Fields(fmt.Sprint(ns)), ","), "[]"), m, c, d, repeat, scale, machine(), time.Now().UTC().Format("2006-01-02"))
	b.WriteString("Both servers run as separate processes on loopback with the load generator on the same machine; every figure is the median of the runs; ratio is gochat/reference.\n\n")
	b.WriteString("## Fan-out: N parked long-polls in one room, messages posted one at a time\n\n")
	b.WriteString("| N | server | p50 ms | p90 ms | p99 ms | max ms | p99 ratio | lost | duplicated | KiB per parked reader | server CPU µs per delivery | bench CPU µs per delivery |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, n := range ns {
		gf, rf := g.fanMedian(n), ref.fanMedian(n)
		for _, row := range []struct {
			name string
			f    fanout
		}{{"gochat", gf}, {"reference", rf}} {
			ratio := ""
			if row.name == "gochat" && rf.p99 > 0 {
				ratio = fmt.Sprintf("%.2f×", gf.p99/rf.p99)
			}
			fmt.Fprintf(&b, "| %d | %s | %.2f | %.2f | %.2f | %.2f | %s | %d | %d | %.1f | %.1f | %.1f |\n", n, row.name, row.f.p50, row.f.p90, row.f.p99, row.f.max, ratio, row.f.lost, row.f.dup, row.f.kib, row.f.serverUS, row.f.benchUS)
		}
	}
	b.WriteString("\nThe CPU columns count from each post until every reader has the message, over all messages, divided by the deliveries: the server's from `/proc`, the bench's (readers, their re-polls and the poster) from `getrusage`. Both share the 2 cores, so a wake-up takes at least their sum over 2.\n")
	b.WriteString("\n![fan-out p99 against N](fanout.svg)\n\n")
	fmt.Fprintf(&b, "## Throughput: %d clients for %v\n\n| scenario | server | requests/s | p50 ms | p99 ms | requests/s ratio |\n|---|---|---|---|---|---|\n", c, d)
	for _, name := range []string{"writes, 32 rooms", "writes, one room", "catch-up reads"} {
		gr, rr := g.rateMedian(name), ref.rateMedian(name)
		fmt.Fprintf(&b, "| %s | gochat | %.0f | %.2f | %.2f | %.2f× |\n", name, gr.rps, gr.p50, gr.p99, gr.rps/rr.rps)
		fmt.Fprintf(&b, "| %s | reference | %.0f | %.2f | %.2f | |\n", name, rr.rps, rr.p50, rr.p99)
	}
	b.WriteString("\nCatch-up reads are `since=0&wait=0` on a room holding 100 messages. The reference is `bench/refserver`: one mutex, a channel per room closed on news, JSON encoded per request.\n")
	if sc != nil {
		renderScale(&b, sc)
	}
	return b.String()
}

// renderScale writes the report's Scale section.
func renderScale(b *strings.Builder, sc *scaleResult) {
	if sc.n < 1 {
		fmt.Fprintf(b, "\n## Scale\n\nAsked %s parked readers; %s leaves room for none (each parked reader holds a descriptor in the bench and one in the server, and %d are kept spare), so the scale run was skipped.\n",
			thousands(sc.asked), sc.limit.describe(), fdSpare)
		return
	}
	fmt.Fprintf(b, "\n## Scale: %s parked long-polls in one room, %d messages, one run\n\n", thousands(sc.n), sc.m)
	if sc.n < sc.asked {
		fmt.Fprintf(b, "Asked %s; %s, so ran %s: each parked reader holds a descriptor in the bench and one in the server, and %d are kept spare. ",
			thousands(sc.asked), sc.limit.describe(), thousands(sc.n), fdSpare)
	} else {
		fmt.Fprintf(b, "%s. ", upper(sc.limit.describe()))
	}
	fmt.Fprintf(b, "The readers dial from loopback source addresses of their own (gochat's: %s; the reference's: %s), %s connections from each at most, so none runs out of ephemeral ports (%s). gochat runs graph/chat.fbp with `CAPACITY` raised to %s.\n\n",
		sc.from["gochat"], sc.from["reference"], thousands(int(sc.block)), sc.ports, thousands(sc.n))
	b.WriteString("| server | N | KiB per parked reader | wake-up p50 ms | p99 ms | lost | duplicated |\n|---|---|---|---|---|---|---|\n")
	for _, name := range []string{"gochat", "reference"} {
		if why, ok := sc.failed[name]; ok {
			fmt.Fprintf(b, "| %s | %s | failed: %s | | | | |\n", name, thousands(sc.n), strings.ReplaceAll(why, "|", "/"))
			continue
		}
		f := sc.fan[name]
		fmt.Fprintf(b, "| %s | %s | %.1f | %.2f | %.2f | %d | %d |\n", name, thousands(sc.n), f.kib, f.p50, f.p99, f.lost, f.dup)
	}
}

// describe names the file limit in a sentence.
func (l fileLimit) describe() string {
	var s string
	if l.soft == l.hard {
		s = fmt.Sprintf("this machine's hard file limit is %s per process", thousands(int(l.hard)))
	} else {
		s = fmt.Sprintf("this machine's file limit is %s per process (hard %s)", thousands(int(l.soft)), thousands(int(l.hard)))
	}
	if l.err != nil {
		s += fmt.Sprintf(" (%v)", l.err)
	}
	return s
}

// upper capitalises s's first letter.
func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// thousands writes n with comma thousands separators: 50,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// chart draws fan-out p99 against N for both servers.
func chart(g, ref *results, ns []int) []byte {
	const w, h, pad = 640, 360, 60
	maxY := 1.0
	for _, n := range ns {
		maxY = max(maxY, g.fanMedian(n).p99, ref.fanMedian(n).p99)
	}
	maxY *= 1.15
	maxN := float64(slices.Max(ns))
	x := func(n int) float64 { return pad + float64(n)/maxN*(w-2*pad) }
	y := func(v float64) float64 { return h - pad - v/maxY*(h-2*pad) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="15">Fan-out: p99 delivery latency against parked readers</text>`+"\n", pad)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/><line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", pad, h-pad, w-pad, h-pad, pad, pad, pad, h-pad)
	for i := 0; i <= 4; i++ {
		v := maxY * float64(i) / 4
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" text-anchor="end">%.0f ms</text><line x1="%d" y1="%.0f" x2="%d" y2="%.0f" stroke="#ddd"/>`+"\n", pad-6, y(v)+4, v, pad, y(v), w-pad, y(v))
	}
	for _, n := range ns {
		fmt.Fprintf(&b, `<text x="%.0f" y="%d" text-anchor="middle">%d</text>`+"\n", x(n), h-pad+18, n)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">parked readers (N)</text>`+"\n", w/2, h-pad+38)
	for i, s := range []struct {
		name  string
		r     *results
		color string
	}{{"gochat", g, "#3b5bdb"}, {"reference", ref, "#e8590c"}} {
		var pts []string
		for _, n := range ns {
			v := s.r.fanMedian(n).p99
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(n), y(v)))
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"/>`+"\n", x(n), y(v), s.color)
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), s.color)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", w-pad-110, pad+i*18, s.color, w-pad-92, pad+i*18+11, s.name)
	}
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

// cpuOf reads the CPU time, user and system, a process has used.
func cpuOf(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command's closing parenthesis: utime and stime are
	// the 12th and 13th, in clock ticks (100 a second on Linux).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}

// cpuOfSelf returns the CPU time, user and system, the bench has used.
func cpuOfSelf() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
