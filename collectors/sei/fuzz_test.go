package sei

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// seedAll adds every testdata file as a seed.
func seedAll(f *testing.F, pattern string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil {
		f.Fatal(err)
	}
	if len(files) == 0 {
		f.Fatalf("no seeds for %s", pattern)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzScanVersions(f *testing.F) {
	seedAll(f, "*/*.html")
	seedAll(f, "*.html")
	f.Add([]byte(`<img src="a?1.2-3.4-5" title="Sistema Eletrônico de Informações - Versão 1.2 RC"><span class="infraTituloLogoSistema">4.1.5</span>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v := ScanVersions(b)
		for _, s := range []string{v.AssetSEI, v.AssetInfra, v.TitleVersion, v.LogoVersion} {
			if s != "" && !isVersion(s) {
				t.Fatalf("non-version reported as a version: %q", s)
			}
		}
		if v.AssetHash != "" && !isMD5(v.AssetHash) {
			t.Fatalf("bad hash %q", v.AssetHash)
		}
		if v.RandomSuffixes > v.VersionedAssets {
			t.Fatalf("more random suffixes (%d) than versioned assets (%d)", v.RandomSuffixes, v.VersionedAssets)
		}
	})
}

func FuzzParsePage(f *testing.F) {
	seedAll(f, "*/*.html")
	f.Add([]byte(`<form id="frmLogin" action="::bad"><select name="selOrgao"></select><button name="b"></button></form>`))
	f.Add([]byte(`<table><tr><th>Nome</th><th>Versão</th></tr><tr><td></td></tr><tr><td>x</td></tr></table>`))
	base, _ := url.Parse("https://sei.exemplo.gov.br/sip/login.php?x=1")
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePage(b, base)
		if err != nil {
			return
		}
		if f := scanLogin(b, base); f.form != nil && f.form.Method != "GET" && f.form.Method != "POST" {
			t.Fatalf("scanned login form method %q", f.form.Method)
		}
		_ = p.Title()
		_ = p.Messages()
		if fast, _ := ParsePage(b, base); fast != nil {
			// The element index answers as the DOM (p) does.
			if g, w := fast.Actions(), p.Actions(); !slices.Equal(g, w) {
				t.Fatalf("Actions: index %q, DOM %q", g, w)
			}
			if g, w := fast.ModuleDirs(), p.ModuleDirs(); !slices.Equal(g, w) {
				t.Fatalf("ModuleDirs: index %q, DOM %q", g, w)
			}
			all := func(a string) bool { return a != "" }
			if g, w := fast.ActionLinks(`a[href*="acao="]`, "href", all), p.ActionLinks(`a[href*="acao="]`, "href", all); !slices.Equal(g, w) {
				t.Fatalf("ActionLinks: index %q, DOM %q", g, w)
			}
			if g, w := fast.Title(), p.Title(); g != w {
				t.Fatalf("Title: index %q, DOM %q", g, w)
			}
			for _, sel := range []string{"form#frmLogin, form[name=frmLogin]", "#lnkInfraSairSistema", "a[href*=\"acao=\"]", ".infraExcecao", "input[type=hidden]"} {
				if g, w := fast.Has(sel), p.Has(sel); g != w {
					t.Fatalf("Has(%q): index %v, DOM %v", sel, g, w)
				}
				gl, _ := fast.Link(sel)
				wl, _ := p.Link(sel)
				if gl != wl {
					t.Fatalf("Link(%q): index %q, DOM %q", sel, gl, wl)
				}
				// Form is not compared: on misnested markup (<div><form><input></div><input></form>)
				// the index reads the controls up to </form>, which a browser submits, and the DOM only
				// the form's descendants. TestIndexMatchesDOM compares forms on well-nested pages.
				_, _ = fast.Form(sel)
			}
		}
		_ = LoggedIn(p)
		if txt := p.VisibleText(200); len(txt) > 200+len("…") || !utf8.ValidString(txt) && utf8.Valid(b) {
			t.Fatalf("VisibleText too long or broken: %d bytes", len(txt))
		}
		if l, ok := p.Link("#lnkInfraSairSistema, a"); ok {
			if _, err := url.Parse(l); err != nil {
				t.Fatalf("Link returned an unparseable URL %q", l)
			}
		}
		if lf, err := p.LoginForm(); err == nil {
			_, _ = lf.Fill("u", "p", "0")
			_, _ = lf.Fill("u", "p", "")
			if lf.Method != "GET" && lf.Method != "POST" {
				t.Fatalf("method %q", lf.Method)
			}
		}
		rows, _ := p.ModuleTable()
		for _, r := range rows {
			if r.Name == "" {
				t.Fatal("module row without a name")
			}
		}
	})
}

func FuzzParseWSSEI(f *testing.F) {
	seedAll(f, "wssei/*.json")
	f.Add([]byte(`{"sucesso":false,"mensagem":"Módulo incompatível com a versão 1.2.3. do SEI."}`))
	f.Add([]byte(`{"sucesso":true,"data":[1,2,3],"total":-5}`))
	f.Add([]byte(`{"sucesso":true,"data":"x","total":1e99}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseWSSEI(b)
		if err != nil && a.State == WSSEIOK && a.SEI != "" {
			t.Fatalf("error with data: %v", err)
		}
		if a.IncompatibleWith != "" && !isVersion(a.IncompatibleWith) {
			t.Fatalf("leaked version %q is not a version", a.IncompatibleWith)
		}
		if a.Total < -1 || a.Items < 0 {
			t.Fatalf("negative counts %d %d", a.Total, a.Items)
		}
	})
}

func FuzzClassifyWSDL(f *testing.F) {
	seedAll(f, "wsdl/*")
	f.Add([]byte(`<?xml version="1.0" encoding="x-unknown"?><definitions/>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		switch ClassifyWSDL(b, "text/xml") {
		case WSDLOK, WSDLInvalid, WSDLOther:
		default:
			t.Fatal("unknown status")
		}
	})
}

func FuzzDecodeBody(f *testing.F) {
	seedAll(f, "sip-*/*.html")
	seedAll(f, "wssei/*.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, ct := range []string{"", "text/html; charset=iso-8859-1", "application/json", "text/html; charset=bogus"} {
			out := DecodeBody(b, ct)
			if len(b) > 0 && len(out) == 0 {
				t.Fatalf("decoding %q lost the body", ct)
			}
		}
	})
}

func FuzzVersionRanges(f *testing.F) {
	f.Add("4.1.5", "4.0.0-4.0.12")
	f.Add("4.0.12.15", ">=5.0.4")
	f.Add("3.1", "3.*")
	f.Add("", "-")
	f.Fuzz(func(t *testing.T, v, r string) {
		_ = InRange(v, r)
		_ = checkRange(r)
		if c := CompareVersions(v, v); c != 0 {
			t.Fatalf("CompareVersions(%q,%q) = %d", v, v, c)
		}
		if a, b := CompareVersions(v, r), CompareVersions(r, v); a != -b {
			t.Fatalf("not antisymmetric: %q %q → %d %d", v, r, a, b)
		}
		_, _, _ = parseTitleVersion("Sistema Eletrônico de Informações - Versão " + v)
		_ = NormalizeName(v)
		if strings.Contains(NormalizeName(v), "  ") {
			t.Fatal("NormalizeName left a double space")
		}
	})
}

// FuzzLexerMatchesTokenizer checks the copy-free lexer against x/net/html's Tokenizer token by
// token: same kinds, same tag names, same attributes (after TagAttr's decoding), same text.
func FuzzLexerMatchesTokenizer(f *testing.F) {
	seedAll(f, "*/*.html")
	f.Add([]byte(`<img src="svg/sei_barra.svg?4.1.5-2.29.0" title="Sistema Eletrônico de Informações - Versão 4.1.5"/>`))
	f.Add([]byte(`<form id=frmLogin name='frmLogin' action="login.php?a=1&amp;b=2" method=post>`))
	f.Add([]byte(`<a =b c = "d"e=f/g h x=1 X=2>`))
	f.Add([]byte(`<script><!--<script>a</script>--></script><title>A&amp;B</title><style>x</style><!--->`))
	f.Add([]byte("<p>a\r\nb&lt;</p><textarea>\x00</textarea></ x><?php ?><!DOCTYPE html><br/>"))
	// More attributes than the lexer keeps inline, with names repeated before and after that point.
	f.Add([]byte(`<a ` + manyAttrs(40) + ` A0=r a35 a2=s href=/x/>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		z := html.NewTokenizer(bytes.NewReader(b))
		l := newLexer(b)
		for n := 0; ; n++ {
			tt := z.Next()
			lk := l.next()
			want := tokenOf(z, tt)
			got := lexTokenOf(l, lk)
			if got != want {
				t.Fatalf("token %d of %q:\n lexer     %s\n tokenizer %s", n, b, got, want)
			}
			if tt == html.ErrorToken {
				return
			}
		}
	})
}

func tokenOf(z *html.Tokenizer, tt html.TokenType) string {
	switch tt {
	case html.ErrorToken:
		return "EOF"
	case html.TextToken:
		return "text " + strconv.Quote(string(z.Text()))
	case html.CommentToken, html.DoctypeToken:
		return "comment"
	case html.EndTagToken:
		name, _ := z.TagName()
		return "end " + string(name)
	}
	name, more := z.TagName()
	s := fmt.Sprintf("start(%v) %s", tt == html.SelfClosingTagToken, name)
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		s += fmt.Sprintf(" %q=%q", k, v)
	}
	return s
}

func lexTokenOf(l *lexer, k tokKind) string {
	switch k {
	case tokEOF:
		return "EOF"
	case tokText:
		return "text " + strconv.Quote(string(l.text()))
	case tokComment:
		return "comment"
	case tokEnd:
		return "end " + asciiLower(bytes.ReplaceAll(l.b[l.data.start:l.data.end], []byte{0}, []byte("\uFFFD")))
	}
	s := fmt.Sprintf("start(%v) %s", k == tokSelfClosing, asciiLower(bytes.ReplaceAll(l.b[l.data.start:l.data.end], []byte{0}, []byte("\uFFFD"))))
	for i, a := range l.attrSpans() {
		key := asciiLower(bytes.ReplaceAll(l.b[a[0].start:a[0].end], []byte{0}, []byte("\uFFFD")))
		s += fmt.Sprintf(" %q=%q", key, l.attrView(i))
	}
	return s
}

func manyAttrs(n int) string {
	var s []string
	for i := range n {
		s = append(s, fmt.Sprintf("a%d=v%d", i, i))
	}
	return strings.Join(s, " ")
}

func asciiLower(k []byte) string {
	b := []byte(string(k))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func FuzzParseTables(f *testing.F) {
	f.Add(versionsYAML)
	f.Add(modulesYAML)
	f.Add([]byte("releases:\n  - {sei: \"4.1.5\", infra: \"2.29.0\"}\n"))
	f.Add([]byte("compatibility:\n  x:\n    - {module: \">=1.0\", sei: [\"4.*\"]}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if vt, err := parseVersionTable(b, nil); err == nil {
			for _, r := range vt.Releases() {
				if got, ok := vt.ByHash(r.Hash()); !ok || got.Hash() != r.Hash() {
					t.Fatalf("release %+v not found by its hash", r)
				}
			}
		}
		if c, err := parseCatalogue(b, nil); err == nil {
			for _, m := range c.Modules() {
				_, _ = c.Compatible(m.Key, "1.0.0", "4.1.5")
				_ = c.SupportedSEI(m.Key, "1.0.0")
			}
		}
	})
}
