package history

import (
	"encoding/json"
	"fmt"
)

// apiMessage is a message as the API writes it.
type apiMessage struct {
	ID     uint64 `json:"id"`
	Author string `json:"author"`
	Text   string `json:"text"`
}

// message is m as the history records it: author and text together, so a
// test that makes each write's text unique per writer can tell writes
// apart.
func (m apiMessage) message() Message {
	return Message{ID: m.ID, Text: m.Author + ": " + m.Text}
}

// ParseMessage reads the body of a 201 answer to a post.
func ParseMessage(body []byte) (Message, error) {
	var m apiMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return Message{}, fmt.Errorf("parse a posted message: %w", err)
	}
	return m.message(), nil
}

// ParseRead reads the body of a 200 answer to a read.
func ParseRead(body []byte) (Answer, error) {
	var v struct {
		Epoch    string       `json:"epoch"`
		Last     uint64       `json:"last"`
		Messages []apiMessage `json:"messages"`
		Gap      bool         `json:"gap"`
		Reset    bool         `json:"reset"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return Answer{}, fmt.Errorf("parse a read answer: %w", err)
	}
	a := Answer{Epoch: v.Epoch, Last: v.Last, Gap: v.Gap, Reset: v.Reset}
	for _, m := range v.Messages {
		a.Messages = append(a.Messages, m.message())
	}
	return a, nil
}
