package components

import "unicode"

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
