package server_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gochat/internal/redistest"
	"gochat/server"
)

// BenchmarkRedisWrites posts from 32 concurrent clients to one instance on
// Redis, with Storage's Redis calls serialised (1 at a time) and
// concurrent (the default, 64).
//
//	go test -run XXX -bench RedisWrites ./server/
func BenchmarkRedisWrites(b *testing.B) {
	srv := redistest.Start(b)
	for _, conc := range []int{1, 64} {
		b.Run(fmt.Sprintf("store-concurrency-%d", conc), func(b *testing.B) {
			benchWrites(b, server.Config{Store: srv.URL(), RedisPrefix: fmt.Sprintf("bench%d:", conc),
				StoreConcurrency: conc, StoreTimeout: 5 * time.Second}, 8)
		})
	}
}

// BenchmarkFileWrites posts from 32 concurrent clients, to 32 rooms, to
// one instance on the memory store and on the file store.
//
//	go test -run XXX -bench FileWrites ./server/
func BenchmarkFileWrites(b *testing.B) {
	for _, spec := range []string{"memory", "file:" + b.TempDir() + "/chat.db"} {
		b.Run(strings.SplitN(spec, ":", 2)[0], func(b *testing.B) {
			benchWrites(b, server.Config{Store: spec}, 32)
		})
	}
}

// benchWrites posts from 32 concurrent clients, spread over rooms rooms,
// to a server opened with cfg on a loopback port, and reports posts/s.
func benchWrites(b *testing.B, cfg server.Config, rooms int64) {
	cfg.Addr = "127.0.0.1:0"
	s, err := server.Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer MustClose(b, s)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var room atomic.Int64
	b.SetParallelism(16) // 16 × GOMAXPROCS (2) = 32 clients
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		url := fmt.Sprintf("%sapi/rooms/r%d/messages", s.URL(), room.Add(1)%rooms)
		for pb.Next() {
			res, err := client.Post(url, "application/x-www-form-urlencoded", strings.NewReader("text=hello"))
			if err != nil || res.StatusCode != 201 {
				b.Errorf("post: %v %v", res, err)
				return
			}
			io.Copy(io.Discard, res.Body) // so the connection is used again
			res.Body.Close()
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "posts/s")
}
