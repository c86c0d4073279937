package logwriter_test

import (
	"strings"
	"testing"
	"time"

	"gochat/internal/logwriter"
	"gochat/internal/testutil"
)

func TestBatchesAndFlushes(t *testing.T) {
	var out testutil.LogBuffer
	w := logwriter.New(&out, 10*time.Millisecond)
	w.Write([]byte("one\n"))
	w.Write([]byte("two\n"))
	// Lines wait a little, then arrive whole and in order by themselves.
	testutil.WaitFor(t, "the timed flush", func() bool { return out.String() == "one\ntwo\n" })
	w.Write([]byte("three\n"))
	w.Close()
	if out.String() != "one\ntwo\nthree\n" {
		t.Errorf("after Close: %q", out.String())
	}
	w.Write([]byte("late\n"))
	if !strings.HasSuffix(out.String(), "late\n") {
		t.Errorf("a write after Close was held: %q", out.String())
	}
}
