package components

import (
	"net/http"

	"gochat/wire"
)

// emit sends v out of port. A port the graph left unconnected is nil:
// emit then drops v and returns false, rather than block the component
// forever; the adapter answers the dropped request 503 when its deadline
// passes.
func emit[T any](port chan<- T, v T) bool {
	if port == nil {
		return false
	}
	port <- v
	return true
}

// reject sends req's error answer out of the ERR port.
func reject(errOut chan<- *Reply, req *wire.Request, err *wire.Error) {
	emit(errOut, &Reply{Req: req, Err: err})
}

// forward sends v out of port, or, if the graph left port unconnected,
// answers req 503 through errOut, naming the component.
func forward[T any](port chan<- T, v T, errOut chan<- *Reply, req *wire.Request, component string) {
	if !emit(port, v) {
		reject(errOut, req, wire.Errorf(http.StatusServiceUnavailable,
			"the server's graph does not connect the %s outport for %s %s", component, req.Method, req.Path))
	}
}

// relayTaking sends every reply from in out of out until in closes, and
// offers what take takes from each to queue without waiting: what queue
// cannot hold at once is dropped, and dropped is called with the count
// of drops so far (a slow consumer never holds up the replies).
func relayTaking[T any](in <-chan *Reply, out chan<- *Reply, take func(*Reply) (T, bool), queue chan<- T, dropped func(n uint64)) {
	var n uint64
	for rep := range in {
		if v, ok := take(rep); ok {
			select {
			case queue <- v:
			default:
				n++
				dropped(n)
			}
		}
		emit(out, rep)
	}
}

// powerOfTwo reports whether n is 1, 2, 4, 8, …: when a count of drops is
// worth a log line.
func powerOfTwo(n uint64) bool { return n&(n-1) == 0 }
