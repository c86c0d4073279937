package components

import (
	"encoding/json"
	"fmt"
	"io"
)

// Output writes every packet from IN as one line to its output (gochat's
// standard output) and passes it on to OUT when OUT is connected: the FBP
// core library's core/Output, for looking at what flows in a graph being
// tried out. A string is written as it is, anything else as JSON. It
// writes inline: a slow output slows the graph it is in, so it is for
// trying graphs, not for the chat's request path (use Transcript there).
type Output struct {
	In  <-chan any `description:"packets of any kind, each written as a line"`
	Out chan<- any `fbp:"optional" description:"the same packets"`

	w io.Writer
}

// NewOutput returns an Output that writes to w (nil discards).
func NewOutput(w io.Writer) *Output {
	if w == nil {
		w = io.Discard
	}
	return &Output{w: w}
}

// Process writes and forwards packets until In closes.
func (o *Output) Process() {
	for v := range o.In {
		fmt.Fprintln(o.w, outputLine(v))
		emit(o.Out, v)
	}
}

// outputLine is how Output writes v: a string as it is, anything else as
// JSON, or with %v if it has no JSON form.
func outputLine(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}
