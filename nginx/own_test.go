package nginx_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"gochat/internal/testutil"
	"gochat/server"
)

// TestRunHelp: nginx/run -h prints its usage to stdout and exits 0; an
// unknown option prints it to stderr and exits 2.
func TestRunHelp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
	defer cancel()
	var stdout, stderr strings.Builder
	cmd := exec.CommandContext(ctx, "bash", "run", "-h")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Errorf("nginx/run -h: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "nginx/run [-l LISTEN] [-u HOST:PORT]...") || !strings.Contains(stdout.String(), "-p  the prefix folder") {
		t.Errorf("nginx/run -h printed no usage:\n%s", stdout.String())
	}
	stdout.Reset()
	stderr.Reset()
	cmd = exec.CommandContext(ctx, "bash", "run", "-x")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	var ee *exec.ExitError
	if err := cmd.Run(); !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), "nginx/run [-l LISTEN]") {
		t.Errorf("nginx/run -x: %v, stdout %q, stderr %q; want exit 2 and the usage on stderr", err, stdout.String(), stderr.String())
	}
}

// TestRequestIDFromNginx: nginx gives every request an id ($request_id,
// 32 hex digits) and passes it to gochat, whose log line and answer carry
// it.
func TestRequestIDFromNginx(t *testing.T) {
	g := StartGochat(t, server.Config{})
	base := StartNginx(t, g.Addr)
	a := NewClient(t, "").Do("GET", base+"api/rooms/rid/messages", "", "")
	id := a.Header.Get("X-Request-Id")
	if a.Status != 200 || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) {
		t.Fatalf("answer %d with X-Request-Id %q, want nginx's $request_id (32 hex digits)", a.Status, id)
	}
	if logs := g.Logs.String(); !regexp.MustCompile(`msg=request .*path=/api/rooms/rid/messages .*request_id=` + id).MatchString(logs) {
		t.Errorf("gochat's request line does not carry nginx's id %s:\n%s", id, logs)
	}
}

// TestNginxOwnErrorsAreJSON: the errors nginx answers itself, without
// gochat, on the API's path are JSON in gochat's shape: a malformed
// request line, an oversize header or a malformed chunked body (400; the
// first two before nginx chose a location), a transfer coding nginx does
// not know (501), and /gochat/api without its slash (404: everything
// under /gochat/api/ goes to gochat, which answers its own 404s).
func TestNginxOwnErrorsAreJSON(t *testing.T) {
	g := StartGochat(t, server.Config{})
	base := StartNginx(t, g.Addr)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	host := u.Host
	for _, tc := range []struct {
		name, request string
		status        int
	}{
		{"malformed request line", "GET /gochat/api/rooms/x/messages HTTP/1.1 trailing\r\nHost: " + host + "\r\n\r\n", 400},
		{"oversize header", "GET /gochat/api/rooms/x/messages HTTP/1.1\r\nHost: " + host + "\r\nX-Big: " + strings.Repeat("a", 10000) + "\r\n\r\n", 400},
		{"malformed chunked body", "POST /gochat/api/rooms/x/messages HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
		{"unknown transfer coding", "POST /gochat/api/rooms/x/messages HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\nTransfer-Encoding: foo\r\n\r\n", 501},
		{"the API's path without its slash", "GET /gochat/api HTTP/1.1\r\nHost: " + host + "\r\n\r\n", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, ctype, body := rawRequest(t, host, tc.request)
			var e struct {
				Error struct {
					Status  int    `json:"status"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if status != tc.status || ctype != "application/json" || json.Unmarshal([]byte(body), &e) != nil || e.Error.Status != tc.status || e.Error.Message == "" {
				t.Errorf("answered %d %q %s; want %d in gochat's JSON shape", status, ctype, body, tc.status)
			}
		})
	}
	// The room is untouched and nginx serves on.
	if a := NewClient(t, "").Do("GET", base+"api/rooms/x/messages", "", ""); a.Status != 200 || !strings.Contains(a.Body, `"last":0`) {
		t.Errorf("after the errors: %d %s", a.Status, a.Body)
	}
}

// rawRequest sends request as written on a new connection to addr, and
// returns the answer's status, Content-Type and body.
func rawRequest(t *testing.T, addr, request string) (int, string, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, testutil.Timeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(testutil.Timeout))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	return res.StatusCode, res.Header.Get("Content-Type"), string(body)
}
