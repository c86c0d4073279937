package adapter_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"gochat/adapter"
	"gochat/graph"
	"gochat/internal/testutil"
	"gochat/wire"
)

// TestClientGoneIsLoggedOnce: without a Parker, a read whose client
// leaves while the network holds it is logged once at info, with status
// 499 and outcome client_gone, and observed once with status 499.
func TestClientGoneIsLoggedOnce(t *testing.T) {
	in := make(chan *wire.Request, 1) // taken, never answered
	var logs testutil.LogBuffer
	var mu sync.Mutex
	var observed []int
	a := adapter.New(adapter.Config{
		Net: graph.NewLifecycle(rawNetwork(in)), MaxWait: time.Minute, Grace: time.Minute, BodyTimeout: time.Second, Log: logs.Logger(),
		Observe: func(_, _ string, status int, _ time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			observed = append(observed, status)
		},
	})
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/rooms/r/messages?wait=30", nil)
	done := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	<-in // the network has it
	cancel()
	if err := <-done; err == nil {
		t.Error("the cancelled read got an answer")
	}
	testutil.WaitFor(t, "the request line", func() bool { return strings.Contains(logs.String(), "msg=request") })
	srv.Close() // waits for the handler to return
	mu.Lock()
	defer mu.Unlock()
	if l := logs.String(); strings.Count(l, "msg=request") != 1 || !strings.Contains(l, "level=INFO msg=request method=GET route=/api/rooms/:room/messages path=/api/rooms/r/messages status=499 outcome=client_gone bytes=0 ") {
		t.Errorf("want one info line with status 499 and outcome client_gone:\n%s", l)
	}
	if len(observed) != 1 || observed[0] != adapter.StatusClientGone {
		t.Errorf("observed %v, want [499]", observed)
	}
}
