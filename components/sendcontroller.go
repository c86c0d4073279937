package components

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"gochat/wire"
)

// SendController parses and validates writes: the room from the path and
// author and text from a JSON or form body. Valid writes go out of OUT as
// a WriteCommand; invalid ones are answered through ERR (400, 413 or 415).
type SendController struct {
	In  <-chan *wire.Request `description:"routed writes"`
	Out chan<- *WriteCommand `description:"validated writes, to Storage"`
	Err chan<- *Reply        `description:"400, 413 and 415 answers"`
}

// NewSendController returns a SendController; goflow connects its ports.
func NewSendController() *SendController { return &SendController{} }

// Process validates writes until In closes.
func (c *SendController) Process() {
	for req := range c.In {
		cmd, err := parseWrite(req)
		if err != nil {
			reject(c.Err, req, err)
			continue
		}
		forward(c.Out, cmd, c.Err, req, "SendController")
	}
}

func parseWrite(req *wire.Request) (*WriteCommand, *wire.Error) {
	cmd := &WriteCommand{Req: req, Room: req.Params.ByName("room")}
	if err := checkRoom(cmd.Room); err != nil {
		return nil, err
	}
	if cmd.Key = req.IdempotencyKey; req.HasIdempotencyKey && !validKey(cmd.Key) {
		return nil, wire.Errorf(http.StatusBadRequest, "Idempotency-Key must be 1 to %d characters of A-Z, a-z, 0-9, _ and -", wire.MaxKeyLength)
	}
	if req.BodyTooLarge {
		return nil, wire.Errorf(http.StatusRequestEntityTooLarge, "the body must be at most %d bytes", wire.MaxBodyBytes)
	}
	author, text, err := decodeBody(req)
	if err != nil {
		return nil, err
	}
	if cmd.Text, err = cleanText("text", text, 1, wire.MaxTextRunes); err != nil {
		return nil, err
	}
	if err = checkVisible("text", cmd.Text); err != nil {
		return nil, err
	}
	if cmd.Author, err = cleanText("author", author, 0, wire.MaxAuthorRunes); err != nil {
		return nil, err
	}
	if err = checkAuthor(cmd.Author); err != nil {
		return nil, err
	}
	if cmd.Author == "" {
		cmd.Author = Anonymous
	}
	return cmd, nil
}

// validKey reports whether k is a valid Idempotency-Key.
func validKey(k string) bool {
	if k == "" || len(k) > wire.MaxKeyLength {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// decodeBody reads author and text from a JSON or form body.
func decodeBody(req *wire.Request) (author, text string, _ *wire.Error) {
	mt, _, err := mime.ParseMediaType(req.ContentType)
	if err != nil && req.ContentType != "" {
		mt = ""
	}
	switch mt {
	case "application/json":
		if !utf8.Valid(req.Body) {
			return "", "", wire.Errorf(http.StatusBadRequest, "the body must be valid UTF-8")
		}
		var v struct {
			Author *string `json:"author"`
			Text   *string `json:"text"`
		}
		if err := json.Unmarshal(req.Body, &v); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Field != "" {
				return "", "", wire.Errorf(http.StatusBadRequest, "%s must be a string", te.Field)
			}
			if errors.As(err, &te) {
				return "", "", wire.Errorf(http.StatusBadRequest, `the body must be a JSON object such as {"author":"ann","text":"hello"}`)
			}
			return "", "", wire.Errorf(http.StatusBadRequest, "the body is not valid JSON: %v", err)
		}
		if v.Text == nil {
			return "", "", wire.Errorf(http.StatusBadRequest, "text is required")
		}
		if err := checkSurrogates(req.Body); err != nil {
			return "", "", err
		}
		if v.Author != nil {
			author = *v.Author
		}
		return author, *v.Text, nil
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(req.Body))
		if err != nil {
			return "", "", wire.Errorf(http.StatusBadRequest, "the body is not a valid form: %v", err)
		}
		if !form.Has("text") {
			return "", "", wire.Errorf(http.StatusBadRequest, "text is required")
		}
		return form.Get("author"), form.Get("text"), nil
	default:
		return "", "", wire.Errorf(http.StatusUnsupportedMediaType, "Content-Type must be application/json or application/x-www-form-urlencoded")
	}
}

// checkSurrogates refuses a JSON body whose author or text holds an
// unpaired UTF-16 surrogate escape such as "\ud800", which encoding/json
// would silently store as U+FFFD. A U+FFFD sent as such is kept.
func checkSurrogates(body []byte) *wire.Error {
	if !bytes.Contains(body, []byte(`\u`)) {
		return nil
	}
	var raw struct {
		Author json.RawMessage `json:"author"`
		Text   json.RawMessage `json:"text"`
	}
	if json.Unmarshal(body, &raw) != nil {
		return nil // cannot happen: the body decoded once already
	}
	for _, f := range []struct {
		name string
		raw  []byte
	}{{"text", raw.Text}, {"author", raw.Author}} {
		if r, ok := loneSurrogate(f.raw); ok {
			return wire.Errorf(http.StatusBadRequest, `%s contains an unpaired UTF-16 surrogate (\u%04x): a JSON string must pair them, as in "\ud83d\ude00"`, f.name, r)
		}
	}
	return nil
}

// loneSurrogate returns the first \uXXXX escape in the JSON text raw that
// is a high surrogate not followed by a low one, or a low one alone.
func loneSurrogate(raw []byte) (rune, bool) {
	hex := func(i int) rune {
		if i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
			return -1
		}
		v, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16)
		if err != nil {
			return -1
		}
		return rune(v)
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		r := hex(i)
		switch {
		case r < 0: // another escape, such as \\ or \"
			i++
		case utf16.IsSurrogate(r) && r < 0xDC00:
			if lo := hex(i + 6); lo < 0xDC00 || lo > 0xDFFF {
				return r, true
			}
			i += 11
		case utf16.IsSurrogate(r):
			return r, true
		default:
			i += 5
		}
	}
	return 0, false
}
