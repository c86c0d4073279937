package graph_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"gochat/components"
	"gochat/graph"
	"gochat/store"
	"gochat/wire"
)

// MustNetwork runs the default graph on an in-memory store.
func MustNetwork(b *testing.B) *graph.Network {
	b.Helper()
	st, _ := store.NewMemory(100, 1000)
	f, err := components.NewFactory(components.Deps{Store: st, MaxWait: time.Minute, Stats: &components.Stats{}, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	n, err := graph.Start(MustPlan(b, graph.Default()), f, 64, false)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { close(n.In); <-n.Done })
	return n
}

func request(method, path, query string, body []byte) *wire.Request {
	req := wire.NewRequest(context.Background())
	req.Method, req.Path, req.RawQuery, req.Body = method, path, query, body
	req.ContentType = "application/json"
	return req
}

// BenchmarkWrite sends a post through the whole network (Router,
// SendController, Storage, Responder) and waits for its answer, from
// parallel clients.
func BenchmarkWrite(b *testing.B) {
	n := MustNetwork(b)
	body := []byte(`{"author":"ann","text":"hello, this is an ordinary chat message"}`)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := request("POST", "/api/rooms/bench/messages", "", body)
			n.In <- req
			if a := <-req.Answer(); a.Status != 201 {
				b.Fatalf("post: %d", a.Status)
			}
		}
	})
}

// BenchmarkCatchUpRead reads a room of 100 messages from the start through
// the whole network, answer bytes included, from parallel clients.
func BenchmarkCatchUpRead(b *testing.B) {
	n := MustNetwork(b)
	for i := range 100 {
		req := request("POST", "/api/rooms/bench/messages", "", []byte(fmt.Sprintf(`{"text":"message number %d with some ordinary text in it"}`, i)))
		n.In <- req
		<-req.Answer()
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := request("GET", "/api/rooms/bench/messages", "since=0", nil)
			n.In <- req
			if a := <-req.Answer(); a.Status != 200 || len(a.Bytes()) < 5000 {
				b.Fatalf("read: %d", a.Status)
			}
		}
	})
}

// BenchmarkEncodePage encodes a read answer of 100 messages, as a
// Payload does.
func BenchmarkEncodePage(b *testing.B) {
	page := components.ReadAnswer{Room: "bench", Epoch: "0123456789abcdef", Last: 100}
	for i := range 100 {
		page.Messages = append(page.Messages, store.Message{ID: uint64(i + 1), Room: "bench", Author: "ann",
			Text: fmt.Sprintf("message number %d with some ordinary text in it", i), Time: time.Now()})
	}
	b.ReportAllocs()
	for b.Loop() {
		if len(wire.NewPayload(page).Bytes()) < 5000 {
			b.Fatal("short page")
		}
	}
}
