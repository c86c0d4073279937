package components

import (
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"gochat/wire"
)

// RateLimit defaults and bounds.
const (
	DefaultRate  = 1.0     // tokens a second per client
	DefaultBurst = 5       // tokens a client may save up
	MaxRate      = 1e6     // the most RATE a graph may set, tokens a second
	MaxBurst     = 1 << 20 // the most BURST a graph may set
	// MaxRateClients bounds the buckets kept. Past it, full buckets are
	// forgotten first; if all are busy, all are forgotten (fail open).
	MaxRateClients = 100000
)

// RateLimit limits requests per client (wire.Request.LimitKey: an IPv4
// address or an IPv6 client's prefix) with a token bucket: a
// client gets RATE tokens a second, saved up to BURST; a request with no
// token left is answered 429 with Retry-After. Loopback clients (local
// tools, tests, a proxy whose clients gochat cannot see) are not limited. Put it on the write path
// (router WRITE -> IN ratelimit OUT -> IN sender). It takes RATE and BURST
// (usually initial packets) before the first request.
type RateLimit struct {
	Rate  <-chan float64       `fbp:"optional"` // tokens per second
	Burst <-chan int           `fbp:"optional"` // bucket size
	In    <-chan *wire.Request `description:"requests"`
	Out   chan<- *wire.Request `description:"requests within the limit"`
	Err   chan<- *Reply        `description:"429 answers"`
}

type bucket struct {
	tokens float64
	at     time.Time
}

// ConfigPorts implements Configurable: RATE and BURST.
func (*RateLimit) ConfigPorts() []ConfigPort {
	return []ConfigPort{
		positiveNumber("Rate", DefaultRate, MaxRate, "tokens a second", "tokens a client gets a second, e.g. '0.5' for one request every 2 s"),
		intRange("Burst", DefaultBurst, 1, MaxBurst, "tokens", "tokens a client may save up: how many requests it may make at once"),
	}
}

// NewRateLimit returns a RateLimit on the wall clock.
func NewRateLimit() *RateLimit { return &RateLimit{} }

// Process limits requests until In closes.
func (l *RateLimit) Process() {
	rate, burst := DefaultRate, DefaultBurst
	if l.Rate != nil {
		if r, ok := <-l.Rate; ok && checkPositive("Rate", r, MaxRate, "tokens a second") == nil {
			rate = r
		}
	}
	if l.Burst != nil {
		if b, ok := <-l.Burst; ok && checkInt("Burst", b, 1, MaxBurst, "tokens") == nil {
			burst = b
		}
	}
	buckets := map[string]*bucket{}
	for req := range l.In {
		key := req.LimitKey()
		if exempt(key) {
			forward(l.Out, req, l.Err, req, "RateLimit")
			continue
		}
		now := time.Now()
		b := buckets[key]
		if b == nil {
			if len(buckets) >= MaxRateClients {
				prune(buckets, now, rate, burst)
			}
			b = &bucket{tokens: float64(burst), at: now}
			buckets[key] = b
		}
		b.tokens = math.Min(float64(burst), b.tokens+now.Sub(b.at).Seconds()*rate)
		b.at = now
		if b.tokens < 1 {
			wait := int(math.Ceil((1 - b.tokens) / rate))
			e := wire.Errorf(http.StatusTooManyRequests, "too many requests from %s: at most %s a second, %d at once; retry in %d s",
				key, strconv.FormatFloat(rate, 'f', -1, 64), burst, wait)
			e.Header = http.Header{"Retry-After": {fmt.Sprint(wait)}}
			reject(l.Err, req, e)
			continue
		}
		b.tokens--
		forward(l.Out, req, l.Err, req, "RateLimit")
	}
}

// prune forgets buckets that have filled up again, or all of them if none
// has.
func prune(buckets map[string]*bucket, now time.Time, rate float64, burst int) {
	for k, b := range buckets {
		if b.tokens+now.Sub(b.at).Seconds()*rate >= float64(burst) {
			delete(buckets, k)
		}
	}
	if len(buckets) >= MaxRateClients {
		clear(buckets)
	}
}

// exempt reports whether addr is a loopback address, which the per-client
// limits do not count.
func exempt(addr string) bool {
	a, err := netip.ParseAddr(addr)
	return err == nil && a.IsLoopback()
}
