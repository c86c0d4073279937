package main

import (
	"encoding/json"
	"net"
	"strings"
	"testing"
)

// TestJSONLogsWhenRedisRefuses: with -log-format json every line gochat
// prints is JSON, go-redis's own included (at the level -log-level lets
// through), and the last is the fatal error, which names its root cause:
// Redis refusing the connection, not a timeout.
func TestJSONLogsWhenRedisRefuses(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	for _, tc := range []struct {
		level      string
		redisLines bool // go-redis's warnings about its failed dials are shown
	}{{"info", true}, {"error", false}} {
		t.Run(tc.level, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runBinary(t, "-addr", "127.0.0.1:0", "-log-format", "json", "-log-level", tc.level, "-store", "redis://"+addr+"/0")
			if code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			var lines []string
			for _, out := range []string{stdout, stderr} {
				for l := range strings.Lines(out) {
					lines = append(lines, strings.TrimSuffix(l, "\n"))
				}
			}
			if len(lines) == 0 {
				t.Fatal("gochat printed nothing")
			}
			var last map[string]any
			redisLines := 0
			for _, l := range lines {
				last = nil
				if err := json.Unmarshal([]byte(l), &last); err != nil {
					t.Errorf("a line is not JSON (%v): %s", err, l)
				}
				if last["component"] == "go-redis" {
					redisLines++
				}
			}
			if fatal := lines[len(lines)-1]; last["level"] != "ERROR" || !strings.Contains(fatal, "redis at "+addr+": connection refused") {
				t.Errorf("the last line should be an error naming the refused connection to %s:\n%s", addr, strings.Join(lines, "\n"))
			}
			if (redisLines > 0) != tc.redisLines {
				t.Errorf("%d lines from go-redis at -log-level %s:\n%s", redisLines, tc.level, strings.Join(lines, "\n"))
			}
		})
	}
}

// TestJSONLogsWhenASettingIsRefused: a bad setting given after
// -log-format json is refused in a JSON line too, with exit code 2.
func TestJSONLogsWhenASettingIsRefused(t *testing.T) {
	code, stdout, stderr := runBinary(t, "-log-format", "json", "-history", "0")
	if code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(stdout+stderr)), &line); err != nil {
		t.Fatalf("not one JSON line (%v):\n%s%s", err, stdout, stderr)
	}
	if line["level"] != "ERROR" || !strings.Contains(line["err"].(string), "-history") {
		t.Errorf("the line should be an error naming -history: %v", line)
	}
}
