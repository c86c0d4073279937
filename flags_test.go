package main

import (
	"io"
	"strings"
	"testing"
)

// TestBooleanValues: a boolean setting, from the environment or a flag,
// takes 1/0, true/false, yes/no and on/off in any case; anything else is
// refused with the accepted values named.
func TestBooleanValues(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  bool
		err   bool
	}{
		{"1", true, false}, {"0", false, false},
		{"true", true, false}, {"false", false, false},
		{"TRUE", true, false}, {"False", false, false},
		{"yes", true, false}, {"no", false, false},
		{"Yes", true, false}, {"NO", false, false},
		{"on", true, false}, {"off", false, false},
		{"ON", true, false}, {"Off", false, false},
		{"maybe", false, true}, {"2", false, true}, {"y", false, true}, {"enabled", false, true}, {" yes", false, true},
	} {
		for _, src := range []struct {
			name string
			args []string
			env  func(string) string
		}{
			{"GOCHAT_DEBUG=" + tc.value, nil, env("GOCHAT_DEBUG", tc.value)},
			{"-debug=" + tc.value, []string{"-debug=" + tc.value}, env()},
		} {
			m := NewMain(io.Discard)
			err := m.ParseFlags(src.args, src.env)
			switch {
			case tc.err && (err == nil || !strings.Contains(err.Error(), "want 1, true, yes or on, or 0, false, no or off")):
				t.Errorf("%s: %v, want an error naming the accepted values", src.name, err)
			case !tc.err && (err != nil || m.Config.Debug != tc.want):
				t.Errorf("%s: debug %v, %v; want %v", src.name, m.Config.Debug, err, tc.want)
			}
		}
	}
	// Every boolean setting takes them.
	m := NewMain(io.Discard)
	if err := m.ParseFlags([]string{"-graph", "graph/chat.fbp"}, env("GOCHAT_WATCH", "yes", "GOCHAT_METRICS", "off")); err != nil || !m.Config.Watch || !m.Config.NoMetrics {
		t.Errorf("GOCHAT_WATCH=yes GOCHAT_METRICS=off: watch %v, no metrics %v, %v", m.Config.Watch, m.Config.NoMetrics, err)
	}
	// A bare flag is still true.
	if err := m.ParseFlags([]string{"-debug"}, env()); err != nil || !m.Config.Debug {
		t.Errorf("-debug: %v %v", m.Config.Debug, err)
	}
	// The error names the variable and its value.
	if err := m.ParseFlags(nil, env("GOCHAT_DEBUG", "maybe")); err == nil || !strings.Contains(err.Error(), `GOCHAT_DEBUG="maybe"`) {
		t.Errorf("GOCHAT_DEBUG=maybe: %v", err)
	}
}

// TestDebugAddr: -debug-addr (env GOCHAT_DEBUG_ADDR) moves the live
// graph page to a listener of its own, and implies -debug.
func TestDebugAddr(t *testing.T) {
	for _, src := range []struct {
		name string
		args []string
		env  func(string) string
	}{
		{"-debug-addr", []string{"-debug-addr", "127.0.0.1:9191"}, env()},
		{"GOCHAT_DEBUG_ADDR", nil, env("GOCHAT_DEBUG_ADDR", "127.0.0.1:9191")},
	} {
		m := NewMain(io.Discard)
		if err := m.ParseFlags(src.args, src.env); err != nil || m.Config.DebugAddr != "127.0.0.1:9191" || !m.Config.Debug {
			t.Errorf("%s: debug addr %q, debug %v, %v", src.name, m.Config.DebugAddr, m.Config.Debug, err)
		}
	}
}
