package sei

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
)

// pageView is everything the probers read from a page, for comparing two parsers.
type pageView struct {
	Title, Visible, Main string
	Messages, Actions    []string
	ModuleDirs           []string
	LoggedIn             bool
	Modules              []ModuleRow
	ModulesOK            bool
	Forms                []string
	Selectors            []string
}

// viewSelectors are the selectors vigia and its default scenario use, and a few structural ones a
// user's scenario might write.
var viewSelectors = []string{
	"#lnkInfraSairSistema", "#lnkUsuarioSistema", "#frmProtocoloPesquisaRapida",
	"form#frmLogin, form[name=frmLogin]", "input[name=txtUsuario]", "input[name=pwdSenha]",
	"#divInfraAreaTelaD", "#divInfraBarraSistema a", "select option[selected]", "table tr td",
	"tbody > tr", "head > title", "html > body", "body > div", "a", "img", "ul > li", "p",
	"#divInfraExcecao, .infraExcecao", "textarea", "td > a", "div div span",
}

func viewOf(t *testing.T, p *Page) pageView {
	t.Helper()
	v := pageView{Title: p.Title(), Visible: p.VisibleText(0), Main: p.MainText(0), Messages: p.Messages(),
		Actions: p.Actions(), ModuleDirs: p.ModuleDirs(), LoggedIn: LoggedIn(p)}
	v.Modules, v.ModulesOK = p.ModuleTable()
	p.Doc().Find("form").Each(func(i int, s *goquery.Selection) {
		// Each form on its own page, so Form's "first match" is that form.
		sub := &Page{URL: p.URL, doc: goquery.NewDocumentFromNode(s.Nodes[0])}
		f, err := sub.Form("form")
		if err != nil {
			v.Forms = append(v.Forms, err.Error())
			return
		}
		v.Forms = append(v.Forms, fmt.Sprintf("%+v", *f))
	})
	if lf, err := p.LoginForm(); err == nil {
		v.Forms = append(v.Forms, fmt.Sprintf("login %+v", *lf.Form))
	}
	for _, sel := range viewSelectors {
		n := p.find(sel).Length()
		link, _ := p.Link(sel)
		title, _ := p.Attr(sel, "title")
		v.Selectors = append(v.Selectors, fmt.Sprintf("%s: n=%d text=%q link=%q title=%q", sel, n, p.Text(sel), link, title))
	}
	return v
}

func parseWithXNetHTML(t *testing.T, body []byte, u *url.URL) *Page {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return &Page{URL: u, doc: doc}
}

// treeCases are markup where a naive tree goes wrong: implied ends, tables without tbody, entities.
var treeCases = map[string]string{
	"implied ends": `<html><head><title>T &amp; U</title></head><body><ul><li>a<li>b</ul>` +
		`<p>one<p>two<div>three</div><dl><dt>x<dd>y</dl><select name=s><option value=1>A<option selected>B</select></body></html>`,
	"nested forms": `<form id=frmLogin action="login.php"><input name=a><form action="?acao=nested"><input name=b></form><input name=c></form>` +
		`<form/><form action="?acao=after_self_closing"><input name=d></form><form action="?acao=next"><input name=e></form>`,
	"table without tbody": `<table id=t><tr><th>Nome<th>Versão<tr><td>mod-wssei<td>3.0.1</table><p>after`,
	"nested tables":       `<table><tr><td><table><tr><td>inner</td></tr></table></td><td>outer</td></tr></table>`,
	"attribute entities": `<a id="lnkInfraSairSistema" href="controlador.php?acao=sair&notificar=1&amp;x=&lt;&copy=2&reg;">Sair</a>` +
		`<a href="?a=&#65;&#x42;&#67">n</a>`,
	"no html head body": `<title>Só título</title><meta charset=utf-8><div id="divInfraAreaTelaD"><textarea name=t>
linha</textarea></div>`,
	"uppercase and void": `<FORM ID=frmLogin METHOD=post ACTION="login.php?x=1"><INPUT TYPE=hidden NAME=h VALUE=v><BR><Input name=txtUsuario><button name=b>ok</button></FORM>`,
	"stray end tags":     `<div id=a></span><span>x</div></p><p>y</b></p></div>`,
	"script and style":   `<head><script>var s = "<div id=x>";</script><style>p{}</style></head><body><noscript>n</noscript><p id=q>q</p>`,
	"crlf and nul":       "<p id=c>a\r\nb\rc\x00d</p>",
	"whitespace before body": `<!DOCTYPE html>
<html>
  <head>
    <title>x</title>
  </head>
  <body>
    <div>y</div>
  </body>
</html>`,
}

// TestTreeMatchesHTMLParse checks that what the probers read from a page is the same with the
// slab-built tree as with html.Parse, on every page fixture and on markup that exercises the tree
// construction rules the builder implements.
// pageInputs are every page fixture, decoded as SEI serves them, and the named markup cases
// (prefixed with their group's name).
func pageInputs(t *testing.T, cases map[string]map[string]string) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("testdata/*/*.html")
	if err != nil {
		t.Fatal(err)
	}
	top, _ := filepath.Glob("testdata/*.html")
	files = append(files, top...)
	if len(files) < 10 {
		t.Fatalf("only %d page fixtures found", len(files))
	}
	inputs := map[string][]byte{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = DecodeBody(raw, "text/html; charset=iso-8859-1")
	}
	for group, cs := range cases {
		for name, s := range cs {
			inputs[group+": "+name] = []byte(s)
		}
	}
	return inputs
}

func TestTreeMatchesHTMLParse(t *testing.T) {
	inputs := pageInputs(t, map[string]map[string]string{"tree": treeCases})
	u, _ := url.Parse("https://sei.exemplo.gov.br/sei/controlador.php?acao=procedimento_controlar")
	for name, body := range inputs {
		t.Run(name, func(t *testing.T) {
			fast, err := ParsePage(body, u)
			if err != nil {
				t.Fatal(err)
			}
			want := viewOf(t, parseWithXNetHTML(t, body, u))
			got := viewOf(t, fast)
			if !reflect.DeepEqual(got, want) {
				gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
				for i := 0; i < gv.NumField(); i++ {
					if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
						t.Errorf("%s differs:\n tree:       %v\n html.Parse: %v", gv.Type().Field(i).Name, gv.Field(i).Interface(), wv.Field(i).Interface())
					}
				}
			}
		})
	}
}

func TestUnescapeAttrMatchesTokenizer(t *testing.T) {
	for _, v := range []string{
		"a&b", "&amp;", "&amp", "&ampx", "&amp=1", "&notificar=1", "&not;", "&notx", "&notin;", "&notx;",
		"&#65;", "&#x42;", "&#67", "&#", "&#x;", "&lt;&gt", "&copy=2", "&copy", "x&reg;y", "&NotEqualTilde;",
		"controlador.php?acao=x&infra_sistema=100000100&infra_hash=abc", "&semi;", "&", "&&", "&;",
	} {
		z := html.NewTokenizer(strings.NewReader(`<a v="` + v + `">`))
		z.Next()
		_, want, _ := z.TagAttr()
		if got := unescapeAttr(v); got != string(want) {
			t.Errorf("unescapeAttr(%q) = %q, tokenizer says %q", v, got, want)
		}
		// A scratch too small for the value and one large enough decode alike.
		var small [2]byte
		var large [256]byte
		for _, buf := range [][]byte{small[:0], large[:0]} {
			if got, _ := attrTextIn(buf, v); got != string(want) {
				t.Errorf("attrTextIn(cap %d, %q) = %q, tokenizer says %q", cap(buf), v, got, want)
			}
		}
	}
}

// A value whose '&' start no reference (raw query separators) is returned as it is: decoding
// links allocated a copy of each even when nothing changed.
func TestUnescapeAttrAllocatesOnlyWhenItDecodes(t *testing.T) {
	raw := "controlador.php?acao=procedimento_controlar&pagina=2&hash=abc"
	if n := testing.AllocsPerRun(100, func() { _ = unescapeAttr(raw) }); n != 0 {
		t.Errorf("unescapeAttr of a value with nothing to decode: %v allocations, want 0", n)
	}
	amp := "controlador.php?acao=procedimento_controlar&amp;infra_sistema=100000100&amp;infra_hash=abc"
	var scratch [512]byte
	if n := testing.AllocsPerRun(100, func() { _, _ = attrTextIn(scratch[:0], amp) }); n != 0 {
		t.Errorf("attrTextIn into a large enough scratch: %v allocations, want 0", n)
	}
}

func BenchmarkParsePage(b *testing.B) {
	raw, err := os.ReadFile("testdata/sei-4.1.5/controle_processos.html")
	if err != nil {
		b.Fatal(err)
	}
	body := DecodeBody(raw, "text/html; charset=iso-8859-1")
	u, _ := url.Parse("https://sei.exemplo.gov.br/sei/")
	// LoggedIn asks four simple selectors: the element index answers them.
	b.Run("index", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			p, _ := ParsePage(body, u)
			_ = LoggedIn(p)
		}
	})
	b.Run("tree", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			p, _ := ParsePage(body, u)
			p.Doc()
			_ = LoggedIn(p)
		}
	})
	b.Run("html.Parse", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(body))
			_ = LoggedIn(&Page{URL: u, doc: doc})
		}
	})
}

func TestTreeDepthIsBounded(t *testing.T) {
	body := strings.Repeat("<div>", 100000) + "fundo" + strings.Repeat("</div>", 100000)
	p, err := ParsePage([]byte(body), nil)
	if err != nil {
		t.Fatal(err)
	}
	depth := 0
	for n := p.Doc().Nodes[0]; n != nil; n = n.LastChild {
		depth++
	}
	if depth > maxTreeDepth+8 {
		t.Errorf("tree %d levels deep, want at most about %d", depth, maxTreeDepth)
	}
	if got := p.VisibleText(0); got != "fundo" {
		t.Errorf("text %q, want the innermost text kept", got)
	}
}
