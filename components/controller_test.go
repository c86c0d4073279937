package components_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gochat/components"
	"gochat/wire"
)

func TestController(t *testing.T) {
	in := make(chan *wire.Request)
	out := make(chan *components.ReadQuery, 1)
	errs := make(chan *components.Reply, 1)
	c := components.NewController(55 * time.Second)
	c.In, c.Out, c.Err = in, out, errs
	done := Start(c)
	ctx := context.Background()
	long := strings.Repeat("a", 65)

	for _, tc := range []struct {
		target string
		want   components.ReadQuery // Req is not compared
		err    string               // a part of the error message; "" for none
	}{
		{"/api/rooms/lobby/messages", components.ReadQuery{Room: "lobby"}, ""},
		{"/api/rooms/x/messages?since=17&wait=5&epoch=ab-1_Z", components.ReadQuery{Room: "x", Since: 17, Wait: 5 * time.Second, Epoch: "ab-1_Z"}, ""},
		{"/api/rooms/x/messages?wait=56", components.ReadQuery{Room: "x", Wait: 55 * time.Second}, ""},
		{"/api/rooms/x/messages?wait=99999999999999999999999", components.ReadQuery{Room: "x", Wait: 55 * time.Second}, ""},
		{"/api/rooms/x/messages?since=18446744073709551615", components.ReadQuery{Room: "x", Since: 1<<64 - 1}, ""},
		{"/api/rooms/" + long[:64] + "/messages", components.ReadQuery{Room: long[:64]}, ""},
		{"/api/rooms/" + long + "/messages", components.ReadQuery{}, "room must be 1 to 64 characters"},
		{"/api/rooms//messages", components.ReadQuery{}, "room must be"},
		{"/api/rooms/l%C3%B6bby/messages", components.ReadQuery{}, "room must be"},
		{"/api/rooms/a.b/messages", components.ReadQuery{}, "room must be"},
		{"/api/rooms/x/messages?since=-1", components.ReadQuery{}, "since must be a non-negative integer"},
		{"/api/rooms/x/messages?since=1.5", components.ReadQuery{}, "since must be a non-negative integer"},
		{"/api/rooms/x/messages?since=18446744073709551616", components.ReadQuery{}, "since must be a non-negative integer"},
		{"/api/rooms/x/messages?since=+1", components.ReadQuery{}, "since must be a non-negative integer"},
		{"/api/rooms/x/messages?wait=-3", components.ReadQuery{}, "wait must be a non-negative integer"},
		{"/api/rooms/x/messages?wait=soon", components.ReadQuery{}, "wait must be a non-negative integer"},
		{"/api/rooms/x/messages?epoch=a%20b", components.ReadQuery{}, "epoch must be"},
		{"/api/rooms/x/messages?epoch=" + long, components.ReadQuery{}, "epoch must be"},
		{"/api/rooms/x/messages?since=%zz", components.ReadQuery{}, "the query string is malformed"},
	} {
		in <- MustRequest(t, ctx, "GET", tc.target)
		select {
		case q := <-out:
			q.Req = nil
			if tc.err != "" || *q != tc.want {
				t.Errorf("%s: got %+v, want %+v error %q", tc.target, *q, tc.want, tc.err)
			}
		case rep := <-errs:
			if tc.err == "" || rep.Err == nil || rep.Err.Status != 400 || !strings.Contains(rep.Err.Message, tc.err) {
				t.Errorf("%s: got error %+v, want %q", tc.target, rep.Err, tc.err)
			}
		case <-time.After(timeout):
			t.Fatalf("%s: no answer", tc.target)
		}
	}
	close(in)
	Recv(t, done)
}
