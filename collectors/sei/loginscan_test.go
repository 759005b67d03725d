package sei

import (
	"fmt"
	"net/url"
	"os"
	"testing"
)

// loginCases are login forms and landing pages with the markup the scan must read like the DOM.
var loginCases = map[string]string{
	"selects and textarea": `<form id="frmLogin" method="post" action="login.php?a=1&amp;b=2"><select name="selOrgao">` +
		`<option value="null">Selecione</option><option value="0" selected>ANATEL</option><option>MD &amp; X</option></select>` +
		`<select name=vazio></select><select name=multi multiple><option value=1>um</select>` +
		`<textarea name=t>
linha &lt;1&gt;</textarea><textarea name=v></textarea><input type=checkbox name=c checked><input type=radio name=r value=x>` +
		`<input name=d disabled value=1><input type=IMAGE name=img value=i><button name=b>Entrar</button><button type=button name=nb>x</button>` +
		`<input type=hidden name=hdnToken0123 value="abc"><input name=hdnAcao type=hidden value=1></form>` +
		`<form id=frmLogin><input name=segundo></form>`,
	"SIP 2 name only, options without end tags": `<FORM NAME="frmLogin" ACTION="login.php"><SELECT NAME="selOrgao"><OPTION VALUE="1">A<OPTION VALUE="2" SELECTED>B</SELECT>` +
		`<INPUT TYPE="submit" NAME="sbmLogin" VALUE="Acessar"></FORM>`,
	"captcha and 2FA":               `<form id="frmLogin"><input name="txtUsuario"><input name="txtInfraCaptcha"></form><div id="divValidacao2FA"></div>`,
	"logout via onclick":            `<a id="lnkInfraSairSistema" href="#" onclick="window.location.href='controlador.php?acao=sair&infra_hash=x'">Sair</a>`,
	"logout javascript then usable": `<a id="lnkInfraSairSistema" href="javascript:void(0)">x</a><a id="lnkInfraSairSistema" href=" sair.php?x=1 ">Sair</a>`,
	"bad action":                    `<form id="frmLogin" action="http://[::1"><input name=x></form>`,
	"two selected options":          `<form id=frmLogin><select name=selOrgao><option value=1 selected>A<option value=2 selected>B</select></form>`,
	"optgroup":                      `<form id=frmLogin><select name=s><optgroup label=g><option value=a>A<option value=b selected>B</optgroup><option>C</select></form>`,
}

// TestScanLoginMatchesDOM: the lexer scan Login uses reads the same login form, captcha, second
// factor, logged-in markers and logout link as the DOM on every page fixture and tricky markup.
func TestScanLoginMatchesDOM(t *testing.T) {
	inputs := pageInputs(t, map[string]map[string]string{"login": loginCases, "tree": treeCases})
	u, _ := url.Parse("https://sei.exemplo.gov.br/sip/login.php?sigla_orgao_sistema=ANATEL&sigla_sistema=SEI")
	forms := 0
	for name, body := range inputs {
		t.Run(name, func(t *testing.T) {
			p, err := ParsePage(body, u)
			if err != nil {
				t.Fatal(err)
			}
			got := scanLogin(body, u)
			want := loginFacts{loginForm: p.Has(LoginFormSelector), captcha: p.Has(captchaSelector), twoFactor: p.Has(twoFactorSelector), loggedIn: LoggedIn(p), logout: LogoutURL(p)}
			if f, err := p.Form(LoginFormSelector); err == nil {
				want.form = f
				forms++
			}
			if g, w := fmt.Sprintf("%+v", deref(got.form)), fmt.Sprintf("%+v", deref(want.form)); g != w {
				t.Errorf("login form:\n scan: %s\n DOM:  %s", g, w)
			}
			got.form, want.form = nil, nil
			if got != want {
				t.Errorf("facts: scan %+v, DOM %+v", got, want)
			}
		})
	}
	if forms < 10 {
		t.Errorf("only %d inputs had a login form", forms)
	}
}

func deref(f *Form) any {
	if f == nil {
		return nil
	}
	return *f
}

func BenchmarkLoginPage(b *testing.B) {
	raw, err := os.ReadFile("testdata/sip-4.1.5/login.html")
	if err != nil {
		b.Fatal(err)
	}
	body := DecodeBody(raw, "text/html; charset=iso-8859-1")
	u, _ := url.Parse("https://sei.exemplo.gov.br/sip/login.php")
	b.Run("scan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if scanLogin(body, u).form == nil {
				b.Fatal("no form")
			}
		}
	})
	b.Run("dom", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, _ := ParsePage(body, u)
			if _, err := p.LoginForm(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
