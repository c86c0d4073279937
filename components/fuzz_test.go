package components

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"gochat/wire"

	"github.com/julienschmidt/httprouter"
)

// FuzzParseRead feeds the Controller's parsing any room and query: it
// never panics, and what it accepts keeps the API's rules.
func FuzzParseRead(f *testing.F) {
	f.Add("lobby", "since=3&wait=10&epoch=abc")
	f.Add("", "since=-1")
	f.Add("a.b", "wait=99999999999999999999999")
	f.Add("x", "since=%zz&since=1")
	c := NewController(55 * time.Second)
	f.Fuzz(func(t *testing.T, room, query string) {
		req := wire.NewRequest(context.Background())
		req.Method, req.Path, req.RawQuery = "GET", "/api/rooms/"+room+"/messages", query
		req.Params = httprouter.Params{{Key: "room", Value: room}}
		q, err := c.parse(req)
		if err != nil {
			if err.Status != http.StatusBadRequest || err.Message == "" {
				t.Fatalf("error %+v", err)
			}
			return
		}
		if checkRoom(q.Room) != nil || q.Wait < 0 || q.Wait > 55*time.Second || len(q.Epoch) > wire.MaxEpochLen || !isToken(q.Epoch) {
			t.Fatalf("accepted %+v", q)
		}
	})
}

// FuzzParseWrite feeds the SendController's parsing any content type and
// body: it never panics, and what it accepts keeps the API's rules.
func FuzzParseWrite(f *testing.F) {
	f.Add("application/json", []byte(`{"author":"ann","text":"hello"}`))
	f.Add("application/x-www-form-urlencoded", []byte("author=ann&text=hi%0Athere"))
	f.Add("application/json; charset=utf-8", []byte(`{"text":"\u0000"}`))
	f.Add("text/plain", []byte("hello"))
	f.Add("application/json", []byte("{\"text\":\"\xff\"}"))
	f.Add("application/json", []byte(`{"text":"\ud800"}`))
	f.Add("application/json", []byte(`{"author":"\u202e","text":"\u200b"}`))
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		req := wire.NewRequest(context.Background())
		req.Method, req.Path, req.ContentType, req.Body = "POST", "/api/rooms/r/messages", ctype, body
		req.Params = httprouter.Params{{Key: "room", Value: "r"}}
		cmd, err := parseWrite(req)
		if err != nil {
			if err.Status < 400 || err.Status > 415 || err.Message == "" {
				t.Fatalf("error %+v", err)
			}
			return
		}
		for field, s := range map[string]string{"text": cmd.Text, "author": cmd.Author} {
			if !utf8.ValidString(s) || s != strings.TrimSpace(s) || strings.ContainsFunc(s, func(r rune) bool { return r != '\n' && r != '\t' && unicode.IsControl(r) }) {
				t.Fatalf("accepted %s %q", field, s)
			}
		}
		if n := utf8.RuneCountInString(cmd.Text); n < 1 || n > wire.MaxTextRunes || utf8.RuneCountInString(cmd.Author) > wire.MaxAuthorRunes || cmd.Author == "" {
			t.Fatalf("accepted %+v", cmd)
		}
		if !strings.ContainsFunc(cmd.Text, func(r rune) bool { return !isBlank(r) }) || checkAuthor(cmd.Author) != nil {
			t.Fatalf("accepted invisible or spoofing text %q by %q", cmd.Text, cmd.Author)
		}
		lower := bytes.ToLower(body)
		if strings.ContainsRune(cmd.Text+cmd.Author, utf8.RuneError) && !bytes.Contains(lower, []byte(`\ufffd`)) && !bytes.Contains(lower, []byte("%ef%bf%bd")) && !bytes.Contains(body, []byte("\uFFFD")) {
			t.Fatalf("accepted %q, with a U+FFFD the body did not send", body)
		}
	})
}
