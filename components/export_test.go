package components

import "time"

// SetWebhookFlush sets how long w goes on delivering once it stops, so
// that a test of its stop need not wait webhookFlush.
func SetWebhookFlush(w *Webhook, d time.Duration) { w.flush = d }
