package components_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"gochat/components"
	"gochat/wire"
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
		in <- &components.WriteCommand{Req: wire.NewRequest(context.Background()), Room: "r", Author: tc.author, Text: tc.text}
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
	in <- &components.WriteCommand{Req: wire.NewRequest(context.Background()), Room: "r", Author: "Spam", Text: "Spam, SPÄM\nand spam-spam; spammer"}
	cmd := Recv(t, out)
	if cmd.Text != "****, ****\nand ****-****; spammer" || cmd.Author != "****" {
		t.Errorf("masked: %q by %q", cmd.Text, cmd.Author)
	}
}

// The Filter compares normalised words: invisible characters, fullwidth
// and styled letters, accents and Cyrillic or Greek look-alikes do not
// hide a listed word, and masking covers the whole word as written.
func TestFilterNormalises(t *testing.T) {
	reject, rout, rerrs := MustFilter(t, []string{"spam", "STRASSE", "ＳＣＡＭ"}, "reject")
	mask, mout, _ := MustFilter(t, []string{"spam", "STRASSE", "ＳＣＡＭ"}, "mask")
	for _, tc := range []struct{ text, found, masked string }{
		{"buy sp\u200bam now", "sp\u200bam", "buy **** now"},
		{"buy ｓｐａｍ now", "ｓｐａｍ", "buy **** now"},
		{"buy spa\u0301m now", "spa\u0301m", "buy **** now"},
		{"buy spám now", "spám", "buy **** now"},
		{"buy \u0455\u0440\u0430m now", "\u0455\u0440\u0430m", "buy **** now"},                           // Cyrillic ѕ р а
		{"buy SPA\u041C, now", "SPA\u041C", "buy ****, now"},                                             // Cyrillic М
		{"buy \u0391\u0392 sp\u200d\u00adam\u2060!", "sp\u200d\u00adam", "buy \u0391\u0392 ****\u2060!"}, // Greek ΑΒ stays
		{"𝐬𝐩𝐚𝐦 and \u202espam\u202c", "𝐬𝐩𝐚𝐦", "**** and \u202e****\u202c"},
		{"die Straße", "Straße", "die ******"},
		{"a scam", "scam", "a ****"},
		{"\u200bspam\u200b", "spam", "\u200b****\u200b"},
		{"spam\u0301\u0302.", "spam\u0301\u0302", "****."},
	} {
		req := func() *components.WriteCommand {
			return &components.WriteCommand{Req: wire.NewRequest(context.Background()), Room: "r", Author: "ann", Text: tc.text}
		}
		reject <- req()
		rep := Recv(t, rerrs)
		if want := fmt.Sprintf("the text contains a word this server does not accept: %q", tc.found); rep.Err.Message != want {
			t.Errorf("%q: got %q, want %q", tc.text, rep.Err.Message, want)
		}
		mask <- req()
		if cmd := Recv(t, mout); cmd.Text != tc.masked {
			t.Errorf("%q masked as %q, want %q", tc.text, cmd.Text, tc.masked)
		}
	}
	// Words that only look alike in part, or hold a listed word, pass.
	for _, text := range []string{"spammer", "sp am", "spa-m", "spa\u0301mmer", "s\u200b pam"} {
		reject <- &components.WriteCommand{Req: wire.NewRequest(context.Background()), Room: "r", Author: "ann", Text: text}
		select {
		case <-rout:
		case rep := <-rerrs:
			t.Errorf("%q rejected: %s", text, rep.Err.Message)
		case <-time.After(timeout):
			t.Fatalf("%q: no answer", text)
		}
	}
}
