package components

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Error is an answer a client can act on: an HTTP status and a message.
type Error struct {
	Status  int
	Message string
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

// Encode turns a Reply into the bytes, status and headers of its answer.
// It is the one function that shapes gochat's answers: results as JSON,
// errors as {"error":{"status":…,"message":"…"}}.
func Encode(rep *Reply) Answer {
	if p, ok := rep.Body.(*Payload); ok && rep.Err == nil && rep.Header == nil {
		return Answer{Status: rep.Status, Header: jsonHeader, Payload: p}
	}
	status, v := rep.Status, rep.Body
	if rep.Err != nil {
		status, v = rep.Err.Status, errorBody(rep.Err)
	}
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body, _ = json.Marshal(errorBody(Errorf(status, "could not encode the answer")))
	}
	if rep.Header == nil && (rep.Err == nil || rep.Err.Header == nil) {
		return Answer{Status: status, Header: jsonHeader, Body: body}
	}
	h := make(http.Header, 3+len(rep.Header))
	for k, vs := range rep.Header {
		h[k] = vs
	}
	if rep.Err != nil {
		for k, vs := range rep.Err.Header {
			h[k] = vs
		}
	}
	setJSONHeaders(h)
	return Answer{Status: status, Header: h, Body: body}
}

// jsonHeader is the header of every plain JSON answer, shared: readers
// copy it and never change it.
var jsonHeader = func() http.Header {
	h := http.Header{}
	setJSONHeaders(h)
	return h
}()

// ErrorAnswer returns the answer for err, for those outside the network
// (the HTTP adapter) that must answer by themselves.
func ErrorAnswer(err *Error) Answer {
	return Encode(&Reply{Err: err})
}

// setJSONHeaders sets the headers of every API answer: JSON, never
// cached, never sniffed, framed or rendered as a page.
func setJSONHeaders(h http.Header) {
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
}

func errorBody(e *Error) any {
	type inner struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
	}
	return struct {
		Error inner `json:"error"`
	}{inner{e.Status, e.Message}}
}
