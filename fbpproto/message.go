// Package fbpproto serves the FBP network protocol (flowbased
// fbp-protocol, version 0.7), the one Flowhub and noflo-ui speak: a
// WebSocket with subprotocol "noflo" carrying JSON messages {protocol,
// command, payload}. Through it a client lists gochat's components, reads
// the running chat graph, edits it and makes the edit live by the server's
// checked hot reload, and builds and runs graphs of its own, watching
// their packets.
package fbpproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"gochat/graph"
)

// Limits of the protocol.
const (
	// MaxMessage bounds one message a client sends, in bytes; a larger
	// one closes its connection.
	MaxMessage = 1 << 20
	// MaxDepth bounds how deeply a message's JSON nests, as deeply as a
	// graph file's.
	MaxDepth = graph.MaxDepth
)

// Message is one message of the protocol.
type Message struct {
	Protocol string          `json:"protocol"`          // runtime, graph, component or network
	Command  string          `json:"command"`           // what to do, or what happened
	Payload  json.RawMessage `json:"payload,omitempty"` // the command's arguments, a JSON value
	Secret   string          `json:"secret,omitempty"`  // the runtime's secret, on messages from a client
}

// Decode reads a message a client sent: a JSON object with a protocol
// and a command, and a payload that, when present, is an object. A
// client of protocol 0.7 may put the secret in the payload; it is moved
// to Secret.
func Decode(b []byte) (Message, error) {
	var m Message
	if len(b) > MaxMessage {
		return m, fmt.Errorf("message of %d bytes: at most %d", len(b), MaxMessage)
	}
	if graph.JSONDepth(b) > MaxDepth {
		return m, fmt.Errorf("message nests deeper than %d", MaxDepth)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return Message{}, fmt.Errorf("not a protocol message: %w", err)
	}
	if m.Protocol == "" || m.Command == "" {
		return Message{}, errors.New("not a protocol message: protocol and command must be strings")
	}
	p := bytes.TrimSpace(m.Payload)
	if len(p) == 0 || bytes.Equal(p, []byte("null")) {
		m.Payload = json.RawMessage("{}")
		return m, nil
	}
	if p[0] != '{' {
		return Message{}, fmt.Errorf("%s:%s: the payload must be an object", m.Protocol, m.Command)
	}
	var s struct {
		Secret string `json:"secret"`
	}
	if m.Secret == "" && json.Unmarshal(p, &s) == nil {
		m.Secret = s.Secret
	}
	m.Payload = p
	return m, nil
}

// encode returns the message protocol:command with payload, as sent to
// a client (never with a secret).
func encode(protocol, command string, payload any) []byte {
	b, err := json.Marshal(struct {
		Protocol string `json:"protocol"`
		Command  string `json:"command"`
		Payload  any    `json:"payload"`
	}{protocol, command, payload})
	if err != nil {
		// Payloads are the runtime's own values; packets that do not
		// encode were turned into text before (see eventData).
		b, _ = json.Marshal(map[string]any{"protocol": protocol, "command": "error",
			"payload": map[string]string{"message": "cannot encode " + protocol + ":" + command + ": " + err.Error()}})
	}
	return b
}
