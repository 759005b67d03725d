package seisim

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// Pages are written by PHP files saved in ISO-8859-1, so seisim keeps its templates in UTF-8 Go
// source and converts them once, when parsed, to Latin-1 byte slices. A render is then a sequence
// of memcpys plus a few small dynamic values, which keeps a 22 KB login page at a few microseconds
// and no per-instance copy of any page (10,000 instances share the parsed templates).

// slot names a dynamic value in a template: {{name}} in the template text.
type slot int

const (
	sBase       slot = iota // "/<name>" in path-prefix mode, "" in Host/port mode
	sInfraAsset             // infra asset suffix: "2.29.0" or "2.29.0-<rand>"
	sSEIAsset               // SEI asset suffix: "4.1.5-2.29.0[-<rand>]"
	sSEIVersion             // version shown on pages (honours faults.wrong_version)
	sOrg                    // sigla_orgao
	sOrgDesc                // órgão description
	sAction                 // form action (relative, HTML-escaped)
	sOrgOptions             // <option> list
	sHidden                 // extra hidden inputs (CSRF token)
	sCaptcha                // captcha block
	sMessages               // txaInfraValidacao / txaInfraMsg block
	sUserName               // "Nome (login/ORG)"
	sLinks                  // per-page signed-link block 1
	sLinks2                 // per-page signed-link block 2
	sMenu                   // menu <li> items
	sBody                   // page body
	sTitle                  // <title> text
	sExtHash                // md5("SEI-INFRA") of external pages
	sUnidade                // sigla of the current unit
	sText                   // a message
	sService                // SOAP service name
	sURL                    // absolute URL of the instance
	nSlots
)

var slotNames = map[string]slot{
	"BASE": sBase, "INFRA": sInfraAsset, "SEIASSET": sSEIAsset, "SEIVERSION": sSEIVersion,
	"ORG": sOrg, "ORGDESC": sOrgDesc, "ACTION": sAction, "ORGOPTIONS": sOrgOptions,
	"HIDDEN": sHidden, "CAPTCHA": sCaptcha, "MESSAGES": sMessages, "USERNAME": sUserName,
	"LINKS": sLinks, "LINKS2": sLinks2, "MENU": sMenu, "BODY": sBody, "TITLE": sTitle,
	"EXTHASH": sExtHash, "UNIDADE": sUnidade, "TEXT": sText, "SERVICE": sService, "URL": sURL,
}

// tpl is a parsed template: literal Latin-1 chunks interleaved with slots.
type tpl struct {
	parts []tplPart
	size  int // literal bytes, to size the output buffer
}

type tplPart struct {
	lit  []byte
	slot slot // -1 for a literal
}

// parseTpl converts UTF-8 text with {{NAME}} slots into a template. latin1 selects the output
// encoding of the literals (XML/JSON surfaces stay UTF-8).
func parseTpl(text string, latin1 bool) *tpl {
	t := &tpl{}
	for {
		i := strings.Index(text, "{{")
		if i < 0 {
			break
		}
		j := strings.Index(text[i:], "}}")
		if j < 0 {
			panic("seisim: unterminated slot in template")
		}
		name := text[i+2 : i+j]
		s, ok := slotNames[name]
		if !ok {
			panic(fmt.Sprintf("seisim: unknown template slot %q", name))
		}
		t.addLit(text[:i], latin1)
		t.parts = append(t.parts, tplPart{slot: s})
		text = text[i+j+2:]
	}
	t.addLit(text, latin1)
	return t
}

func (t *tpl) addLit(s string, latin1 bool) {
	if s == "" {
		return
	}
	var b []byte
	if latin1 {
		b = appendLatin1(nil, s)
	} else {
		b = []byte(s)
	}
	t.size += len(b)
	t.parts = append(t.parts, tplPart{lit: b, slot: -1})
}

// vals holds the dynamic values of one render, indexed by slot.
type vals [nSlots]string

// render appends the template to dst; slot values are converted to Latin-1 when latin1.
func (t *tpl) render(dst []byte, v *vals, latin1 bool) []byte {
	for i := range t.parts {
		p := &t.parts[i]
		if p.slot < 0 {
			dst = append(dst, p.lit...)
			continue
		}
		if latin1 {
			dst = appendLatin1(dst, v[p.slot])
		} else {
			dst = append(dst, v[p.slot]...)
		}
	}
	return dst
}

// appendLatin1 appends s converted from UTF-8 to ISO-8859-1; runes outside Latin-1 become '?',
// as PHP's utf8_decode does.
func appendLatin1(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			// Copy the ASCII run in one append.
			j := i + 1
			for j < len(s) && s[j] < utf8.RuneSelf {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r < 256 && r != utf8.RuneError {
			dst = append(dst, byte(r))
		} else {
			dst = append(dst, '?')
		}
		i += n
	}
	return dst
}

// latin1 converts a UTF-8 string to Latin-1 bytes.
func latin1(s string) []byte { return appendLatin1(make([]byte, 0, len(s)), s) }

// bufPool recycles render buffers; pages are 2-130 KB.
type bufPool struct{ p sync.Pool }

func (bp *bufPool) get() *[]byte {
	if b, ok := bp.p.Get().(*[]byte); ok {
		*b = (*b)[:0]
		return b
	}
	b := make([]byte, 0, 32<<10)
	return &b
}

func (bp *bufPool) put(b *[]byte) {
	if cap(*b) > 256<<10 {
		return // do not keep outliers
	}
	bp.p.Put(b)
}

// htmlEsc escapes text for HTML attribute and element content (PHP htmlspecialchars).
func htmlEsc(s string) string {
	if !strings.ContainsAny(s, `&<>"'`) {
		return s
	}
	var b bytes.Buffer
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&#039;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// fromLatin1 decodes ISO-8859-1 bytes (as browsers post and PHP urlencodes them) to UTF-8.
// Valid UTF-8 input is kept as is, since modern clients often send UTF-8.
func fromLatin1(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}
