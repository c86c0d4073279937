package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"gochat/server"
)

// BenchmarkHTTPFanOut parks 2000 long-polls over real HTTP and measures a
// post's delivery to all of them, client and server in one process (for
// profiles).
func BenchmarkHTTPFanOut(b *testing.B) {
	const n = 2000
	s, c := MustOpen(b, server.Config{})
	c.Post("fan", "", "first")
	since := uint64(1)
	for b.Loop() {
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := c.http.Get(fmt.Sprintf("%sapi/rooms/fan/messages?since=%d&wait=30", s.URL(), since))
				if err != nil {
					b.Error(err)
					return
				}
				var p struct{ Last uint64 }
				json.NewDecoder(res.Body).Decode(&p)
				res.Body.Close()
			}()
		}
		WaitParked(b, s.Stats(), n)
		c.Post("fan", "", "x")
		wg.Wait()
		since++
	}
	_ = http.MethodGet
}
