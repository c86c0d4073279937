package server

// SetReadGraph replaces how s reads its graph file, for tests that need
// to see, or hold up, a reload while it reads. Call it before any reload.
func SetReadGraph(s *Server, read func(path string) ([]byte, error)) {
	s.readGraph = read
}
