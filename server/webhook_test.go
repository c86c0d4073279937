package server_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gochat/internal/testutil"
	"gochat/server"
)

// TestWebhookExample runs the server on graph/examples/webhook.fbp,
// pointed at a receiver on loopback: every message posted is delivered,
// signed, in order; while the receiver holds a POST unanswered, the chat
// answers every post and read as before.
func TestWebhookExample(t *testing.T) {
	const secret = "s3cret"
	var (
		mu     sync.Mutex
		bodies []string
	)
	arrived := make(chan struct{}, 100)
	release := make(chan struct{})
	unhang := sync.OnceFunc(func() { close(release) })
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		if got, want := r.Header.Get("X-Gochat-Signature"), "sha256="+hex.EncodeToString(mac.Sum(nil)); got != want {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		bodies = append(bodies, string(body))
		mu.Unlock()
		arrived <- struct{}{}
		select { // hold every POST until released
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(rcv.Close) // after the server has closed (cleanups run last first)

	src, err := os.ReadFile("../graph/examples/webhook.fbp")
	if err != nil {
		t.Fatal(err)
	}
	src = replace(t, src, "'http://127.0.0.1:8080/gochat' -> URL webhook", "'"+rcv.URL+"/hook' -> URL webhook")
	src = replace(t, src, "'change me' -> SECRET webhook", "'"+secret+"' -> SECRET webhook")
	path := filepath.Join(t.TempDir(), "webhook.fbp")
	MustWrite(t, path, src)
	var logs LogBuffer
	s, c := MustOpen(t, server.Config{GraphFile: path, Log: logs.Logger()})
	defer unhang() // before the server closes, so that it delivers without waiting

	c.Post("hook", "ann", "first")
	testutil.WaitFor(t, "the first POST", func() bool { return len(arrived) == 1 })
	// The receiver holds that POST: the chat goes on regardless.
	for i := 2; i <= 5; i++ {
		if m := c.Post("hook", "bob", fmt.Sprint("message ", i)); m.ID != uint64(i) {
			t.Fatalf("post %d stored as %d", i, m.ID)
		}
	}
	if a := c.Get("hook", ""); a.Status != 200 || !strings.Contains(a.Raw, `"last":5`) {
		t.Errorf("read while the receiver hangs: %d %s", a.Status, a.Raw)
	}
	mu.Lock()
	held := len(bodies)
	mu.Unlock()
	if held != 1 {
		t.Errorf("the receiver got %d POSTs while holding the first", held)
	}
	unhang() // the first POST answers, and the others queued behind it follow
	testutil.WaitFor(t, "every message delivered", func() bool { return s.Stats().WebhookPosted.Load() == 5 })
	mu.Lock()
	defer mu.Unlock()
	for i, b := range bodies {
		var m message
		if err := json.Unmarshal([]byte(b), &m); err != nil || m.ID != uint64(i+1) || m.Room != "hook" {
			t.Errorf("POST %d: %s %v", i+1, b, err)
		}
	}
	if len(bodies) != 5 || s.Stats().WebhookDropped.Load() != 0 {
		t.Errorf("delivered %d, dropped %d\n%s", len(bodies), s.Stats().WebhookDropped.Load(), logs.String())
	}
	if m := scrape(t, c, s.URL()+"metrics"); m["gochat_webhook_posted_total"] != 5 || m["gochat_webhook_dropped_total"] != 0 {
		t.Errorf("metrics: posted %v, dropped %v", m["gochat_webhook_posted_total"], m["gochat_webhook_dropped_total"])
	}
}

// replace replaces old, which must be in src, with new.
func replace(t *testing.T, src []byte, old, new string) []byte {
	t.Helper()
	if !strings.Contains(string(src), old) {
		t.Fatalf("no %q in the graph", old)
	}
	return []byte(strings.Replace(string(src), old, new, 1))
}
