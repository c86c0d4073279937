package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"
)

// redisLog is go-redis's logger, writing through gochat's slog logger, so
// that its lines take -log-format and -log-level like every other.
// go-redis says nothing of a line's level; what it prints unasked is
// trouble (a dial that failed, a connection dropped), so each line is a
// warning.
type redisLog struct{ log *slog.Logger }

// Printf implements go-redis's internal.Logging.
func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.Warn(strings.TrimSpace(fmt.Sprintf(format, v...)), "component", "go-redis")
}

// redisLevel returns the go-redis log level that lets through what log
// does: go-redis asks it before building its debug and info lines.
func redisLevel(log *slog.Logger) logging.LogLevelT {
	ctx := context.Background()
	switch {
	case log.Enabled(ctx, slog.LevelDebug):
		return logging.LogLevelDebug
	case log.Enabled(ctx, slog.LevelInfo):
		return logging.LogLevelInfo
	case log.Enabled(ctx, slog.LevelWarn):
		return logging.LogLevelWarn
	}
	return logging.LogLevelError
}

// logRedisThrough makes go-redis log through m's logger, at m's level.
//
// go-redis keeps one logger for the whole process (redis.SetLogger sets
// a package variable), so this is wiring for the program, called once
// from main: a library (the store, the server) must not change it under
// its other users, and tests that open several servers must not race on
// it.
func (m *Main) logRedisThrough() {
	redis.SetLogger(redisLog{m.Config.Log})
	redis.SetLogLevel(redisLevel(m.Config.Log))
}
