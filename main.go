// Command gochat is a small real-time chat server whose request path is a
// flow-based network of components. Run it with `go run .` and open the
// address it prints; `gochat -h` lists its settings.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"gochat/adapter"
	"gochat/graph"
	"gochat/internal/buildinfo"
	"gochat/internal/logwriter"
	"gochat/server"
)

// shutdownTimeout bounds a graceful shutdown.
const shutdownTimeout = 10 * time.Second

// logFlushInterval is how long a log line may wait in the buffer.
const logFlushInterval = 100 * time.Millisecond

func main() {
	if len(os.Args) > 1 && os.Args[1] == "graph" {
		os.Exit(graph.Command(os.Args[2:], os.Stdout, os.Stderr))
	}
	if len(os.Args) > 1 && os.Args[1] == "store" {
		os.Exit(storeCommand(os.Args[2:], os.Stdout, os.Stderr))
	}
	m := NewMain(os.Stderr)
	if err := m.ParseFlags(os.Args[1:], os.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		if errors.Is(err, ErrVersion) {
			fmt.Println("gochat", buildinfo.Read())
			os.Exit(0)
		}
		m.fail(err, 2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	m.logRedisThrough()
	if err := m.Run(); err != nil {
		m.Close()
		m.fail(err, 1)
	}
	for ctx.Err() == nil {
		select {
		case <-hup:
			_ = m.Server.Reload() // problems are logged; the old graph keeps running
		case <-ctx.Done():
		}
	}
	stop() // a second signal kills at once
	if err := m.Close(); err != nil {
		m.fail(err, 1)
	}
}

// ErrVersion is what ParseFlags returns for -version: print the version
// and exit.
var ErrVersion = errors.New("-version: print the version and exit")

// Main is the gochat program: its configuration and its server.
type Main struct {
	Config server.Config
	Server *server.Server

	out  io.Writer
	logs *logwriter.Writer // batches log lines to out
}

// NewMain returns a Main that logs and prints help to out.
func NewMain(out io.Writer) *Main {
	return &Main{out: out}
}

// ParseFlags reads the configuration from args, falling back to the
// environment through getenv for each flag not given. It returns
// flag.ErrHelp for -h and ErrVersion for -version.
func (m *Main) ParseFlags(args []string, getenv func(string) string) error {
	fs := flag.NewFlagSet("gochat", flag.ContinueOnError)
	fs.SetOutput(m.out)
	env := map[string]string{}
	addr := fs.String("addr", server.DefaultAddr, "listen address host:port; if neither -addr nor GOCHAT_ADDR is set but PORT is, :$PORT (env GOCHAT_ADDR)")
	env["addr"] = "GOCHAT_ADDR"
	history := fs.Int("history", server.DefaultHistory, "messages kept per room (env GOCHAT_HISTORY)")
	env["history"] = "GOCHAT_HISTORY"
	maxRooms := fs.Int("max-rooms", server.DefaultMaxRooms, "rooms kept at most; a post that would create one more answers 503 (env GOCHAT_MAX_ROOMS)")
	env["max-rooms"] = "GOCHAT_MAX_ROOMS"
	maxBytes := fs.Int64("max-bytes", server.DefaultMaxBytes, "bytes of messages the memory or file store holds at most; a post past it answers 503 (env GOCHAT_MAX_BYTES)")
	env["max-bytes"] = "GOCHAT_MAX_BYTES"
	maxWait := fs.Int("max-wait", int(server.DefaultMaxWait/time.Second), "longest long-poll in seconds; longer waits are clamped (env GOCHAT_MAX_WAIT)")
	env["max-wait"] = "GOCHAT_MAX_WAIT"
	storeURL := fs.String("store", "memory", "message store: memory, file:PATH to keep rooms in a local file across restarts, or redis://host:port/db to share rooms between instances (env GOCHAT_STORE, or REDIS_URL)")
	env["store"] = "GOCHAT_STORE"
	redisPrefix := fs.String("redis-prefix", "gochat:", "namespace of gochat's Redis keys and channel (env GOCHAT_REDIS_PREFIX)")
	env["redis-prefix"] = "GOCHAT_REDIS_PREFIX"
	roomTTL := fs.Duration("room-ttl", 0, "Redis and file stores: forget a room idle this long, e.g. 720h; 0 keeps rooms (env GOCHAT_ROOM_TTL)")
	env["room-ttl"] = "GOCHAT_ROOM_TTL"
	slowClient := fs.Duration("slow-client-timeout", server.DefaultSlowClientTimeout, "drop a client that has not taken an answer this long after it was written, e.g. 10s (env GOCHAT_SLOW_CLIENT_TIMEOUT)")
	env["slow-client-timeout"] = "GOCHAT_SLOW_CLIENT_TIMEOUT"
	graphFile := fs.String("graph", "", "graph file to run (FBP DSL .fbp or FBP JSON .json); empty runs the embedded graph/chat.fbp; SIGHUP reloads it (env GOCHAT_GRAPH)")
	env["graph"] = "GOCHAT_GRAPH"
	watch := boolFlag(fs, "watch", false, "reload the -graph file when it changes (env GOCHAT_WATCH)")
	env["watch"] = "GOCHAT_WATCH"
	logLevel := fs.String("log-level", "info", "least level logged: debug, info (one line per request), warn or error (env GOCHAT_LOG_LEVEL)")
	env["log-level"] = "GOCHAT_LOG_LEVEL"
	logFormat := fs.String("log-format", "text", "log format: text for a terminal, json for collectors (env GOCHAT_LOG_FORMAT)")
	env["log-format"] = "GOCHAT_LOG_FORMAT"
	metricsOn := boolFlag(fs, "metrics", true, "serve Prometheus metrics at /metrics, to loopback peers only unless -metrics-addr is set (env GOCHAT_METRICS)")
	env["metrics"] = "GOCHAT_METRICS"
	metricsAddr := fs.String("metrics-addr", "", "serve /metrics on a listener of its own at this address, to anyone who reaches it (env GOCHAT_METRICS_ADDR)")
	env["metrics-addr"] = "GOCHAT_METRICS_ADDR"
	debug := boolFlag(fs, "debug", false, "serve the live graph page at /debug/ (the running graph with packet counts, to view and edit), to loopback peers only unless -debug-addr is set (env GOCHAT_DEBUG)")
	env["debug"] = "GOCHAT_DEBUG"
	debugAddr := fs.String("debug-addr", "", "serve /debug/ on a listener of its own at this address, to anyone who reaches it; implies -debug (env GOCHAT_DEBUG_ADDR)")
	env["debug-addr"] = "GOCHAT_DEBUG_ADDR"
	fbpAddr := fs.String("fbp-addr", "", "serve the FBP network protocol (Flowhub, noflo-ui) on this address, e.g. 127.0.0.1:3569; off by default (env GOCHAT_FBP_ADDR)")
	env["fbp-addr"] = "GOCHAT_FBP_ADDR"
	fbpSecret := fs.String("fbp-secret", "", "the secret every FBP protocol message must carry; none by default (env GOCHAT_FBP_SECRET)")
	env["fbp-secret"] = "GOCHAT_FBP_SECRET"
	fbpAllowOrigin := fs.String("fbp-allow-origin", "", "comma-separated origins whose pages may connect to -fbp-addr besides its own host, e.g. https://app.flowhub.io (env GOCHAT_FBP_ALLOW_ORIGIN)")
	env["fbp-allow-origin"] = "GOCHAT_FBP_ALLOW_ORIGIN"
	allowOrigin := fs.String("allow-origin", "", "comma-separated origins whose pages may use the API, e.g. https://blog.example for the comments embed; * allows all (env GOCHAT_ALLOW_ORIGIN)")
	env["allow-origin"] = "GOCHAT_ALLOW_ORIGIN"
	allowedHosts := fs.String("allowed-hosts", "", "comma-separated host names requests may be for (the Host header), e.g. chat.example,*.chat.example; * allows any; others get 421. Default: on a loopback -addr, loopback names only; otherwise any (env GOCHAT_ALLOWED_HOSTS)")
	env["allowed-hosts"] = "GOCHAT_ALLOWED_HOSTS"
	trusted := fs.String("trusted-proxy", adapter.DefaultTrustedProxies, "comma-separated CIDRs of proxies (nginx) whose X-Real-IP/X-Forwarded-For name the client; empty trusts none (env GOCHAT_TRUSTED_PROXY)")
	env["trusted-proxy"] = "GOCHAT_TRUSTED_PROXY"
	ipv6Prefix := fs.Int("ipv6-prefix", adapter.DefaultIPv6Prefix, "the per-client limits count an IPv6 client by its prefix of this many bits (a /64 by default; 128 counts whole addresses) (env GOCHAT_IPV6_PREFIX)")
	env["ipv6-prefix"] = "GOCHAT_IPV6_PREFIX"
	showVersion := boolFlag(fs, "version", false, "print gochat's version, commit and Go version, and exit")
	fs.Usage = func() {
		fmt.Fprintf(m.out, "Usage: gochat [flags]\n       gochat graph components|check|dot|json [FILE]\n       gochat store copy FROM TO\n       gochat store check PATH\n\ngochat serves a chat over HTTP long-polling. Flags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see gochat -h)", fs.Arg(0))
	}
	if *showVersion {
		return ErrVersion
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for name, key := range env {
		if v := getenv(key); v != "" && !given[name] {
			if err := fs.Set(name, v); err != nil {
				return fmt.Errorf("%s=%q: %w", key, v, err)
			}
			given[name] = true
		}
	}
	if url := getenv("REDIS_URL"); url != "" && !given["store"] {
		*storeURL = url
	}
	if port := getenv("PORT"); port != "" && !given["addr"] {
		*addr = ":" + port
	}
	// The logger first, so that every later refusal is a log line in the
	// format asked for (JSON with -log-format json).
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level %q: want debug, info, warn or error", *logLevel)
	}
	if m.logs == nil {
		m.logs = logwriter.New(m.out, logFlushInterval)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch *logFormat {
	case "text":
		m.Config.Log = slog.New(slog.NewTextHandler(m.logs, opts))
	case "json":
		m.Config.Log = slog.New(slog.NewJSONHandler(m.logs, opts))
	default:
		return fmt.Errorf("-log-format %q: want text or json", *logFormat)
	}
	if *roomTTL < 0 {
		return fmt.Errorf("-room-ttl must not be negative")
	}
	if *slowClient <= 0 {
		return fmt.Errorf("-slow-client-timeout %v: want a positive duration, e.g. 10s", *slowClient)
	}
	if *ipv6Prefix < 1 || *ipv6Prefix > 128 {
		return fmt.Errorf("-ipv6-prefix %d: want a prefix length from 1 to 128, e.g. 64", *ipv6Prefix)
	}
	if *history < 1 || *maxRooms < 1 || *maxWait < 1 || *maxBytes < 1 {
		return fmt.Errorf("-history, -max-rooms, -max-bytes and -max-wait must be at least 1")
	}
	m.Config = server.Config{
		Log:         m.Config.Log,
		Addr:        *addr,
		History:     *history,
		MaxRooms:    *maxRooms,
		MaxBytes:    *maxBytes,
		MaxWait:     time.Duration(*maxWait) * time.Second,
		GraphFile:   *graphFile,
		NoMetrics:   !*metricsOn,
		MetricsAddr: *metricsAddr,
		Store:       *storeURL,
		RoomTTL:     *roomTTL,
		RedisPrefix: *redisPrefix,
		Watch:       *watch,
		Debug:       *debug || *debugAddr != "",
		DebugAddr:   *debugAddr,
		IPv6Prefix:  *ipv6Prefix,
		Build:       buildinfo.Read(),

		SlowClientTimeout: *slowClient,
		FBPAddr:           *fbpAddr,
		FBPSecret:         *fbpSecret,
	}
	origins, err := server.ParseOrigins(*allowOrigin)
	if err != nil {
		return fmt.Errorf("-allow-origin: %w", err)
	}
	m.Config.AllowOrigins = origins
	if m.Config.FBPAllowOrigins, err = server.ParseOrigins(*fbpAllowOrigin); err != nil {
		return fmt.Errorf("-fbp-allow-origin: %w", err)
	}
	if m.Config.AllowedHosts, err = server.ParseHosts(*allowedHosts); err != nil {
		return fmt.Errorf("-allowed-hosts: %w", err)
	}
	if m.Config.TrustedProxies, err = adapter.ParsePrefixes(*trusted); err != nil {
		return fmt.Errorf("-trusted-proxy: %w", err)
	}
	if m.Config.TrustedProxies == nil {
		m.Config.TrustedProxies = []netip.Prefix{} // trust none, rather than the default
	}
	if *watch && *graphFile == "" {
		return fmt.Errorf("-watch needs -graph FILE")
	}
	return nil
}

// Run listens and starts serving in the background.
func (m *Main) Run() error {
	s, err := server.Open(m.Config)
	if err != nil {
		return err
	}
	m.Server = s
	if m.Config.StoreName() == "memory" {
		m.Config.Log.Warn("messages live in memory and are gone on restart; -store file:PATH or redis://host:port/db (env GOCHAT_STORE or REDIS_URL) keeps them")
	}
	attrs := []any{"version", m.Config.Build.String(), "graph", m.Config.GraphName(), "store", m.Config.StoreName()}
	if a := s.FBPAddr(); a != "" {
		attrs = append(attrs, "fbp", "ws://"+a+"/")
	}
	m.Config.Log.Info("gochat is up: open "+s.URL()+" to chat", attrs...)
	m.logs.Flush() // the line a person waits for
	return nil
}

// Close shuts the server down gracefully, within shutdownTimeout, and
// flushes the logs.
func (m *Main) Close() error {
	var err error
	if m.Server != nil {
		m.Config.Log.Info("shutting down")
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		err = m.Server.Close(ctx)
	}
	if m.logs != nil {
		m.logs.Close()
	}
	return err
}

// fail reports a fatal error and exits with code: through the logger once
// there is one (so JSON with -log-format json), as plain text before.
func (m *Main) fail(err error, code int) {
	if m.Config.Log != nil {
		m.Config.Log.Error("gochat stops", "err", err)
		if m.logs != nil {
			m.logs.Close() // flushes
		}
	} else {
		fmt.Fprintln(os.Stderr, "gochat:", err)
	}
	os.Exit(code)
}
