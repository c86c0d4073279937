package components

import (
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"gochat/wire"
)

// Anonymous is the author of a message posted without one.
const Anonymous = "anonymous"

// checkRoom validates a room name: 1 to wire.MaxRoomLen characters of
// [A-Za-z0-9_-].
func checkRoom(room string) *wire.Error {
	if room == "" || len(room) > wire.MaxRoomLen || !isToken(room) {
		return wire.Errorf(http.StatusBadRequest, "room must be 1 to %d characters of A-Z, a-z, 0-9, _ and -", wire.MaxRoomLen)
	}
	return nil
}

// isToken reports whether s holds only [A-Za-z0-9_-].
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// cleanText normalises and validates a text field: valid UTF-8, line
// breaks as \n, surrounding white space trimmed, min to max characters,
// and no control characters but newline and tab.
func cleanText(field, s string, min, max int) (string, *wire.Error) {
	if !utf8.ValidString(s) {
		return "", wire.Errorf(http.StatusBadRequest, "%s must be valid UTF-8", field)
	}
	if strings.Contains(s, "\r") {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	}
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n < min || n > max {
		if min > 0 {
			return "", wire.Errorf(http.StatusBadRequest, "%s must be %d to %d characters, got %d", field, min, max, n)
		}
		return "", wire.Errorf(http.StatusBadRequest, "%s must be at most %d characters, got %d", field, max, n)
	}
	for _, r := range s {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return "", wire.Errorf(http.StatusBadRequest, "%s must not contain control characters (found U+%04X)", field, r)
		}
	}
	return s, nil
}

// checkVisible refuses a text that, though not empty, shows nothing: only
// white space and invisible characters (see isBlank).
func checkVisible(field, s string) *wire.Error {
	if s == "" || strings.IndexFunc(s, func(r rune) bool { return !isBlank(r) }) >= 0 {
		return nil
	}
	first, _ := utf8.DecodeRuneInString(s)
	return wire.Errorf(http.StatusBadRequest, "%s is empty: it has only invisible characters (U+%04X)", field, first)
}

// checkAuthor refuses an author name that could pass for another or
// reorder the line it is shown in: one with a bidi control character
// (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) or another
// default-ignorable character but the joiners and variation selectors that
// spelling and emoji need (isAuthorJoiner), or one with nothing visible.
func checkAuthor(s string) *wire.Error {
	for _, r := range s {
		if unicode.Is(unicode.Bidi_Control, r) || isDefaultIgnorable(r) && !isAuthorJoiner(r) {
			return wire.Errorf(http.StatusBadRequest, "author must not contain invisible or direction-changing characters (found U+%04X)", r)
		}
	}
	return checkVisible("author", s)
}
