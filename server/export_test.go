package server

import "time"

// SetReadGraph replaces how s reads its graph file, for tests that need
// to see, or hold up, a reload while it reads. Call it before any reload.
func SetReadGraph(s *Server, read func(path string) ([]byte, error)) {
	s.readGraph = read
}

// SetDebugEvents makes s's /debug/events streams send every interval and
// drop a subscriber that takes no event within writeTimeout, for tests
// of a slow subscriber; it returns how many streams are being served.
func SetDebugEvents(s *Server, interval, writeTimeout time.Duration) func() int64 {
	s.debug.interval.Store(int64(interval))
	s.debug.writeTimeout.Store(int64(writeTimeout))
	return s.debug.subscribers.Load
}
