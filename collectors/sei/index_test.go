package sei

import (
	"fmt"
	"net/url"
	"os"
	"slices"
	"testing"

	"github.com/andybalholm/cascadia"
)

// indexCases are pages whose markup the element index must read as the tree does.
var indexCases = map[string]string{
	"duplicate and upper-case attributes": `<A ID=x id=y HREF="a.php?acao=b&amp;c=1" TITLE="T &amp; U">l</A><input NAME=n name=m VALUE="v">`,
	"second body with attributes":         `<body class=a><p id=p>x</p><body id=b class=c>`,
	"second body without attributes":      `<body class=a><p id=p>x</p><body>`,
	"head with attributes":                `<html><head id=h><title>t</title></head><body><a id=a href=x>y</a>`,
	"title entities and self-closing":     `<title/>SEI &amp; SIP &lt;x&gt;</title><title>second</title>`,
	"no title":                            `<p>x</p>`,
	"tags in raw text":                    `<script>var s = '<a id="lnkInfraSairSistema" href="x">';</script><textarea><input name=txtUsuario></textarea><title><form id=frmLogin></title>`,
	"classes":                             "<p class=\" infraExcecao\tx \">e</p><p class=infraExcecaoX>f</p><div class=\"a b\">g</div>",
	"attribute operators":                 `<a href="controlador.php?acao=x" data-x="">1</a><img src="img/a.png"><a href="">2</a><a title="um dois">3</a>`,
	"forms":                               `<form id=f1 action="?acao=um&amp;x=1" method=post><input type=hidden name=h value=1><select name=s><option value=a>A<option value=b selected>B</select><textarea name=t>x</textarea></form><form id=f2 action="http://[::1"><input name=z></form>`,
	"form with a form inside":             `<form id=outer action=o><input name=a><form id=inner action=i><input name=b></form><input name=c></form><form id=inner action=again></form>`,
}

// landingCases are menus and pages with the markup the modules prober reads from the landing page (actions, module directories, menu links, error marker).
var landingCases = map[string]string{
	// Links read as written when they hold no reference, decoded otherwise (attrView).
	"entities in links": `<a href="controlador.php?ac&#97;o=hidden_by_ref&amp;x=1">a</a><a href="c.php?acao=a&#95;b&amp;z=2">b</a>` +
		`<a href="c.php?x=1&amp;acao=after_amp&amp;y">c</a><a href="c.php?acao=cr_\r\nx">d</a><a href="c.php?acao=amp_only&amp">e</a>` +
		`<form action="c.php?acao&#61;eq_ref"></form><script src="/sei/modulos/pe&amp;n/js/x.js"></script>` +
		`<link href="modulos/x&#47;y/z.css"><img src="modulos/plain_dir/a.png&amp;v=1">`,
	"menu": `<ul id="infraMenu"><li><a href="controlador.php?acao=md_pet_intercorrente_listar&amp;infra_hash=1" link="md_pet_menu">Pet</a>` +
		`<li><a href="#" link="pen_expedir">PEN</a><li><A HREF="controlador.php?acao=pen_procedimento_expedido_listar#x">x</A>` +
		`<li><a href="controlador.php?acao=modulo_listar&infra_hash=2">Módulos</a><a>no href</a></ul>` +
		`<img src="modulos/peticionamento/imagens/a.png"><script src="/sei/modulos/pen/js/x.js?1"></script>` +
		`<link rel=stylesheet href="modulos/mod-sei-estatisticas/css/e.css"><img data-src="modulos/nope/x.png"><script>var a='<a href="?acao=in_script">';</script>`,
	"forms nested and self-closing": `<form action="controlador.php?acao=protocolo_pesquisa_rapida&infra_hash=3"><form action="?acao=nested_ignored"></form>` +
		`<form/><form action="?acao=after_self_closing"></form><form action="?acao=next"></form>`,
	"acao cut at quote, space and hash": `<a href="x.php?acao=a1'b">1</a><a href="x.php?acao=a2 b">2</a><a href="x.php?acao=a3#b">3</a><a href="x.php?acao=">4</a>`,
	"module list by onclick":            `<a href="javascript:x()" onclick="location.href='controlador.php?acao=modulo_listar&amp;infra_hash=9'" >Mod</a><a href="controlador.php?acao=modulo_listar&b=1">2</a>`,
	"entities and textarea":             `<textarea><a href="?acao=in_textarea"></textarea><a href="c.php?acao=x&amp;y=1&lt;">e</a><title><a href="?acao=t"></title>`,
	"error page":                        `<div id="divInfraExcecao" class="infraExcecao">Erro</div>`,
	"error class only":                  `<p class=" a infraExcecao\tb">x</p>`,
	"no error":                          `<p class="infraExcecaoX">x</p><p id="divInfraExcecaoY">y</p>`,
}

// indexSelectors must all be answered by the index (they are simple), across the page fixtures.
var indexSelectors = []string{
	"#lnkInfraSairSistema", "#lnkUsuarioSistema", "#frmProtocoloPesquisaRapida", "form#frmLogin, form[name=frmLogin]",
	"input[name=txtUsuario]", "input[name=pwdSenha]", "#divInfraExcecao, .infraExcecao", "a[href*=\"acao=\"]",
	"a[href^=controlador]", "img[src$=\".png\"]", "[data-x]", "[data-x=\"\"]", "a[title~=dois]", "input[type=hidden]",
	"form", "a", "img", "input", "select", "textarea", "title", "p#p", "#a", "#b", ".c", "#h", "form#inner", "form#f2",
	"a[href*=\"acao=modulo_listar\"]", "a[link]", "form[action]", "input[name=m]", "a#x", "a#y", "#lnkInfraSairSistema, a",
	"input[name=txtCaptcha], input[name=txtInfraCaptcha], input[name=txtCaptchaConfirmacao]",
}

// TestIndexMatchesDOM: Has, Attr, Link, Form and Title answer the same from the element index as
// from the DOM, on every page fixture and on tricky markup.
func TestIndexMatchesDOM(t *testing.T) {
	for _, sel := range indexSelectors {
		if _, ok := parseSimple(sel); !ok {
			t.Errorf("%q is not simple: the index would not be tested on it", sel)
		}
	}
	for _, sel := range []string{"div a", "tbody > tr", "a:first-child", "*", "body", "A", "[NAME=x]", `a[href="\\x"]`, "#1x", "a,", "input[name|=x]"} {
		if _, ok := parseSimple(sel); ok {
			t.Errorf("%q parsed as simple", sel)
		}
	}
	inputs := pageInputs(t, map[string]map[string]string{"index": indexCases, "tree": treeCases, "login": loginCases, "landing": landingCases})
	u := mustURL("https://sei.exemplo.gov.br/sei/controlador.php?acao=procedimento_controlar&infra_hash=abc")
	answered := 0
	for name, body := range inputs {
		t.Run(name, func(t *testing.T) {
			fast, _ := ParsePage(body, u)
			dom, _ := ParsePage(body, u)
			dom.Doc()
			if g, w := fast.Title(), dom.Title(); g != w {
				t.Errorf("Title: index %q, DOM %q", g, w)
			}
			for _, sel := range indexSelectors {
				if g, w := fast.Has(sel), dom.Has(sel); g != w {
					t.Errorf("Has(%q): index %v, DOM %v", sel, g, w)
				}
				for _, attr := range []string{"id", "href", "title", "value", "name", "class", "data-x", "Title"} {
					gv, gok := fast.Attr(sel, attr)
					wv, wok := dom.Attr(sel, attr)
					if gv != wv || gok != wok {
						t.Errorf("Attr(%q, %s): index %q %v, DOM %q %v", sel, attr, gv, gok, wv, wok)
					}
				}
				gl, gok := fast.Link(sel)
				wl, wok := dom.Link(sel)
				if gl != wl || gok != wok {
					t.Errorf("Link(%q): index %q %v, DOM %q %v", sel, gl, gok, wl, wok)
				}
				if g, w := formString(fast.Form(sel)), formString(dom.Form(sel)); g != w {
					t.Errorf("Form(%q):\n index %s\n DOM   %s", sel, g, w)
				}
			}
			// What the modules prober reads of a landing page.
			if g, w := fast.Actions(), dom.Actions(); !slices.Equal(g, w) {
				t.Errorf("Actions: index %q, DOM %q", g, w)
			}
			if g, w := fast.ModuleDirs(), dom.ModuleDirs(); !slices.Equal(g, w) {
				t.Errorf("ModuleDirs: index %q, DOM %q", g, w)
			}
			if g, w := fast.Attrs(`a[href*="acao="]`, "href"), dom.Attrs(`a[href*="acao="]`, "href"); !slices.Equal(g, w) {
				t.Errorf("Attrs: index %q, DOM %q", g, w)
			}
			// The modules prober's menu links: every link whose action is not "" and does not
			// start with "x" (so some are kept and some dropped).
			keep := func(a string) bool { return a != "" && a[0] != 'x' }
			if g, w := fast.ActionLinks(`a[href*="acao="]`, "href", keep), dom.ActionLinks(`a[href*="acao="]`, "href", keep); !slices.Equal(g, w) {
				t.Errorf("ActionLinks: index %q, DOM %q", g, w)
			}
			var want []string
			for _, h := range dom.Attrs(`a[href*="acao="]`, "href") {
				if keep(ActionOf(h)) {
					want = append(want, h)
				}
			}
			if g := fast.ActionLinks(`a[href*="acao="]`, "href", keep); !slices.Equal(g, want) {
				t.Errorf("ActionLinks: %q, want the decoded links kept %q", g, want)
			}
			if fast.doc == nil {
				answered++
			}
			// What the index cannot answer goes to the DOM, built on first use.
			for _, sel := range viewSelectors {
				if g, w := fast.Has(sel), dom.Has(sel); g != w {
					t.Errorf("Has(%q) after the index: %v, DOM %v", sel, g, w)
				}
			}
		})
	}
	if answered < len(inputs)-2 {
		t.Errorf("the index answered on %d of %d pages", answered, len(inputs))
	}
}

func formString(f *Form, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("%+v", *f)
}

// BenchmarkLandingQueries asks what the default synthetic journey asks of the landing page: its
// title, two markers, the login form's absence, an attribute, the search form and the logout link.
func BenchmarkLandingQueries(b *testing.B) {
	raw, err := os.ReadFile("testdata/sei-4.1.5/controle_processos.html")
	if err != nil {
		b.Fatal(err)
	}
	body := DecodeBody(raw, "text/html; charset=iso-8859-1")
	u := mustURL("https://sei.exemplo.gov.br/sei/controlador.php?acao=procedimento_controlar")
	for _, mode := range []string{"index", "dom"} {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, _ := ParsePage(body, u)
				if mode == "dom" {
					p.Doc()
				}
				_ = p.Title()
				if p.Has(LoginFormSelector) || !p.Has("#lnkInfraSairSistema") || !p.Has("#frmProtocoloPesquisaRapida") {
					b.Fatal("markers")
				}
				_, _ = p.Attr("#lnkUsuarioSistema", "title")
				if _, err := p.Form("#frmProtocoloPesquisaRapida"); err != nil {
					b.Fatal(err)
				}
				if _, ok := p.Link("#lnkInfraSairSistema"); !ok {
					b.Fatal("no logout link")
				}
			}
		})
	}
}

// FuzzSimpleSelectorIsCSS: every selector the index takes is one cascadia parses, so the index
// never answers for a selector the DOM path would reject.
func FuzzSimpleSelectorIsCSS(f *testing.F) {
	for _, sel := range append(append([]string{}, indexSelectors...), "a[x=\"]\"]", "#a-", ".-a", "a[b='c d']", "[x~=y]", "a , b", ",a", "a,,b", "#x#y.z") {
		f.Add(sel)
	}
	f.Fuzz(func(t *testing.T, sel string) {
		if _, ok := parseSimple(sel); ok {
			if _, err := cascadia.ParseGroup(sel); err != nil {
				t.Fatalf("%q is simple but cascadia rejects it: %v", sel, err)
			}
		}
	})
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
