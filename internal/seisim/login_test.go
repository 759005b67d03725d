package seisim

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestEntryRedirectsToSIPLogin(t *testing.T) {
	e := newEnv(t, testFleet(), Options{})
	for _, path := range []string{"/sei/", "/sei/controlador.php?acao=procedimento_controlar"} {
		b := newBrowser(t)
		r := b.get(e.base("orgao-0001") + path)
		expectStatus(t, r, http.StatusFound)
		loc := r.Header.Get("Location")
		want := e.ts.URL + "/orgao-0001/sip/login.php?sigla_orgao_sistema=ABC&sigla_sistema=SEI&infra_url=" +
			base64.StdEncoding.EncodeToString([]byte("/orgao-0001"+path))
		if loc != want {
			t.Errorf("GET %s: Location %q, want %q", path, loc, want)
		}
	}
}

func TestLoginPageMarkup(t *testing.T) {
	e := newEnv(t, testFleet(), Options{})
	tests := []struct {
		name, instance, infra string
		submit                string
		formID, token         bool
	}{
		{name: "SIP 3.1 (SEI 4.1.5)", instance: "orgao-0001", infra: "2.29.0", submit: "sbmAcessar", formID: true},
		{name: "SIP 3.0 (SEI 4.0.1)", instance: "orgao-0002", infra: "1.583.4", submit: "sbmAcessar", formID: true, token: true},
		{name: "SIP 2.0 (SEI 3.0.11)", instance: "orgao-0003", infra: "1.466", submit: "sbmLogin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t)
			r := b.get(follow(t, b.get(e.base(tc.instance)+"/sei/")))
			expectStatus(t, r, http.StatusOK)
			if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=iso-8859-1" {
				t.Errorf("Content-Type %q", ct)
			}
			if ck := r.Header.Get("Set-Cookie"); !regexp.MustCompile(`^PHPSESSID=[0-9a-v]{26}; path=/` + tc.instance + `/; HttpOnly$`).MatchString(ck) {
				t.Errorf("Set-Cookie %q", ck)
			}
			// The bytes are really Latin-1: "Eletrônico" has a single 0xF4 byte.
			mustContain(t, r.body, "Sistema Eletr\xf4nico de Informa\xe7\xf5es")
			if strings.Contains(string(r.body), "Eletrônico") {
				t.Error("page contains UTF-8 text")
			}
			d := r.doc(t)
			form := d.Find(`form[name="frmLogin"][method="post"]`)
			if form.Length() != 1 {
				t.Fatal("no frmLogin")
			}
			if id, _ := form.Attr("id"); (id == "frmLogin") != tc.formID {
				t.Errorf("form id %q", id)
			}
			for _, sel := range []string{"input#txtUsuario[name=txtUsuario]", "input#pwdSenha[type=password]", "select#selOrgao", "#" + tc.submit} {
				if form.Find(sel).Length() == 0 {
					t.Errorf("form lacks %s", sel)
				}
			}
			if v := attr(t, d, `#selOrgao option`, "value"); v != "null" {
				t.Errorf("first órgão option %q, want null", v)
			}
			if attr(t, d, `#selOrgao option[value="0"]`, "value") != "0" {
				t.Error("no numeric órgão option")
			}
			if tc.submit == "sbmAcessar" && attr(t, d, "input#hdnAcao", "value") != "1" {
				t.Error("hdnAcao is not 1")
			}
			hasToken := form.Find(`input[type=hidden][name^=hdnToken]`).Length() == 1
			if hasToken != tc.token {
				t.Errorf("hdnToken present=%v, want %v", hasToken, tc.token)
			}
			// Assets carry only the Infra version on SIP pages.
			mustContain(t, r.body, "/infra_js/InfraUtil.js?"+tc.infra)
			if strings.Contains(string(r.body), "4.1.5") || strings.Contains(string(r.body), "3.0.11") {
				t.Error("SIP page leaks the SEI version")
			}
			if tc.instance == "orgao-0001" && len(r.body) < 15000 {
				t.Errorf("login page is %d bytes; real SEI's is ~22 KB", len(r.body))
			}
		})
	}
}

func TestProducaoFalseAddsRandomSuffix(t *testing.T) {
	e := newEnv(t, testFleet(), Options{})
	re := regexp.MustCompile(`InfraUtil\.js\?1\.583\.4-(\d+)"`)
	var seen []string
	for i := 0; i < 2; i++ {
		b := newBrowser(t)
		r := b.get(follow(t, b.get(e.base("orgao-0002")+"/sei/")))
		m := re.FindStringSubmatch(r.text())
		if m == nil {
			t.Fatal("no random suffix on the Infra asset version")
		}
		seen = append(seen, m[1])
	}
	if seen[0] == seen[1] {
		t.Errorf("suffix did not change between requests: %v", seen)
	}
	// Production instance: exact version, no suffix.
	b := newBrowser(t)
	r := b.get(follow(t, b.get(e.base("orgao-0001")+"/sei/")))
	mustContain(t, r.body, `InfraUtil.js?2.29.0"`)
}

func TestFullJourney(t *testing.T) {
	e := newEnv(t, testFleet(), Options{})
	b := newBrowser(t)
	base := e.base("orgao-0001")

	r := b.get(base + "/sei/")
	loginURL := follow(t, r)
	page := b.get(loginURL)
	sipCookie := page.Header.Get("Set-Cookie")
	action, form := loginForm(t, page, "monitor", "monitor123", "0", "2")
	r = b.do(http.MethodPost, action, form)
	expectStatus(t, r, http.StatusFound)
	ini := follow(t, r)
	if !strings.HasPrefix(ini, base+"/sei/inicializar.php?infra_sip=true&id_sistema=100000100&id_usuario=") ||
		!strings.Contains(ini, "&id_login=") || !strings.Contains(ini, "&infra_url=") {
		t.Fatalf("SIP redirect %q", ini)
	}
	r = b.get(ini)
	expectStatus(t, r, http.StatusFound)
	newCookie := r.Header.Get("Set-Cookie")
	if newCookie == "" || newCookie == sipCookie {
		t.Errorf("inicializar.php did not regenerate PHPSESSID (%q)", newCookie)
	}
	first := follow(t, r)
	if !strings.HasPrefix(first, base+"/sei/controlador.php?acao=procedimento_controlar&infra_sistema=100000100&infra_unidade_atual=110000001&infra_hash=") {
		t.Fatalf("first page %q", first)
	}
	ctl := b.get(first)
	expectStatus(t, ctl, http.StatusOK)
	d := ctl.doc(t)
	if title := d.Find("title").Text(); title != "SEI - Controle de Processos" {
		t.Errorf("title %q", title)
	}
	for _, sel := range []string{"#lnkUsuarioSistema", "#tblProcessosRecebidos", "#tblProcessosGerados", "#lnkInfraSairSistema", "#frmProtocoloPesquisaRapida input[name=txtPesquisaRapida]"} {
		if d.Find(sel).Length() == 0 {
			t.Errorf("page lacks %s", sel)
		}
	}
	if n := strings.Count(ctl.text(), `<img src="svg/sei_barra.svg?4.1.5-2.29.0" title="Sistema Eletrônico de Informações - Versão 4.1.5"/>`); n != 2 {
		t.Errorf("version image appears %d times, want 2", n)
	}
	mustContain(t, ctl.body, `js/sei.js?4.1.5-2.29.0"`, `/infra_css/infra-global-esquema-3.css?4.1.5-2.29.0"`)
	// Module menu entries: acao= prefixes and images under modulos/<dir>/.
	for _, want := range []string{"acao=md_pet_", "acao=pen_", "acao=md_wssei_", `src="modulos/peticionamento/`, "acao=modulo_listar"} {
		if !strings.Contains(ctl.text(), want) {
			t.Errorf("menu lacks %q", want)
		}
	}

	// Quick search: a known protocol redirects to the process.
	searchAction := resolve(t, ctl, attr(t, d, "#frmProtocoloPesquisaRapida", "action"))
	if !strings.Contains(searchAction, "acao=protocolo_pesquisa_rapida&") || !strings.Contains(searchAction, "&infra_hash=") {
		t.Fatalf("search action %q", searchAction)
	}
	r = b.do(http.MethodPost, searchAction, url.Values{"txtPesquisaRapida": {"00000.000001/2024-00"}})
	expectStatus(t, r, http.StatusFound)
	proc := follow(t, r)
	if !strings.Contains(proc, "acao=procedimento_trabalhar&") || !strings.Contains(proc, "id_procedimento=") {
		t.Fatalf("search redirect %q", proc)
	}
	r = b.get(proc)
	expectStatus(t, r, http.StatusOK)
	mustContain(t, r.body, "<title>SEI - 00000.000001/2024-00</title>", `id="ifrArvore"`)

	// Unknown protocol: the search page without results.
	r = b.do(http.MethodPost, searchAction, url.Values{"txtPesquisaRapida": {"99999.999999/2099-99"}})
	expectStatus(t, r, http.StatusOK)
	mustContain(t, r.body, "Nenhum registro encontrado.")

	// Logout.
	sair := resolve(t, ctl, attr(t, d, "#lnkInfraSairSistema", "href"))
	r = b.get(sair)
	expectStatus(t, r, http.StatusFound)
	if loc := follow(t, r); loc != base+"/sip/login.php?sigla_orgao_sistema=ABC&sigla_sistema=SEI" {
		t.Errorf("logout Location %q", loc)
	}
	// The session is gone: the same signed link now leads to the login page.
	r = b.get(first)
	expectStatus(t, r, http.StatusFound)
	if !strings.Contains(follow(t, r), "/sip/login.php") {
		t.Error("signed link still works after logout")
	}
}

func TestLoginFailures(t *testing.T) {
	e := newEnv(t, testFleet(), Options{})
	base := e.base("orgao-0001")

	t.Run("hdnAcao=1 only redisplays the page", func(t *testing.T) {
		b := newBrowser(t)
		page := b.get(follow(t, b.get(base+"/sei/")))
		action, form := loginForm(t, page, "monitor", "monitor123", "0", "1")
		r := b.do(http.MethodPost, action, form)
		expectStatus(t, r, http.StatusOK)
		if r.doc(t).Find("form#frmLogin").Length() != 1 {
			t.Error("not the login page")
		}
		mustContain(t, r.body, `value="monitor"`)
		if strings.Contains(r.text(), "txaInfraValidacao") {
			t.Error("hdnAcao=1 must not try the password")
		}
	})

	t.Run("wrong password shows SIP's message", func(t *testing.T) {
		b := newBrowser(t)
		page := b.get(follow(t, b.get(base+"/sei/")))
		action, form := loginForm(t, page, "monitor", "errada", "0", "2")
		r := b.do(http.MethodPost, action, form)
		expectStatus(t, r, http.StatusOK)
		if got := strings.TrimSpace(r.doc(t).Find("#txaInfraValidacao").Text()); got != "Usuário ou Senha Inválida." {
			t.Errorf("validation message %q", got)
		}
	})

	t.Run("SIP 3.0 refuses a post without its token", func(t *testing.T) {
		b := newBrowser(t)
		page := b.get(follow(t, b.get(e.base("orgao-0002")+"/sei/")))
		action, form := loginForm(t, page, "monitor", "monitor123", "0", "2")
		for k := range form {
			if strings.HasPrefix(k, "hdnToken") {
				form.Set(k, "forjado")
			}
		}
		r := b.do(http.MethodPost, action, form)
		expectStatus(t, r, http.StatusOK)
		if r.text() != "Link inválido." {
			t.Errorf("body %q", r.text())
		}
	})

	t.Run("SIP 2 logs in with sbmLogin", func(t *testing.T) {
		b := newBrowser(t)
		ctl := b.login(t, e.base("orgao-0003"), "monitor", "monitor123")
		mustContain(t, ctl.body, "<title>SEI - Controle de Processos</title>", "Vers\xe3o 3.0.11")
	})
}

func TestCaptchaAfterFailures(t *testing.T) {
	tests := []struct {
		instance, field, refusal string
		after                    int
	}{
		{instance: "orgao-0001", field: "txtInfraCaptcha", refusal: "Desafio não foi resolvido.", after: 3},
		{instance: "orgao-0002", field: "txtCaptchaConfirmacao", refusal: "Código de confirmação inválido.", after: 2},
	}
	for _, tc := range tests {
		t.Run(tc.instance, func(t *testing.T) {
			f := testFleet()
			for i := range f.Instances {
				if tc.after != 3 {
					f.Instances[i].Faults.CaptchaAfter = tc.after
				}
			}
			e := newEnv(t, f, Options{})
			b := newBrowser(t)
			page := b.get(follow(t, b.get(e.base(tc.instance)+"/sei/")))
			for i := 0; i < tc.after; i++ {
				if page.doc(t).Find("#"+tc.field).Length() != 0 {
					t.Fatalf("captcha shown after %d failures", i)
				}
				action, form := loginForm(t, page, "monitor", "errada", "0", "2")
				page = b.do(http.MethodPost, action, form)
				expectStatus(t, page, http.StatusOK)
			}
			if page.doc(t).Find("input#"+tc.field+"[name="+tc.field+"]").Length() != 1 {
				t.Fatalf("no captcha field %s after %d failures", tc.field, tc.after)
			}
			// Right password, no captcha: refused.
			action, form := loginForm(t, page, "monitor", "monitor123", "0", "2")
			r := b.do(http.MethodPost, action, form)
			expectStatus(t, r, http.StatusOK)
			if got := strings.TrimSpace(r.doc(t).Find("#txaInfraValidacao").Text()); got != tc.refusal {
				t.Errorf("refusal %q, want %q", got, tc.refusal)
			}
			// With the code the login goes through.
			sid := ""
			for _, c := range b.c.Jar.Cookies(r.Request.URL) {
				if c.Name == "PHPSESSID" {
					sid = c.Value
				}
			}
			in, _ := e.sim.lookup(tc.instance)
			action, form = loginForm(t, r, "monitor", "monitor123", "0", "2")
			form.Set(tc.field, in.captchaCode(sid))
			r = b.do(http.MethodPost, action, form)
			expectStatus(t, r, http.StatusFound)
			// A new session starts clean.
			b2 := newBrowser(t)
			if b2.get(follow(t, b2.get(e.base(tc.instance)+"/sei/"))).doc(t).Find("#"+tc.field).Length() != 0 {
				t.Error("captcha shown to a fresh session")
			}
		})
	}
}

func TestSignedLinks(t *testing.T) {
	e := newEnv(t, testFleet(), Options{})
	base := e.base("orgao-0001")
	tamper := []struct {
		name string
		edit func(string) string
		msg  string
	}{
		{name: "wrong hash", edit: func(u string) string { return u[:len(u)-4] + "0000" }, msg: "&msg=Hash+inv%E1lido.+%5B"},
		{name: "missing hash", edit: func(u string) string { return u[:strings.Index(u, "&infra_hash=")] }, msg: "&msg=Link+sem+assinatura."},
		{name: "changed parameter", edit: func(u string) string { return strings.Replace(u, "infra_item_menu=", "infra_item_menu=9", 1) }, msg: "&msg=Hash+inv%E1lido."},
	}
	for _, tc := range tamper {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t)
			ctl := b.login(t, base, "monitor", "monitor123")
			d := ctl.doc(t)
			link := resolve(t, ctl, attr(t, d, "#lnkInfraConfiguracaoSistema", "href"))
			if tc.name == "changed parameter" {
				link = resolve(t, ctl, attr(t, d, `a[link="procedimento_controlar"]`, "href"))
			}
			r := b.get(tc.edit(link))
			expectStatus(t, r, http.StatusFound)
			loc := follow(t, r)
			if !strings.HasPrefix(loc, base+"/sip/login.php?sigla_orgao_sistema=ABC&sigla_sistema=SEI") || !strings.Contains(loc, tc.msg) {
				t.Errorf("Location %q, want login with %q", loc, tc.msg)
			}
			// The login page shows the message.
			lp := b.get(loc)
			if lp.doc(t).Find("#txaInfraMsg").Length() != 1 {
				t.Error("login page does not show the msg")
			}
			// The session was destroyed: the untouched link fails too.
			if r := b.get(link); r.StatusCode != http.StatusFound {
				t.Errorf("session survived a bad link: %d", r.StatusCode)
			}
		})
	}
}

func TestSessionBoundToUserAgent(t *testing.T) {
	e := newEnv(t, testFleet(), Options{})
	b := newBrowser(t)
	ctl := b.login(t, e.base("orgao-0001"), "monitor", "monitor123")
	link := resolve(t, ctl, attr(t, ctl.doc(t), "#lnkControleProcessos", "onclick")[len("window.location.href='"):])
	link = strings.TrimSuffix(link, "'")
	if r := b.get(link); r.StatusCode != http.StatusOK {
		t.Fatalf("same agent: %d", r.StatusCode)
	}
	b.ua = "other-agent/2.0"
	r := b.get(link)
	expectStatus(t, r, http.StatusFound)
	if !strings.Contains(follow(t, r), "/sip/login.php") {
		t.Error("another User-Agent was accepted")
	}

	// The agent also has to match between the SIP login and inicializar.php.
	b2 := newBrowser(t)
	page := b2.get(follow(t, b2.get(e.base("orgao-0001")+"/sei/")))
	action, form := loginForm(t, page, "monitor", "monitor123", "0", "2")
	ini := follow(t, b2.do(http.MethodPost, action, form))
	b2.ua = "changed/1.0"
	r = b2.get(ini)
	expectStatus(t, r, http.StatusFound)
	if !strings.Contains(follow(t, r), "/sip/login.php") {
		t.Error("inicializar.php accepted a login made with another agent")
	}
}
