package components_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"gochat/wire"

	"github.com/julienschmidt/httprouter"
)

// timeout bounds every wait on a channel in these tests; it only fires
// when a component is broken.
const timeout = 10 * time.Second

// MustRequest returns a request packet for method and target (path with
// an optional query), with the room path parameter already routed.
func MustRequest(tb testing.TB, ctx context.Context, method, target string) *wire.Request {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatalf("parse %q: %v", target, err)
	}
	req := wire.NewRequest(ctx)
	req.Method, req.Path, req.RawQuery = method, u.Path, u.RawQuery
	if room, ok := roomOf(u.Path); ok {
		req.Params = httprouter.Params{{Key: "room", Value: room}}
	}
	return req
}

func roomOf(path string) (string, bool) {
	const pre, suf = "/api/rooms/", "/messages"
	if len(path) < len(pre)+len(suf) || path[:len(pre)] != pre || path[len(path)-len(suf):] != suf {
		return "", false
	}
	return path[len(pre) : len(path)-len(suf)], true
}

// Recv receives one value from ch or fails the test.
func Recv[T any](tb testing.TB, ch <-chan T) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(timeout):
		tb.Fatalf("nothing arrived in %v", timeout)
		panic("unreachable")
	}
}

// Start runs p.Process in the background and returns a channel closed
// when it returns.
func Start(p interface{ Process() }) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Process()
	}()
	return done
}
