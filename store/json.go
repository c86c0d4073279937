package store

import (
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends the message as the API shows it, the same JSON that
// MarshalJSON gives, written by hand because pages of messages are on the
// hot path.
func (m Message) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"id":`...)
	dst = strconv.AppendUint(dst, m.ID, 10)
	dst = append(dst, `,"room":`...)
	dst = AppendJSONString(dst, m.Room)
	dst = append(dst, `,"author":`...)
	dst = AppendJSONString(dst, m.Author)
	dst = append(dst, `,"text":`...)
	dst = AppendJSONString(dst, m.Text)
	dst = append(dst, `,"time":"`...)
	dst = m.Time.UTC().AppendFormat(dst, TimeLayout)
	return append(dst, `"}`...)
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string, escaped as encoding/json
// does by default: quotes, backslashes and control characters; <, > and &
// (so no answer reads as HTML); U+2028 and U+2029; invalid UTF-8 as
// U+FFFD.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
