package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// The lexer of the FBP DSL. Each kind of token has its own small
// scanner, as goflow's dsl/lex has them; lex picks the scanner by the
// token's first byte (scannerFor). A scanner
// that finds a mistake reports it and skips the rest of the line, so one
// mistake gives one problem and the next lines are still read.

type tokenKind int

const (
	tEOF tokenKind = iota
	tNewline
	tComma
	tIdent  // a name, maybe with [index] and (Component:metadata), or (Component) alone
	tString // 'text'
	tJSON   // a JSON value as an initial packet: 5, [1,2], {"a":1}, "text"
	tArrow  // -> or -(N)->
	tEquals
	tDot
	tColon
)

type token struct {
	kind     tokenKind
	text     string // the name, the string's content, or the JSON text
	index    string // NAME[index]
	hasIndex bool
	comp     string // name(Component)
	hasComp  bool
	meta     map[string]any // name(Component:metadata)
	json     bool           // a tJSON packet other than a string
	buffer   int            // -(N)->
	pos      Pos
}

func (t token) describe() string {
	switch t.kind {
	case tIdent:
		if t.text == "" {
			return "'(" + t.comp + ")'"
		}
		return "'" + t.text + "'"
	case tString, tJSON:
		return "an initial packet"
	case tArrow:
		return "'->'"
	case tEquals:
		return "'='"
	case tDot:
		return "'.'"
	case tColon:
		return "':'"
	}
	return "the end of the statement"
}

// maxBuffer bounds a connection's buffer, so a typo cannot allocate
// gigabytes.
const maxBuffer = 1 << 16

// lexer holds the state of one pass over a DSL file.
type lexer struct {
	src             string
	i               int           // the next byte to read
	line, lineStart int           // the line of src[i] and where that line starts
	stmt            []token       // the statement read so far
	statement       func([]token) // takes each statement, not keeping the slice
	probs           *problems
	skipped         bool           // a line was skipped after a mistake
	props           map[string]any // from annotations
	comments        []Comment
}

// scannerFor returns the scanner of the token that starts with c
// (followed by next), nil if no token starts so.
func scannerFor(c, next byte) func(*lexer) {
	switch {
	case c == ' ' || c == '\t' || c == '\r':
		return (*lexer).scanSpace
	case c == '\n':
		return (*lexer).scanNewline
	case c == '#':
		return (*lexer).scanComment
	case strings.IndexByte(",=.:", c) >= 0:
		return (*lexer).scanPunct
	case c == '\'':
		return (*lexer).scanQuoted
	case c == '-' && (next == '>' || next == '('):
		return (*lexer).scanArrow
	case strings.IndexByte("{[\"0123456789", c) >= 0 || c == '-' && isDigit(next):
		return (*lexer).scanJSON
	case isNameStart(c):
		return (*lexer).scanName
	case c == '(':
		return (*lexer).scanAnonymous
	}
	return nil
}

func isDigit(c byte) bool     { return '0' <= c && c <= '9' }
func isNameStart(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }
func isNameByte(c byte) bool  { return isNameStart(c) || isDigit(c) }

// isComponentByte: component names are [A-Za-z0-9_/.-], with / for a
// library prefix (core/Repeat).
func isComponentByte(c byte) bool { return isNameByte(c) || strings.IndexByte("/.-", c) >= 0 }

// isMetaByte: node metadata is [A-Za-z0-9/=_,], as the reference grammar
// has it.
func isMetaByte(c byte) bool { return isNameByte(c) || strings.IndexByte("/=,", c) >= 0 }

// lex splits src into tokens, and hands each statement's to statement:
// statements end at a newline, a comma and the end of the file. Only
// one statement's tokens are held at a time.
func lex(src string, probs *problems, statement func([]token)) *lexer {
	l := &lexer{src: src, line: 1, probs: probs, statement: statement}
	for l.i < len(src) {
		if scan := scannerFor(src[l.i], l.peek(1)); scan != nil {
			scan(l)
		} else {
			l.fail(l.pos(), "", "unexpected character %q", rune(src[l.i]))
		}
	}
	l.emit(token{kind: tEOF, pos: l.pos()})
	return l
}

func (l *lexer) peek(n int) byte {
	if l.i+n < len(l.src) {
		return l.src[l.i+n]
	}
	return 0
}

func (l *lexer) pos() Pos { return Pos{l.line, l.i - l.lineStart + 1} }

func (l *lexer) emit(t token) {
	if t.kind != tNewline && t.kind != tComma && t.kind != tEOF {
		l.stmt = append(l.stmt, t)
		return
	}
	if len(l.stmt) > 0 {
		l.statement(l.stmt)
	}
	l.stmt = l.stmt[:0]
}

// fail reports a problem and skips the rest of the line.
func (l *lexer) fail(pos Pos, hint, format string, args ...any) {
	l.probs.add(pos, hint, format, args...)
	l.skipped = true
	for l.i < len(l.src) && l.src[l.i] != '\n' {
		l.i++
	}
}

// advance moves past n bytes, keeping count of lines.
func (l *lexer) advance(n int) {
	for end := l.i + n; l.i < end; l.i++ {
		if l.src[l.i] == '\n' {
			l.line, l.lineStart = l.line+1, l.i+1
		}
	}
}

func (l *lexer) scanSpace() { l.i++ }

func (l *lexer) scanNewline() {
	l.emit(token{kind: tNewline, pos: l.pos()})
	l.advance(1)
}

func (l *lexer) scanPunct() {
	kind := tColon
	switch l.src[l.i] {
	case ',':
		kind = tComma
	case '=':
		kind = tEquals
	case '.':
		kind = tDot
	}
	l.emit(token{kind: kind, pos: l.pos()})
	l.i++
}

// scanComment reads a comment to the end of the line. One that starts a
// line as "# @key value" is an annotation, a property of the graph, when
// it is one in the reference grammar: key [A-Za-z0-9_-]+, value
// [A-Za-z0-9_ .-]+ up to the end of the line; @runtime sets the
// environment's type.
func (l *lexer) scanComment() {
	start := l.pos()
	end := strings.IndexByte(l.src[l.i:], '\n')
	if end < 0 {
		end = len(l.src) - l.i
	}
	text := l.src[l.i+1 : l.i+end]
	l.i += end
	if start.Col == 1 && l.i < len(l.src) {
		if key, value, ok := annotation(text); ok {
			if l.props == nil {
				l.props = map[string]any{}
			}
			if key == "runtime" {
				l.props["environment"] = map[string]any{"type": value}
			} else {
				l.props[key] = value
			}
			return
		}
	}
	l.comments = append(l.comments, Comment{Text: text, Pos: start})
}

// annotation splits " @key value" (the text after '#'), if it is one.
func annotation(text string) (key, value string, ok bool) {
	rest := strings.TrimLeft(text, " ")
	if len(rest) == len(text) || !strings.HasPrefix(rest, "@") {
		return "", "", false
	}
	rest = rest[1:]
	n := 0
	for n < len(rest) && (isNameByte(rest[n]) || rest[n] == '-') {
		n++
	}
	key, rest = rest[:n], rest[n:]
	value = strings.TrimLeft(rest, " ")
	if key == "" || len(value) == len(rest) || value == "" {
		return "", "", false
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; !isNameByte(c) && strings.IndexByte("- .", c) < 0 {
			// Up to a '\r' before the newline, as the reference reads it.
			if c == '\r' && i == len(value)-1 && i > 0 {
				return key, value[:i], true
			}
			return "", "", false
		}
	}
	return key, value, true
}

// scanQuoted reads 'text' on one line; \' is a quote and \\ a backslash.
func (l *lexer) scanQuoted() {
	start := l.pos()
	var b strings.Builder
	for j := l.i + 1; j < len(l.src) && l.src[j] != '\n'; j++ {
		c := l.src[j]
		if c == '\\' && j+1 < len(l.src) && (l.src[j+1] == '\'' || l.src[j+1] == '\\') {
			b.WriteByte(l.src[j+1])
			j++
			continue
		}
		if c == '\'' {
			l.emit(token{kind: tString, text: b.String(), pos: start})
			l.i = j + 1
			return
		}
		b.WriteByte(c)
	}
	l.fail(start, `close it with ' on the same line; write \' for a quote inside`, "unterminated initial packet")
}

// scanArrow reads -> or -(N)->.
func (l *lexer) scanArrow() {
	start := l.pos()
	if l.peek(1) == '>' {
		l.emit(token{kind: tArrow, pos: start})
		l.i += 2
		return
	}
	j := l.i + 2
	n := 0
	for j < len(l.src) && isDigit(l.src[j]) && n <= maxBuffer {
		n = n*10 + int(l.src[j]-'0')
		j++
	}
	if j == l.i+2 || n > maxBuffer || !strings.HasPrefix(l.src[j:], ")->") {
		l.fail(start, fmt.Sprintf("write -(N)-> with N from 0 to %d", maxBuffer), "bad buffered connection")
		return
	}
	l.emit(token{kind: tArrow, buffer: n, pos: start})
	l.i = j + 3
}

// scanJSON reads an initial packet written as JSON: a number, an array,
// an object or a "string", which may span lines.
func (l *lexer) scanJSON() {
	start := l.pos()
	text := l.src[l.i:jsonEnd(l.src, l.i)]
	// A bad packet is skipped whole, so that each byte is scanned once
	// however the packets nest.
	var raw json.RawMessage
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		l.advance(len(text))
		l.fail(start, "write JSON, or text in single quotes", "bad JSON initial packet: %v", err)
		return
	}
	if JSONDepth(text) > MaxDepth-iipDepth {
		l.advance(len(text))
		l.fail(start, "configuration is shallow: a number, a string, a list", "initial packet nests deeper than %d", MaxDepth-iipDepth)
		return
	}
	t := token{kind: tJSON, pos: start}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		t.text = s
	} else {
		var b bytes.Buffer
		_ = json.Compact(&b, raw) // raw is valid JSON
		t.text, t.json = b.String(), true
	}
	l.advance(len(text))
	l.emit(t)
}

// jsonEnd returns where the JSON value that starts at src[i] ends: after
// its closing quote or bracket, or after the run of number bytes; the
// end of src if it is not closed. It does not check the value.
func jsonEnd(src string, i int) int {
	depth := 0
	for j := i; j < len(src); j++ {
		switch c := src[j]; {
		case c == '"':
			for j++; j < len(src) && src[j] != '"'; j++ {
				if src[j] == '\\' {
					j++
				}
			}
		case c == '[' || c == '{':
			depth++
			continue
		case c == ']' || c == '}':
			depth--
		case j == i: // a number
			for j < len(src) && strings.IndexByte("+-.0123456789eE", src[j]) >= 0 {
				j++
			}
			return j
		default:
			continue
		}
		if depth <= 0 {
			return min(j+1, len(src))
		}
	}
	return len(src)
}

// scanName reads a name: [A-Za-z_][A-Za-z0-9_.-]*, where '.' and '-'
// must be followed by more of the name ('-' not by '>' or '('), then an
// optional [index] and an optional (Component:metadata).
func (l *lexer) scanName() {
	t := token{kind: tIdent, pos: l.pos()}
	j := l.i + 1
	for j < len(l.src) {
		c := l.src[j]
		if isNameByte(c) || c == '-' && j+1 < len(l.src) && l.src[j+1] != '>' && l.src[j+1] != '(' ||
			c == '.' && j+1 < len(l.src) && isNameByte(l.src[j+1]) {
			j++
			continue
		}
		break
	}
	t.text = l.src[l.i:j]
	l.i = j
	if l.peek(0) == '[' {
		end := strings.IndexAny(l.src[l.i:], "]\n")
		if end < 0 || l.src[l.i+end] != ']' || end == 1 {
			l.fail(l.pos(), "write PORT[0] or PORT[name]", "bad port index")
			return
		}
		t.index, t.hasIndex = l.src[l.i+1:l.i+end], true
		l.i += end + 1
	}
	if l.peek(0) == '(' && !l.component(&t) {
		return
	}
	l.emit(t)
}

// scanAnonymous reads (Component) without a name: the reference names
// such a process _Component_1, _Component_2, ...
func (l *lexer) scanAnonymous() {
	t := token{kind: tIdent, pos: l.pos()}
	if l.component(&t) {
		l.emit(t)
	}
}

// component reads (Component) or (Component:metadata) into t; it
// reports and skips the line if that is garbled.
func (l *lexer) component(t *token) bool {
	open := l.pos()
	j := l.i + 1
	for j < len(l.src) && isComponentByte(l.src[j]) {
		j++
	}
	t.comp, t.hasComp = l.src[l.i+1:j], true
	var meta string
	if j < len(l.src) && l.src[j] == ':' {
		k := j + 1
		for k < len(l.src) && isMetaByte(l.src[k]) {
			k++
		}
		meta, j = l.src[j+1:k], k
		if meta == "" {
			l.i = j
			l.fail(l.pos(), "write name(Component:x=320,y=96); metadata is [A-Za-z0-9/=_,]", "empty node metadata")
			return false
		}
	}
	l.i = j
	switch {
	case j == len(l.src) || l.src[j] == '\n':
		l.fail(open, "write name(Component)", "unclosed component declaration")
		return false
	case l.src[j] != ')':
		what := "component name"
		if meta != "" {
			what = "node metadata"
		}
		l.fail(l.pos(), "component names are [A-Za-z0-9_/.-], metadata [A-Za-z0-9/=_,]; close with )", "unexpected %q in the %s", rune(l.src[j]), what)
		return false
	case t.comp == "":
		l.fail(open, "write name(Component); `gochat graph components` lists them", "empty component name")
		return false
	}
	l.i++
	if meta != "" {
		t.meta = parseMeta(meta)
	}
	return true
}

// parseMeta reads node metadata as the reference parser does: items
// split at ',', each key=value (a value after a second '=' is dropped)
// or a bare value, which is the key routes; x and y are numbers (null if
// they are not), the rest strings. A later item overrides an earlier one.
func parseMeta(meta string) map[string]any {
	m := map[string]any{}
	for item := range strings.SplitSeq(meta, ",") {
		parts := strings.Split(item, "=")
		key, value := "routes", parts[0]
		if len(parts) > 1 {
			key, value = parts[0], parts[1]
		}
		if key == "x" || key == "y" {
			m[key] = parseFloatPrefix(value)
			continue
		}
		m[key] = value
	}
	return m
}

// parseFloatPrefix is JavaScript's parseFloat on metadata text, which has
// no sign or point: the leading digits, with an exponent if digits
// follow the e; nil (JSON null, JavaScript's NaN) without digits.
func parseFloatPrefix(s string) any {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	if n == 0 {
		return nil
	}
	if n+1 < len(s) && (s[n] == 'e' || s[n] == 'E') && isDigit(s[n+1]) {
		n += 2
		for n < len(s) && isDigit(s[n]) {
			n++
		}
	}
	f, err := strconv.ParseFloat(s[:n], 64)
	if err != nil {
		return nil // past float64: JavaScript's Infinity, which JSON writes as null
	}
	return f
}
