package components

import (
	"log/slog"
	"net/http"
	"strings"
	"unicode"
)

// Filter modes.
const (
	FilterReject = "reject" // answer 422 and store nothing
	FilterMask   = "mask"   // store the message with each listed word replaced by *s
)

// Filter moderates writes between the SendController and Storage: a
// message whose text or author contains a word of WORDS — whole words,
// compared without regard to case — is rejected with 422, or, with MODE
// "mask", stored with those words masked. It takes WORDS and MODE (usually
// initial packets) before it filters the first message.
type Filter struct {
	Words <-chan []string      `fbp:"optional"` // the word list, e.g. '["spam","scam"]'
	Mode  <-chan string        `fbp:"optional"` // "reject" (default) or "mask"
	In    <-chan *WriteCommand // validated writes
	Out   chan<- *WriteCommand // writes that pass, masked if so configured
	Err   chan<- *Reply        // 422 answers

	log   *slog.Logger
	words map[string]bool // lower-cased
	mask  bool
}

// NewFilter returns a Filter that logs a bad MODE to log.
func NewFilter(log *slog.Logger) *Filter { return &Filter{log: log} }

// Process filters writes until In closes.
func (f *Filter) Process() {
	f.words = map[string]bool{}
	if f.Words != nil {
		for _, w := range <-f.Words {
			if w = strings.ToLower(strings.TrimSpace(w)); w != "" {
				f.words[w] = true
			}
		}
	}
	if f.Mode != nil {
		switch mode := <-f.Mode; mode {
		case FilterMask:
			f.mask = true
		case FilterReject, "":
		default:
			f.log.Error("Filter: unknown MODE; rejecting", "mode", mode, "known", FilterReject+", "+FilterMask)
		}
	}
	for cmd := range f.In {
		text, tHit := f.scan(cmd.Text)
		author, aHit := f.scan(cmd.Author)
		switch {
		case tHit == "" && aHit == "":
			emit(f.Out, cmd)
		case f.mask:
			cmd.Text, cmd.Author = text, author
			emit(f.Out, cmd)
		default:
			field, word := "text", tHit
			if word == "" {
				field, word = "author", aHit
			}
			reject(f.Err, cmd.Req, Errorf(http.StatusUnprocessableEntity, "the %s contains a word this server does not accept: %q", field, word))
		}
	}
}

// scan returns s with listed words masked, and the first listed word found
// ("" if none).
func (f *Filter) scan(s string) (string, string) {
	if len(f.words) == 0 {
		return s, ""
	}
	var first string
	var b strings.Builder
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	rest := s
	for rest != "" {
		i := strings.IndexFunc(rest, isWord)
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		rest = rest[i:]
		j := strings.IndexFunc(rest, func(r rune) bool { return !isWord(r) })
		if j < 0 {
			j = len(rest)
		}
		word := rest[:j]
		if f.words[strings.ToLower(word)] {
			if first == "" {
				first = word
			}
			b.WriteString(strings.Repeat("*", len([]rune(word))))
		} else {
			b.WriteString(word)
		}
		rest = rest[j:]
	}
	return b.String(), first
}
