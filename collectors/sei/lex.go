package sei

// lex.go is a copy-free HTML tokenizer for ScanVersions, the scan every health probe runs. It follows
// the states of golang.org/x/net/html's Tokenizer (tags, attributes, comments, doctypes, raw text,
// RCDATA and script data with its escapes) but yields spans of the input instead of copies: on a
// 22 KB login page the x/net/html Tokenizer allocates for every attribute of every tag, which was
// most of a health probe's CPU. FuzzScanVersionsMatchesTokenizer checks that both give the same
// scan on any input.

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokText
	tokStart
	tokSelfClosing
	tokEnd
	tokComment
)

type span struct{ start, end int }

// maxLexAttrs is how many attributes of a tag the lexer keeps without allocating; a tag with more
// (no SEI page has one, but a hostile or broken page may) moves them to a slice and checks names for
// repetition in a map, so that a tag with thousands of attributes costs linear time.
const maxLexAttrs = 32

type lexer struct {
	b      []byte
	pos    int
	rawTag string // lower case; set after a start tag whose content is raw text

	// The current token.
	kind       tokKind
	raw        span // the whole token
	data       span // text, or the tag name
	rcdata     bool // text of title/textarea: character references apply
	rawText    bool // text of script/style/...: no character references
	attrs      [maxLexAttrs][2]span
	nattr      int                 // attributes of the current tag, in attrs or in over
	over       [][2]span           // all of them, once a tag has more than maxLexAttrs
	overBuf    [][2]span           // over's storage, kept for the next such tag
	overNames  map[string]struct{} // lower-case names in over
	lastValEnd int                 // end of the last saved attribute's value, for self-closing detection
}

func newLexer(b []byte) *lexer { return &lexer{b: b} }

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isLexSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' }

// next advances to the next token.
func (l *lexer) next() tokKind {
	start := l.pos
	l.raw = span{start, start}
	l.data = span{start, start}
	l.rcdata, l.rawText = false, false
	if l.pos >= len(l.b) {
		l.kind = tokEOF
		return l.kind
	}
	if l.rawTag != "" {
		tag := l.rawTag
		l.rawTag = ""
		end := len(l.b)
		switch tag {
		case "plaintext":
		case "script":
			end = l.scriptEnd(start)
		default:
			end = l.rawEnd(start, tag)
		}
		l.pos = end
		if end > start {
			l.kind = tokText
			l.raw = span{start, end}
			l.data = l.raw
			l.rcdata = tag == "title" || tag == "textarea"
			l.rawText = !l.rcdata
			return l.kind
		}
	}
	i := start
	for {
		j := indexByteFrom(l.b, i, '<')
		if j < 0 || j+1 >= len(l.b) {
			// No tag follows (or '<' is the last byte): the rest is text.
			l.pos = len(l.b)
			if start < l.pos {
				l.kind = tokText
				l.raw = span{start, l.pos}
				l.data = l.raw
				return l.kind
			}
			l.kind = tokEOF
			return l.kind
		}
		c := l.b[j+1]
		if !isLetter(c) && c != '/' && c != '!' && c != '?' {
			i = j + 1
			continue
		}
		if start < j {
			l.pos = j
			l.kind = tokText
			l.raw = span{start, j}
			l.data = l.raw
			return l.kind
		}
		break
	}
	// At "<x".
	c := l.b[start+1]
	switch {
	case isLetter(c):
		return l.startTag(start)
	case c == '/':
		if start+2 >= len(l.b) {
			// "</" at the end: text.
			l.pos = len(l.b)
			l.kind = tokText
			l.raw = span{start, l.pos}
			l.data = l.raw
			return l.kind
		}
		c2 := l.b[start+2]
		switch {
		case c2 == '>':
			l.pos = start + 3
			l.kind = tokComment
		case isLetter(c2):
			end, ok := l.readTag(start+2, false)
			if !ok {
				l.pos = len(l.b)
				l.kind = tokEOF
				return l.kind
			}
			l.pos = end
			l.kind = tokEnd
		default:
			l.pos = untilCloseAngle(l.b, start+2)
			l.kind = tokComment
		}
	case c == '!':
		l.pos = l.markupDeclaration(start + 2)
		l.kind = tokComment
	default: // '?'
		l.pos = untilCloseAngle(l.b, start+1)
		l.kind = tokComment
	}
	l.raw = span{start, l.pos}
	return l.kind
}

func indexByteFrom(b []byte, from int, c byte) int {
	for i := from; i < len(b); i++ {
		if b[i] == c {
			return i
		}
	}
	return -1
}

// untilCloseAngle returns the position after the next '>' at or after i (or the end).
func untilCloseAngle(b []byte, i int) int {
	if j := indexByteFrom(b, i, '>'); j >= 0 {
		return j + 1
	}
	return len(b)
}

// markupDeclaration reads what follows "<!": a comment, or a doctype or bogus comment (both end at
// the next '>').
func (l *lexer) markupDeclaration(i int) int {
	b := l.b
	if i+1 >= len(b) {
		return len(b)
	}
	if b[i] == '-' && b[i+1] == '-' {
		return commentEnd(b, i+2)
	}
	return untilCloseAngle(b, i)
}

// commentEnd follows the tokenizer's comment rules: "-->", "--!>", or a '>' right after "<!--"
// and its dashes, ends the comment.
func commentEnd(b []byte, i int) int {
	dash := 0
	beginning := true
	for i < len(b) {
		c := b[i]
		i++
		switch c {
		case '-':
			dash++
			continue
		case '>':
			if dash >= 2 || beginning {
				return i
			}
		case '!':
			if dash >= 2 {
				if i >= len(b) {
					return len(b)
				}
				c = b[i]
				i++
				if c == '>' {
					return i
				} else if c == '-' {
					dash = 1
					beginning = false
					continue
				}
			}
		}
		dash = 0
		beginning = false
	}
	return len(b)
}

var rawTags = [...]string{"iframe", "noembed", "noframes", "noscript", "plaintext", "script", "style", "textarea", "title", "xmp"}

// rawTagOf names the elements whose content the tokenizer reads as raw text or RCDATA.
func rawTagOf(name []byte) string {
	if len(name) < 3 || len(name) > 9 {
		return ""
	}
	var low [9]byte
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	// The constant is returned, not the conversion, so nothing escapes: no allocation per tag.
	for _, t := range rawTags {
		if string(low[:len(name)]) == t {
			return t
		}
	}
	return ""
}

func (l *lexer) startTag(start int) tokKind {
	end, ok := l.readTag(start+1, true)
	if !ok {
		l.pos = len(l.b)
		l.kind = tokEOF
		return l.kind
	}
	l.pos = end
	l.raw = span{start, end}
	l.rawTag = rawTagOf(l.b[l.data.start:l.data.end])
	l.kind = tokStart
	if l.b[end-2] == '/' && (l.nattr == 0 || end-2 != l.lastValEnd-1) {
		l.kind = tokSelfClosing
	}
	return l.kind
}

// readTag reads a tag from its name (at i) to its '>' and returns the position after it; ok is
// false when the input ends first (the tokenizer then yields nothing more). Attributes are saved
// for start tags, first occurrence of a name only.
func (l *lexer) readTag(i int, save bool) (int, bool) {
	b := l.b
	l.nattr = 0
	if l.over != nil {
		l.overBuf, l.over = l.over[:0], nil
		clear(l.overNames)
	}
	l.lastValEnd = 0
	// Name.
	ns := i
	for {
		if i >= len(b) {
			return 0, false
		}
		c := b[i]
		if isLexSpace(c) {
			l.data = span{ns, i}
			i++
			break
		}
		if c == '/' || c == '>' {
			l.data = span{ns, i}
			break
		}
		i++
	}
	i = skipSpace(b, i)
	if i >= len(b) {
		return 0, false
	}
	for {
		if i >= len(b) {
			return 0, false
		}
		if b[i] == '>' {
			return i + 1, true
		}
		// Key.
		ks := i
		for i < len(b) {
			c := b[i]
			if c == '=' && i == ks {
				i++
				continue
			}
			if c == '=' || isLexSpace(c) || c == '/' || c == '>' {
				break
			}
			i++
		}
		key := span{ks, i}
		val := span{i, i}
		if i >= len(b) {
			return 0, false
		}
		// Value.
		i = skipSpace(b, i)
		if i >= len(b) {
			return 0, false
		}
		switch b[i] {
		case '/':
			i++
		case '=':
			i = skipSpace(b, i+1)
			if i >= len(b) {
				return 0, false
			}
			switch q := b[i]; q {
			case '>':
			case '\'', '"':
				vs := i + 1
				j := indexByteFrom(b, vs, q)
				if j < 0 {
					return 0, false
				}
				val = span{vs, j}
				i = j + 1
			default:
				vs := i
				for i < len(b) && !isLexSpace(b[i]) && b[i] != '>' {
					i++
				}
				if i >= len(b) {
					return 0, false
				}
				val = span{vs, i}
				if b[i] != '>' {
					i++
				}
			}
		}
		if save && key.end > key.start && !l.hasAttr(key) {
			l.addAttr(key, val)
			l.lastValEnd = val.end
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return 0, false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isLexSpace(b[i]) {
		i++
	}
	return i
}

// attrSpans is the current tag's attributes, key and value, first occurrence of a name only.
func (l *lexer) attrSpans() [][2]span {
	if l.over != nil {
		return l.over
	}
	return l.attrs[:l.nattr]
}

func (l *lexer) addAttr(key, val span) {
	switch {
	case l.nattr < maxLexAttrs:
		l.attrs[l.nattr] = [2]span{key, val}
	case l.over == nil:
		l.over = append(l.overBuf[:0], l.attrs[:]...)
		if l.overNames == nil {
			l.overNames = make(map[string]struct{}, 2*maxLexAttrs)
		}
		for _, a := range l.over {
			l.overNames[lowerKey(l.b[a[0].start:a[0].end])] = struct{}{}
		}
		fallthrough
	default:
		l.over = append(l.over, [2]span{key, val})
		l.overNames[lowerKey(l.b[key.start:key.end])] = struct{}{}
	}
	l.nattr++
}

func lowerKey(k []byte) string {
	b := []byte(string(k))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func (l *lexer) hasAttr(key span) bool {
	k := l.b[key.start:key.end]
	if l.over != nil {
		_, ok := l.overNames[lowerKey(k)]
		return ok
	}
	for _, a := range l.attrs[:l.nattr] {
		o := l.b[a[0].start:a[0].end]
		if len(o) == len(k) && foldEq(o, k) {
			return true
		}
	}
	return false
}

// rawEnd finds where the raw text or RCDATA of tag ends: at "</tag" followed by a space, '/' or '>'.
func (l *lexer) rawEnd(i int, tag string) int {
	b := l.b
	for {
		j := indexByteFrom(b, i, '<')
		if j < 0 {
			return len(b)
		}
		if j+1 < len(b) && b[j+1] == '/' {
			if endTagAt(b, j+2, tag) {
				return j
			}
		}
		i = j + 1
	}
}

// endTagAt reports "tag" (any case) at i followed by a space, '/' or '>'.
func endTagAt(b []byte, i int, tag string) bool {
	if i+len(tag) >= len(b) {
		return false
	}
	for k := 0; k < len(tag); k++ {
		c := b[i+k]
		if c != tag[k] && c != tag[k]-('a'-'A') {
			return false
		}
	}
	switch b[i+len(tag)] {
	case ' ', '\n', '\r', '\t', '\f', '/', '>':
		return true
	}
	return false
}

// scriptEnd follows the script data states (escaped "<!--" sections and double-escaped nested
// "<script>") to find where a script's content ends.
func (l *lexer) scriptEnd(i int) int {
	b := l.b
	n := len(b)
	var c byte
scriptData:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	if c == '<' {
		goto scriptDataLessThanSign
	}
	goto scriptData

scriptDataLessThanSign:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	switch c {
	case '/':
		if endTagAt(b, i, "script") {
			return i - 2
		}
		if i+len("script") >= n && prefixFoldAtEnd(b, i, "script") {
			return n
		}
		goto scriptData
	case '!':
		goto scriptDataEscapeStart
	}
	i--
	goto scriptData

scriptDataEscapeStart:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	if c == '-' {
		goto scriptDataEscapeStartDash
	}
	i--
	goto scriptData

scriptDataEscapeStartDash:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	if c == '-' {
		goto scriptDataEscapedDashDash
	}
	i--
	goto scriptData

scriptDataEscaped:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	switch c {
	case '-':
		goto scriptDataEscapedDash
	case '<':
		goto scriptDataEscapedLessThanSign
	}
	goto scriptDataEscaped

scriptDataEscapedDash:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	switch c {
	case '-':
		goto scriptDataEscapedDashDash
	case '<':
		goto scriptDataEscapedLessThanSign
	}
	goto scriptDataEscaped

scriptDataEscapedDashDash:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	switch c {
	case '-':
		goto scriptDataEscapedDashDash
	case '<':
		goto scriptDataEscapedLessThanSign
	case '>':
		goto scriptData
	}
	goto scriptDataEscaped

scriptDataEscapedLessThanSign:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	if c == '/' {
		if endTagAt(b, i, "script") {
			return i - 2
		}
		if i+len("script") >= n && prefixFoldAtEnd(b, i, "script") {
			return n
		}
		goto scriptDataEscaped
	}
	if isLetter(c) {
		i--
		goto scriptDataDoubleEscapeStart
	}
	i--
	goto scriptData

scriptDataDoubleEscapeStart:
	for k := 0; k < len("script"); k++ {
		if i >= n {
			return n
		}
		c = b[i]
		i++
		if c != "script"[k] && c != "SCRIPT"[k] {
			i--
			goto scriptDataEscaped
		}
	}
	if i >= n {
		return n
	}
	c = b[i]
	i++
	switch c {
	case ' ', '\n', '\r', '\t', '\f', '/', '>':
		goto scriptDataDoubleEscaped
	}
	i--
	goto scriptDataEscaped

scriptDataDoubleEscaped:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	switch c {
	case '-':
		goto scriptDataDoubleEscapedDash
	case '<':
		goto scriptDataDoubleEscapedLessThanSign
	}
	goto scriptDataDoubleEscaped

scriptDataDoubleEscapedDash:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	switch c {
	case '-':
		goto scriptDataDoubleEscapedDashDash
	case '<':
		goto scriptDataDoubleEscapedLessThanSign
	}
	goto scriptDataDoubleEscaped

scriptDataDoubleEscapedDashDash:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	switch c {
	case '-':
		goto scriptDataDoubleEscapedDashDash
	case '<':
		goto scriptDataDoubleEscapedLessThanSign
	case '>':
		goto scriptData
	}
	goto scriptDataDoubleEscaped

scriptDataDoubleEscapedLessThanSign:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	if c == '/' {
		if endTagAt(b, i, "script") {
			i += len("script") + 1
			goto scriptDataEscaped
		}
		if i+len("script") >= n && prefixFoldAtEnd(b, i, "script") {
			return n
		}
		goto scriptDataDoubleEscaped
	}
	i--
	goto scriptDataDoubleEscaped
}

// prefixFoldAtEnd reports that the input ends inside a possible "</script": the tokenizer then
// reads to the end.
func prefixFoldAtEnd(b []byte, i int, tag string) bool {
	for k := 0; i+k < len(b); k++ {
		if k >= len(tag) {
			return false
		}
		c := b[i+k]
		if c != tag[k] && c != tag[k]-('a'-'A') {
			return false
		}
	}
	return true
}

// foldEq compares equal-length byte strings, ASCII case-insensitively.
func foldEq(a, b []byte) bool {
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
