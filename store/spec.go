package store

import (
	"fmt"
	"strings"
)

// Kind is which of the stores a Spec names.
type Kind int

// The stores.
const (
	KindMemory Kind = iota // memory
	KindFile               // file:PATH
	KindRedis              // redis://host:port/db or rediss://…
)

// Spec is a store as it is named in gochat's settings: memory (or
// empty), file:PATH or redis://host:port/db.
type Spec struct {
	Kind Kind   // which store
	Path string // the file of a file store
	URL  string // the address of a Redis store
}

// ParseSpec reads a store's name.
func ParseSpec(s string) (Spec, error) {
	switch {
	case s == "" || s == "memory":
		return Spec{Kind: KindMemory}, nil
	case strings.HasPrefix(s, "redis://") || strings.HasPrefix(s, "rediss://"):
		return Spec{Kind: KindRedis, URL: s}, nil
	case s == "file:":
		return Spec{}, fmt.Errorf("store %q: want a path after file:, e.g. file:/var/lib/gochat/chat.db", s)
	case strings.HasPrefix(s, "file:"):
		return Spec{Kind: KindFile, Path: strings.TrimPrefix(s, "file:")}, nil
	}
	return Spec{}, fmt.Errorf("store %q: want memory, file:PATH or redis://host:port/db", s)
}
