// refsrv: the reference — plain net/http, the /poll handler blocks on a channel
// that POST /post closes (like gochat's bench/refserver).
package main

import (
	"context"
	"flag"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"gochat-parking-prototypes/common"
)

type hub struct {
	mu     sync.Mutex
	ch     chan struct{}
	ans    *common.Answer
	body   []byte
	parked atomic.Int64
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	flag.Parse()
	common.RaiseNofile()
	h := &hub{ch: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /poll", func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		ch := h.ch
		h.mu.Unlock()
		h.parked.Add(1)
		select {
		case <-ch:
			h.parked.Add(-1)
		case <-r.Context().Done():
			h.parked.Add(-1)
			return
		}
		h.mu.Lock()
		b := h.body
		h.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
	mux.HandleFunc("POST /post", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<21))
		if err != nil {
			http.Error(w, err.Error(), 413)
			return
		}
		h.mu.Lock()
		h.body = b
		close(h.ch)
		h.ch = make(chan struct{})
		h.mu.Unlock()
		w.WriteHeader(201)
	})
	mux.HandleFunc("GET /ping", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "pong") })
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		common.Stats(w, r, func() int { return int(h.parked.Load()) })
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		// reference: answer parked reads by waking them (empty body), then Shutdown
		h.mu.Lock()
		close(h.ch)
		h.ch = make(chan struct{})
		h.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	log.Printf("refsrv on %s", *addr)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		log.Fatal(err)
	}
	<-stopped
}
