// Package park holds parked long-poll connections without a goroutine
// each, and answers them from the goroutine that completes them.
//
// A handler whose request waits for news hands its connection to a
// Parker with Hold and returns: net/http forgets the connection, its
// goroutines and buffers. What stays is a Conn, a small record. One
// goroutine watches every held connection for its client leaving (epoll,
// EPOLLRDHUP) and says so through the Conn's gone callback. Conn.Write
// answers: it writes what the socket takes at once, gives what is left to
// a writer bounded by Config.SlowTimeout (past it the client is
// dropped), and then the connection serves its next request.
//
// With a Config.Handler, the Parker serves that next request itself, and
// the first request of every new connection (it adopts them from its
// Listener): the connection stays in the epoll instance, idle, until its
// client sends something; one of a few reader goroutines then reads and
// parses the request and, if it is a GET under Config.ServePrefix (a
// long-poll, its re-poll, a catch-up read) or a POST there, whose body
// (if any) came with its header, runs the Handler on it; a read that
// parks is held on the same Conn. The connection costs no goroutine and no net/http
// state while idle or held, and an answer is one writev of its header and
// body. Without a Handler, and for any other request (a body still
// coming, an upgrade, a header not all there), the connection goes to
// net/http through the Parker's Listener, which accepts it with any bytes
// the client had already sent, so keep-alive and pipelining go on as
// before.
//
// Holding needs Linux; elsewhere New returns ErrUnsupported and the
// caller keeps each parked request in its handler, as net/http does.
//
//	p, err := park.New(ln, park.Config{SlowTimeout: 10 * time.Second, Log: log})
//	srv.Serve(p.Listener())
//	// in a handler, once the request is parked:
//	c, err := p.Hold(w, r, nil, func(c *park.Conn) { c.Close() /* the client left */ })
//	// later, from any goroutine:
//	c.Write(status, header, body, nil)
package park
