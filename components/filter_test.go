package components_test

import (
	"context"
	"log/slog"
	"net/http"
	"testing"

	"gochat/components"
)

// MustFilter runs a Filter configured by initial packets on both config
// ports, as a graph would send them.
func MustFilter(tb testing.TB, words []string, mode string) (chan<- *components.WriteCommand, <-chan *components.WriteCommand, <-chan *components.Reply) {
	tb.Helper()
	in, out, errs := make(chan *components.WriteCommand), make(chan *components.WriteCommand, 1), make(chan *components.Reply, 1)
	w, m := make(chan []string), make(chan string)
	f := components.NewFilter(slog.New(slog.DiscardHandler))
	f.Words, f.Mode, f.In, f.Out, f.Err = w, m, in, out, errs
	done := Start(f)
	// Sent from two goroutines, in the opposite order, as goflow does.
	go func() { m <- mode; close(m) }()
	go func() { w <- words; close(w) }()
	tb.Cleanup(func() { close(in); <-done })
	return in, out, errs
}

func TestFilterReject(t *testing.T) {
	in, out, errs := MustFilter(t, []string{"Spam", " scam "}, "reject")
	for _, tc := range []struct{ author, text, want string }{
		{"ann", "hello", ""},
		{"ann", "no spamming here, it is a spammer's word", ""},
		{"ann", "buy SPAM now", `the text contains a word this server does not accept: "SPAM"`},
		{"scam", "hi", `the author contains a word this server does not accept: "scam"`},
		{"ann", "what a scam!", `the text contains a word this server does not accept: "scam"`},
	} {
		in <- &components.WriteCommand{Req: components.NewRequest(context.Background()), Room: "r", Author: tc.author, Text: tc.text}
		select {
		case cmd := <-out:
			if tc.want != "" || cmd.Text != tc.text {
				t.Errorf("%q passed as %q, want %q", tc.text, cmd.Text, tc.want)
			}
		case rep := <-errs:
			if rep.Err.Status != http.StatusUnprocessableEntity || rep.Err.Message != tc.want {
				t.Errorf("%q: got %d %q, want %q", tc.text, rep.Err.Status, rep.Err.Message, tc.want)
			}
		}
	}
}

func TestFilterMask(t *testing.T) {
	in, out, _ := MustFilter(t, []string{"spam", "späm"}, "mask")
	in <- &components.WriteCommand{Req: components.NewRequest(context.Background()), Room: "r", Author: "Spam", Text: "Spam, SPÄM\nand spam-spam; spammer"}
	cmd := Recv(t, out)
	if cmd.Text != "****, ****\nand ****-****; spammer" || cmd.Author != "****" {
		t.Errorf("masked: %q by %q", cmd.Text, cmd.Author)
	}
}
