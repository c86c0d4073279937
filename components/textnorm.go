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

// confusables maps Cyrillic and Greek letters to the basic Latin letter
// they are drawn like. It is a hand-picked subset of Unicode's
// confusables.txt (UTS #39, https://www.unicode.org/Public/security/latest/confusables.txt):
// the entries whose source is a Cyrillic or Greek letter and whose
// prototype is one basic Latin letter, upper and lower case. The full
// table is not used: its skeletons also map Latin to Latin (m → rn,
// 1 → l), which makes whole words match words they are not.
var confusables = map[rune]rune{
	// Cyrillic capitals.
	'А': 'A', 'В': 'B', 'Е': 'E', 'Ѕ': 'S', 'І': 'I', 'Ј': 'J', 'К': 'K', 'М': 'M',
	'Н': 'H', 'О': 'O', 'Р': 'P', 'С': 'C', 'Т': 'T', 'Х': 'X', 'Ү': 'Y', 'Ԛ': 'Q',
	'Ԝ': 'W', 'Ӏ': 'l',
	// Cyrillic small letters.
	'а': 'a', 'е': 'e', 'ѕ': 's', 'і': 'i', 'ј': 'j', 'о': 'o', 'р': 'p', 'с': 'c',
	'у': 'y', 'х': 'x', 'һ': 'h', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w', 'ӏ': 'l', 'ү': 'y',
	// Greek capitals.
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M',
	'Ν': 'N', 'Ο': 'O', 'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X',
	// Greek small letters.
	'α': 'a', 'ι': 'i', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'γ': 'y', 'ϲ': 'c', 'ϳ': 'j',
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
		if c, ok := confusables[d]; ok {
			d = c
		}
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
