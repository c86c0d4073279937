package components

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/trustmaster/goflow"

	"gochat/store"
)

// Deps is what the components of a network need from outside it.
type Deps struct {
	Store store.Store // where Storage keeps messages
	// StoreConcurrency is how many store calls a Storage runs at once; 0
	// runs them inline (right for the in-memory store).
	StoreConcurrency int
	MaxWait          time.Duration // the longest long-poll a Controller allows
	Stats            *Stats        // live counters
	Log              *slog.Logger  // where components log
	Stdout           io.Writer     // where components write when told "stdout"
}

// Info names a component and says in one line what it does.
type Info struct {
	Name        string
	Description string
	New         func(Deps) any
}

// Catalog lists every component a graph may use, by name.
func Catalog() []Info {
	return []Info{
		{"Router", "Routes HTTP requests by method and path to the port of their route; 404/405 otherwise.",
			func(Deps) any { return NewRouter() }},
		{"Controller", "Validates reads (room, since, wait, epoch) and clamps the wait.",
			func(d Deps) any { return NewController(d.MaxWait) }},
		{"SendController", "Validates writes from a JSON or form body (author, text).",
			func(Deps) any { return NewSendController() }},
		{"Storage", "Appends writes, answers reads, parks long-polls and wakes them.",
			func(d Deps) any { return NewStorage(d.Store, d.StoreConcurrency, d.Stats, d.Log) }},
		{"Responder", "Encodes results and errors as JSON answers and completes requests.",
			func(d Deps) any { return NewResponder(d.Log) }},
		{"Filter", "Moderates writes: rejects (422) or masks messages with listed words.",
			func(d Deps) any { return NewFilter(d.Log) }},
		{"Transcript", "Passes replies on and copies each stored message as a JSON line to a file or stdout.",
			func(d Deps) any { return NewTranscript(d.Stdout, d.Log) }},
		{"RateLimit", "Limits requests per client (an IPv4 address or an IPv6 /64) with a token bucket; 429 with Retry-After.",
			func(Deps) any { return NewRateLimit() }},
		{"Webhook", "Passes replies on and POSTs each stored message as JSON to a URL (signed with SECRET); drops rather than slow the chat.",
			func(d Deps) any { return NewWebhook(d.Stats, d.Log) }},
	}
}

// NewFactory returns a goflow Factory with every component of Catalog
// registered by name, each instance built with d.
func NewFactory(d Deps) (*goflow.Factory, error) {
	f := goflow.NewFactory()
	for _, info := range Catalog() {
		build := info.New
		if err := f.Register(info.Name, func() (interface{}, error) { return build(d), nil }); err != nil {
			return nil, fmt.Errorf("register component %s: %w", info.Name, err)
		}
		if err := f.Annotate(info.Name, goflow.Annotation{Description: info.Description}); err != nil {
			return nil, fmt.Errorf("annotate component %s: %w", info.Name, err)
		}
	}
	return f, nil
}
