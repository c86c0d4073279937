package wire

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Error is an answer a client can act on: an HTTP status and a message.
type Error struct {
	Status  int         // the HTTP status
	Message string      // what went wrong, for the client
	Header  http.Header // extra headers of the answer, e.g. Allow or Retry-After
}

// Errorf returns an Error with the given status and formatted message.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// Encode returns the answer of a result: body as JSON (a *Payload is used
// as it is) with status, and the extra headers header, e.g. Allow. With
// ErrorAnswer, it is what shapes gochat's answers: results as JSON,
// errors as {"error":{"status":…,"message":"…"}}, each with the API's
// headers.
func Encode(status int, body any, header http.Header) Answer {
	if p, ok := body.(*Payload); ok && header == nil {
		return Answer{Status: status, Header: jsonHeader, Payload: p}
	}
	b, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody(Errorf(status, "could not encode the answer")))
	}
	return Answer{Status: status, Header: withJSONHeaders(header, nil), Body: b}
}

// ErrorAnswer returns the answer of err, with its headers.
func ErrorAnswer(err *Error) Answer {
	body, _ := json.Marshal(errorBody(err))
	return Answer{Status: err.Status, Header: withJSONHeaders(nil, err.Header), Body: body}
}

// withJSONHeaders returns the headers of an API answer with the extra
// headers extra and then more: the shared jsonHeader when there are none.
func withJSONHeaders(extra, more http.Header) http.Header {
	if extra == nil && more == nil {
		return jsonHeader
	}
	h := make(http.Header, 3+len(extra)+len(more))
	for k, vs := range extra {
		h[k] = vs
	}
	for k, vs := range more {
		h[k] = vs
	}
	setJSONHeaders(h)
	return h
}

// JSONHeader returns the header of every plain JSON answer, shared: never
// change it. Every answer of the API has these keys.
func JSONHeader() http.Header { return jsonHeader }

// jsonHeader is the header of every plain JSON answer, shared: readers
// copy it and never change it.
var jsonHeader = func() http.Header {
	h := http.Header{}
	setJSONHeaders(h)
	return h
}()

// setJSONHeaders sets the headers of every API answer: JSON, never
// cached, and the API's security headers.
func setJSONHeaders(h http.Header) {
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	SetSecurityHeaders(h, API)
}

// ErrorJSON is an error as every answer carries it, under "error".
type ErrorJSON struct {
	Status  int    `json:"status"`  // the HTTP status
	Message string `json:"message"` // what went wrong
}

func errorBody(e *Error) any {
	return struct {
		Error ErrorJSON `json:"error"`
	}{ErrorJSON{e.Status, e.Message}}
}

// WriteAnswer writes a to w: its headers, Content-Length, status and body.
// It is how every JSON answer reaches a client, from the network or not.
func WriteAnswer(w http.ResponseWriter, a Answer) {
	body := a.Bytes()
	h := w.Header()
	for k, vs := range a.Header {
		h[k] = vs
	}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(a.Status)
	_, _ = w.Write(body)
}
