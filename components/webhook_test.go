package components_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"gochat/components"
	"gochat/internal/testutil"
	"gochat/store"
	"gochat/wire"
)

// receiver is a webhook receiver on loopback: it records every POST and
// answers with what answer says, after waiting while hang says so.
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	posts []post // every POST, retries included, in arrival order

	arrived chan struct{} // gets a value as each POST arrives
	// answer returns the status for the n-th POST (from 1) and whether to
	// hang instead until the request ends or release is closed.
	answer  func(n int) (status int, hang bool)
	release chan struct{}
}

// post is one POST the receiver got.
type post struct {
	body      []byte
	signature string
	ctype     string
}

func newReceiver(t *testing.T, answer func(n int) (int, bool)) *receiver {
	r := &receiver{arrived: make(chan struct{}, 1<<16), answer: answer, release: make(chan struct{})}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.posts = append(r.posts, post{body, req.Header.Get(components.SignatureHeader), req.Header.Get("Content-Type")})
		n := len(r.posts)
		r.mu.Unlock()
		r.arrived <- struct{}{}
		status, hang := r.answer(n)
		if hang {
			select {
			case <-req.Context().Done():
				return
			case <-r.release:
			}
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(func() {
		r.unhang()
		r.Close()
	})
	return r
}

// unhang lets every hanging POST answer, once.
func (r *receiver) unhang() {
	select {
	case <-r.release:
	default:
		close(r.release)
	}
}

func (r *receiver) got() []post {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]post(nil), r.posts...)
}

// noLeaks checks, after every cleanup of t (such as closing the
// receiver), that t left no goroutine running.
func noLeaks(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

// webhook starts a Webhook configured with url, secret and timeout
// (each sent if not "") and returns its ports, its counters and a channel
// closed when its Process returns.
func webhook(t *testing.T, log *testutil.LogBuffer, url, secret, timeout string) (chan<- *components.Reply, <-chan *components.Reply, *components.Stats, <-chan struct{}) {
	t.Helper()
	config := func(v string) <-chan string {
		if v == "" {
			return nil
		}
		ch := make(chan string, 1)
		ch <- v
		return ch
	}
	in, out := make(chan *components.Reply), make(chan *components.Reply)
	stats := &components.Stats{}
	w := components.NewWebhook(stats, log.Logger())
	w.Url, w.Secret, w.Timeout, w.In, w.Out = config(url), config(secret), config(timeout), in, out
	return in, out, stats, Start(w)
}

// stored returns a reply as Storage sends it for the message id stored
// in room.
func stored(room string, id uint64, text string) *components.Reply {
	return &components.Reply{Status: 201, Body: wire.NewPayload(store.Message{ID: id, Room: room, Author: "ann", Text: text, Time: time.Unix(1e9, 0).UTC()})}
}

// pass sends rep into the Webhook and fails unless it comes out at once
// unchanged: the next reply cannot go in before this one came out.
func pass(t *testing.T, in chan<- *components.Reply, out <-chan *components.Reply, rep *components.Reply) {
	t.Helper()
	select {
	case in <- rep:
	case <-time.After(timeout):
		t.Fatal("the Webhook does not take replies")
	}
	if got := Recv(t, out); got != rep {
		t.Fatalf("reply not passed on unchanged: %+v", got)
	}
}

// postedIDs returns the ids of the messages posts carry, in order.
func postedIDs(t *testing.T, posts []post) []uint64 {
	var got []uint64
	for _, p := range posts {
		var m store.Message
		if err := json.Unmarshal(p.body, &m); err != nil {
			t.Fatalf("body %q: %v", p.body, err)
		}
		got = append(got, m.ID)
	}
	return got
}

// TestWebhookPostsSignedMessages: each stored message, and only those,
// is POSTed as JSON with the HMAC-SHA256 of its body under the SECRET,
// which the receiver verifies with the secret alone; every reply passes
// on unchanged.
func TestWebhookPostsSignedMessages(t *testing.T) {
	noLeaks(t)
	rcv := newReceiver(t, func(int) (int, bool) { return http.StatusNoContent, false })
	var logs testutil.LogBuffer
	in, out, stats, done := webhook(t, &logs, rcv.URL+"/hook", "s3cret", "")
	for _, rep := range []*components.Reply{
		stored("r", 1, "hi <b>"),
		{Status: 200, Body: components.ReadAnswer{}},
		{Err: wire.Errorf(400, "bad")},
		stored("r", 2, "second"),
	} {
		pass(t, in, out, rep)
	}
	close(in)
	Recv(t, done)
	posts := rcv.got()
	if got := postedIDs(t, posts); fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("posted ids %v, want [1 2]", got)
	}
	want := `{"id":1,"room":"r","author":"ann","text":"hi \u003cb\u003e","time":"2001-09-09T01:46:40.000Z"}`
	if string(posts[0].body) != want || posts[0].ctype != "application/json" {
		t.Errorf("body %s (%s), want %s", posts[0].body, posts[0].ctype, want)
	}
	for _, p := range posts {
		mac := hmac.New(sha256.New, []byte("s3cret"))
		mac.Write(p.body)
		if p.signature != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			t.Errorf("signature %q does not verify for %s", p.signature, p.body)
		}
	}
	if p, d := stats.WebhookPosted.Load(), stats.WebhookDropped.Load(); p != 2 || d != 0 {
		t.Errorf("posted %d, dropped %d; want 2, 0\n%s", p, d, logs.String())
	}
}

// TestWebhookRetriesAfter500: a 500 is tried again after the backoff and
// the message delivered; a 400 would fail again, so it is dropped at
// once, logged and counted.
func TestWebhookRetriesAfter500(t *testing.T) {
	noLeaks(t)
	rcv := newReceiver(t, func(n int) (int, bool) {
		switch n {
		case 1:
			return http.StatusInternalServerError, false
		case 3:
			return http.StatusBadRequest, false
		}
		return http.StatusOK, false
	})
	var logs testutil.LogBuffer
	in, out, stats, done := webhook(t, &logs, rcv.URL, "", "")
	pass(t, in, out, stored("r", 1, "one"))
	testutil.WaitFor(t, "the retry to be delivered", func() bool { return stats.WebhookPosted.Load() == 1 })
	pass(t, in, out, stored("r", 2, "two"))
	testutil.WaitFor(t, "the 400 to drop the message", func() bool { return stats.WebhookDropped.Load() == 1 })
	close(in)
	Recv(t, done)
	posts := rcv.got()
	if got := postedIDs(t, posts); fmt.Sprint(got) != "[1 1 2]" {
		t.Errorf("POSTs of ids %v, want [1 1 2]: one retry after the 500, none after the 400", got)
	}
	if posts[0].signature != "" {
		t.Errorf("signed without a SECRET: %q", posts[0].signature)
	}
	if !strings.Contains(logs.String(), `msg="Webhook: message dropped"`) || !strings.Contains(logs.String(), "room=r id=2") ||
		!strings.Contains(logs.String(), "attempt 1 of 3: the receiver answered 400 Bad Request") {
		t.Errorf("logs:\n%s", logs.String())
	}
}

// TestWebhookDropsWhenTheReceiverHangs: each POST to a receiver that
// never answers ends at TIMEOUT; after WebhookAttempts of them the
// message is dropped, logged and counted, and the next is posted. The
// replies meanwhile pass on at once. The logs name the receiver but not
// the URL's path, which often holds a token.
func TestWebhookDropsWhenTheReceiverHangs(t *testing.T) {
	noLeaks(t)
	rcv := newReceiver(t, func(int) (int, bool) { return http.StatusOK, true })
	var logs testutil.LogBuffer
	in, out, stats, done := webhook(t, &logs, rcv.URL+"/hooks/T0K3N", "", "20ms")
	pass(t, in, out, stored("r", 1, "one"))
	Recv(t, rcv.arrived) // the first POST hangs
	pass(t, in, out, stored("r", 2, "two"))
	testutil.WaitFor(t, "both messages to be dropped", func() bool { return stats.WebhookDropped.Load() == 2 })
	close(in)
	Recv(t, done)
	if got := postedIDs(t, rcv.got()); fmt.Sprint(got) != "[1 1 1 2 2 2]" {
		t.Errorf("POSTs of ids %v, want each tried %d times", got, components.WebhookAttempts)
	}
	if stats.WebhookPosted.Load() != 0 || !strings.Contains(logs.String(), "attempt 3 of 3: POST to "+rcv.URL+": context deadline exceeded") ||
		strings.Contains(logs.String(), "T0K3N") {
		t.Errorf("posted %d\n%s", stats.WebhookPosted.Load(), logs.String())
	}
}

// TestWebhookNeverSlowsTheChat: while the receiver hangs, every reply
// still passes on at once; the queue takes WebhookQueue messages and
// those past it are dropped and counted. Once the receiver answers,
// the queued ones are delivered in order.
func TestWebhookNeverSlowsTheChat(t *testing.T) {
	noLeaks(t)
	rcv := newReceiver(t, func(n int) (int, bool) { return http.StatusOK, n == 1 })
	var logs testutil.LogBuffer
	in, out, stats, done := webhook(t, &logs, rcv.URL, "", "1m")
	pass(t, in, out, stored("r", 1, "first"))
	Recv(t, rcv.arrived) // delivery is stuck on message 1
	const over = 5
	for id := uint64(2); id <= 1+components.WebhookQueue+over; id++ {
		pass(t, in, out, stored("r", id, "more"))
	}
	if d := stats.WebhookDropped.Load(); d != over {
		t.Errorf("dropped %d, want %d", d, over)
	}
	if n := len(rcv.got()); n != 1 {
		t.Errorf("the receiver got %d POSTs while hanging on the first", n)
	}
	rcv.unhang()
	close(in)
	Recv(t, done)
	got := postedIDs(t, rcv.got())
	if len(got) != 1+components.WebhookQueue || got[0] != 1 || got[len(got)-1] != 1+components.WebhookQueue {
		t.Fatalf("delivered %d messages, ids %d to %d; want 1 to %d", len(got), got[0], got[len(got)-1], 1+components.WebhookQueue)
	}
	for i, id := range got {
		if id != uint64(i+1) {
			t.Fatalf("delivered out of order: %d at %d", id, i)
		}
	}
	if p := stats.WebhookPosted.Load(); p != 1+components.WebhookQueue || !strings.Contains(logs.String(), "queue full") {
		t.Errorf("posted %d\n%s", p, logs.String())
	}
}

// TestWebhookStopsWithTheNetwork: when its inport closes with the
// receiver hanging, the Webhook gives up on what it holds (dropped,
// counted) and its Process returns, leaving no goroutine behind.
func TestWebhookStopsWithTheNetwork(t *testing.T) {
	noLeaks(t)
	rcv := newReceiver(t, func(int) (int, bool) { return http.StatusOK, true })
	var logs testutil.LogBuffer
	// A Webhook told to stop delivering 100 ms after In closes, not 5 s.
	in, out := make(chan *components.Reply), make(chan *components.Reply)
	stats := &components.Stats{}
	w := components.NewWebhook(stats, logs.Logger())
	url, timeout := make(chan string, 1), make(chan string, 1)
	url <- rcv.URL
	timeout <- "1m"
	w.Url, w.Timeout, w.In, w.Out = url, timeout, in, out
	components.SetWebhookFlush(w, 100*time.Millisecond)
	done := Start(w)
	for id := uint64(1); id <= 3; id++ {
		pass(t, in, out, stored("r", id, "x"))
	}
	Recv(t, rcv.arrived)
	close(in)
	Recv(t, done)
	if d := stats.WebhookDropped.Load(); d != 3 {
		t.Errorf("dropped %d, want 3\n%s", d, logs.String())
	}
}

// TestWebhookBadConfiguration: a Webhook run with a URL it cannot post
// to logs why and passes every reply on.
func TestWebhookBadConfiguration(t *testing.T) {
	var logs testutil.LogBuffer
	in, out, _, done := webhook(t, &logs, "ftp://example.com/", "", "")
	pass(t, in, out, stored("r", 1, "x"))
	close(in)
	Recv(t, done)
	if !strings.Contains(logs.String(), "URL must be an http:// or https:// URL, got 'ftp://example.com/'") {
		t.Errorf("logs:\n%s", logs.String())
	}
}
