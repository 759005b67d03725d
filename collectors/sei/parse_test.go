package sei

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fixture reads a testdata file and decodes it the way a response would be (the HTML fixtures are
// ISO-8859-1, as real SEI sends them).
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return DecodeBody(b, "text/html; charset=iso-8859-1")
}

func fixturePage(t testing.TB, name, rawURL string) *Page {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePage(fixture(t, name), u)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDecodeBodyLatin1(t *testing.T) {
	raw, err := os.ReadFile("testdata/sip-4.1.5/login.html")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "Usu\xe1rio") {
		t.Fatal("fixture is expected to be ISO-8859-1 encoded")
	}
	for _, ct := range []string{"text/html; charset=iso-8859-1", "text/html", ""} {
		got := string(DecodeBody(raw, ct))
		if !strings.Contains(got, "Usuário") {
			t.Errorf("content-type %q: body not decoded to UTF-8", ct)
		}
	}
	utf := []byte(`{"mensagem":"Token inválido!"}`)
	if got := DecodeBody(utf, "application/json"); string(got) != string(utf) {
		t.Errorf("UTF-8 JSON changed by decoding: %q", got)
	}
}

func TestScanVersions(t *testing.T) {
	tests := []struct {
		file         string
		want         VersionScan
		prod, prodOK bool
	}{
		{
			file: "sei-4.1.5/controle_processos.html",
			want: VersionScan{Title: "SEI - Controle de Processos", TitleVersion: "4.1.5", AssetSEI: "4.1.5", AssetInfra: "2.29.0"},
			prod: true, prodOK: true,
		},
		{
			file: "sei-4.1.5/controle_processos_nonprod.html",
			want: VersionScan{Title: "SEI - Controle de Processos", TitleVersion: "4.1.5", AssetSEI: "4.1.5", AssetInfra: "2.29.0"},
			prod: false, prodOK: true,
		},
		{
			file: "sei-5.0.3/controle_processos.html",
			want: VersionScan{Title: "SEI - Controle de Processos", TitleVersion: "5.0.3", AssetSEI: "5.0.3", AssetInfra: "2.41.1"},
			prod: true, prodOK: true,
		},
		{
			file: "sei-5.0.0-rc/controle_processos.html",
			want: VersionScan{Title: "SEI - Controle de Processos", TitleVersion: "5.0.0", TitleRC: "RC1", AssetSEI: "5.0.0", AssetRC: "RC1", AssetInfra: "2.30.0"},
			prod: true, prodOK: true,
		},
		{
			file: "sei-3.0.11/controle_processos.html",
			want: VersionScan{Title: "SEI - Controle de Processos", TitleVersion: "3.0.11", AssetSEI: "3.0.11", AssetInfra: "1.466"},
			prod: true, prodOK: true,
		},
		{
			file: "sip-4.1.5/login.html",
			want: VersionScan{Title: "SEI / ORGX", AssetInfra: "2.29.0", LoginForm: true},
			prod: true, prodOK: true,
		},
		{
			file: "sip-4.1.5/login_nonprod.html",
			want: VersionScan{Title: "SEI / ORGX", AssetInfra: "2.29.0", LoginForm: true},
			prod: false, prodOK: true,
		},
		{
			file: "sip-3.0.0/login.html",
			want: VersionScan{Title: "SEI / ABC", AssetInfra: "1.583.4", LoginForm: true},
			prod: true, prodOK: true,
		},
		{
			file: "sip-2.0.4/login.html",
			want: VersionScan{Title: "SEI / ABC", AssetInfra: "1.466", LoginForm: true},
			prod: true, prodOK: true,
		},
		{
			file: "sei-4.1.5/usuario_externo_logar.html",
			want: VersionScan{Title: "SEI - Acesso para Usuários Externos", AssetHash: "dd2e4b04470c0b6dd0141a463b757276", LoginForm: true},
			prod: true, prodOK: true,
		},
		{
			file: "maintenance.html",
			want: VersionScan{Title: "SEI - Sistema em Manutenção", AssetInfra: "2.29.0", Maintenance: true},
			prod: true, prodOK: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := ScanVersions(fixture(t, tt.file))
			// Counters are checked through ProductionMode; compare the rest field by field.
			got.VersionedAssets, got.RandomSuffixes = 0, 0
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ScanVersions:\n got %+v\nwant %+v", got, tt.want)
			}
			prod, ok := ScanVersions(fixture(t, tt.file)).ProductionMode()
			if prod != tt.prod || ok != tt.prodOK {
				t.Errorf("ProductionMode = %v,%v, want %v,%v", prod, ok, tt.prod, tt.prodOK)
			}
		})
	}
}

func TestScanVersionsIgnoresScriptsAndLibraries(t *testing.T) {
	page := []byte(`<html><head><title>x</title>
<script>var t = '<img title="Sistema Eletrônico de Informações - Versão 9.9.9">';</script>
<script src="/infra_js/jquery/jquery-3.7.0.min.js?3.7.0"></script>
<link href="/infra_js/jquery/jquery-ui-1.13.2/jquery-ui.min.css?1.13.2">
<img src="svg/processo_enviar.svg?18"></head><body><p>Processo de manutenção predial</p>
<img src="svg/sei_barra.svg?4.1.5-2.29.0" title="Sistema Eletrônico de Informações - Versão 4.1.5"></body></html>`)
	got := ScanVersions(page)
	if got.TitleVersion != "4.1.5" || got.AssetSEI != "4.1.5" || got.AssetInfra != "2.29.0" {
		t.Errorf("got %+v", got)
	}
	if got.VersionedAssets != 1 {
		t.Errorf("library and unversioned assets counted: %d", got.VersionedAssets)
	}
	if got.Maintenance {
		t.Error("a logged-in page that mentions 'manutenção' in a process name is not a maintenance page")
	}
}

func TestClassifyAssetForms(t *testing.T) {
	tests := []struct {
		src                 string
		sei, infra, rc, md5 string
		random              bool
	}{
		{src: "js/sei.js?4.1.5-2.29.0", sei: "4.1.5", infra: "2.29.0"},
		{src: "js/sei.js?4.1.5-2.29.0-1804289383", sei: "4.1.5", infra: "2.29.0", random: true},
		{src: "/infra_js/InfraUtil.js?2.29.0", infra: "2.29.0"},
		{src: "/infra_js/InfraUtil.js?2.29.0-846930886", infra: "2.29.0", random: true},
		{src: "js/sei.js?5.0.0-RC1-2.30.0", sei: "5.0.0", infra: "2.30.0", rc: "RC1"},
		{src: "js/sei.js?4.0.12.15-1.612.3", sei: "4.0.12.15", infra: "1.612.3"},
		{src: "js/sei.js?dd2e4b04470c0b6dd0141a463b757276", md5: "dd2e4b04470c0b6dd0141a463b757276"},
		{src: "x.js?v=4.1.5"},
		{src: "x.js?18"},
		{src: "x.js?abc-2.29.0"},
		{src: "x.js?123-2.29.0"},
		{src: "x.js?2.29.0-123-4.1.5"},
		{src: "x.js?"},
	}
	for _, tt := range tests {
		var v VersionScan
		var votes assetVotes
		classifyAsset(tt.src, &v, &votes)
		sei, inf, h, rc := votes.sei.best(), votes.infra.best(), votes.hash.best(), votes.rc
		if sei != tt.sei || inf != tt.infra || rc != tt.rc || h != tt.md5 || (v.RandomSuffixes > 0) != tt.random {
			t.Errorf("%s: sei=%q infra=%q rc=%q md5=%q random=%v", tt.src, sei, inf, rc, h, v.RandomSuffixes > 0)
		}
	}
}

func TestParseTitleVersion(t *testing.T) {
	tests := []struct{ in, v, rc string }{
		{"Sistema Eletrônico de Informações - Versão 4.1.5", "4.1.5", ""},
		{"Sistema Eletrônico de Informações - Versão 5.0.0 RC1", "5.0.0", "RC1"},
		{"Sistema EletrÃ´nico de InformaÃ§Ãµes - VersÃ£o 3.0.11", "3.0.11", ""}, // read with the wrong charset
		{"Sistema Eletrônico de Informações", "", ""},
		{"Voltar ao Topo", "", ""},
		{"Sistema Eletrônico de Informações - Versão x.y", "", ""},
	}
	for _, tt := range tests {
		v, rc, _ := parseTitleVersion(tt.in)
		if v != tt.v || rc != tt.rc {
			t.Errorf("%q: got %q,%q want %q,%q", tt.in, v, rc, tt.v, tt.rc)
		}
	}
}

func TestLoginForms(t *testing.T) {
	tests := []struct {
		file       string
		action     string
		submit     string
		token      bool
		hdnAcao    bool
		orgaos     int
		captcha    bool
		wantFields []string
	}{
		{
			file: "sip-4.1.5/login.html", action: "https://sei.exemplo.gov.br/sip/login.php?sigla_orgao_sistema=ORGX&sigla_sistema=SEI&infra_url=L3NlaS8=",
			submit: "sbmAcessar", hdnAcao: true, orgaos: 4,
			wantFields: []string{"txtUsuario", "pwdSenha", "selOrgao", "hdnAcao"},
		},
		{
			file: "sip-3.0.0/login.html", action: "https://sei.exemplo.gov.br/sip/login.php?sigla_orgao_sistema=ABC&sigla_sistema=SEI&infra_url=L3NlaS8=",
			submit: "sbmAcessar", hdnAcao: true, token: true, orgaos: 4,
			wantFields: []string{"txtUsuario", "pwdSenha", "selOrgao", "hdnAcao", "hdnToken0cd8d2a6a1e5d1e0b3a7e2a8f1c4b9d2"},
		},
		{
			file: "sip-2.0.4/login.html", action: "https://sei.exemplo.gov.br/sip/login.php?sigla_orgao_sistema=ABC&sigla_sistema=SEI&infra_url=L3NlaS8=",
			submit: "sbmLogin", orgaos: 2,
			wantFields: []string{"txtUsuario", "pwdSenha", "selOrgao", "hdnCaptcha"},
		},
		{
			file: "sip-4.1.5/login_captcha.html", action: "https://sei.exemplo.gov.br/sip/login.php?sigla_orgao_sistema=ORGX&sigla_sistema=SEI&infra_url=L3NlaS8=",
			submit: "sbmAcessar", hdnAcao: true, orgaos: 4, captcha: true,
			wantFields: []string{"txtUsuario", "pwdSenha", "selOrgao", "hdnAcao", "txtInfraCaptcha"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := fixturePage(t, tt.file, "https://sei.exemplo.gov.br/sip/login.php?sigla_orgao_sistema=X&sigla_sistema=SEI")
			lf, err := p.LoginForm()
			if err != nil {
				t.Fatal(err)
			}
			if lf.Action != tt.action || lf.Method != "POST" {
				t.Errorf("action %s %q, want POST %q", lf.Method, lf.Action, tt.action)
			}
			if s, ok := lf.Submit(""); !ok || s.Name != tt.submit {
				t.Errorf("submit = %+v, want %s", s, tt.submit)
			}
			if (lf.TokenField != "") != tt.token || lf.Has(FieldAction) != tt.hdnAcao || len(lf.Orgaos) != tt.orgaos || lf.Captcha != tt.captcha {
				t.Errorf("token=%q hdnAcao=%v orgaos=%d captcha=%v", lf.TokenField, lf.Has(FieldAction), len(lf.Orgaos), lf.Captcha)
			}
			for _, f := range tt.wantFields {
				if !lf.Has(f) {
					t.Errorf("field %s missing", f)
				}
			}
			if lf.Has("chkLembrar") {
				if _, ok := lf.Value("chkLembrar"); ok {
					t.Error("an unchecked checkbox must not be submitted")
				}
			}
		})
	}
}

func TestLoginFill(t *testing.T) {
	p := fixturePage(t, "sip-3.0.0/login.html", "https://sei.exemplo.gov.br/sip/login.php")
	lf, err := p.LoginForm()
	if err != nil {
		t.Fatal(err)
	}
	v, err := lf.Fill("monitor", "s3cr3t", "ORGY")
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		"txtUsuario": {"monitor"}, "pwdSenha": {"s3cr3t"}, "selOrgao": {"1"}, "hdnAcao": {"2"},
		"hdnToken0cd8d2a6a1e5d1e0b3a7e2a8f1c4b9d2": {"6c1a3e0f4b8d2c7e9a5f1b3d8e2c4a6f"}, "sbmAcessar": {""},
	}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("Fill:\n got %v\nwant %v", v, want)
	}
	if _, err := lf.Fill("u", "p", "NOPE"); !errors.Is(err, ErrNoOrgao) {
		t.Errorf("unknown órgão: err = %v", err)
	}
	if _, err := lf.Fill("u", "p", ""); !errors.Is(err, ErrNoOrgao) {
		t.Errorf("several órgãos, none configured: err = %v", err)
	}

	old := fixturePage(t, "sip-2.0.4/login.html", "https://sei.exemplo.gov.br/sip/login.php")
	olf, err := old.LoginForm()
	if err != nil {
		t.Fatal(err)
	}
	ov, err := olf.Fill("monitor", "s3cr3t", "")
	if err != nil {
		t.Fatal(err)
	}
	if ov.Get("sbmLogin") != "Acessar" || ov.Get("selOrgao") != "0" || ov.Has("hdnAcao") || !ov.Has("hdnCaptcha") {
		t.Errorf("SIP 2 form values: %v", ov)
	}
}

func TestLoggedInPageLinks(t *testing.T) {
	const base = "https://sei.exemplo.gov.br/sei/controlador.php?acao=procedimento_controlar"
	for _, file := range []string{"sei-4.1.5/controle_processos.html", "sei-3.0.11/controle_processos.html", "sei-5.0.3/controle_processos.html"} {
		t.Run(file, func(t *testing.T) {
			p := fixturePage(t, file, base)
			if !LoggedIn(p) || p.Title() != "SEI - Controle de Processos" {
				t.Fatalf("not recognised as logged in: title %q", p.Title())
			}
			out, ok := p.Link("#lnkInfraSairSistema")
			if !ok || !strings.HasPrefix(out, "https://sei.exemplo.gov.br/sei/controlador.php?acao=sair&infra_sistema=") || !strings.Contains(out, "&infra_hash=") {
				t.Errorf("logout link = %q", out)
			}
			f, err := p.Form("#frmProtocoloPesquisaRapida")
			if err != nil {
				t.Fatal(err)
			}
			if f.Method != "POST" || !strings.Contains(f.Action, "acao=protocolo_pesquisa_rapida") || !strings.Contains(f.Action, "infra_hash=") || !f.Has("txtPesquisaRapida") {
				t.Errorf("quick search form = %+v", f)
			}
			cp, ok := p.Link("#lnkControleProcessos")
			if !ok || !strings.Contains(cp, "acao=procedimento_controlar") {
				t.Errorf("onclick link = %q", cp)
			}
		})
	}
}

func TestActionsAndModuleDirs(t *testing.T) {
	p := fixturePage(t, "sei-4.1.5/controle_processos_admin.html", "https://h/sei/controlador.php")
	acts := p.Actions()
	has := func(a string) bool {
		for _, x := range acts {
			if x == a {
				return true
			}
		}
		return false
	}
	for _, a := range []string{"md_pet_adm_vinc_consultar", "modulo_listar", "pen_map_tipo_documento_envio_listar", "sair", "protocolo_pesquisa_rapida"} {
		if !has(a) {
			t.Errorf("action %s not found in %v", a, acts)
		}
	}
	cat := DefaultCatalogue()
	seen := map[string]bool{}
	for _, a := range acts {
		if k, ok := cat.KeyForAction(a); ok {
			seen[k] = true
		}
	}
	if !seen["peticionamento"] || !seen["mod-sei-pen"] || seen["mod-wssei"] {
		t.Errorf("modules from menu: %v", seen)
	}
	if l, ok := p.Link(`a[link="modulo_listar"]`); !ok || !strings.Contains(l, "acao=modulo_listar") {
		t.Errorf("module list link = %q", l)
	}

	html := []byte(`<html><body><img src="modulos/pen/imagens/pen_expedir.png"><script src="modulos/wssei/js/x.js"></script><img src="svg/x.svg"></body></html>`)
	dp, _ := ParsePage(html, nil)
	if got := dp.ModuleDirs(); !reflect.DeepEqual(got, []string{"pen", "wssei"}) {
		t.Errorf("ModuleDirs = %v", got)
	}
}

func TestModuleTable(t *testing.T) {
	p := fixturePage(t, "sei-5.0.3/modulo_listar.html", "https://h/sei/controlador.php")
	rows, ok := p.ModuleTable()
	if !ok {
		t.Fatal("module table not found")
	}
	want := []ModuleRow{
		{"Integração Tramita GOV.BR", "4.0.3", "Ministério da Gestão e da Inovação em Serviços Públicos"},
		{"MdEstatisticas", "2.0.1", "Ministério da Gestão e da Inovação em Serviços Públicos"},
		{"Módulo de serviços REST", "3.0.1", "Ministério da Gestão e da Inovação em Serviços Públicos"},
		{"SEI Peticionamento, Intimação e Procuração", "4.6.5", "ANATEL"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows:\n got %+v\nwant %+v", rows, want)
	}
	cat := DefaultCatalogue()
	keys := map[string]string{}
	for _, r := range rows {
		k, known := cat.Key(r.Name)
		if !known {
			t.Errorf("%q not mapped to a known module", r.Name)
		}
		keys[k] = r.Version
	}
	if !reflect.DeepEqual(keys, map[string]string{"mod-sei-pen": "4.0.3", "mod-wssei": "3.0.1", "peticionamento": "4.6.5", "mod-sei-estatisticas": "2.0.1"}) {
		t.Errorf("keys = %v", keys)
	}
	// The logged-in page has tables, none of them the module list.
	if _, ok := fixturePage(t, "sei-4.1.5/controle_processos.html", "https://h/").ModuleTable(); ok {
		t.Error("process tables taken for the module list")
	}
	// Column order is read from the header.
	swapped, _ := ParsePage([]byte(`<table><tr><th>Versão</th><th>Nome</th></tr><tr><td>1.2.3</td><td>X</td></tr></table>`), nil)
	if r, ok := swapped.ModuleTable(); !ok || len(r) != 1 || r[0] != (ModuleRow{Name: "X", Version: "1.2.3"}) {
		t.Errorf("swapped columns: %+v", r)
	}
}

func TestMessagesAndLanding(t *testing.T) {
	p := fixturePage(t, "sip-4.1.5/login_failed.html", "https://h/sip/login.php")
	if m := p.Messages(); len(m) != 1 || m[0] != "Usuário ou Senha Inválida." {
		t.Errorf("messages = %q", m)
	}
	r := &Response{Status: 200, URL: p.URL, Header: map[string][]string{"Content-Type": {"text/html; charset=iso-8859-1"}}}
	r.Raw, _ = os.ReadFile("testdata/sip-4.1.5/login_failed.html")
	err := CheckLanding(r, p)
	if !errors.Is(err, ErrLoginRejected) || !strings.Contains(err.Error(), "Usuário ou Senha Inválida.") {
		t.Errorf("failed login: %v", err)
	}
	cp := fixturePage(t, "sip-4.1.5/login_captcha.html", "https://h/sip/login.php")
	if err := CheckLanding(r, cp); !errors.Is(err, ErrCaptcha) {
		t.Errorf("captcha page: %v", err)
	}
	ok := fixturePage(t, "sei-4.1.5/controle_processos.html", "https://h/sei/controlador.php")
	if err := CheckLanding(r, ok); err != nil {
		t.Errorf("logged-in page: %v", err)
	}
	mp := fixturePage(t, "maintenance.html", "https://h/sei/")
	mr := &Response{Status: 200, URL: mp.URL, Header: map[string][]string{}}
	mr.Raw, _ = os.ReadFile("testdata/maintenance.html")
	if err := CheckLanding(mr, mp); !errors.Is(err, ErrMaintenance) {
		t.Errorf("maintenance page: %v", err)
	}
}

func TestVisibleTextAndTruncate(t *testing.T) {
	p, _ := ParsePage([]byte(`<html><head><title>T</title><style>.x{}</style></head><body><script>var pwd='x'</script><p>Olá   mundo</p><p>ação</p></body></html>`), nil)
	if got := p.VisibleText(100); got != "Olá mundo ação" {
		t.Errorf("VisibleText = %q", got)
	}
	if got := Truncate("ação", 2); got != "a…" {
		t.Errorf("Truncate cut inside a rune: %q", got)
	}
}

func TestWSSEI(t *testing.T) {
	tests := []struct {
		file  string
		want  WSSEIAnswer
		isErr bool
	}{
		{file: "wssei/versao_v2.json", want: WSSEIAnswer{State: WSSEIOK, SEI: "4.1.5", WSSEI: "2.2.1", Total: -1}},
		{file: "wssei/versao_v1.json", want: WSSEIAnswer{State: WSSEIOK, SEI: "3.0.11", Total: -1}},
		{file: "wssei/acesso_negado.json", want: WSSEIAnswer{State: WSSEIDenied, Message: "Acesso negado!", Total: -1}},
		{file: "wssei/token_invalido.json", want: WSSEIAnswer{State: WSSEIBadToken, Message: "Token inválido!", Total: -1}},
		{file: "wssei/modulo_inativo.json", want: WSSEIAnswer{State: WSSEIInactive, Message: "Módulo inativo.", Total: -1}},
		{file: "wssei/modulo_incompativel.json", want: WSSEIAnswer{State: WSSEIIncompatible, Message: "Módulo incompatível com a versão 4.1.5 do SEI.", IncompatibleWith: "4.1.5", Total: -1}},
		{file: "wssei/orgao_listar.json", want: WSSEIAnswer{State: WSSEIOK, Total: 2, Items: 2}},
		{file: "wssei/autenticar.json", want: WSSEIAnswer{State: WSSEIOK, Token: "YTFiMmMzZDRlNWY2ZzdoOGk5ajA=", Total: -1}},
		{file: "maintenance.html", want: WSSEIAnswer{State: WSSEIAbsent, Total: -1}, isErr: true},
	}
	for _, tt := range tests {
		b, err := os.ReadFile(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseWSSEI(b)
		if (err != nil) != tt.isErr {
			t.Errorf("%s: err = %v", tt.file, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.file, got, tt.want)
		}
	}
}

func TestClassifyWSDL(t *testing.T) {
	tests := []struct {
		file, ct string
		want     WSDLStatus
	}{
		{"wsdl/sei.wsdl", "text/xml", WSDLOK},
		{"wsdl/peticionamento_latin1.wsdl", "application/octet-stream", WSDLOK},
		{"wsdl/servico_invalido.txt", "text/html; charset=iso-8859-1", WSDLInvalid},
		{"wsdl/servico_invalido.txt", "", WSDLInvalid},
		{"maintenance.html", "text/html", WSDLOther},
		{"wssei/versao_v2.json", "application/json", WSDLOther},
	}
	for _, tt := range tests {
		b, err := os.ReadFile(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if got := ClassifyWSDL(b, tt.ct); got != tt.want {
			t.Errorf("%s (%s) = %s, want %s", tt.file, tt.ct, got, tt.want)
		}
	}
}

func TestVersionTable(t *testing.T) {
	vt := DefaultVersionTable()
	r, ok := vt.ByHash("dd2e4b04470c0b6dd0141a463b757276")
	if !ok || r.SEI != "4.1.5" || r.Infra != "2.29.0" {
		t.Errorf("ByHash(md5(4.1.5-2.29.0)) = %+v,%v", r, ok)
	}
	for infra, sei := range map[string]string{"1.466": "3.0.11", "1.583.4": "4.0.1", "2.29.0": "4.1.5", "2.30.0": "5.0.0", "2.41.1": "5.0.3"} {
		if r, ok := vt.ByInfra(infra); !ok || r.SEI != sei {
			t.Errorf("ByInfra(%s) = %+v,%v, want SEI %s", infra, r, ok, sei)
		}
	}
	if r, _ := vt.ByInfra("1.583.4"); r.SIP != "3.0.0" {
		t.Errorf("SIP for 4.0.1 = %q", r.SIP)
	}
	for infra, line := range map[string]string{"2.35.0": "5.0", "2.29.1": "4.1", "1.600": "4.0", "3.0.0": "5.0"} {
		if got, ok := vt.LineForInfra(infra); !ok || got != line {
			t.Errorf("LineForInfra(%s) = %q,%v want %s", infra, got, ok, line)
		}
	}
	if _, ok := vt.LineForInfra("1.0"); ok {
		t.Error("an Infra older than every known release has no line")
	}

	dir := t.TempDir()
	extra := filepath.Join(dir, "v.yaml")
	if err := os.WriteFile(extra, []byte("releases:\n  - {sei: \"4.0.12\", infra: \"1.612.3\", sip: \"3.0.12\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lt, err := LoadVersionTable(extra)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := lt.ByInfra("1.612.3"); !ok || r.SEI != "4.0.12" {
		t.Errorf("merged file: %+v", r)
	}
	if _, ok := lt.ByInfra("2.29.0"); !ok {
		t.Error("merge dropped the embedded releases")
	}
	bad := filepath.Join(dir, "bad.yaml")
	_ = os.WriteFile(bad, []byte("releases:\n  - {sei: \"x\", infra: \"1\"}\n"), 0o600)
	if _, err := LoadVersionTable(bad); err == nil || !strings.Contains(err.Error(), "releases[0]") {
		t.Errorf("bad file: %v", err)
	}
	typo := filepath.Join(dir, "typo.yaml")
	_ = os.WriteFile(typo, []byte("releasse: []\n"), 0o600)
	if _, err := LoadVersionTable(typo); err == nil {
		t.Error("unknown key accepted")
	}
}

func TestCompareVersionsAndRanges(t *testing.T) {
	cmp := []struct {
		a, b string
		want int
	}{
		{"4.1.5", "4.1.5", 0}, {"4.1.5", "4.1.10", -1}, {"5.0.0", "4.9.9", 1}, {"4.0", "4.0.0", 0}, {"1.583.4", "1.466", 1},
	}
	for _, c := range cmp {
		if got := CompareVersions(c.a, c.b); got != c.want {
			t.Errorf("Compare(%s,%s) = %d", c.a, c.b, got)
		}
	}
	rng := []struct {
		v, r string
		want bool
	}{
		{"4.0.5", "4.0.0-4.0.12", true}, {"4.0.13", "4.0.0-4.0.12", false}, {"4.0.12.15", "4.0.0-4.0.12", true},
		{"3.1.7", "3.*", true}, {"4.0.3", "3.*", false}, {"4.0.3", "4.0.*", true}, {"4.01.0", "4.0.*", false},
		{"5.0.4", ">=5.0.4", true}, {"5.0.3", ">=5.0.4", false}, {"1.0.4", "<=1.0.4", true}, {"1.0.5", "<=1.0.4", false},
		{"4.0.3", "4.0.3", true}, {"4.0.3.1", "4.0.3", true}, {"4.0.30", "4.0.3", false},
	}
	for _, c := range rng {
		if got := InRange(c.v, c.r); got != c.want {
			t.Errorf("InRange(%s,%s) = %v", c.v, c.r, got)
		}
	}
}

func TestCompatibilityMatrix(t *testing.T) {
	cat := DefaultCatalogue()
	tests := []struct {
		mod, mv, sv string
		ok, known   bool
	}{
		{"mod-sei-pen", "3.8.1", "4.1.5", true, true},
		{"mod-sei-pen", "3.8.1", "4.2.0", false, true},
		{"mod-sei-pen", "3.8.3", "4.2.0", true, true},
		{"mod-sei-pen", "4.0.2", "5.0.3", true, true},
		{"mod-sei-pen", "4.0.2", "5.0.4", false, true},
		{"mod-sei-pen", "4.0.3", "5.0.4", true, true},
		{"mod-wssei", "2.2.1", "4.1.5", true, true},
		{"mod-wssei", "2.2.1", "5.0.3", false, true},
		{"mod-wssei", "3.0.1", "5.0.3", true, true},
		{"mod-wssei", "3.0.2", "5.1.0", true, true},
		{"mod-wssei", "1.0.4", "3.0.11", true, true},
		{"mod-wssei", "0.7.12", "3.0.11", true, true},
		{"mod-wssei", "2.1.0", "4.0.12", true, true},
		{"mod-sei-estatisticas", "2.0.1", "4.1.3", true, true},
		{"mod-sei-estatisticas", "2.0.1", "5.0.3", false, true},
		{"peticionamento", "4.6.5", "5.0.3", false, true},
		{"peticionamento", "4.6.5", "5.0.4", true, true},
		{"peticionamento", "4.1.0", "4.1.5", false, false},
		{"mod-sei-pen", "9.9.9", "4.1.5", false, false},
		{"mod-unknown", "1.0.0", "4.1.5", false, false},
		{"mod-sei-pen", "", "4.1.5", false, false},
	}
	for _, tt := range tests {
		ok, known := cat.Compatible(tt.mod, tt.mv, tt.sv)
		if ok != tt.ok || known != tt.known {
			t.Errorf("Compatible(%s %s on SEI %s) = %v,%v want %v,%v", tt.mod, tt.mv, tt.sv, ok, known, tt.ok, tt.known)
		}
	}
	for name, key := range map[string]string{
		"Integração Tramita GOV.BR": "mod-sei-pen", "MODULO DE SERVICOS REST": "mod-wssei", "PENIntegracao": "mod-sei-pen",
		"wssei": "mod-wssei", "MdEstatisticas": "mod-sei-estatisticas", "peticionamento": "peticionamento",
	} {
		if k, known := cat.Key(name); !known || k != key {
			t.Errorf("Key(%q) = %q,%v want %s", name, k, known, key)
		}
	}
	if k, known := cat.Key("Módulo Novo de Teste"); known || k != "modulo-novo-de-teste" {
		t.Errorf("unknown module key = %q,%v", k, known)
	}

	dir := t.TempDir()
	f := filepath.Join(dir, "m.yaml")
	_ = os.WriteFile(f, []byte("compatibility:\n  mod-wssei:\n    - {module: \"2.2.1\", sei: [\"5.0.3\"]}\n  mod-novo:\n    - {module: \"1.0.0\", sei: [\"4.*\"]}\n"), 0o600)
	lc, err := LoadCatalogue(f)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := lc.Compatible("mod-wssei", "2.2.1", "5.0.3"); !ok {
		t.Error("file did not replace mod-wssei's matrix")
	}
	if ok, _ := lc.Compatible("mod-sei-pen", "4.0.3", "5.0.4"); !ok {
		t.Error("file dropped other modules' matrices")
	}
	if ok, _ := lc.Compatible("mod-novo", "1.0.0", "4.1.5"); !ok {
		t.Error("file's new module missing")
	}
	for body, want := range map[string]string{
		"compatibility:\n  x:\n    - {module: \"1.0\", sei: []}\n":            "compatibility.x[0].sei",
		"compatibility:\n  x:\n    - {module: \"2.0-1.0\", sei: [\"4.*\"]}\n": "runs backwards",
		"compatibility:\n  x:\n    - {module: \"1.0\", sei: [\"latest\"]}\n":  "compatibility.x[0].sei[0]",
		"modules:\n  - {names: [x]}\n":                                        "modules[0]: key",
		"modulez: []\n":                                                       "modulez",
	} {
		_ = os.WriteFile(f, []byte(body), 0o600)
		if _, err := LoadCatalogue(f); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want mention of %q", body, err, want)
		}
	}
}
