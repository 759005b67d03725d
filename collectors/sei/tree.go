package sei

import (
	"strings"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// tree.go builds the DOM the probers query (through goquery and cascadia) from the copy-free lexer
// instead of html.Parse. html.Parse allocates a token, a string per attribute and a node per
// element, which at 10,000 instances was a quarter of vigia's CPU and most of its garbage. Here the
// body is one string that every tag name, attribute and text node slices, and nodes and attributes
// come from two slabs, so a 20 KB SEI page costs a handful of allocations.
//
// The tree follows the HTML standard's tree construction where SEI's markup needs it: implied
// html/head/body, void elements, the implied end tags of p, li, dd/dt, option and table parts,
// tbody inserted around rows, an end tag closing the elements opened inside it, stray end tags
// ignored. It does not foster-parent content misplaced in tables or run the adoption agency for
// misnested formatting elements; what a selector or a text extraction sees is the same on
// well-formed and on SEI's pages (TestTreeMatchesHTMLParse checks every page fixture against
// html.Parse).

// isVoid: elements with no content and no end tag.
func isVoid(a atom.Atom) bool {
	switch a {
	case atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Hr, atom.Img, atom.Input, atom.Keygen,
		atom.Link, atom.Meta, atom.Param, atom.Source, atom.Track, atom.Wbr, atom.Basefont, atom.Bgsound,
		atom.Frame, atom.Image:
		return true
	}
	return false
}

// isHeadElement: elements that go in <head> when they come before the body starts.
func isHeadElement(a atom.Atom) bool {
	switch a {
	case atom.Base, atom.Basefont, atom.Bgsound, atom.Link, atom.Meta, atom.Title, atom.Noscript,
		atom.Noframes, atom.Style, atom.Script, atom.Template:
		return true
	}
	return false
}

// closesP: start tags that close an open <p> (the standard's "close a p element" list).
func closesP(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Center, atom.Details, atom.Dialog,
		atom.Dir, atom.Div, atom.Dl, atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Header,
		atom.Hgroup, atom.Main, atom.Menu, atom.Nav, atom.Ol, atom.P, atom.Section, atom.Summary, atom.Ul,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Pre, atom.Listing, atom.Form, atom.Table,
		atom.Hr, atom.Xmp, atom.Plaintext:
		return true
	}
	return false
}

// isScopeBoundary: elements that stop the search for an element to close (the standard's "scope").
func isScopeBoundary(a atom.Atom) bool {
	switch a {
	case atom.Applet, atom.Caption, atom.Html, atom.Table, atom.Td, atom.Th, atom.Marquee, atom.Object,
		atom.Template, atom.Svg, atom.Math:
		return true
	}
	return false
}

type treeBuilder struct {
	src   string
	lx    *lexer
	nodes []html.Node
	attrs []html.Attribute

	doc, htmlEl, head, body *html.Node
	stack                   []*html.Node // open elements below <html>; the last is current
	inBody                  bool         // the body has started (head elements go to the body now)
	// form is the standard's form element pointer: while a form is open, another form start tag
	// is ignored, so a nested form's controls belong to the outer one.
	form *html.Node
}

// parseTree builds the document of src, a UTF-8 page. The tree's strings are slices of src.
// mem, when not nil, is pooled memory for the slabs (bodies.go).
func parseTree(src string, mem *treeMem) *html.Node {
	body := unsafe.Slice(unsafe.StringData(src), len(src)) // read-only view for the lexer
	// Slabs sized from the markup: about one element per two '<' (start and end tag) and a text
	// run between tags; one attribute per '='.
	lt := strings.Count(src, "<")
	nn, na := lt+lt/4+8, strings.Count(src, "=")+4
	if mem == nil {
		mem = &treeMem{}
	}
	if cap(mem.nodes) < nn {
		mem.nodes = make([]html.Node, 0, nn)
	}
	if cap(mem.attrs) < na {
		mem.attrs = make([]html.Attribute, 0, na)
	}
	t := &treeBuilder{
		src:   src,
		lx:    newLexer(body),
		nodes: mem.nodes[:0],
		attrs: mem.attrs[:0],
	}
	t.doc = t.node(html.DocumentNode, "")
	t.htmlEl = t.element("html", atom.Html)
	t.doc.AppendChild(t.htmlEl)
	t.run()
	return t.doc
}

func (t *treeBuilder) node(typ html.NodeType, data string) *html.Node {
	if len(t.nodes) == cap(t.nodes) {
		// Nodes are referenced by pointer: a full slab is left as is and a new one started.
		t.nodes = make([]html.Node, 0, 256)
	}
	t.nodes = t.nodes[:len(t.nodes)+1]
	n := &t.nodes[len(t.nodes)-1]
	n.Type, n.Data = typ, data
	return n
}

func (t *treeBuilder) element(name string, a atom.Atom) *html.Node {
	n := t.node(html.ElementNode, name)
	n.DataAtom = a
	return n
}

func (t *treeBuilder) current() *html.Node {
	if len(t.stack) > 0 {
		return t.stack[len(t.stack)-1]
	}
	if t.body != nil {
		return t.body
	}
	return t.htmlEl
}

func (t *treeBuilder) ensureHead() {
	if t.head == nil {
		t.head = t.element("head", atom.Head)
		t.htmlEl.AppendChild(t.head)
	}
}

// ensureBody starts the body: content other than head elements implies it.
func (t *treeBuilder) ensureBody() {
	t.ensureHead()
	if t.body == nil {
		t.body = t.element("body", atom.Body)
		t.htmlEl.AppendChild(t.body)
		t.stack = t.stack[:0]
	}
	if !t.inBody {
		t.inBody = true
		t.stack = append(t.stack[:0], t.body)
	}
}

func (t *treeBuilder) run() {
	lx := t.lx
	for {
		switch lx.next() {
		case tokEOF:
			t.ensureBody()
			return
		case tokText:
			t.text()
		case tokStart, tokSelfClosing:
			t.startTag()
		case tokEnd:
			t.endTag()
		case tokComment:
			// Comments and doctypes match no selector and carry no text.
		}
	}
}

func (t *treeBuilder) str(s span) string { return t.src[s.start:s.end] }

// lowerName is the tag or attribute name in lower case, a slice of the source when it already is.
func lowerName(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

func (t *treeBuilder) text() {
	lx := t.lx
	s := t.str(lx.data)
	if !lx.rawText {
		if strings.IndexByte(s, '&') >= 0 {
			s = html.UnescapeString(s)
		}
	}
	if !lx.rawText && !lx.rcdata && strings.IndexByte(s, 0) >= 0 {
		// The body drops NUL characters; RCDATA and raw text replace them (cleanText).
		s = strings.ReplaceAll(s, "\x00", "")
	}
	s = cleanText(s)
	if s == "" {
		return
	}
	if !t.inBody {
		if strings.TrimLeft(s, " \t\n\f\r") == "" {
			if t.head != nil && len(t.stack) > 0 {
				t.appendText(t.current(), s) // whitespace inside <head>
			}
			return
		}
		if len(t.stack) > 0 && t.stack[len(t.stack)-1] != t.head {
			// Text of a head element (title, script, style).
			t.appendText(t.current(), s)
			return
		}
		t.ensureBody()
	}
	cur := t.current()
	if cur.FirstChild == nil && (cur.DataAtom == atom.Textarea || cur.DataAtom == atom.Pre || cur.DataAtom == atom.Listing) {
		// A newline right after <textarea> or <pre> is not content.
		s = strings.TrimPrefix(s, "\n")
		if s == "" {
			return
		}
	}
	t.appendText(cur, s)
}

// attrText decodes a raw attribute value as the tokenizer does: character references (with the
// rules attribute values have, unescapeAttr), then newlines and NULs. A value that needs none of
// it comes back as it is. The tree, the element index and the scans all read attributes through it.
func attrText(v string) string {
	if strings.IndexByte(v, '&') >= 0 {
		v = unescapeAttr(v)
	}
	if strings.IndexByte(v, '\r') >= 0 || strings.IndexByte(v, 0) >= 0 {
		v = cleanText(v)
	}
	return v
}

// attrTextIn is attrText for a value read and dropped at once (a selector's condition, a link
// searched for acao=): what it must decode it decodes into buf, so the result may share the
// memory of the buffer it returns, which a caller keeps for the next value.
func attrTextIn(buf []byte, v string) (string, []byte) {
	if strings.IndexByte(v, '&') < 0 || strings.IndexByte(v, '\r') >= 0 || strings.IndexByte(v, 0) >= 0 {
		return attrText(v), buf
	}
	b, changed := appendUnescapeAttr(buf[:0], v)
	if !changed {
		return v, buf
	}
	return unsafe.String(unsafe.SliceData(b), len(b)), b
}

// cleanText applies the tokenizer's newline normalisation and NUL replacement.
func cleanText(s string) string {
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return s
}

func (t *treeBuilder) appendText(parent *html.Node, s string) {
	if last := parent.LastChild; last != nil && last.Type == html.TextNode {
		// Adjacent text runs are one node, as html.Parse makes them.
		last.Data += s
		return
	}
	parent.AppendChild(t.node(html.TextNode, s))
}

func (t *treeBuilder) attributes() []html.Attribute {
	lx := t.lx
	if lx.nattr == 0 {
		return nil
	}
	start := len(t.attrs)
	if start+lx.nattr > cap(t.attrs) {
		t.attrs = make([]html.Attribute, 0, max(64, lx.nattr))
		start = 0
	}
	for _, kv := range lx.attrSpans() {
		val := attrText(t.str(kv[1]))
		t.attrs = append(t.attrs, html.Attribute{Key: lowerName(t.str(kv[0])), Val: val})
	}
	// Full slice expression: a later append to the slab must not write into this node's attributes.
	return t.attrs[start:len(t.attrs):len(t.attrs)]
}

func (t *treeBuilder) startTag() {
	name := lowerName(t.str(t.lx.data))
	a := atom.Lookup([]byte(name))
	switch a {
	case atom.Html:
		mergeAttrs(t.htmlEl, t.attributes())
		return
	case atom.Head:
		if !t.inBody && t.head == nil {
			t.ensureHead()
			t.head.Attr = t.attributes()
			t.stack = append(t.stack[:0], t.head)
		}
		return
	case atom.Body:
		if t.body == nil {
			t.ensureHead()
			t.body = t.element("body", atom.Body)
			t.body.Attr = t.attributes()
			t.htmlEl.AppendChild(t.body)
		} else {
			mergeAttrs(t.body, t.attributes())
		}
		t.inBody = true
		t.stack = append(t.stack[:0], t.body)
		return
	}
	if !t.inBody {
		if isHeadElement(a) {
			t.ensureHead()
			if len(t.stack) == 0 || t.stack[0] != t.head {
				t.stack = append(t.stack[:0], t.head)
			}
			t.open(name, a)
			return
		}
		t.ensureBody()
	}
	if a == atom.Form && t.form != nil {
		return
	}
	t.impliedEnds(name, a)
	n := t.open(name, a)
	if a == atom.Form {
		t.form = n
	}
}

func (t *treeBuilder) open(name string, a atom.Atom) *html.Node {
	n := t.element(name, a)
	n.Attr = t.attributes()
	t.current().AppendChild(n)
	if !isVoid(a) && len(t.stack) < maxTreeDepth {
		t.stack = append(t.stack, n)
	}
	return n
}

// maxTreeDepth bounds nesting: past it elements become siblings. The text and selector walks
// recurse, and a hostile page of nested tags must not make them exhaust the stack. Real SEI
// pages nest a few dozen levels.
const maxTreeDepth = 512

// impliedEnds closes what the new element ends by the standard's rules.
func (t *treeBuilder) impliedEnds(name string, a atom.Atom) {
	if closesP(a) {
		t.closeInScope(atom.P, 0)
	}
	switch a {
	case atom.Li:
		t.closeInScope(atom.Li, atom.Ul, atom.Ol)
	case atom.Dd, atom.Dt:
		t.closeInScope(atom.Dd, atom.Dl)
		t.closeInScope(atom.Dt, atom.Dl)
	case atom.Option:
		if t.current().DataAtom == atom.Option {
			t.pop()
		}
	case atom.Optgroup:
		if t.current().DataAtom == atom.Option {
			t.pop()
		}
		if t.current().DataAtom == atom.Optgroup {
			t.pop()
		}
	case atom.A:
		t.closeInScope(atom.A, 0)
	case atom.Select:
		t.closeInScope(atom.Select, 0)
	case atom.Tr:
		t.popUntilTableContext(true)
		if cur := t.current(); cur.DataAtom == atom.Table {
			t.openImplied("tbody", atom.Tbody)
		}
	case atom.Td, atom.Th:
		t.closeCell()
		if cur := t.current(); cur.DataAtom == atom.Table || cur.DataAtom == atom.Tbody || cur.DataAtom == atom.Thead || cur.DataAtom == atom.Tfoot {
			if cur.DataAtom == atom.Table {
				t.openImplied("tbody", atom.Tbody)
			}
			t.openImplied("tr", atom.Tr)
		}
	case atom.Tbody, atom.Thead, atom.Tfoot:
		t.popUntilTableContext(false)
	}
}

func (t *treeBuilder) openImplied(name string, a atom.Atom) {
	n := t.element(name, a)
	t.current().AppendChild(n)
	if len(t.stack) < maxTreeDepth {
		t.stack = append(t.stack, n)
	}
}

func (t *treeBuilder) pop() {
	if len(t.stack) > 1 {
		t.stack = t.stack[:len(t.stack)-1]
	}
}

// closeInScope pops up to and including the nearest open element a, when one is open before a
// scope boundary (or one of the extra boundaries).
func (t *treeBuilder) closeInScope(a atom.Atom, extra ...atom.Atom) {
	for i := len(t.stack) - 1; i > 0; i-- {
		d := t.stack[i].DataAtom
		if d == a {
			t.stack = t.stack[:i]
			return
		}
		if isScopeBoundary(d) {
			return
		}
		for _, e := range extra {
			if e != 0 && d == e {
				return
			}
		}
	}
}

func (t *treeBuilder) openInScope(a atom.Atom) bool {
	for i := len(t.stack) - 1; i > 0; i-- {
		d := t.stack[i].DataAtom
		if d == a {
			return true
		}
		if isScopeBoundary(d) || d == atom.Button {
			return false
		}
	}
	return false
}

// popUntilTableContext pops to the innermost table (or, with rows, table section) so a new row or
// section goes in the right place.
func (t *treeBuilder) popUntilTableContext(rows bool) {
	for i := len(t.stack) - 1; i > 0; i-- {
		switch t.stack[i].DataAtom {
		case atom.Table:
			t.stack = t.stack[:i+1]
			return
		case atom.Tbody, atom.Thead, atom.Tfoot:
			if rows {
				t.stack = t.stack[:i+1]
				return
			}
		}
	}
}

// closeCell closes an open cell of the current row.
func (t *treeBuilder) closeCell() {
	for i := len(t.stack) - 1; i > 0; i-- {
		switch t.stack[i].DataAtom {
		case atom.Td, atom.Th:
			t.stack = t.stack[:i]
			return
		case atom.Tr:
			t.stack = t.stack[:i+1]
			return
		case atom.Table, atom.Tbody, atom.Thead, atom.Tfoot:
			return
		}
	}
}

func (t *treeBuilder) endTag() {
	name := lowerName(t.str(t.lx.data))
	switch name {
	case "html", "body", "br":
		return
	case "head":
		if !t.inBody && len(t.stack) > 0 && t.stack[0] == t.head {
			t.stack = t.stack[:0]
		}
		return
	}
	if !t.inBody {
		if len(t.stack) > 0 && t.stack[0] == t.head {
			for i := len(t.stack) - 1; i > 0; i-- {
				if t.stack[i].Data == name {
					t.stack = t.stack[:i]
					return
				}
			}
		}
		return
	}
	// The nearest open element of that name closes, with everything opened inside it. An end tag
	// with no such element before a scope boundary (a cell or table it would leave) is ignored;
	// a table part's end tag may close the cell it is in.
	if name == "p" && !t.openInScope(atom.P) {
		// A </p> with no open p makes an empty one.
		t.open("p", atom.P)
		t.pop()
		return
	}
	if name == "form" {
		if t.form == nil {
			return
		}
		t.form = nil
	}
	tablePart := name == "tr" || name == "tbody" || name == "thead" || name == "tfoot" || name == "table"
	for i := len(t.stack) - 1; i > 0; i-- {
		d := t.stack[i].Data
		if d == name {
			t.stack = t.stack[:i]
			return
		}
		if tablePart && (d == "td" || d == "th" || d == "caption") {
			continue
		}
		if isScopeBoundary(t.stack[i].DataAtom) || (tablePart && (d == "tr" || d == "tbody" || d == "thead" || d == "tfoot") && name == "tr") {
			return
		}
	}
}

func mergeAttrs(n *html.Node, attrs []html.Attribute) {
	for _, a := range attrs {
		found := false
		for _, b := range n.Attr {
			if b.Key == a.Key {
				found = true
				break
			}
		}
		if !found {
			n.Attr = append(n.Attr, a)
		}
	}
}

// unescapeAttr decodes character references in an attribute value as the tokenizer does: a named
// reference without ';' followed by '=' or an alphanumeric stays literal, so the "&not" of
// "?a=1&notificar=1" is not "¬". A value with nothing to decode comes back as it is, unallocated.
func unescapeAttr(s string) string {
	b, changed := appendUnescapeAttr(nil, s)
	if !changed {
		return s
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// appendUnescapeAttr appends the decoded s to dst and says whether decoding changed anything; when
// it did not, dst comes back as it was (nothing appended), so a caller can keep s itself.
func appendUnescapeAttr(dst []byte, s string) ([]byte, bool) {
	last := 0
	changed := false
	emit := func(i, j int, dec string) {
		if !changed {
			changed = true
			if cap(dst)-len(dst) < len(s) {
				dst = append(make([]byte, 0, len(dst)+len(s)), dst...)
			}
		}
		dst = append(dst, s[last:i]...)
		dst = append(dst, dec...)
		last = j
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '&' {
			continue
		}
		j := i + 1
		if j < len(s) && s[j] == '#' {
			// Numeric references decode the same in attributes.
			j++
			if j < len(s) && (s[j] == 'x' || s[j] == 'X') {
				j++
			}
			for j < len(s) && isAlnum(s[j]) {
				j++
			}
			if j < len(s) && s[j] == ';' {
				j++
			}
			dec := html.UnescapeString(s[i:j])
			if dec == s[i:j] {
				continue
			}
			emit(i, j, dec)
			i = j - 1
			continue
		}
		for j < len(s) && isAlnum(s[j]) {
			j++
		}
		semi := j < len(s) && s[j] == ';'
		if semi {
			j++
		}
		if j == i+1 || (!semi && j < len(s) && s[j] == '=') {
			continue
		}
		cand := s[i:j]
		dec := commonEntity(cand)
		if dec == "" {
			dec = html.UnescapeString(cand)
		}
		// Only a whole-name match counts in an attribute (no legacy prefix like "&not" of
		// "&notx"): that decodes to one rune, or two for the few two-rune references (with ';').
		limit := 1
		if semi {
			limit = 2
		}
		if dec == cand || utf8.RuneCountInString(dec) > limit {
			continue
		}
		emit(i, j, dec)
		i = j - 1
	}
	if !changed {
		return dst, false
	}
	return append(dst, s[last:]...), true
}

// commonEntity decodes the references SEI's links are full of without html.UnescapeString's
// allocation; "" for any other.
func commonEntity(ref string) string {
	switch ref {
	case "&amp;":
		return "&"
	case "&quot;":
		return `"`
	case "&lt;":
		return "<"
	case "&gt;":
		return ">"
	}
	return ""
}

func isAlnum(c byte) bool { return isLetter(c) || '0' <= c && c <= '9' }
