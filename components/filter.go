package components

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"unicode/utf8"

	"gochat/wire"
)

// Filter modes.
const (
	FilterReject = "reject" // answer 422 and store nothing
	FilterMask   = "mask"   // store the message with each listed word replaced by *s
)

// Filter moderates writes between the SendController and Storage: a
// message whose text or author contains a word of WORDS is rejected with
// 422, or, with MODE "mask", stored with those words masked. Whole words
// are compared in a normalised form (see textFolder), so that case,
// accents, invisible characters, fullwidth or styled letters and Cyrillic
// or Greek look-alikes do not hide a word. It takes WORDS and MODE
// (usually initial packets) before it filters the first message.
type Filter struct {
	Words <-chan []string      `fbp:"optional"` // the word list, e.g. '["spam","scam"]'
	Mode  <-chan string        `fbp:"optional"` // "reject" (default) or "mask"
	In    <-chan *WriteCommand `description:"validated writes"`
	Out   chan<- *WriteCommand `description:"writes that pass, masked if so configured"`
	Err   chan<- *Reply        `description:"422 answers"`

	log    *slog.Logger
	folder *textFolder
	words  map[string]bool // normalised by folder
	mask   bool
}

// filterModes are the values MODE takes.
var filterModes = []string{FilterReject, FilterMask}

// ConfigPorts implements Configurable: WORDS and MODE.
func (*Filter) ConfigPorts() []ConfigPort {
	return []ConfigPort{
		{Port: "Words", Type: "array", Default: "[]", Description: "the words to reject or mask, as a JSON list, e.g. '[\"spam\",\"scam\"]'",
			Parse: parseWords},
		stringChoice("Mode", FilterReject, "what to do with a message holding a listed word: reject it with 422, or mask the word with *", filterModes...),
	}
}

// parseWords reads WORDS: a JSON list of words, each one word as the
// Filter compares them (a listed "sp am" would never match).
func parseWords(text string) (any, error) {
	words, err := stringList("Words", text)
	if err != nil {
		return nil, err
	}
	if _, bad := foldWords(newTextFolder(), words); len(bad) > 0 {
		return nil, fmt.Errorf("WORDS lists %q, which is not one word: it would never match (list its words one by one)", bad[0])
	}
	return words, nil
}

// foldWords returns listed words as folder compares them, and those,
// trimmed, that are not one word (they would never match); blank ones
// are skipped.
func foldWords(folder *textFolder, words []string) (norm map[string]bool, bad []string) {
	norm = map[string]bool{}
	for _, w := range words {
		if w = strings.TrimSpace(w); w == "" {
			continue
		}
		if n, ok := folder.word(w); ok {
			norm[n] = true
		} else {
			bad = append(bad, w)
		}
	}
	return norm, bad
}

// NewFilter returns a Filter that logs a bad MODE or WORDS to log.
func NewFilter(log *slog.Logger) *Filter { return &Filter{log: log, folder: newTextFolder()} }

// Process filters writes until In closes.
func (f *Filter) Process() {
	f.words = map[string]bool{}
	if f.Words != nil {
		var bad []string
		f.words, bad = foldWords(f.folder, <-f.Words)
		for _, w := range bad {
			f.log.Warn("Filter: a listed word that is not one word never matches", "word", w)
		}
	}
	if f.Mode != nil {
		if m, ok := <-f.Mode; ok {
			mode, err := parseChoice("Mode", m, filterModes)
			if err != nil {
				f.log.Error("Filter: bad MODE; rejecting", "err", err)
			}
			f.mask = mode == FilterMask
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
			reject(f.Err, cmd.Req, wire.Errorf(http.StatusUnprocessableEntity, "the %s contains a word this server does not accept: %q", field, word))
		}
	}
}

// scan returns s with listed words masked, and the first listed word found
// as written in s ("" if none). Words are compared in their normalised
// form (see textFolder); a masked word is replaced, with the invisible
// characters between its letters and its combining marks, by one * per
// letter or digit as written.
func (f *Filter) scan(s string) (string, string) {
	if len(f.words) == 0 {
		return s, ""
	}
	var (
		first      string
		b          strings.Builder
		done       int     // s[:done] is written to b
		start, end = -1, 0 // the current word is s[start:end]
		letters    int     // with this many letters and digits
		word       []byte  // and this normalised form
	)
	flush := func() {
		if start >= 0 && f.words[string(word)] {
			if first == "" {
				first = s[start:end]
			}
			b.WriteString(s[done:start])
			b.WriteString(strings.Repeat("*", letters))
			done = end
		}
		start, letters, word = -1, 0, word[:0]
	}
	for i, r := range s {
		var class runeClass
		word, class = f.folder.rune(word, r)
		switch {
		case class == wordRune:
			if start < 0 {
				start = i
			}
			end = i + utf8.RuneLen(r)
			letters++
		case class == mark && start >= 0:
			end = i + utf8.RuneLen(r)
		case class == breaksWord:
			flush()
		}
	}
	flush()
	if done == 0 {
		return s, first
	}
	b.WriteString(s[done:])
	return b.String(), first
}
