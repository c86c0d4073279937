package store

import "sync"

// Subscription tells one subscriber which rooms got new messages. It never
// blocks the publisher and never loses a notice: rooms collect in a set
// until the subscriber drains them, and "all" stands for every room (after
// a store reconnects and may have missed notices).
type Subscription struct {
	hub    *hub
	signal chan struct{}

	mu    sync.Mutex
	rooms map[string]struct{}
	all   bool
}

// Ready is signalled when there is something to drain.
func (s *Subscription) Ready() <-chan struct{} { return s.signal }

// Drain returns the rooms that got new messages since the last Drain, or
// all=true if any room may have.
func (s *Subscription) Drain() (rooms []string, all bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for r := range s.rooms {
		rooms = append(rooms, r)
	}
	clear(s.rooms)
	all, s.all = s.all, false
	return rooms, all
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	delete(s.hub.subs, s)
	s.hub.mu.Unlock()
}

func (s *Subscription) notify(room string, all bool) {
	s.mu.Lock()
	if all {
		s.all = true
	} else {
		s.rooms[room] = struct{}{}
	}
	s.mu.Unlock()
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

// hub fans notices out to subscriptions.
type hub struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

func (h *hub) subscribe() *Subscription {
	s := &Subscription{hub: h, signal: make(chan struct{}, 1), rooms: map[string]struct{}{}}
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[*Subscription]struct{}{}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

// publish tells every subscriber that room has news; all=true: any room.
func (h *hub) publish(room string, all bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.notify(room, all)
	}
}
