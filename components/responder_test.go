package components_test

import (
	"context"
	"log/slog"
	"net/http"
	"testing"

	"gochat/components"
	"gochat/wire"
)

func TestResponder(t *testing.T) {
	in := make(chan *components.Reply)
	r := components.NewResponder(slog.New(slog.DiscardHandler))
	r.In = in
	done := Start(r)

	ok := wire.NewRequest(context.Background())
	in <- &components.Reply{Req: ok, Status: http.StatusCreated, Body: map[string]string{"a": "<b>"}}
	a := Recv(t, ok.Answer())
	if a.Status != 201 || string(a.Body) != `{"a":"\u003cb\u003e"}` || a.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("result: got %d %s %v", a.Status, a.Body, a.Header)
	}

	bad := wire.NewRequest(context.Background())
	e := wire.Errorf(http.StatusMethodNotAllowed, "use GET")
	e.Header = http.Header{"Allow": {"GET"}}
	in <- &components.Reply{Req: bad, Err: e}
	a = Recv(t, bad.Answer())
	if a.Status != 405 || string(a.Body) != `{"error":{"status":405,"message":"use GET"}}` || a.Header.Get("Allow") != "GET" {
		t.Errorf("error: got %d %s %v", a.Status, a.Body, a.Header)
	}

	// A request someone else answered is not answered twice.
	gone := wire.NewRequest(context.Background())
	if !gone.Claim() {
		t.Fatal("claim of a fresh request failed")
	}
	in <- &components.Reply{Req: gone, Status: 200, Body: 1}
	close(in)
	Recv(t, done)
	select {
	case a := <-gone.Answer():
		t.Errorf("a claimed request got an answer: %+v", a)
	default:
	}
}

func TestResponderAnswersAll(t *testing.T) {
	in := make(chan *components.Reply)
	r := components.NewResponder(slog.New(slog.DiscardHandler))
	r.In = in
	done := Start(r)
	reqs := []*wire.Request{wire.NewRequest(context.Background()), wire.NewRequest(context.Background()), wire.NewRequest(context.Background())}
	in <- &components.Reply{Req: reqs[0], Also: reqs[1:], Status: 200, Body: wire.NewPayload(map[string]int{"a": 1})}
	for i, req := range reqs {
		if a := Recv(t, req.Answer()); a.Status != 200 || string(a.Bytes()) != `{"a":1}` {
			t.Errorf("request %d: %d %s", i, a.Status, a.Bytes())
		}
	}
	close(in)
	Recv(t, done)
}
