package components

import (
	"fmt"
	"io"
	"log/slog"
	"reflect"
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

// Info names a component, says in one line what it does, and knows its
// type, from which its ports and configuration are read without building
// one.
type Info struct {
	Name        string
	Description string
	New         func(Deps) any // builds one instance
	Type        reflect.Type   // what New returns: a pointer to the component's struct
}

// Ports lists the component's ports, with the descriptions of its
// configuration ports, without building one.
func (i Info) Ports() []Port { return PortsOf(i.Type) }

// component makes the Info of a component of type *T built by build.
func component[T any](name, description string, build func(Deps) *T) Info {
	return Info{Name: name, Description: description, New: func(d Deps) any { return build(d) }, Type: reflect.TypeFor[*T]()}
}

// CoreLibrary prefixes the names of the components of FBP's core library
// that gochat has too (core/Repeat, core/Drop, core/Output): graph editors
// and the FBP protocol's test suite name them so.
const CoreLibrary = "core/"

// Catalog lists every component a graph may use, by name.
func Catalog() []Info {
	return []Info{
		component("Router", "Routes HTTP requests by method and path to the port of their route; 404/405 otherwise.",
			func(Deps) *Router { return NewRouter() }),
		component("Controller", "Validates reads (room, since, wait, epoch) and clamps the wait.",
			func(d Deps) *Controller { return NewController(d.MaxWait) }),
		component("SendController", "Validates writes from a JSON or form body (author, text).",
			func(Deps) *SendController { return NewSendController() }),
		component("Storage", "Appends writes, answers reads, parks long-polls and wakes them.",
			func(d Deps) *Storage { return NewStorage(d.Store, d.StoreConcurrency, d.Stats, d.Log) }),
		component("Responder", "Encodes results and errors as JSON answers and completes requests.",
			func(d Deps) *Responder { return NewResponder(d.Log) }),
		component("Filter", "Moderates writes: rejects (422) or masks messages with listed words.",
			func(d Deps) *Filter { return NewFilter(d.Log) }),
		component("Transcript", "Passes replies on and copies each stored message as a JSON line to a file or stdout.",
			func(d Deps) *Transcript { return NewTranscript(d.Stdout, d.Log) }),
		component("RateLimit", "Limits requests per client (an IPv4 address or an IPv6 /64) with a token bucket; 429 with Retry-After.",
			func(Deps) *RateLimit { return NewRateLimit() }),
		component("Webhook", "Passes replies on and POSTs each stored message as JSON to a URL (signed with SECRET); drops rather than slow the chat.",
			func(d Deps) *Webhook { return NewWebhook(d.Stats, d.Log) }),
		component(CoreLibrary+"Repeat", "Passes every packet on unchanged (FBP's core library, for trying graphs out).",
			func(Deps) *Repeat { return NewRepeat() }),
		component(CoreLibrary+"Drop", "Discards every packet (FBP's core library, for trying graphs out).",
			func(Deps) *Drop { return NewDrop() }),
		component(CoreLibrary+"Output", "Writes every packet as a line to standard output and passes it on (FBP's core library, for trying graphs out).",
			func(d Deps) *Output { return NewOutput(d.Stdout) }),
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
