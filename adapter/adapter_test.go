package adapter_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"gochat/adapter"
	"gochat/graph"
	"gochat/wire"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// rawNetwork is a network that is only its inport in, which the test
// reads, or not. It has nothing to drain: it is done from the start.
func rawNetwork(in chan *wire.Request) *graph.Network {
	done := make(chan struct{})
	close(done)
	return &graph.Network{In: in, Done: done}
}

// MustAdapter returns an adapter over a network with inport in, behind a
// test server, and the Lifecycle that feeds it.
func MustAdapter(tb testing.TB, in chan *wire.Request, grace time.Duration) (*graph.Lifecycle, *httptest.Server) {
	tb.Helper()
	net := graph.NewLifecycle(rawNetwork(in))
	a := adapter.New(adapter.Config{Net: net, MaxWait: time.Second, Grace: grace, BodyTimeout: time.Second, Log: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(a)
	tb.Cleanup(srv.Close)
	return net, srv
}

// call sends a request and returns the answer's status and body; it
// fails the test if the request cannot be made. Only the test's goroutine
// may call it; others call send.
func call(tb testing.TB, method, url, body string) (int, string) {
	tb.Helper()
	status, b, err := send(method, url, body)
	if err != nil {
		tb.Fatal(err)
	}
	return status, b
}

// send is call that returns the error of a request that could not be
// made. Any goroutine may call it.
func send(method, url, body string) (int, string, error) {
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), nil
}

func TestPacketCarriesTheRequest(t *testing.T) {
	in := make(chan *wire.Request)
	_, srv := MustAdapter(t, in, time.Minute)
	go func() {
		req := <-in
		ok := req.Method == "POST" && req.Path == "/api/x" && req.RawQuery == "a=1" && string(req.Body) == "body" &&
			req.ContentType == "application/json" && !req.BodyTooLarge
		req.Complete(wire.Encode(201, ok, nil))
	}()
	if status, body := call(t, "POST", srv.URL+"/api/x?a=1", "body"); status != 201 || body != "true" {
		t.Errorf("got %d %s", status, body)
	}

	go func() {
		req := <-in
		req.Complete(wire.Encode(200, req.BodyTooLarge && req.Body == nil, nil))
	}()
	if status, body := call(t, "POST", srv.URL+"/api/x", strings.Repeat("x", wire.MaxBodyBytes+1)); status != 200 || body != "true" {
		t.Errorf("too large: got %d %s", status, body)
	}
}

func TestNoAnswerIn503(t *testing.T) {
	in := make(chan *wire.Request, 1) // taken, never answered
	_, srv := MustAdapter(t, in, 50*time.Millisecond)
	status, body := call(t, "GET", srv.URL+"/api/x", "")
	if status != 503 || !strings.Contains(body, "did not answer in time") {
		t.Errorf("got %d %s", status, body)
	}
	// A late answer is dropped, never written.
	req := <-in
	if req.Complete(wire.Answer{Status: 200}) {
		t.Error("a request answered 503 by the adapter was completed again")
	}
}

func TestNotTaken503(t *testing.T) {
	in := make(chan *wire.Request) // nobody reads
	_, srv := MustAdapter(t, in, 50*time.Millisecond)
	if status, body := call(t, "GET", srv.URL+"/api/x", ""); status != 503 || !strings.Contains(body, "overloaded") {
		t.Errorf("got %d %s", status, body)
	}
}

func TestClosed503(t *testing.T) {
	in := make(chan *wire.Request)
	net, srv := MustAdapter(t, in, time.Minute)
	if err := net.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, open := <-in; open {
		t.Error("Close did not close the inport")
	}
	if status, body := call(t, "GET", srv.URL+"/api/x", ""); status != 503 || !strings.Contains(body, "shutting down") {
		t.Errorf("got %d %s", status, body)
	}
	http.DefaultClient.CloseIdleConnections()
}
