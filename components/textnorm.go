package components

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// isDefaultIgnorable reports whether r has Unicode's derived property
// Default_Ignorable_Code_Point: characters a renderer shows as nothing
// unless it supports them (zero-width space U+200B, joiners, bidi
// controls, U+FEFF, variation selectors, the Hangul fillers, tags, ...).
// The derivation is the one in DerivedCoreProperties.txt:
// Other_Default_Ignorable_Code_Point + Cf + Variation_Selector, minus
// White_Space, FFF9..FFFB, 13430..13440 and Prepended_Concatenation_Mark.
func isDefaultIgnorable(r rune) bool {
	if r < 0xAD {
		return false // fast path: nothing below the soft hyphen is
	}
	switch {
	case 0xFFF9 <= r && r <= 0xFFFB, 0x13430 <= r && r <= 0x13440,
		unicode.Is(unicode.White_Space, r), unicode.Is(unicode.Prepended_Concatenation_Mark, r):
		return false
	}
	return unicode.In(r, unicode.Other_Default_Ignorable_Code_Point, unicode.Cf, unicode.Variation_Selector)
}

// isBlank reports whether r shows as blank: white space, a default-ignorable
// character, or U+2800 BRAILLE PATTERN BLANK, which is neither but is drawn
// as nothing and is the usual way to fake an empty message.
func isBlank(r rune) bool {
	return unicode.IsSpace(r) || isDefaultIgnorable(r) || r == 0x2800
}

// isAuthorJoiner reports whether r is one of the default-ignorable
// characters an author name may hold, because writing needs them: the
// zero-width non-joiner and joiner (Persian and Indic spelling, emoji
// sequences such as 👩‍💻) and the variation selectors (❤️).
func isAuthorJoiner(r rune) bool {
	return r == 0x200C || r == 0x200D || unicode.Is(unicode.Variation_Selector, r)
}

// confusable returns the basic Latin letter that the Cyrillic or Greek
// letter r is drawn like, or r. It is a hand-picked subset of Unicode's
// confusables.txt (UTS #39, https://www.unicode.org/Public/security/latest/confusables.txt):
// the entries whose source is a Cyrillic or Greek letter and whose
// prototype is one basic Latin letter, upper and lower case. The full
// table is not used: its skeletons also map Latin to Latin (m → rn,
// 1 → l), which makes whole words match words they are not.
func confusable(r rune) rune {
	switch r {
	case 'А', 'Α':
		return 'A'
	case 'а', 'α':
		return 'a'
	case 'В', 'Β':
		return 'B'
	case 'С':
		return 'C'
	case 'с', 'ϲ':
		return 'c'
	case 'ԁ':
		return 'd'
	case 'Е', 'Ε':
		return 'E'
	case 'е':
		return 'e'
	case 'Н', 'Η':
		return 'H'
	case 'һ':
		return 'h'
	case 'І', 'Ι':
		return 'I'
	case 'і', 'ι':
		return 'i'
	case 'Ј':
		return 'J'
	case 'ј', 'ϳ':
		return 'j'
	case 'К', 'Κ':
		return 'K'
	case 'Ӏ', 'ӏ':
		return 'l'
	case 'М', 'Μ':
		return 'M'
	case 'Ν':
		return 'N'
	case 'О', 'Ο':
		return 'O'
	case 'о', 'ο':
		return 'o'
	case 'Р', 'Ρ':
		return 'P'
	case 'р', 'ρ':
		return 'p'
	case 'Ԛ':
		return 'Q'
	case 'ԛ':
		return 'q'
	case 'Ѕ':
		return 'S'
	case 'ѕ':
		return 's'
	case 'Т', 'Τ':
		return 'T'
	case 'ν':
		return 'v'
	case 'Ԝ':
		return 'W'
	case 'ԝ':
		return 'w'
	case 'Х', 'Χ':
		return 'X'
	case 'х':
		return 'x'
	case 'Ү', 'Υ':
		return 'Y'
	case 'у', 'ү', 'γ':
		return 'y'
	case 'Ζ':
		return 'Z'
	}
	return r
}

// runeClass says how a character takes part in a word once normalised.
type runeClass int

const (
	breaksWord runeClass = iota // white space, punctuation, symbols
	wordRune                    // letters and digits
	invisible                   // a default-ignorable character: between two letters of a word, part of it
	mark                        // a combining mark: part of the word before it
)

// textFolder normalises text one character at a time for comparing words,
// so that each normalised piece maps back to the character it came from.
// A character is decomposed by compatibility (NFKD: fullwidth ｓ → s,
// 𝐬 → s, ﬁ → fi), then default-ignorable characters and combining marks
// are dropped (á → a), Cyrillic and Greek look-alikes become the Latin
// letter (confusables), and the result is case-folded (ß → ss). Dropping
// all combining marks is why decomposing rune by rune gives the same
// letters as normalising the whole text. Not safe for concurrent use.
type textFolder struct {
	fold cases.Caser
	buf  []byte
}

func newTextFolder() *textFolder { return &textFolder{fold: cases.Fold()} }

// rune appends the normalised form of r to dst and says how r takes part
// in a word.
func (t *textFolder) rune(dst []byte, r rune) ([]byte, runeClass) {
	if r < utf8.RuneSelf {
		switch {
		case 'A' <= r && r <= 'Z':
			return append(dst, byte(r)+'a'-'A'), wordRune
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			return append(dst, byte(r)), wordRune
		}
		return dst, breaksWord
	}
	if isDefaultIgnorable(r) {
		return dst, invisible
	}
	t.buf = norm.NFKD.AppendString(t.buf[:0], string(r))
	n, class := len(dst), mark
	for _, d := range string(t.buf) {
		if isDefaultIgnorable(d) || unicode.In(d, unicode.Mn, unicode.Me) {
			continue
		}
		d = confusable(d)
		if !unicode.IsLetter(d) && !unicode.IsDigit(d) {
			return dst[:n], breaksWord
		}
		class = wordRune
		dst = append(dst, t.fold.String(string(d))...)
	}
	return dst, class
}

// word returns the normalised form of a whole word, and false if it holds
// something that would end a word.
func (t *textFolder) word(w string) (string, bool) {
	var dst []byte
	for _, r := range w {
		var class runeClass
		if dst, class = t.rune(dst, r); class == breaksWord {
			return "", false
		}
	}
	return string(dst), len(dst) > 0
}
