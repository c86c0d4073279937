package server_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"gochat/server"
)

// BenchmarkHTTPCatchUp reads a room of 100 messages from the start over
// real HTTP, client and server in one process (for profiles).
func BenchmarkHTTPCatchUp(b *testing.B) {
	s, c := MustOpen(b, server.Config{})
	for i := range 100 {
		c.Post("hist", "", fmt.Sprintf("message number %d with some ordinary text in it", i))
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr}
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := cl.Get(s.URL() + "api/rooms/hist/messages?since=0")
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	})
}
