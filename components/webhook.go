package components

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"gochat/wire"
)

// Webhook limits and defaults.
const (
	// WebhookQueue is how many messages wait for delivery; when it is
	// full, a new message is dropped (logged and counted) rather than
	// wait.
	WebhookQueue = 1024
	// WebhookAttempts is how many times a message is POSTed before it
	// is dropped: the first try and the retries.
	WebhookAttempts = 3
	// WebhookBackoff is the wait before the first retry; it doubles
	// before each next one.
	WebhookBackoff = 250 * time.Millisecond
	// DefaultWebhookTimeout bounds one POST, when no TIMEOUT is given.
	DefaultWebhookTimeout = 5 * time.Second
	// MaxWebhookTimeout is the longest TIMEOUT taken.
	MaxWebhookTimeout = time.Minute
	// webhookFlush is how long a stopping Webhook goes on delivering
	// what it holds; then it gives up on the rest.
	webhookFlush = 5 * time.Second
	// webhookDrain is how much of a receiver's answer is read (and
	// discarded), so that its connection can be used again.
	webhookDrain = 64 << 10
)

// SignatureHeader carries the HMAC-SHA256 of a Webhook's body under its
// SECRET, as "sha256=" and the MAC in hex.
const SignatureHeader = "X-Gochat-Signature"

// Webhook is a tap on the answer path: it passes every reply on unchanged
// and POSTs each stored message (a 201 reply) as JSON to URL, for bridges
// and notifications. With a SECRET, each POST carries the body's
// HMAC-SHA256 in SignatureHeader. Messages are posted in order by a
// goroutine of the Webhook's own, behind a queue of WebhookQueue: the
// chat never waits for the receiver. A POST that fails (no answer within
// TIMEOUT, or a 5xx, 408 or 429 answer) is tried again after a backoff,
// WebhookAttempts times in all; a message that still fails, or finds the
// queue full, is dropped, logged and counted (Stats.WebhookDropped).
type Webhook struct {
	Url     <-chan string // where to POST (Url: goflow title-cases port URL)
	Secret  <-chan string `fbp:"optional"` // signs each body; none by default
	Timeout <-chan string `fbp:"optional"` // bounds each POST, e.g. "5s"
	In      <-chan *Reply `description:"replies, e.g. from Storage"`
	Out     chan<- *Reply `description:"the same replies, e.g. to the Responder"`

	stats *Stats
	log   *slog.Logger
	flush time.Duration // webhookFlush, but for tests
}

// NewWebhook returns a Webhook that counts what it posts and drops in
// stats and logs to log.
func NewWebhook(stats *Stats, log *slog.Logger) *Webhook {
	return &Webhook{stats: stats, log: log, flush: webhookFlush}
}

// webhookConfig is what a Webhook reads from its configuration ports.
type webhookConfig struct {
	url string
	// receiver is the URL's scheme and host, what the logs name: a
	// webhook URL's path and query often hold a token.
	receiver string
	secret   []byte
	timeout  time.Duration
}

// Process forwards replies and queues stored messages for delivery until
// In closes; then it delivers what is queued for at most webhookFlush and
// returns once its goroutine has.
func (w *Webhook) Process() {
	cfg, err := w.config()
	if err != nil {
		w.log.Error("Webhook: bad configuration; messages are not posted", "err", err)
		for rep := range w.In {
			emit(w.Out, rep)
		}
		return
	}
	client := &http.Client{
		Transport: http.DefaultTransport.(*http.Transport).Clone(),
		// A redirect is an answer like any other that is not a 2xx.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()
	queue := make(chan *wire.Payload, WebhookQueue)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		w.deliver(ctx, client, cfg, queue)
	}()
	relayTaking(w.In, w.Out, storedMessage, queue, func(dropped uint64) {
		w.stats.WebhookDropped.Add(1)
		if powerOfTwo(dropped) {
			w.log.Warn("Webhook: receiver too slow, queue full; messages dropped", "receiver", cfg.receiver, "dropped", dropped)
		}
	})
	close(queue)
	flush := time.NewTimer(w.flush)
	defer flush.Stop()
	select {
	case <-delivered:
	case <-flush.C:
		cancel() // the POST under way and the backoff end at once; the rest is dropped
		<-delivered
	}
}

// config reads URL, SECRET and TIMEOUT, each if connected, with the
// parsers graph check uses (see ConfigPorts).
func (w *Webhook) config() (webhookConfig, error) {
	cfg := webhookConfig{timeout: DefaultWebhookTimeout}
	if w.Url != nil {
		cfg.url = <-w.Url
	}
	if w.Secret != nil {
		cfg.secret = []byte(<-w.Secret)
	}
	if w.Timeout != nil {
		if text, ok := <-w.Timeout; ok {
			d, err := webhookTimeout(text)
			if err != nil {
				return cfg, err
			}
			cfg.timeout = d
		}
	}
	u, err := webhookURL(cfg.url)
	if err != nil {
		return cfg, err
	}
	cfg.receiver = u.Scheme + "://" + u.Host
	return cfg, nil
}

// deliver posts each queued message in order until queue closes; once
// ctx ends it drops what is left.
func (w *Webhook) deliver(ctx context.Context, client *http.Client, cfg webhookConfig, queue <-chan *wire.Payload) {
	for msg := range queue {
		body := msg.Bytes()
		if err := w.post(ctx, client, cfg, body); err != nil {
			w.stats.WebhookDropped.Add(1)
			var m struct {
				ID   uint64 `json:"id"`
				Room string `json:"room"`
			}
			json.Unmarshal(body, &m)
			w.log.Error("Webhook: message dropped", "receiver", cfg.receiver, "room", m.Room, "id", m.ID, "err", err)
			continue
		}
		w.stats.WebhookPosted.Add(1)
	}
}

// post POSTs body to the receiver, retrying failures that may pass.
func (w *Webhook) post(ctx context.Context, client *http.Client, cfg webhookConfig, body []byte) error {
	backoff := WebhookBackoff
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return errors.New("the network stopped before it could be posted")
		}
		err := w.try(ctx, client, cfg, body)
		if err == nil {
			return nil
		}
		var status statusError
		if attempt == WebhookAttempts || errors.As(err, &status) && !status.retry() {
			return fmt.Errorf("attempt %d of %d: %w", attempt, WebhookAttempts, err)
		}
		w.log.Debug("Webhook: POST failed; retrying", "receiver", cfg.receiver, "attempt", attempt, "in", backoff, "err", err)
		wait := time.NewTimer(backoff)
		select {
		case <-wait.C:
		case <-ctx.Done():
			wait.Stop()
		}
		backoff *= 2
	}
}

// try POSTs body once, within cfg.timeout.
func (w *Webhook) try(ctx context.Context, client *http.Client, cfg webhookConfig, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("make the POST: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "gochat-webhook")
	if len(cfg.secret) > 0 {
		req.Header.Set(SignatureHeader, signature(cfg.secret, body))
	}
	resp, err := client.Do(req)
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err // without the URL, which may hold a token
	}
	if err != nil {
		return fmt.Errorf("POST to %s: %w", cfg.receiver, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, webhookDrain))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return statusError(resp.StatusCode)
	}
	return nil
}

// statusError is a receiver's answer other than 2xx.
type statusError int

func (s statusError) Error() string {
	return fmt.Sprintf("the receiver answered %d %s", int(s), http.StatusText(int(s)))
}

// retry reports whether the same POST may pass later: a 5xx, 408 or 429.
func (s statusError) retry() bool {
	return s >= 500 || s == http.StatusRequestTimeout || s == http.StatusTooManyRequests
}

// signature returns the value of SignatureHeader for body under secret.
func signature(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// ConfigPorts implements Configurable: URL, SECRET and TIMEOUT.
func (*Webhook) ConfigPorts() []ConfigPort {
	return []ConfigPort{
		{Port: "Url", Type: "string", Parse: parseWebhookURL,
			Description: "where to POST each stored message: an http:// or https:// URL"},
		{Port: "Secret", Type: "string", Default: "", Parse: func(text string) (any, error) { return text, nil },
			Description: "signs each POST: " + SignatureHeader + ": sha256=<hex HMAC-SHA256 of the body under it>; none by default"},
		{Port: "Timeout", Type: "string", Default: DefaultWebhookTimeout.String(), Parse: parseWebhookTimeout,
			Description: "bounds each POST: a duration up to " + MaxWebhookTimeout.String() + ", such as '5s'"},
	}
}

// parseWebhookURL reads URL: an absolute http:// or https:// URL. The
// port takes the text; webhookURL reads it.
func parseWebhookURL(text string) (any, error) {
	if _, err := webhookURL(text); err != nil {
		return nil, err
	}
	return text, nil
}

// webhookURL returns the URL text says.
func webhookURL(text string) (*url.URL, error) {
	u, err := url.Parse(text)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("URL must be an http:// or https:// URL, got '%s'", text)
	}
	return u, nil
}

// parseWebhookTimeout reads TIMEOUT: a positive duration up to
// MaxWebhookTimeout. The port takes the text; timeout reads it.
func parseWebhookTimeout(text string) (any, error) {
	if _, err := webhookTimeout(text); err != nil {
		return nil, err
	}
	return text, nil
}

// webhookTimeout returns the duration TIMEOUT text says.
func webhookTimeout(text string) (time.Duration, error) {
	d, err := time.ParseDuration(text)
	if err != nil || d <= 0 || d > MaxWebhookTimeout {
		return 0, fmt.Errorf("TIMEOUT takes a positive duration up to %v such as '5s', got '%s'", MaxWebhookTimeout, text)
	}
	return d, nil
}
