// Command refserver is the benchmark's reference: a plain net/http
// long-poll chat server speaking gochat's API (reads, JSON and form posts,
// epochs, a bounded history), with no FBP network and no graph. One mutex
// guards the rooms; a room wakes its readers by closing a channel.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type message struct {
	ID     uint64 `json:"id"`
	Room   string `json:"room"`
	Author string `json:"author"`
	Text   string `json:"text"`
	Time   string `json:"time"`
}

type room struct {
	epoch string
	last  uint64
	msgs  []message
	news  chan struct{} // closed when a message arrives
}

type server struct {
	history int
	maxWait time.Duration
	mu      sync.Mutex
	rooms   map[string]*room
	parked  atomic.Int64
}

func (s *server) room(name string) *room {
	r := s.rooms[name]
	if r == nil {
		b := make([]byte, 8)
		rand.Read(b)
		r = &room{epoch: hex.EncodeToString(b), news: make(chan struct{})}
		s.rooms[name] = r
	}
	return r
}

func (s *server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path == "/healthz" {
		fmt.Fprintf(w, `{"status":"ok","parked":%d}`, s.parked.Load())
		return
	}
	name, ok := strings.CutPrefix(req.URL.Path, "/api/rooms/")
	name, ok2 := strings.CutSuffix(name, "/messages")
	if !ok || !ok2 || name == "" || len(name) > 64 {
		http.Error(w, `{"error":{"status":404,"message":"not found"}}`, 404)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if req.Method == http.MethodPost {
		var m message
		if strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
			json.NewDecoder(http.MaxBytesReader(w, req.Body, 64<<10)).Decode(&m)
		} else {
			req.ParseForm()
			m.Author, m.Text = req.PostForm.Get("author"), req.PostForm.Get("text")
		}
		if m.Text = strings.TrimSpace(m.Text); m.Text == "" {
			http.Error(w, `{"error":{"status":400,"message":"text is required"}}`, 400)
			return
		}
		if m.Author == "" {
			m.Author = "anonymous"
		}
		s.mu.Lock()
		r := s.room(name)
		r.last++
		m.ID, m.Room, m.Time = r.last, name, time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00")
		if r.msgs = append(r.msgs, m); len(r.msgs) > s.history {
			r.msgs = append(r.msgs[:0:0], r.msgs[len(r.msgs)-s.history:]...)
		}
		close(r.news)
		r.news = make(chan struct{})
		s.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(m)
		return
	}
	q := req.URL.Query()
	since, _ := strconv.ParseUint(q.Get("since"), 10, 64)
	wait, _ := strconv.Atoi(q.Get("wait"))
	deadline := time.NewTimer(min(time.Duration(wait)*time.Second, s.maxWait))
	defer deadline.Stop()
	for {
		s.mu.Lock()
		r := s.room(name)
		reset := (q.Get("epoch") != "" && q.Get("epoch") != r.epoch) || since > r.last
		from := since
		if reset {
			from = 0
		}
		out := []message{}
		for _, m := range r.msgs {
			if m.ID > from {
				out = append(out, m)
			}
		}
		epoch, last, news := r.epoch, r.last, r.news
		s.mu.Unlock()
		if len(out) > 0 || reset || wait == 0 {
			json.NewEncoder(w).Encode(map[string]any{"room": name, "epoch": epoch, "last": last, "messages": out, "reset": reset})
			return
		}
		s.parked.Add(1)
		select {
		case <-news:
			s.parked.Add(-1)
		case <-deadline.C:
			s.parked.Add(-1)
			wait = 0
		case <-req.Context().Done():
			s.parked.Add(-1)
			return
		}
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9190", "listen address")
	history := flag.Int("history", 100, "messages kept per room")
	flag.Parse()
	s := &server{history: *history, maxWait: 55 * time.Second, rooms: map[string]*room{}}
	srv := &http.Server{Addr: *addr, Handler: s, ReadHeaderTimeout: 10 * time.Second}
	fmt.Println("refserver listening on", *addr)
	if err := srv.ListenAndServe(); err != nil {
		fmt.Println(err)
	}
}
