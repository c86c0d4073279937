package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

var _ Store = (*Redis)(nil)

// RedisConfig sets up a Redis store.
type RedisConfig struct {
	URL      string        // redis://[user:password@]host:port/db
	Prefix   string        // namespace of every key and the channel; default "gochat:"
	History  int           // messages kept per room
	MaxRooms int           // rooms kept at most
	RoomTTL  time.Duration // a room idle this long is forgotten; 0 keeps rooms
	PoolSize int           // connections for commands; default 64
	// StartTimeout bounds how long OpenRedis waits for Redis to answer.
	StartTimeout time.Duration
	Log          *slog.Logger
}

// Redis is a Store in Redis, shared by every gochat instance that uses the
// same server and prefix. Each room lives in two keys with the room as
// hash tag, so they share a Redis Cluster slot: {room}:meta (a hash of the
// epoch and the last id) and {room}:msgs (a list of the newest messages as
// JSON). Appends run as one Lua script that takes the next id, appends,
// trims and publishes, so ids have no holes and no duplicates across
// instances. Each instance listens on one pub/sub connection and wakes its
// own long-polls.
type Redis struct {
	cfg    RedisConfig
	rdb    *redis.Client
	hub    hub
	ps     *redis.PubSub
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// OpenRedis connects to Redis, waiting up to cfg.StartTimeout for it to
// answer, and starts listening for other instances' messages.
func OpenRedis(cfg RedisConfig) (*Redis, error) {
	if cfg.History < 1 || cfg.MaxRooms < 1 {
		return nil, fmt.Errorf("open redis store: history and max rooms must be at least 1")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "gochat:"
	}
	if cfg.PoolSize == 0 {
		cfg.PoolSize = 64
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	opt, err := redis.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("open redis store %s: %w", redactURL(cfg.URL), err)
	}
	opt.PoolSize = cfg.PoolSize
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = 2*time.Second, 3*time.Second, 3*time.Second
	opt.MaxRetries = 1
	rdb := redis.NewClient(opt)
	dials := &dialErrors{}
	rdb.AddHook(dials)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.StartTimeout)
	defer cancel()
	for delay := 50 * time.Millisecond; ; delay = min(2*delay, time.Second) {
		err = rdb.Ping(ctx).Err()
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			rdb.Close()
			// The last ping ends with the deadline; the dial before it
			// says why Redis did not answer.
			cause := err
			if last := dials.last.Load(); last != nil {
				cause = rootCause(*last)
			}
			return nil, fmt.Errorf("open redis store %s: redis at %s: %w (no answer within %v)", redactURL(cfg.URL), opt.Addr, cause, cfg.StartTimeout)
		case <-time.After(delay):
		}
	}
	r := &Redis{cfg: cfg, rdb: rdb}
	lctx, lcancel := context.WithCancel(context.Background())
	r.cancel = lcancel
	r.ps = rdb.Subscribe(lctx, r.channel())
	r.done.Add(1)
	go r.listen(lctx, r.ps)
	return r, nil
}

// dialErrors is a go-redis hook that keeps the last dial error: why
// Redis cannot be reached, which a call that gave up at its deadline
// reports only as the deadline. A dial cut by its deadline (a host that
// never answers) is kept only until one fails by itself (refused,
// unreachable), which says more.
type dialErrors struct{ last atomic.Pointer[error] }

// DialHook implements redis.Hook.
func (d *dialErrors) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err != nil && (ctx.Err() == nil || d.last.Load() == nil) {
			d.last.Store(&err)
		}
		return c, err
	}
}

// ProcessHook implements redis.Hook; commands pass as they are.
func (d *dialErrors) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

// ProcessPipelineHook implements redis.Hook; pipelines pass as they are.
func (d *dialErrors) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// rootCause returns what a failed call to Redis comes down to: the
// system's word when there is one (connection refused, no route to
// host), so that a person reads the cause rather than the layers of
// dialling around it; otherwise err itself.
func rootCause(err error) error {
	var sys *os.SyscallError
	if errors.As(err, &sys) {
		return sys.Err
	}
	return err
}

func (r *Redis) channel() string { return r.cfg.Prefix + "events" }

// keys returns the keys of room: its meta hash, its message list, its
// idempotency keys (a hash of key → "fingerprint id time") and their
// expiry times (a sorted set).
func (r *Redis) keys(room string) []string {
	tag := r.cfg.Prefix + "{" + room + "}"
	return []string{tag + ":meta", tag + ":msgs", tag + ":keys", tag + ":keyt"}
}

// keysDroppedPerAppend bounds the expired idempotency keys of a room one
// append drops, so that an append's work stays bounded; each append adds
// one key at most, so the expired ones never pile up.
const keysDroppedPerAppend = 128

// retryWindow is how long Redis remembers the key gochat gives a post
// that came without one: long enough for any retry of the same call.
const retryWindow = 2 * time.Minute

// listen turns pub/sub messages into notices. When the connection comes
// back after a loss, notices may have been missed: every room is then
// re-checked.
func (r *Redis) listen(ctx context.Context, ps *redis.PubSub) {
	defer r.done.Done()
	subscribed := false
	healthy := true
	for delay := 50 * time.Millisecond; ctx.Err() == nil; {
		msg, err := ps.ReceiveTimeout(ctx, 10*time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var netTimeout interface{ Timeout() bool }
			if errors.As(err, &netTimeout) && netTimeout.Timeout() {
				_ = ps.Ping(ctx) // a dead connection shows on the next receive
				continue
			}
			if healthy {
				r.cfg.Log.Warn("redis pub/sub lost; reconnecting", "err", err)
				healthy = false
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			delay = min(2*delay, 2*time.Second)
			continue
		}
		delay = 50 * time.Millisecond
		switch m := msg.(type) {
		case *redis.Subscription:
			if subscribed {
				r.cfg.Log.Info("redis pub/sub back; re-checking parked readers")
				r.hub.publish("", true)
			}
			subscribed, healthy = true, true
		case *redis.Message:
			if room, _, ok := strings.Cut(m.Payload, " "); ok {
				r.hub.publish(room, false)
			}
		}
	}
}

// Subscribe implements Store.
func (r *Redis) Subscribe() *Subscription { return r.hub.subscribe() }

// Ping implements Store.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

// Close implements Store.
func (r *Redis) Close() error {
	r.cancel()
	err := r.ps.Close() // ends a receive that is waiting
	r.done.Wait()
	return errors.Join(err, r.rdb.Close())
}

var admitScript = redis.NewScript(`
local ttl = tonumber(ARGV[4])
if ttl > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[2]) - ttl) end
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
  return 1
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1
`)

// appendScript stores a message at most once: a call is identified by
// its key (the client's idempotency key, or one gochat makes up), so a
// call that go-redis re-sends after a timeout, or a client's retry,
// answers the original message instead of storing it again.
//
// KEYS: meta, msgs, keys, keyt. ARGV: new epoch, history, ttl ms, message
// JSON after its id, channel, room, key, fingerprint, now ms, key expiry ms,
// expired keys to drop at most (keysDroppedPerAppend).
// It returns {epoch, id, time ms}, or {"reused"} for a key that came with
// another message.
var appendScript = redis.NewScript(`
local now = tonumber(ARGV[9])
local gone = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, tonumber(ARGV[11]))
if #gone > 0 then
  redis.call('HDEL', KEYS[3], unpack(gone))
  redis.call('ZREM', KEYS[4], unpack(gone))
end
local seen = redis.call('HGET', KEYS[3], ARGV[7])
if seen then
  local fp, id, t = string.match(seen, '^(%S+) (%d+) (%d+)$')
  if fp ~= ARGV[8] then return {'reused'} end
  return {redis.call('HGET', KEYS[1], 'epoch') or '', tonumber(id), tonumber(t)}
end
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[1], 'epoch', epoch)
end
local id = redis.call('HINCRBY', KEYS[1], 'last', 1)
redis.call('RPUSH', KEYS[2], '{"id":' .. id .. ARGV[4])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
redis.call('HSET', KEYS[3], ARGV[7], ARGV[8] .. ' ' .. id .. ' ' .. ARGV[9])
redis.call('ZADD', KEYS[4], tonumber(ARGV[10]), ARGV[7])
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ttl) end
end
redis.call('PUBLISH', ARGV[5], ARGV[6] .. ' ' .. id)
return {epoch, id, now}
`)

var readScript = redis.NewScript(`
local m = redis.call('HMGET', KEYS[1], 'epoch', 'last')
if not m[1] then return {'', 0, 0} end
local last = tonumber(m[2])
local n = redis.call('LLEN', KEYS[2])
local first = 0
if n > 0 then first = last - n + 1 end
local res = {m[1], last, first}
local since = tonumber(ARGV[1])
if n > 0 and since < last then
  local start = 0
  if since >= first then start = since - first + 1 end
  local msgs = redis.call('LRANGE', KEYS[2], start, -1)
  for i = 1, #msgs do res[#res + 1] = msgs[i] end
end
return res
`)

// putScript writes a room whole, unless it exists. KEYS: meta, msgs (one
// hash slot). ARGV: epoch, last, ttl ms, then the messages as JSON,
// oldest first. It returns 0 for a room that exists, else 1.
var putScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'last', ARGV[2])
redis.call('DEL', KEYS[2])
for i = 4, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  if #ARGV >= 4 then redis.call('PEXPIRE', KEYS[2], ttl) end
end
return 1
`)

// RoomNames implements Copyable: the rooms of the prefix.
func (r *Redis) RoomNames(ctx context.Context) ([]string, error) {
	names, err := r.rdb.ZRange(ctx, r.cfg.Prefix+"rooms", 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list rooms: redis: %w", err)
	}
	return names, nil
}

// PutRoom implements Copyable. It keeps the newest History messages of
// room.
func (r *Redis) PutRoom(ctx context.Context, room Room) error {
	if err := checkRoom(room); err != nil {
		return fmt.Errorf("put room %q: %w", room.Name, err)
	}
	msgs := room.Messages[max(0, len(room.Messages)-r.cfg.History):]
	now := time.Now()
	if n := len(msgs); n > 0 {
		now = msgs[n-1].Time
	}
	args := []any{room.Epoch, room.Last, r.cfg.RoomTTL.Milliseconds()}
	for _, m := range msgs {
		m.Room = room.Name
		args = append(args, string(m.AppendJSON(nil)))
	}
	k := r.keys(room.Name)
	done, err := putScript.Run(ctx, r.rdb, k[:2], args...).Int()
	if err != nil {
		return fmt.Errorf("put room %q: redis: %w", room.Name, err)
	}
	if done == 0 {
		return fmt.Errorf("put room %q: %w", room.Name, ErrRoomExists)
	}
	// The room set is in a slot of its own: a call of its own, as in
	// Append.
	if err := r.rdb.ZAdd(ctx, r.cfg.Prefix+"rooms", redis.Z{Score: float64(now.UnixMilli()), Member: room.Name}).Err(); err != nil {
		return fmt.Errorf("put room %q: redis: %w", room.Name, err)
	}
	r.hub.publish(room.Name, false)
	return nil
}

// Append implements Store.
func (r *Redis) Append(ctx context.Context, room string, d Draft) (Message, error) {
	admitted, err := admitScript.Run(ctx, r.rdb, []string{r.cfg.Prefix + "rooms"},
		room, d.Time.UnixMilli(), r.cfg.MaxRooms, r.cfg.RoomTTL.Milliseconds()).Int()
	if err != nil {
		return Message{}, fmt.Errorf("append to room %q: redis: %w", room, err)
	}
	if admitted == 0 {
		return Message{}, fmt.Errorf("append to room %q: %w (%d rooms)", room, ErrRoomLimit, r.cfg.MaxRooms)
	}
	epoch, err := newEpoch()
	if err != nil {
		return Message{}, fmt.Errorf("append to room %q: %w", room, err)
	}
	msg := Message{Room: room, Author: d.Author, Text: d.Text, Time: d.Time}
	body, err := msg.MarshalJSON()
	if err != nil {
		return Message{}, fmt.Errorf("append to room %q: %w", room, err)
	}
	// {"id":0,"room":... → ,"room":... : the script puts the id in front.
	rest := string(body[len(`{"id":0`):])
	key, window := d.Key, KeyWindow
	if key == "" {
		// A key of gochat's own ("~" is never in a client's key) makes
		// the call safe to re-send.
		if key, err = newEpoch(); err != nil {
			return Message{}, fmt.Errorf("append to room %q: %w", room, err)
		}
		key, window = "~"+key, retryWindow
	}
	now := d.Time.UnixMilli()
	res, err := appendScript.Run(ctx, r.rdb, r.keys(room),
		epoch, r.cfg.History, r.cfg.RoomTTL.Milliseconds(), rest, r.channel(), room,
		key, d.fingerprint(), now, now+window.Milliseconds(), keysDroppedPerAppend).Slice()
	if err != nil {
		return Message{}, fmt.Errorf("append to room %q: redis: %w", room, err)
	}
	if len(res) == 1 && res[0] == "reused" {
		return Message{}, fmt.Errorf("append to room %q: key %q: %w", room, d.Key, ErrKeyReused)
	}
	if len(res) != 3 {
		return Message{}, fmt.Errorf("append to room %q: redis: unexpected answer %v", room, res)
	}
	id, ok := res[1].(int64)
	at, ok2 := res[2].(int64)
	if !ok || !ok2 || id < 1 {
		return Message{}, fmt.Errorf("append to room %q: redis: unexpected answer %v", room, res)
	}
	msg.ID, msg.Time = uint64(id), time.UnixMilli(at).UTC()
	return msg, nil
}

// Read implements Store.
func (r *Redis) Read(ctx context.Context, room string, since uint64) (Page, error) {
	res, err := readScript.Run(ctx, r.rdb, r.keys(room), strconv.FormatUint(since, 10)).Slice()
	if err != nil {
		return Page{}, fmt.Errorf("read room %q: redis: %w", room, err)
	}
	p := Page{Room: room, Messages: []Message{}}
	if len(res) < 3 {
		return Page{}, fmt.Errorf("read room %q: redis: unexpected answer %v", room, res)
	}
	p.Epoch, _ = res[0].(string)
	last, _ := res[1].(int64)
	first, _ := res[2].(int64)
	p.Last, p.First = uint64(last), uint64(first)
	for _, raw := range res[3:] {
		s, _ := raw.(string)
		var m Message
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return Page{}, fmt.Errorf("read room %q: a stored message does not decode: %w", room, err)
		}
		p.Messages = append(p.Messages, m)
	}
	return p, nil
}

// redactURL hides a password in a Redis URL, for messages.
func redactURL(u string) string {
	if at := strings.LastIndex(u, "@"); at >= 0 {
		if scheme := strings.Index(u, "://"); scheme >= 0 && scheme < at {
			return u[:scheme+3] + "…@" + u[at+1:]
		}
	}
	return u
}
