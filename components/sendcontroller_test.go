package components_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"gochat/components"
	"gochat/wire"
)

func TestSendController(t *testing.T) {
	in := make(chan *wire.Request)
	out := make(chan *components.WriteCommand, 1)
	errs := make(chan *components.Reply, 1)
	c := components.NewSendController()
	c.In, c.Out, c.Err = in, out, errs
	done := Start(c)
	const js, form = "application/json", "application/x-www-form-urlencoded"
	text2000 := strings.Repeat("é", 2000)

	for _, tc := range []struct {
		name, ctype, body string
		tooLarge          bool
		author, text      string // the command wanted
		status            int    // or the error status wanted
		err               string // and a part of its message
	}{
		{"json", js, `{"author":"ann","text":"hello"}`, false, "ann", "hello", 0, ""},
		{"json charset", js + "; charset=utf-8", `{"text":"hi","extra":[1,2]}`, false, "anonymous", "hi", 0, ""},
		{"trimmed", js, `{"author":"  bob ","text":"\n\t hi there \n"}`, false, "bob", "hi there", 0, ""},
		{"newlines kept", js, `{"text":"a\r\nb\rc\nd\te"}`, false, "anonymous", "a\nb\nc\nd\te", 0, ""},
		{"longest", js, `{"text":"` + text2000 + `"}`, false, "anonymous", text2000, 0, ""},
		{"form", form, "author=ann&text=hello+world", false, "ann", "hello world", 0, ""},
		{"form crlf", form, "text=a%0D%0Ab", false, "anonymous", "a\nb", 0, ""},
		{"null author", js, `{"author":null,"text":"x"}`, false, "anonymous", "x", 0, ""},
		{"too long", js, `{"text":"` + text2000 + `x"}`, false, "", "", 400, "text must be 1 to 2000 characters, got 2001"},
		{"blank", js, `{"text":"   \n "}`, false, "", "", 400, "text must be 1 to 2000 characters, got 0"},
		{"missing text", js, `{"author":"ann"}`, false, "", "", 400, "text is required"},
		{"null text", js, `{"text":null}`, false, "", "", 400, "text is required"},
		{"form missing text", form, "author=ann", false, "", "", 400, "text is required"},
		{"wrong type", js, `{"text":5}`, false, "", "", 400, "text must be a string"},
		{"wrong author type", js, `{"author":{},"text":"x"}`, false, "", "", 400, "author must be a string"},
		{"array", js, `["x"]`, false, "", "", 400, "must be a JSON object"},
		{"broken json", js, `{"text":"x"`, false, "", "", 400, "not valid JSON"},
		{"trailing json", js, `{"text":"x"} {}`, false, "", "", 400, "not valid JSON"},
		{"empty json", js, ``, false, "", "", 400, "not valid JSON"},
		{"bad utf8 json", js, "{\"text\":\"\xff\"}", false, "", "", 400, "valid UTF-8"},
		{"bad utf8 form", form, "text=%FF", false, "", "", 400, "text must be valid UTF-8"},
		{"control char", js, `{"text":"a\u0007b"}`, false, "", "", 400, "control characters (found U+0007)"},
		{"control in author", form, "author=a%00&text=x", false, "", "", 400, "author must not contain control"},
		{"long author", js, `{"author":"` + strings.Repeat("a", 65) + `","text":"x"}`, false, "", "", 400, "author must be at most 64"},
		{"bad form", form, "text=%zz", false, "", "", 400, "not a valid form"},
		{"lone high surrogate", js, `{"text":"a\ud800b"}`, false, "", "", 400, `text contains an unpaired UTF-16 surrogate (\ud800)`},
		{"lone low surrogate", js, `{"author":"\uDC01","text":"x"}`, false, "", "", 400, `author contains an unpaired UTF-16 surrogate (\udc01)`},
		{"high surrogate at end", js, `{"text":"\ud83d"}`, false, "", "", 400, "unpaired UTF-16 surrogate"},
		{"two high surrogates", js, `{"text":"\ud83d\ud83d\ude00"}`, false, "", "", 400, "unpaired UTF-16 surrogate"},
		{"surrogate pair", js, `{"text":"\ud83d\ude00 \\ud800"}`, false, "anonymous", "😀 \\ud800", 0, ""},
		{"literal U+FFFD", js, `{"text":"\ufffd` + "\uFFFD" + `"}`, false, "anonymous", "\uFFFD\uFFFD", 0, ""},
		{"surrogate in ignored field", js, `{"x":"\ud800","text":"ok"}`, false, "anonymous", "ok", 0, ""},
		{"surrogate as CESU-8 form", form, "text=%ED%A0%80", false, "", "", 400, "text must be valid UTF-8"},
		{"invalid author form", form, "author=%C0%AF&text=x", false, "", "", 400, "author must be valid UTF-8"},
		{"only zero-width", js, `{"text":"\u200b\u200b"}`, false, "", "", 400, "text is empty: it has only invisible characters (U+200B)"},
		{"only invisible and space", form, "text=%E2%81%A0+%EF%BB%BF%0A%E3%85%A4", false, "", "", 400, "text is empty: it has only invisible characters (U+2060)"},
		{"emoji with joiner", js, `{"author":"ann \u2764\ufe0f","text":"\ud83d\udc69\u200d\ud83d\udcbb"}`, false, "ann \u2764\ufe0f", "👩\u200d💻", 0, ""},
		{"bidi in text", js, `{"text":"\u202eabc\u202c"}`, false, "anonymous", "\u202eabc\u202c", 0, ""},
		{"override author", js, `{"author":"\u202eann","text":"x"}`, false, "", "", 400, "author must not contain invisible or direction-changing characters (found U+202E)"},
		{"isolate author", form, "author=ann%E2%81%A6x&text=x", false, "", "", 400, "(found U+2066)"},
		{"zero-width author", js, `{"author":"a\u200bnn","text":"x"}`, false, "", "", 400, "(found U+200B)"},
		{"invisible author", js, `{"author":"\u3164","text":"x"}`, false, "", "", 400, "(found U+3164)"},
		{"text/plain", "text/plain", "hello", false, "", "", 415, "Content-Type must be"},
		{"no type", "", `{"text":"x"}`, false, "", "", 415, "Content-Type must be"},
		{"garbage type", "///", `{"text":"x"}`, false, "", "", 415, "Content-Type must be"},
		{"too large", js, "", true, "", "", 413, "at most 65536 bytes"},
	} {
		req := MustRequest(t, context.Background(), "POST", "/api/rooms/lobby/messages")
		req.ContentType, req.Body, req.BodyTooLarge = tc.ctype, []byte(tc.body), tc.tooLarge
		in <- req
		select {
		case cmd := <-out:
			if tc.status != 0 || cmd.Room != "lobby" || cmd.Author != tc.author || cmd.Text != tc.text {
				t.Errorf("%s: got %q by %q, want %q by %q or error %d", tc.name, cmd.Text, cmd.Author, tc.text, tc.author, tc.status)
			}
		case rep := <-errs:
			if rep.Err == nil || rep.Err.Status != tc.status || !strings.Contains(rep.Err.Message, tc.err) {
				t.Errorf("%s: got error %+v, want %d %q", tc.name, rep.Err, tc.status, tc.err)
			}
		case <-time.After(timeout):
			t.Fatalf("%s: no answer", tc.name)
		}
	}
	in <- MustRequest(t, context.Background(), "POST", "/api/rooms/a.b/messages")
	if rep := Recv(t, errs); rep.Err == nil || rep.Err.Status != http.StatusBadRequest {
		t.Errorf("bad room: got %+v, want 400", rep.Err)
	}
	close(in)
	Recv(t, done)
}
