package graph_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"gochat/graph"
)

// allocated returns how many bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// maxHostileAlloc bounds what parsing a hostile file of at most
// graph.MaxFileBytes may allocate: a small multiple of its size.
const maxHostileAlloc = 64 << 20

// TestHostileJSON: nesting past graph.MaxDepth is refused at the first
// value too deep, in bounded memory, whatever follows.
func TestHostileJSON(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"200 KB of [", strings.Repeat("[", 200<<10), "g.json:1:65: not valid JSON: nested deeper than 64"},
		{"50,000 deep", `{"properties": {"x": ` + strings.Repeat(`{"a":[`, 50000/2) + "1" + strings.Repeat("]}", 50000/2) + "}}",
			"g.json:1:"},
		{"deep on many lines", strings.Repeat("[\n", 100), "g.json:65:1: not valid JSON: nested deeper than 64"},
	} {
		var err error
		n := allocated(func() { _, err = graph.Parse("g.json", []byte(tc.src)) })
		var probs graph.Problems
		if !errors.As(err, &probs) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nested deeper than 64") {
			t.Errorf("%s: got %.300v, want %q", tc.name, err, tc.want)
		}
		if n > maxHostileAlloc {
			t.Errorf("%s: parsing allocated %d MB", tc.name, n>>20)
		}
	}
	// Exactly MaxDepth levels are fine.
	ok := `{"properties": {"x": ` + strings.Repeat("[", graph.MaxDepth-2) + strings.Repeat("]", graph.MaxDepth-2) + "}}"
	if _, err := graph.ParseJSON("g.json", []byte(ok)); err != nil {
		t.Errorf("%d levels: %v", graph.MaxDepth, err)
	}
}

// cpuTime returns the CPU time this process has used, in nanoseconds:
// unlike wall time, other processes on the machine hardly change it.
func cpuTime(t *testing.T) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// numbers is a legal graph file holding n numbers, which the parser
// reads and ignores.
func numbers(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"properties": {"x": [`)
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(strconv.Itoa(i))
	}
	b.WriteString("]}}")
	return b.Bytes()
}

// TestJSONParsesInLinearTime reads 100,000 numbers, and a quarter of
// them: the cost grows with the size (4×), not with its square (16×, the
// parser that recounted lines from the start for every value). It
// compares CPU times, the best of several runs each, with room for noise
// either way.
func TestJSONParsesInLinearTime(t *testing.T) {
	const n = 100000
	small, large := numbers(n/4), numbers(n)
	if len(large) > graph.MaxFileBytes {
		t.Fatalf("the file is %d bytes, past the limit", len(large))
	}
	best := func(src []byte) int64 {
		b := int64(-1)
		for range 5 {
			start := cpuTime(t)
			if _, err := graph.ParseJSON("g.json", src); err != nil {
				t.Fatal(err)
			}
			if d := cpuTime(t) - start; b < 0 || d < b {
				b = d
			}
		}
		return max(b, 1)
	}
	best(small) // warm up
	s, l := best(small), best(large)
	if ratio := float64(l) / float64(s); ratio > 9 {
		t.Errorf("4 times the numbers took %.1f times the CPU (%v, %v): not linear", ratio, s, l)
	}
	if n := allocated(func() { graph.ParseJSON("g.json", large) }); n > maxHostileAlloc {
		t.Errorf("parsing %d numbers allocated %d MB", n, n>>20)
	}
}

// TestReadFileBounds: a graph file past MaxFileBytes, or one that is not
// a regular file, is refused at once, without reading it whole.
func TestReadFileBounds(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.fbp")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(8 << 30) // sparse: 8 GiB that take no disk
	f.Close()
	if _, err := graph.Load(big); err == nil || !strings.Contains(err.Error(), "graph file is larger than 1 MiB") {
		t.Errorf("a huge file: %v", err)
	}
	at := filepath.Join(dir, "at.fbp")
	os.WriteFile(at, append(graph.DefaultSource(), bytes.Repeat([]byte("#"), graph.MaxFileBytes-len(graph.DefaultSource()))...), 0o644)
	if _, err := graph.Load(at); err != nil {
		t.Errorf("a file of exactly the limit: %v", err)
	}
	os.WriteFile(at, append(graph.DefaultSource(), bytes.Repeat([]byte("#"), graph.MaxFileBytes+1-len(graph.DefaultSource()))...), 0o644)
	if _, err := graph.Load(at); err == nil || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Errorf("one byte past the limit: %v", err)
	}
	for _, path := range []string{"/dev/zero", dir} {
		if _, err := graph.Load(path); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("%s: %v", path, err)
		}
	}
	fifo := filepath.Join(dir, "fifo.fbp")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// Nobody writes to it: opening must not wait for a writer.
	if _, err := graph.Load(fifo); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a FIFO: %v", err)
	}
}

// TestSizeLimits: a graph with more processes than MaxProcesses is
// refused, and a file full of mistakes reports MaxProblems of them and
// how many more there are.
func TestSizeLimits(t *testing.T) {
	var b strings.Builder
	for i := range graph.MaxProcesses + 1 {
		fmt.Fprintf(&b, "p%d(Responder)\n", i)
	}
	g, err := graph.ParseFBP("many.fbp", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if err := graph.Validate(g, graph.DefaultCatalog()); err == nil || !strings.Contains(err.Error(), "many.fbp:1001:1: the graph has 1001 processes (gochat runs at most 1000)") {
		t.Errorf("too many processes: %.300v", err)
	}
	_, err = graph.ParseFBP("junk.fbp", bytes.Repeat([]byte("!\n"), graph.MaxFileBytes/2))
	var probs graph.Problems
	if !errors.As(err, &probs) || len(probs) != graph.MaxProblems+1 || probs[0].String() != `junk.fbp:1:1: unexpected character '!'` ||
		probs[graph.MaxProblems].String() != "junk.fbp: 524188 more problems not shown (fix the ones above first)" {
		t.Errorf("a file of mistakes: %d problems, first %v, last %v", len(probs), probs[0], probs[len(probs)-1])
	}
}

// TestDeepInitialPacket: an initial packet's JSON may not nest deeper
// than MaxDepth either.
func TestDeepInitialPacket(t *testing.T) {
	for _, tc := range []struct {
		data string
		ok   bool
	}{
		{strings.Repeat("[", graph.MaxDepth) + strings.Repeat("]", graph.MaxDepth), true}, // deep, but a type error
		{strings.Repeat("[", graph.MaxDepth+1) + strings.Repeat("]", graph.MaxDepth+1), false},
		{`["` + strings.Repeat(`[\"`, 100) + `"]`, true}, // brackets in a string do not count
		{strings.Repeat("[", 100<<10), false},
	} {
		g, err := graph.ParseFBP("d.fbp", []byte(base+"'"+tc.data+"' -> CAPACITY storage\n"))
		if err != nil {
			t.Fatal(err)
		}
		err = graph.Validate(g, graph.DefaultCatalog())
		deep := err != nil && strings.Contains(err.Error(), "d.fbp:8:1: initial packet to storage.CAPACITY nests deeper than 64")
		if deep == tc.ok || err == nil {
			t.Errorf("%.40s: %.200v", tc.data, err)
		}
	}
}

// maxStepAlloc bounds what parsing a file of at most graph.MaxFileBytes
// with hundreds of thousands of processes or statements, or writing it
// as DSL or JSON, may allocate.
const maxStepAlloc = 2 * maxHostileAlloc

// TestDSLAndWriterInLinearTime: the DSL parser and the writers take time
// and memory linear in the file, on files made to make them quadratic:
// unclosed JSON packets on every line, packets of control characters
// (which the writers escape), trailing comments, and a process a line.
func TestDSLAndWriterInLinearTime(t *testing.T) {
	for name, gen := range map[string]func(n int) string{
		"unclosed [":         func(n int) string { return strings.Repeat("[\n", n) },
		"bad packets nested": func(n int) string { return strings.Repeat("[ ,\n", n) + strings.Repeat("]", n) },
		"control characters": func(n int) string { return "'" + strings.Repeat("\x01", 4*n) + "' -> IN a(A)\n" },
		"trailing comments":  func(n int) string { return "a(A)\n" + strings.Repeat("a OUT -> IN a # c\n", n/4) },
		"processes":          func(n int) string { return strings.Repeat("(A)\n", n) },
	} {
		const n = 100000
		large := gen(n)
		if len(large) > graph.MaxFileBytes {
			t.Fatalf("%s: the file is %d bytes, past the limit", name, len(large))
		}
		// Each step on its own allocates at most maxStepAlloc.
		var steps [3]uint64
		work := func(src string) {
			var g *graph.Graph
			var err error
			steps[0] = allocated(func() { g, err = graph.ParseFBP("g.fbp", []byte(src)) })
			if err != nil {
				return
			}
			steps[1] = allocated(func() { _, _, err = graph.MarshalFBP(g) })
			if err != nil {
				t.Fatal(err)
			}
			steps[2] = allocated(func() { _, err = graph.MarshalJSON(g, "g") })
			if err != nil {
				t.Fatal(err)
			}
		}
		best := func(src string) int64 {
			b := int64(-1)
			for range 3 {
				start := cpuTime(t)
				work(src)
				if d := cpuTime(t) - start; b < 0 || d < b {
					b = d
				}
			}
			return max(b, 1)
		}
		small := gen(n / 4)
		best(small) // warm up
		s, l := best(small), best(large)
		if ratio := float64(l) / float64(s); ratio > 9 {
			t.Errorf("%s: 4 times the file took %.1f times the CPU (%v, %v): not linear", name, ratio, s, l)
		}
		work(large)
		for i, a := range steps {
			if a > maxStepAlloc {
				t.Errorf("%s: %d KB: %s allocated %d MB", name, len(large)>>10, []string{"ParseFBP", "MarshalFBP", "MarshalJSON"}[i], a>>20)
			}
		}
	}
}
