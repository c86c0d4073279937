package graph

// Bounds of a graph file. A graph file is read from disk on start and on
// every reload, so none may make gochat use more than a little memory or
// time, whatever the file holds.
const (
	// MaxFileBytes is the largest graph file gochat reads (1 MiB); a
	// larger one is refused after reading MaxFileBytes+1 bytes.
	MaxFileBytes = 1 << 20
	// MaxDepth bounds how deeply JSON values nest, in an FBP JSON graph
	// and in an initial packet's JSON.
	MaxDepth = 64
	// MaxProcesses and MaxConnections bound a graph's size: each process
	// is a goroutine, each connection a channel. MaxConnections bounds
	// its initial packets too. gochat's graphs have a dozen of each.
	MaxProcesses   = 1000
	MaxConnections = 10000
	// MaxProblems bounds the problems reported for one file; past it, one
	// more line says how many were left out.
	MaxProblems = 100
)
