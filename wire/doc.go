// Package wire owns gochat's HTTP API as it is seen on the wire: the
// Request packet an HTTP request becomes and the Answer it gets, the JSON
// encoding of results and of errors (Encode, ErrorAnswer, Payload) and
// how an answer is written (WriteAnswer), the API's limits, the one
// parser of the wait parameter (ParseWait), the security headers of every
// kind of answer (SetSecurityHeaders), and the one table of the API's
// routes (Routes, Table), from which the Router routes and the logs and
// metrics name routes.
//
// wire imports nothing of gochat's: the components, the adapter and the
// server import it.
//
// A handler outside the network answers with an error like this:
//
//	wire.WriteAnswer(w, wire.ErrorAnswer(wire.Errorf(http.StatusForbidden, "not from %s", origin)))
package wire
