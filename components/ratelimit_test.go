package components_test

import (
	"context"
	"net/http"
	"testing"

	"gochat/components"
	"gochat/wire"
)

func TestRateLimit(t *testing.T) {
	in, out, errs := make(chan *wire.Request), make(chan *wire.Request, 1), make(chan *components.Reply, 1)
	rate, burst := make(chan float64, 1), make(chan int, 1)
	rate <- 0.001 // one token every 1000 s: none comes back during the test
	burst <- 2
	close(rate)
	close(burst)
	l := components.NewRateLimit()
	l.Rate, l.Burst, l.In, l.Out, l.Err = rate, burst, in, out, errs
	done := Start(l)
	send := func(addr string) *components.Reply {
		req := wire.NewRequest(context.Background())
		req.RemoteAddr = addr
		in <- req
		select {
		case <-out:
			return nil
		case rep := <-errs:
			return rep
		}
	}
	for i := range 2 {
		if rep := send("10.0.0.1"); rep != nil {
			t.Fatalf("request %d within the burst: %+v", i, rep.Err)
		}
	}
	rep := send("10.0.0.1")
	if rep == nil || rep.Err.Status != http.StatusTooManyRequests || rep.Err.Header.Get("Retry-After") != "1000" {
		t.Errorf("third request: %+v", rep)
	}
	if rep := send("10.0.0.2"); rep != nil {
		t.Errorf("another address is limited too: %+v", rep.Err)
	}
	for range 5 {
		if rep := send("127.0.0.1"); rep != nil {
			t.Errorf("a loopback client was limited: %+v", rep.Err)
		}
	}
	close(in)
	Recv(t, done)
}
