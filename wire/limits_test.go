package wire_test

import (
	"testing"
	"time"

	"gochat/wire"
)

func TestParseWait(t *testing.T) {
	const max = 55 * time.Second
	for _, c := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"", 0, false},
		{"0", 0, false},
		{"25", 25 * time.Second, false},
		{"55", max, false},
		{"3600", max, false},
		{"99999999999999999999999", max, false}, // too large to parse: clamped
		{"-1", 0, true},
		{"1.5", 0, true},
		{"x", 0, true},
	} {
		got, err := wire.ParseWait(c.in, max)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("ParseWait(%q) = %v, %v; want %v, error %v", c.in, got, err, c.want, c.err)
		}
	}
}
