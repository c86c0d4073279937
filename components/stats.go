package components

import "sync/atomic"

// Stats are live counters the components keep for operators and tests.
// One Stats is shared by the components of a network; it is safe for
// concurrent use.
type Stats struct {
	Parked         atomic.Int64  // long-poll reads held by Storage right now
	Posted         atomic.Uint64 // messages stored (201 answers)
	Wakeups        atomic.Uint64 // parked reads answered because news came
	StoreErrors    atomic.Uint64 // store calls that failed
	Reloads        atomic.Uint64 // graph reloads that took effect
	ReloadFailures atomic.Uint64 // graph reloads refused for problems
	WebhookPosted  atomic.Uint64 // messages a Webhook delivered
	WebhookDropped atomic.Uint64 // messages a Webhook dropped: queue full or final failure
}
