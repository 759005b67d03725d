package sei

import (
	"bytes"
	"strings"
	"unsafe"

	"golang.org/x/net/html"
)

// VersionScan is what one page says about versions and state, read in a single tokenizer pass (no
// DOM), cheap enough for every health probe.
type VersionScan struct {
	// Title is the <title> text.
	Title string
	// TitleVersion is X from title="Sistema Eletrônico de Informações - Versão X" (logged-in SEI
	// pages); TitleRC the release-candidate suffix SEI 5 may add after it.
	TitleVersion string
	TitleRC      string
	// LogoVersion is the text of span.infraTituloLogoSistema when it is a version.
	LogoVersion string
	// AssetSEI and AssetInfra are the most frequent versions in asset suffixes: "?SEI-INFRA" on SEI
	// pages, "?INFRA" on SIP pages. AssetRC is an RC part between them ("5.0.0-RC1-2.30.0").
	AssetSEI   string
	AssetInfra string
	AssetRC    string
	// RandomSuffixes counts assets whose version ends in a random number: Infra appends mt_rand()
	// when the system runs with Producao=false.
	RandomSuffixes int
	// AssetHash is the md5 asset suffix of external pages (md5("SEI-INFRA")).
	AssetHash string
	// VersionedAssets counts the assets that carried a version.
	VersionedAssets int
	// LoginForm says form#frmLogin (or form[name=frmLogin]) is on the page: the test the
	// sei-docker Kubernetes probes use.
	LoginForm bool
	// Maintenance says the page announces maintenance ("Sistema em Manutenção"): in its title, or
	// in its text when it is neither the login page nor a logged-in page.
	Maintenance bool
}

// ProductionMode reports whether the page looks like Producao=true: assets are versioned and none
// carries a random suffix. ok is false when the page has no versioned asset to judge by.
func (v VersionScan) ProductionMode() (prod, ok bool) {
	if v.VersionedAssets == 0 {
		return false, false
	}
	return v.RandomSuffixes == 0, true
}

// ScanVersions reads a page (UTF-8, see Response.Text; ASCII-compatible raw bytes work for every
// field but TitleVersion) in one pass.
func ScanVersions(body []byte) VersionScan {
	var (
		v        VersionScan
		votes    assetVotes
		inTitle  bool
		inLogo   bool
		maintTxt bool
		skip     int // depth inside <script>/<style>
		title    []byte
	)
	l := newLexer(body)
	for {
		switch l.next() {
		case tokEOF:
			// The scan runs on raw bytes; SEI pages are ISO-8859-1, so a title that is not UTF-8
			// is decoded as a browser would before it reaches an error message or the status page.
			v.Title = string(DecodeBody(title, "text/html; charset=utf-8"))
			// The votes are views of the page (attrView): what the scan returns is copied, so a
			// result that keeps a version does not keep the page.
			v.AssetSEI = strings.Clone(votes.sei.best())
			v.AssetInfra = strings.Clone(votes.infra.best())
			v.AssetHash = strings.Clone(votes.hash.best())
			v.AssetRC = strings.Clone(votes.rc)
			// A process list may well name a "Manutenção" process: body text only counts on a page that
			// is neither the login page nor a logged-in SEI page.
			v.Maintenance = hasMaintenanceText(title) ||
				(maintTxt && !v.LoginForm && v.TitleVersion == "")
			return v
		case tokText:
			if skip > 0 {
				continue
			}
			t := l.text()
			switch {
			case inTitle:
				title = append(title, t...)
			case inLogo:
				if s := strings.TrimSpace(string(t)); isVersion(s) {
					v.LogoVersion = s
				}
			}
			if !maintTxt && !inTitle && hasMaintenanceText(t) {
				maintTxt = true
			}
		case tokEnd:
			switch tagOf(l.b[l.data.start:l.data.end]) {
			case tagTitle:
				inTitle = false
			case tagSpan:
				inLogo = false
			case tagScript, tagStyle:
				if skip > 0 {
					skip--
				}
			}
		case tokStart, tokSelfClosing:
			start := l.kind == tokStart
			tag := tagOf(l.b[l.data.start:l.data.end])
			switch tag {
			case tagTitle:
				inTitle = start
				continue
			case tagScript, tagStyle:
				if start {
					skip++
				}
			}
			if l.nattr == 0 || tag == tagOther {
				continue
			}
			src, titleAttr, class := -1, -1, -1
			for i, a := range l.attrSpans() {
				switch k := l.b[a[0].start:a[0].end]; {
				case attrIs(k, "src"), attrIs(k, "href"):
					src = i
				case attrIs(k, "title"):
					titleAttr = i
				case attrIs(k, "class"):
					class = i
				case attrIs(k, "id"), attrIs(k, "name"):
					if tag == tagForm && l.attrView(i) == "frmLogin" {
						v.LoginForm = true
					}
				}
			}
			switch tag {
			case tagSpan:
				inLogo = start && class >= 0 && hasClass([]byte(l.attrView(class)), "infraTituloLogoSistema")
			case tagImg:
				if titleAttr >= 0 && v.TitleVersion == "" {
					if ver, r, ok := parseTitleVersion(l.attrView(titleAttr)); ok {
						v.TitleVersion, v.TitleRC = strings.Clone(ver), strings.Clone(r)
					}
				}
			}
			if src >= 0 && (tag == tagLink || tag == tagScript || tag == tagImg) {
				if sv := l.b[l.attrSpans()[src][1].start:l.attrSpans()[src][1].end]; bytes.IndexByte(sv, '?') >= 0 {
					classifyAsset(l.attrView(src), &v, &votes)
				}
			}
		}
	}
}

// text is the current text token as the tokenizer's Text gives it: newlines normalised, NUL
// replaced in raw text, character references decoded outside raw text. It copies only when one of
// those applies.
func (l *lexer) text() []byte {
	t := l.b[l.data.start:l.data.end]
	if bytes.IndexByte(t, '\r') < 0 && bytes.IndexByte(t, '&') < 0 && bytes.IndexByte(t, 0) < 0 {
		return t
	}
	t = normalizeNewlines(t)
	if (l.rawText || l.rcdata) && bytes.IndexByte(t, 0) >= 0 {
		t = bytes.ReplaceAll(t, []byte{0}, []byte("\uFFFD"))
	}
	if !l.rawText && bytes.IndexByte(t, '&') >= 0 {
		t = []byte(html.UnescapeString(string(t)))
	}
	return t
}

// attrView is the i-th attribute's value of the current tag (attrText), without a copy when it
// needs no decoding: the string then shares the page's bytes, so a caller that keeps it past the
// scan clones it.
func (l *lexer) attrView(i int) string {
	val := l.b[l.attrSpans()[i][1].start:l.attrSpans()[i][1].end]
	return attrText(unsafe.String(unsafe.SliceData(val), len(val)))
}

func normalizeNewlines(t []byte) []byte {
	if bytes.IndexByte(t, '\r') < 0 {
		return t
	}
	out := make([]byte, 0, len(t))
	for i := 0; i < len(t); i++ {
		if t[i] == '\r' {
			out = append(out, '\n')
			if i+1 < len(t) && t[i+1] == '\n' {
				i++
			}
			continue
		}
		out = append(out, t[i])
	}
	return out
}

// assetVotes counts the versions assets carry; a page has a handful of distinct values, so small
// slices beat maps.
type assetVotes struct {
	sei, infra, hash votes
	rc               string
}

type votes struct {
	vals []string
	n    []int
}

func (v *votes) add(s string) {
	for i, x := range v.vals {
		if x == s {
			v.n[i]++
			return
		}
	}
	v.vals = append(v.vals, s)
	v.n = append(v.n, 1)
}

// best is the most frequent value (the smallest on a tie, for a stable answer).
func (v *votes) best() string {
	best, n := "", 0
	for i, x := range v.vals {
		if v.n[i] > n || (v.n[i] == n && x < best) {
			best, n = x, v.n[i]
		}
	}
	return best
}

type tagKind uint8

const (
	tagOther tagKind = iota
	tagTitle
	tagScript
	tagStyle
	tagForm
	tagSpan
	tagImg
	tagLink
)

// tagOf classifies a tag name (any case).
func tagOf(name []byte) tagKind {
	if len(name) > 6 {
		return tagOther
	}
	var low [6]byte
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	switch string(low[:len(name)]) { // no allocation: the compiler compares in place
	case "title":
		return tagTitle
	case "script":
		return tagScript
	case "style":
		return tagStyle
	case "form":
		return tagForm
	case "span":
		return tagSpan
	case "img":
		return tagImg
	case "link":
		return tagLink
	}
	return tagOther
}

// attrIs compares an attribute name, ASCII case-insensitively, with a lower-case name.
func attrIs(k []byte, name string) bool { return len(k) == len(name) && asciiFoldEq(k, name) }

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func hasClass(classAttr []byte, c string) bool {
	for len(classAttr) > 0 {
		i := 0
		for i < len(classAttr) && isHTMLSpace(classAttr[i]) {
			i++
		}
		j := i
		for j < len(classAttr) && !isHTMLSpace(classAttr[j]) {
			j++
		}
		if string(classAttr[i:j]) == c {
			return true
		}
		classAttr = classAttr[j:]
	}
	return false
}

// parseTitleVersion reads "Sistema Eletrônico de Informações - Versão 4.1.5" (optionally followed
// by an RC word). The accents are matched loosely: a page decoded with the wrong charset still
// yields its version.
func parseTitleVersion(title string) (version, rc string, ok bool) {
	if title == "" {
		return "", "", false
	}
	i := strings.LastIndex(title, "Vers")
	if i < 0 || !strings.HasPrefix(title, "Sistema Eletr") {
		return "", "", false
	}
	rest := title[i+len("Vers"):]
	// Skip "ão", "ao" or mojibake up to the first space.
	sp := strings.IndexByte(rest, ' ')
	if sp < 0 || sp > 6 {
		return "", "", false
	}
	f := strings.Fields(rest[sp:])
	if len(f) == 0 || !isVersion(f[0]) {
		return "", "", false
	}
	if len(f) > 1 {
		rc = strings.Join(f[1:], " ")
	}
	return f[0], rc, true
}

// classifyAsset reads the version an asset URL carries in its query: "?4.1.5-2.29.0" (SEI-INFRA),
// "?2.29.0" (INFRA), either with a "-<mt_rand>" suffix, or "?<md5>" on external pages. Library
// assets whose path already names the version (jquery-3.7.0.min.js?3.7.0) say nothing about SEI.
func classifyAsset(src string, v *VersionScan, votes *assetVotes) {
	q := strings.IndexByte(src, '?')
	if q < 0 || q == len(src)-1 {
		return
	}
	path, query := src[:q], src[q+1:]
	if strings.ContainsAny(query, "=&") {
		return
	}
	if isMD5(query) {
		votes.hash.add(query)
		v.VersionedAssets++
		return
	}
	var versArr [4]string
	vers := versArr[:0]
	var random, word bool
	var rcWord string
	for rest, more := query, true; more; {
		var tok string
		tok, rest, more = strings.Cut(rest, "-")
		switch {
		case isVersion(tok):
			if random || (word && len(vers) == 0) {
				return // a version after the random part is not Infra's format
			}
			vers = append(vers, tok)
		case isDigits(tok):
			if len(vers) == 0 {
				return
			}
			random = true
		case tok != "" && len(vers) == 1 && !random:
			word = true
			rcWord = tok
		default:
			return
		}
	}
	switch len(vers) {
	case 0:
		return
	case 1:
		if strings.Contains(path, vers[0]) {
			return
		}
		votes.infra.add(vers[0])
	default:
		votes.sei.add(vers[0])
		votes.infra.add(vers[len(vers)-1])
		if word {
			votes.rc = rcWord
		}
	}
	v.VersionedAssets++
	if random {
		v.RandomSuffixes++
	}
}

// isVersion reports a dotted numeric version with at least two parts ("2.29.0", "1.466").
func isVersion(s string) bool {
	if len(s) < 3 || len(s) > 32 {
		return false
	}
	dots := 0
	prevDot := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if prevDot {
				return false
			}
			dots++
			prevDot = true
		case c >= '0' && c <= '9':
			prevDot = false
		default:
			return false
		}
	}
	return dots > 0 && !prevDot
}

func isDigits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isMD5(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// hasMaintenanceText matches "Manutenção" in any case, with or without its accents decoded.
func hasMaintenanceText(t []byte) bool {
	if len(t) < 7 {
		return false
	}
	for i := 0; i+7 <= len(t); i++ {
		if t[i]|0x20 == 'm' && asciiFoldEq(t[i:i+7], "manuten") {
			return true
		}
	}
	return false
}

func asciiFoldEq(b []byte, lower string) bool {
	for i := 0; i < len(lower); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
