package main

import (
	"encoding/json"
	"net"
	"strings"
	"testing"
)

// TestJSONLogsWhenRedisRefuses: with -log-format json every line gochat
// prints is JSON, the fatal error included, and the fatal error names its
// root cause: Redis refusing the connection, not a timeout.
func TestJSONLogsWhenRedisRefuses(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	code, stdout, stderr := runBinary(t, "-addr", "127.0.0.1:0", "-log-format", "json", "-store", "redis://"+addr+"/0")
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
	for _, l := range lines {
		last = nil
		if err := json.Unmarshal([]byte(l), &last); err != nil {
			t.Errorf("a line is not JSON (%v): %s", err, l)
		}
	}
	if fatal := lines[len(lines)-1]; last["level"] != "ERROR" || !strings.Contains(fatal, "redis at "+addr+": connection refused") {
		t.Errorf("the last line should be an error naming the refused connection to %s:\n%s", addr, strings.Join(lines, "\n"))
	}
}
