package sei

import (
	"net/url"
	"strings"
	"unsafe"

	"golang.org/x/net/html"
)

// index.go answers most of what the probers ask of a page without a DOM. One lexer pass records
// every element the tree would have (its tag and attribute spans in the page text, no copies), and
// a selector made only of compound selectors (form#frmLogin, input[name=txtUsuario],
// #lnkInfraSairSistema, a[href*="acao="], groups of them) is matched element by element: whether
// an element matches such a selector depends on nothing but its own tag and attributes. The
// index costs about a lexer pass and a fifth of the DOM's memory; the DOM is still built, on first
// use, for selectors with combinators or pseudo-classes and for text. TestIndexMatchesDOM checks
// every answer against the DOM on every page fixture, and the fuzz target does on random pages.

// elem is one element: its tag name and attributes as spans of the page text (32-bit: a page is
// at most MaxDOMBytes).
type elem struct {
	name   span32
	at     int32  // offset of the start tag's '<'
	a0, a1 uint32 // its attributes: index.attrs[a0:a1]
	form   bool
}

type span32 struct{ start, end int32 }

func sp32(s span) span32 { return span32{int32(s.start), int32(s.end)} }

type pageIndex struct {
	src   string
	elems []elem
	attrs [][2]span32
	// title is the text of the first <title>.
	title string
	// irregular: the page has a tag the tree merges into another element (a second <html> or
	// <body> with attributes, a <head> with attributes): the DOM answers instead.
	irregular bool
	// dead marks an index whose session closed (vigiadebug builds only: bodies.go).
	dead bool
}

// buildIndex indexes src into x (a pooled index, or nil for a new one).
func buildIndex(x *pageIndex, src string) *pageIndex {
	body := unsafe.Slice(unsafe.StringData(src), len(src)) // read-only view for the lexer
	if x == nil {
		lt := strings.Count(src, "<")
		x = &pageIndex{elems: make([]elem, 0, lt/2+4), attrs: make([][2]span32, 0, strings.Count(src, "=")+4)}
	}
	x.src = src
	l := newLexer(body)
	var (
		formOpen, seenHTML, seenBody bool
		titleNext, titleDone         bool
	)
	for {
		kind := l.next()
		switch kind {
		case tokEOF:
			return x
		case tokText:
			if titleNext {
				t := string(l.text())
				if strings.IndexByte(t, '&') >= 0 {
					t = html.UnescapeString(t)
				}
				x.title += cleanText(t)
			}
			continue
		case tokEnd:
			titleNext = false
			if n := l.b[l.data.start:l.data.end]; len(n) == 4 && asciiFoldEq(n, "form") {
				formOpen = false
			}
			continue
		case tokStart, tokSelfClosing:
		default:
			titleNext = false
			continue
		}
		titleNext = false
		name := l.b[l.data.start:l.data.end]
		switch {
		case len(name) == 4 && asciiFoldEq(name, "html"):
			if seenHTML {
				x.irregular = x.irregular || l.nattr > 0
				continue
			}
			seenHTML = true
		case len(name) == 4 && asciiFoldEq(name, "body"):
			if seenBody {
				x.irregular = x.irregular || l.nattr > 0
				continue
			}
			seenBody = true
		case len(name) == 4 && asciiFoldEq(name, "head"):
			// The tree may have opened <head> already, or be past it: its attributes go nowhere
			// the index can follow. No element of the index is named head (selectors naming it go
			// to the DOM).
			x.irregular = x.irregular || l.nattr > 0
			continue
		case len(name) == 4 && asciiFoldEq(name, "form"):
			// The tree ignores a form start tag while a form is open.
			if formOpen {
				continue
			}
			formOpen = true
		case len(name) == 5 && asciiFoldEq(name, "title") && !titleDone:
			// Self-closing or not, the tokenizer reads what follows <title> as its text.
			titleDone, titleNext = true, true
		}
		e := elem{name: sp32(l.data), at: int32(l.raw.start), a0: uint32(len(x.attrs)), form: len(name) == 4 && asciiFoldEq(name, "form")}
		for _, kv := range l.attrSpans() {
			if k := sp32(kv[0]); !x.hasAttr(e.a0, k) { // the first of duplicate attributes counts
				x.attrs = append(x.attrs, [2]span32{k, sp32(kv[1])})
			}
		}
		e.a1 = uint32(len(x.attrs))
		x.elems = append(x.elems, e)
	}
}

func (x *pageIndex) hasAttr(from uint32, k span32) bool {
	key := x.src[k.start:k.end]
	for _, kv := range x.attrs[from:] {
		if strings.EqualFold(x.src[kv[0].start:kv[0].end], key) {
			return true
		}
	}
	return false
}

// elemAttrs reads an element's attributes with the DOM's decoding (an attrReader).
type elemAttrs struct {
	x *pageIndex
	e *elem
}

func (a elemAttrs) raw(key string) (string, bool) {
	for _, kv := range a.x.attrs[a.e.a0:a.e.a1] {
		if k := a.x.src[kv[0].start:kv[0].end]; len(k) == len(key) && asciiFoldEqString(k, key) {
			return a.x.src[kv[1].start:kv[1].end], true
		}
	}
	return "", false
}

func (a elemAttrs) get(key string) (string, bool) {
	v, ok := a.raw(key)
	if !ok {
		return "", false
	}
	return attrText(v), true
}

func asciiFoldEqString(s, lower string) bool {
	return asciiFoldEq(unsafe.Slice(unsafe.StringData(s), len(s)), lower)
}

// compound is one compound selector: an optional tag and conditions on attributes.
type compound struct {
	tag   string // lower case; "" for any
	conds []attrCond
}

// attrCond is [name], [name=val], [name*=val], [name^=val], [name$=val] or [name~=val] (#id and
// .class are [id=…] and [class~=…]).
type attrCond struct {
	name, op, val string
}

// simpleSelector is a selector group the index can match; nil when the selector needs the DOM.
type simpleSelector []compound

// parseSimple parses a group of compound selectors. Anything else (combinators, pseudo-classes,
// escapes, the universal selector, tags the tree makes up such as tbody) is not simple. The
// grammar is a strict subset of CSS, so cascadia accepts every selector it accepts
// (FuzzSimpleSelectorIsCSS) and both paths agree on what a selector means.
func parseSimple(sel string) (simpleSelector, bool) {
	var out simpleSelector
	for _, part := range strings.Split(sel, ",") {
		c, ok := parseCompound(strings.Trim(part, " \t\n\r\f"))
		if !ok {
			return nil, false
		}
		out = append(out, c)
	}
	return out, len(out) > 0
}

func parseCompound(s string) (compound, bool) {
	var c compound
	i := nameEnd(s, 0)
	if i > 0 {
		c.tag = s[:i]
		switch c.tag {
		case "html", "head", "body", "tbody":
			return c, false // elements the tree may make without a tag
		}
	}
	for i < len(s) {
		switch s[i] {
		case '#', '.':
			j := valueEnd(s, i+1)
			if j == i+1 {
				return c, false
			}
			if s[i] == '#' {
				c.conds = append(c.conds, attrCond{name: "id", op: "=", val: s[i+1 : j]})
			} else {
				c.conds = append(c.conds, attrCond{name: "class", op: "~=", val: s[i+1 : j]})
			}
			i = j
		case '[':
			j := nameEnd(s, i+1)
			if j == i+1 {
				return c, false
			}
			cond := attrCond{name: s[i+1 : j]}
			i = j
			if i < len(s) && s[i] != ']' {
				op := ""
				switch {
				case s[i] == '=':
					op = "="
				case i+1 < len(s) && s[i+1] == '=' && strings.IndexByte("*^$~", s[i]) >= 0:
					op = s[i : i+2]
				default:
					return c, false
				}
				i += len(op)
				val, n, ok := selectorValue(s[i:])
				if !ok {
					return c, false
				}
				cond.op, cond.val = op, val
				i += n
			}
			if i >= len(s) || s[i] != ']' {
				return c, false
			}
			i++
			c.conds = append(c.conds, cond)
		default:
			return c, false
		}
	}
	return c, c.tag != "" || len(c.conds) > 0
}

// nameEnd is the end of a tag or attribute name starting at i: lower-case letters, digits, '-'
// and '_', not starting with a digit or '-'. Names are lower case in the DOM; a selector that
// spells one otherwise goes to the DOM.
func nameEnd(s string, i int) int {
	j := i
	for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9' || s[j] == '-' || s[j] == '_') {
		j++
	}
	if j > i && (s[i] >= '0' && s[i] <= '9' || s[i] == '-') {
		return i
	}
	return j
}

// valueEnd is nameEnd for an id or a class, which keep their case.
func valueEnd(s string, i int) int {
	j := i
	for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9' || s[j] == '-' || s[j] == '_') {
		j++
	}
	if j > i && (s[i] >= '0' && s[i] <= '9' || s[i] == '-') {
		return i
	}
	return j
}

// selectorValue reads an attribute selector's value: a quoted string without escapes, or a plain
// identifier.
func selectorValue(s string) (val string, n int, ok bool) {
	if s == "" {
		return "", 0, false
	}
	if q := s[0]; q == '"' || q == '\'' {
		end := strings.IndexByte(s[1:], q)
		if end < 0 {
			return "", 0, false
		}
		for _, c := range []byte(s[1 : 1+end]) {
			if c == '\\' || c < 0x20 || c == 0x7f { // escapes and newlines: CSS has its own rules
				return "", 0, false
			}
		}
		return s[1 : 1+end], end + 2, true
	}
	j := valueEnd(s, 0)
	if j == 0 {
		return "", 0, false
	}
	return s[:j], j, true
}

func (s simpleSelector) match(x *pageIndex, e *elem) bool {
	for _, c := range s {
		if c.match(x, e) {
			return true
		}
	}
	return false
}

func (c compound) match(x *pageIndex, e *elem) bool {
	if c.tag != "" {
		if n := x.src[e.name.start:e.name.end]; len(n) != len(c.tag) || !asciiFoldEqString(n, c.tag) {
			return false
		}
	}
	a := elemAttrs{x, e}
	for _, cond := range c.conds {
		v, ok := a.raw(cond.name)
		if !ok {
			return false
		}
		if cond.op == "" {
			continue
		}
		if !cond.holdsRaw(v) {
			return false
		}
	}
	return true
}

// holdsRaw is holds of a raw attribute value. One with references is decoded into a stack buffer,
// declared only on that path so matching every element of a page does not clear it each time.
func (c attrCond) holdsRaw(v string) bool {
	if strings.IndexByte(v, '&') < 0 {
		return c.holds(attrText(v))
	}
	var scratch [512]byte
	text, _ := attrTextIn(scratch[:0], v)
	return c.holds(text)
}

// holds applies cascadia's rules: an empty value never matches *=, ^= and $=.
func (c attrCond) holds(v string) bool {
	switch c.op {
	case "=":
		return v == c.val
	case "*=":
		return c.val != "" && strings.Contains(v, c.val)
	case "^=":
		return c.val != "" && strings.HasPrefix(v, c.val)
	case "$=":
		return c.val != "" && strings.HasSuffix(v, c.val)
	case "~=":
		if c.val == "" || strings.ContainsAny(c.val, " \t\r\n\f") {
			return false
		}
		return hasClass(unsafe.Slice(unsafe.StringData(v), len(v)), c.val)
	}
	return false
}

// first is the first element the selector matches for which ok says yes.
func (x *pageIndex) first(s simpleSelector, ok func(e *elem) bool) *elem {
	for i := range x.elems {
		e := &x.elems[i]
		if s.match(x, e) && (ok == nil || ok(e)) {
			return e
		}
	}
	return nil
}

// formAt reads the form whose start tag is at offset at, as scanLogin reads the login form: its
// controls up to </form>. On misnested markup (<div><form><input></div><input></form>) that is
// what a browser submits (the form element pointer makes the form the later control's owner) and
// more than the DOM's descendants; SEI's forms are well nested, where both agree.
func (x *pageIndex) formAt(e *elem, base *url.URL) (*Form, error) {
	body := unsafe.Slice(unsafe.StringData(x.src), len(x.src))
	return scanFormAt(body, int(e.at), base)
}
