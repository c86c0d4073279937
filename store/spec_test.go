package store_test

import (
	"strings"
	"testing"

	"gochat/store"
)

func TestParseSpec(t *testing.T) {
	for in, want := range map[string]store.Spec{
		"":                          {Kind: store.KindMemory},
		"memory":                    {Kind: store.KindMemory},
		"file:/var/lib/chat.db":     {Kind: store.KindFile, Path: "/var/lib/chat.db"},
		"file:chat.db":              {Kind: store.KindFile, Path: "chat.db"},
		"redis://127.0.0.1:6379/0":  {Kind: store.KindRedis, URL: "redis://127.0.0.1:6379/0"},
		"rediss://u:p@example.com/": {Kind: store.KindRedis, URL: "rediss://u:p@example.com/"},
	} {
		if got, err := store.ParseSpec(in); err != nil || got != want {
			t.Errorf("ParseSpec(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"file:":    "want a path after file:",
		"mysql://": "want memory, file:PATH or redis://host:port/db",
		"chat.db":  "want memory, file:PATH or redis://host:port/db",
	} {
		if _, err := store.ParseSpec(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSpec(%q): %v, want an error saying %q", in, err, want)
		}
	}
}
