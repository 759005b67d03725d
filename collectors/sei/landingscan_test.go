package sei

import (
	"net/url"
	"os"
	"reflect"
	"testing"
)

// landingCases are menus and pages with the markup the landing scan must read like the DOM.
var landingCases = map[string]string{
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

// TestScanLandingMatchesDOM: the lexer scans the modules prober uses read the same actions, module
// directories, action links, module list link and error marker as the DOM, on every page fixture.
func TestScanLandingMatchesDOM(t *testing.T) {
	inputs := pageInputs(t, map[string]map[string]string{"landing": landingCases, "login": loginCases, "tree": treeCases})
	u := mustURL("https://sei.exemplo.gov.br/sei/controlador.php?acao=procedimento_controlar&infra_hash=abc")
	menus, errorPages := 0, 0
	for name, body := range inputs {
		t.Run(name, func(t *testing.T) {
			p, err := ParsePage(body, u)
			if err != nil {
				t.Fatal(err)
			}
			got := ScanLanding(body, u, nil)
			want := LandingFacts{Actions: p.Actions(), ModuleDirs: p.ModuleDirs()}
			for _, n := range p.Doc().Find(`a[href*="acao="]`).Nodes {
				for _, a := range n.Attr {
					if a.Key == "href" {
						want.ActionLinks = append(want.ActionLinks, a.Val)
						break
					}
				}
			}
			want.ModuleList, _ = p.Link(`a[href*="acao=modulo_listar"]`)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("landing:\n scan: %+v\n DOM:  %+v", got, want)
			}
			if len(want.ActionLinks) > 0 {
				menus++
			}
			gotErr, wantErr := ScanErrorPage(body), p.Has("#divInfraExcecao, .infraExcecao")
			if gotErr != wantErr {
				t.Errorf("error page: scan %v, DOM %v", gotErr, wantErr)
			}
			if wantErr {
				errorPages++
			}
		})
	}
	if menus < 5 || errorPages < 2 {
		t.Errorf("only %d inputs with action links and %d error pages: the comparison proves little", menus, errorPages)
	}
}

func BenchmarkLandingPage(b *testing.B) {
	raw, err := os.ReadFile("testdata/sei-4.1.5/controle_processos.html")
	if err != nil {
		b.Fatal(err)
	}
	body := DecodeBody(raw, "text/html; charset=iso-8859-1")
	u := mustURL("https://sei.exemplo.gov.br/sei/controlador.php?acao=procedimento_controlar")
	b.Run("scan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if len(ScanLanding(body, u, nil).Actions) == 0 {
				b.Fatal("no actions")
			}
		}
	})
	b.Run("dom", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, _ := ParsePage(body, u)
			if len(p.Actions()) == 0 {
				b.Fatal("no actions")
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
