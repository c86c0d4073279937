package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"gochat/components"
	"gochat/internal/history"
	"gochat/internal/testutil"
	"gochat/server"
)

const timeout = testutil.Timeout

// MustOpen starts a server on a free loopback port with cfg, and closes it
// when the test ends.
func MustOpen(tb testing.TB, cfg server.Config) (*server.Server, *Client) {
	tb.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s, err := server.Open(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	c := NewClient(tb, s.URL())
	tb.Cleanup(func() { MustClose(tb, s) })
	// First (cleanups run last first): the client's idle connections
	// close, so that Close need not give them time to send a request.
	tb.Cleanup(c.http.CloseIdleConnections)
	return s, c
}

// MustClose closes s, once.
func MustClose(tb testing.TB, s *server.Server) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := s.Close(ctx); err != nil && !strings.Contains(err.Error(), "closed") {
		tb.Errorf("close server: %v", err)
	}
}

// Client speaks the API of one server over its own connections.
type Client struct {
	tb   testing.TB
	base string
	http *http.Client
}

// NewClient returns a client of the server at base, closed with the test.
func NewClient(tb testing.TB, base string) *Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 4096}
	tb.Cleanup(tr.CloseIdleConnections)
	return &Client{tb: tb, base: base, http: &http.Client{Transport: tr}}
}

// Answer is a decoded API answer.
type Answer struct {
	Status int
	Header http.Header
	Raw    string
	Read   readAnswer
	Msg    message
	Error  struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
	} `json:"error"`
}

type readAnswer struct {
	Room     string    `json:"room"`
	Epoch    string    `json:"epoch"`
	Last     uint64    `json:"last"`
	Messages []message `json:"messages"`
	Reset    bool      `json:"reset"`
	Gap      bool      `json:"gap"`
}

type message struct {
	ID     uint64 `json:"id"`
	Room   string `json:"room"`
	Author string `json:"author"`
	Text   string `json:"text"`
	Time   string `json:"time"`
}

// Do sends a request and decodes the answer; it returns the error of a
// request that could not be made. Any goroutine may call it.
func (c *Client) Do(ctx context.Context, method, path, ctype, body string) (Answer, error) {
	return c.DoHeader(ctx, method, path, ctype, body, nil)
}

// DoHeader is Do with more request headers; a Host among them is sent
// as the request's Host.
func (c *Client) DoHeader(ctx context.Context, method, path, ctype, body string, header http.Header) (Answer, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+strings.TrimPrefix(path, "/"), strings.NewReader(body))
	if err != nil {
		return Answer{}, fmt.Errorf("new request: %w", err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if host := header.Get("Host"); host != "" {
		req.Host = host // net/http sends req.Host, not a Host header
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return Answer{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return Answer{}, err
	}
	a := Answer{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		var e struct{ Error *json.RawMessage }
		if err := json.Unmarshal(raw, &e); err != nil {
			c.tb.Errorf("%s %s: answer is not JSON: %s", method, path, raw)
		}
		switch {
		case e.Error != nil:
			json.Unmarshal(raw, &a)
		case method == http.MethodGet:
			json.Unmarshal(raw, &a.Read)
		default:
			json.Unmarshal(raw, &a.Msg)
		}
	}
	return a, nil
}

// MustDo is Do that fails the test when the request cannot be made. Only
// the test's goroutine may call it, as t.Fatal.
func (c *Client) MustDo(method, path, ctype, body string) Answer {
	c.tb.Helper()
	a, err := c.Do(context.Background(), method, path, ctype, body)
	if err != nil {
		c.tb.Fatalf("%s %s: %v", method, path, err)
	}
	return a
}

// Get reads a room with the given query. Only the test's goroutine may
// call it; others call Read.
func (c *Client) Get(room, query string) Answer {
	c.tb.Helper()
	return c.MustDo(http.MethodGet, "api/rooms/"+room+"/messages?"+query, "", "")
}

// Read is Get that returns the error of a request that could not be
// made. Any goroutine may call it.
func (c *Client) Read(room, query string) (Answer, error) {
	return c.Do(context.Background(), http.MethodGet, "api/rooms/"+room+"/messages?"+query, "", "")
}

// Post posts text as author to room and wants 201.
func (c *Client) Post(room, author, text string) message {
	c.tb.Helper()
	body, _ := json.Marshal(map[string]string{"author": author, "text": text})
	a := c.MustDo(http.MethodPost, "api/rooms/"+room+"/messages", "application/json", string(body))
	if a.Status != http.StatusCreated {
		c.tb.Fatalf("post to %s: %d %s", room, a.Status, a.Raw)
	}
	return a.Msg
}

// WaitParked waits until the server holds n parked long-polls.
func WaitParked(tb testing.TB, stats *components.Stats, n int64) {
	tb.Helper()
	testutil.WaitFor(tb, fmt.Sprintf("%d parked long-polls", n), func() bool { return stats.Parked.Load() == n })
}

// LogBuffer collects a server's logs for a test to read.
type LogBuffer = testutil.LogBuffer

// Follow long-polls r's room as a client would, recording each answer in
// r's history, until stop says so. An error or any answer but a 200 fails
// the test (t.Errorf) and ends it. Any goroutine may call it.
func Follow(t testing.TB, c *Client, r *history.Reader, wait int, stop func(r *history.Reader) bool) {
	for !stop(r) {
		since, epoch := r.Next()
		a, err := c.Read(r.Room(), fmt.Sprintf("since=%d&wait=%d&epoch=%s", since, wait, epoch))
		if err != nil {
			t.Errorf("following %s: %v", r.Room(), err)
			return
		}
		if a.Status != 200 {
			t.Errorf("following %s: %d %s", r.Room(), a.Status, a.Raw)
			return
		}
		r.Saw(since, epoch, a.History())
	}
}

// Saw returns a stop for Follow: when n messages were seen.
func Saw(n int) func(*history.Reader) bool {
	return func(r *history.Reader) bool { return r.Seen() >= n }
}

// History returns the answer as the history checker records it.
func (a Answer) History() history.Answer {
	h, err := history.ParseRead([]byte(a.Raw))
	if err != nil {
		panic(err) // Do already failed the test on a body that is not JSON
	}
	return h
}

// PostTo posts text as author to room, records the 201 in h, and returns
// the answer; any other status is returned for the test to judge. Only
// the test's goroutine may call it; others call Write.
func (c *Client) PostTo(h *history.History, room, author, text string) Answer {
	c.tb.Helper()
	return c.PostKey(h, room, author, text, "")
}

// PostKey is PostTo with an Idempotency-Key, unless key is "".
func (c *Client) PostKey(h *history.History, room, author, text, key string) Answer {
	c.tb.Helper()
	a, err := c.Write(h, room, author, text, key)
	if err != nil {
		c.tb.Fatal(err)
	}
	return a
}

// Write is PostKey that returns the error of a post that could not be
// made, or whose 201 is not a message. Any goroutine may call it.
func (c *Client) Write(h *history.History, room, author, text, key string) (Answer, error) {
	body, _ := json.Marshal(map[string]string{"author": author, "text": text})
	header := http.Header{}
	if key != "" {
		header.Set("Idempotency-Key", key)
	}
	a, err := c.DoHeader(context.Background(), http.MethodPost, "api/rooms/"+room+"/messages", "application/json", string(body), header)
	if err != nil {
		return a, fmt.Errorf("post to %s: %w", room, err)
	}
	if a.Status == http.StatusCreated {
		m, err := history.ParseMessage([]byte(a.Raw))
		if err != nil {
			return a, fmt.Errorf("post to %s: %w", room, err)
		}
		h.Acked(room, m)
	}
	return a, nil
}

// every calls f with 0, 1, 2, … once per period until ctx ends or f
// returns false.
func every(ctx context.Context, period time.Duration, f func(i int) bool) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if !f(i) {
			return
		}
	}
}
