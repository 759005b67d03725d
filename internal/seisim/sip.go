package seisim

import (
	"crypto/rand"
	"crypto/sha512"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// serveSIP handles /sip/*: the login page is the only SIP surface SEI users (and probes) see.
func (q *req) serveSIP() {
	switch q.path {
	case "/sip/login.php":
		q.sipLogin()
	case "/sip/", "/sip/index.php":
		// SIP's index sends the user to its own login.
		q.redirect(http.StatusFound, q.abs("/sip/login.php")+"?sigla_orgao_sistema="+q.c.Org+"&sigla_sistema=SIP")
	default:
		notFound(q.w, q.r.URL.Path)
	}
}

const (
	acaoDadosUsuario = "1"
	acaoLogarSenha   = "2"
	acaoLogar2FA     = "5"
	msgSenhaInvalida = "Usuário ou Senha Inválida."
)

func (q *req) sipLogin() {
	raw := q.r.URL.RawQuery
	siglaOrgao, _ := rawQueryValue(raw, "sigla_orgao_sistema")
	siglaSistema, _ := rawQueryValue(raw, "sigla_sistema")
	infraURL, hasInfraURL := rawQueryValue(raw, "infra_url")
	gen := sipGeneration(q.c.SIPVersion)

	sid := q.sessionID()
	newSID := sid == ""
	if newSID {
		sid = newSessionID()
		q.setSessionCookie(sid)
	}
	q.sessionHeaders()

	if siglaSistema != "SEI" || siglaOrgao != q.c.Org {
		// LoginINT::obterSistema throws this for an unknown system/órgão pair.
		q.infraException("Sistema '" + siglaSistema + "/" + siglaOrgao + "' inválido.")
		return
	}

	action := "login.php?sigla_orgao_sistema=" + q.c.Org + "&sigla_sistema=SEI"
	if hasInfraURL && infraURL != "" {
		action += "&infra_url=" + infraURL
	}

	failures := q.in.sessions.failures(sid, q.now)

	var msg, typedUser string
	if q.r.Method == http.MethodPost {
		if err := q.r.ParseForm(); err != nil {
			q.page(http.StatusBadRequest, ctHTML, latin1("Dados inválidos."))
			return
		}
		typedUser = fromLatin1(q.r.PostForm.Get("txtUsuario"))
		if q.wantsLogin(gen) {
			if gen == 30 && q.r.PostForm.Get(sipTokenName(q.c.Org)) != q.in.sipToken(sid) {
				// A login post without the page's token is not one SIP produced.
				q.page(http.StatusOK, ctHTML, latin1("Link inválido."))
				return
			}
			switch {
			case failures >= q.captchaAfter() && !q.captchaSolved(gen, sid):
				msg = captchaMessage(gen)
			default:
				user, ok := q.authenticate()
				if ok {
					q.loginSucceeded(sid, user, infraURL, hasInfraURL, gen)
					return
				}
				msg = msgSenhaInvalida
				failures = q.recordFailure(sid)
			}
		}
	}
	q.renderLogin(gen, action, sid, failures, msg, typedUser)
}

// wantsLogin reports whether the POST asks SIP to check the password: hdnAcao=2 (or 5) on SIP 3,
// the sbmLogin button on SIP 2. hdnAcao=1 only redisplays the page.
func (q *req) wantsLogin(gen int) bool {
	if gen == 2 {
		_, ok := q.r.PostForm["sbmLogin"]
		return ok
	}
	acao := strings.TrimSpace(q.r.PostForm.Get("hdnAcao"))
	if acao == "" {
		acao = q.r.URL.Query().Get("acao")
	}
	_, hasUser := q.r.PostForm["txtUsuario"]
	return hasUser && (acao == acaoLogarSenha || acao == acaoLogar2FA)
}

func captchaMessage(gen int) string {
	if gen == 31 {
		return "Desafio não foi resolvido."
	}
	return "Código de confirmação inválido."
}

func (q *req) captchaSolved(gen int, sid string) bool {
	code := q.in.captchaCode(sid)
	switch gen {
	case 2:
		// SIP 2 compares SHA-512 of the typed code with hdnCaptcha.
		sum := sha512.Sum512([]byte(strings.ToUpper(q.r.PostForm.Get("txtCaptcha"))))
		return hex.EncodeToString(sum[:]) == q.r.PostForm.Get("hdnCaptcha") && q.r.PostForm.Get("hdnCaptcha") == captchaHash(code)
	case 30:
		return strings.EqualFold(q.r.PostForm.Get("txtCaptchaConfirmacao"), code)
	default:
		return strings.EqualFold(q.r.PostForm.Get("txtInfraCaptcha"), code)
	}
}

func captchaHash(code string) string {
	sum := sha512.Sum512([]byte(code))
	return hex.EncodeToString(sum[:])
}

// authenticate checks txtUsuario/pwdSenha/selOrgao against the instance's users.
func (q *req) authenticate() (int, bool) {
	login := strings.TrimSpace(q.r.PostForm.Get("txtUsuario"))
	pass := q.r.PostForm.Get("pwdSenha")
	org := q.r.PostForm.Get("selOrgao")
	for i, u := range q.c.Users {
		if strings.EqualFold(u.Login, login) && u.Password == pass && u.Orgao == org {
			return i, true
		}
	}
	return 0, false
}

func (q *req) recordFailure(sid string) int { return q.in.sessions.addFailure(sid, q.now) }

// loginSucceeded is LoginINT::redirecionarSistema: clear the counters and send the browser to
// SEI's inicializar.php with the login identifiers.
func (q *req) loginSucceeded(sid string, user int, infraURL string, hasInfraURL bool, gen int) {
	q.in.sessions.del(sid)
	var idb [16]byte
	_, _ = rand.Read(idb[:])
	idLogin := hex.EncodeToString(idb[:])
	q.in.sessions.addPending(idLogin, pendingLogin{user: user, uaHash: agentHash(q.r.UserAgent()), created: q.now})
	loc := q.abs("/sei/inicializar.php") + "?infra_sip=true&id_sistema=" + idSistemaSEI
	if gen == 2 {
		loc += "&id_contexto="
	}
	loc += "&id_usuario=" + strconv.Itoa(idUsuarioBase+user) + "&id_login=" + idLogin
	if hasInfraURL && infraURL != "" {
		loc += "&infra_url=" + infraURL
	}
	q.redirect(http.StatusFound, loc)
}

func (q *req) renderLogin(gen int, action, sid string, failures int, msg, typedUser string) {
	infra, _ := q.assetSuffixes()
	var v vals
	v[sTitle] = "SEI / " + q.c.Org
	v[sInfraAsset] = infra
	v[sOrg] = q.c.Org
	v[sOrgDesc] = orgDescription(q.c.Org)
	v[sAction] = htmlEsc(action) // SIP writes the action with &amp; (sip-2.0.4/login.html in collectors/sei testdata)
	v[sOrgOptions] = q.orgOptions()
	v[sUserName] = htmlEsc(typedUser)
	if m, ok := rawQueryValue(q.r.URL.RawQuery, "msg"); ok && q.r.Method == http.MethodGet {
		if dec, err := url.QueryUnescape(m); err == nil && dec != "" {
			v[sMessages] = msgBlock(fromLatin1(dec))
		}
	}
	if msg != "" {
		v[sMessages] += validationBlock(msg)
	}
	captcha := failures >= q.captchaAfter()
	switch gen {
	case 2:
		v[sHidden] = `  <input type="hidden" id="hdnCaptcha" name="hdnCaptcha" class="infraText" value="` + captchaHash(q.in.captchaCode(sid)) + `" />` + "\n"
		if captcha {
			v[sCaptcha] = `      <label id="lblCaptcha" accesskey="" class="infraLabelObrigatorio"><img src="/infra_js/infra_gerar_captcha.php?codetorandom=` + hex.EncodeToString(q.in.derive("captcha-img", sid)[:8]) + `" alt="Não foi possível carregar imagem de confirmação" /></label>
      <label id="lblCodigo" for="txtCaptcha" accesskey="" class="infraLabelObrigatorio">Código de confirmação:</label>
      <input type="text" id="txtCaptcha" name="txtCaptcha" class="infraText" maxlength="4" value="" tabindex="5"/>
`
		}
	case 30:
		v[sHidden] = `    <input type="hidden" id="` + sipTokenName(q.c.Org) + `" name="` + sipTokenName(q.c.Org) + `" value="` + q.in.sipToken(sid) + `"/>` + "\n"
		if captcha {
			v[sCaptcha] = `
                            <div id="divCaptcha" class="pt-3 px-0">
                              <div class="container px-0">
                                <div class="row px-0">
                                  <div class="col-6 d-flex">
      <label id="lblCaptcha" accesskey="" class="infraLabelObrigatorio align-self-end  d-flex m-0">
      <img class="align-self-end" src="data:image/png;base64,` + q.in.srv.t.captchaImg + `" alt="Não foi possível carregar a imagem de confirmação" /></label>
                                  </div>
                                  <div class="col-6">
                                    <div class="d-block">
                                      <label id="lblCodigo" for="txtCaptcha" accesskey="" class="infraLabelObrigatorio" style="font-size:1em;">Código de confirmação:</label>
                                    </div>
                                    <div class="d-block">
                                      <input type="text" id="txtCaptchaConfirmacao" name="txtCaptchaConfirmacao" class="form-control" style="font-size: 1.4rem;text-align: center"  maxlength="4" value="" tabindex="504"/>
                                    </div>
                                  </div>
                                </div>
                              </div>
                            </div>
`
		}
	default:
		if captcha {
			v[sCaptcha] = `                    <div class="pt-3 d-flex justify-content-center">
                      <div id="divInfraCaptcha" class="d-flex"><label id="lblInfraCaptcha" for="txtInfraCaptcha" accesskey="" class="infraLabelObrigatorio"><img id="imgCaptcha" src="data:image/png;base64,` + q.in.srv.t.captchaImg + `" alt="Não foi possível carregar a imagem de confirmação" /></label><input type="text" id="txtInfraCaptcha" name="txtInfraCaptcha" class="infraText form-control" maxlength="4" value="" tabindex="504" autocomplete="off" /><a href="#" onclick="infraGerarNovoCaptcha('/infra_gerar_captcha.php');return false;" title="Gerar novo desafio"><img src="/infra_css/svg/atualizar.svg" class="infraImg" /></a></div>
                    </div>
`
		}
	}
	t := q.in.srv.t.loginNew
	if gen == 2 {
		t = q.in.srv.t.loginOld
	}
	bp := q.in.srv.bufs.get()
	*bp = t.render(*bp, &v, true)
	q.page(http.StatusOK, ctHTML, *bp)
	q.in.srv.bufs.put(bp)
}

// orgOptions is the órgão <select>: numeric ids, "null" for the empty first option; with a
// single órgão SIP preselects it.
func (q *req) orgOptions() string {
	ids := make([]string, 0, 2)
	seen := map[string]bool{}
	for _, u := range q.c.Users {
		if !seen[u.Orgao] {
			seen[u.Orgao] = true
			ids = append(ids, u.Orgao)
		}
	}
	var b strings.Builder
	b.WriteString(`<option value="null">&nbsp;</option>` + "\n")
	for _, id := range ids {
		sel := ""
		if len(ids) == 1 {
			sel = ` selected="selected"`
		}
		b.WriteString(`<option value="` + htmlEsc(id) + `"` + sel + `>` + htmlEsc(orgSigla(q.c.Org, id)) + "</option>\n")
	}
	return b.String()
}

// orgSigla names órgão id of an installation whose main órgão is org.
func orgSigla(org, id string) string {
	if id == "0" {
		return org
	}
	return org + "-" + id
}

// orgDescription is the text of the upper bar (the órgão description, upper case in real SEI).
func orgDescription(org string) string {
	return "ÓRGÃO " + org
}

// validationBlock is how Infra shows a validation message: a hidden textarea plus an alert.
func validationBlock(msg string) string {
	return `<textarea id="txaInfraValidacao" name="txaInfraValidacao" style="display:none">` + htmlEsc(msg) + "</textarea>\n" +
		`<script type="text/javascript" charset="iso-8859-1" >` + "\n" +
		`self.setTimeout('alert(document.getElementById(\'txaInfraValidacao\').value)',300);` + "\n</script>\n"
}

// msgBlock shows the msg= parameter SEI appends when it sends the user back to the login page.
func msgBlock(msg string) string {
	return `<textarea id="txaInfraMsg" name="txaInfraMsg" style="display:none">` + htmlEsc(msg) + "</textarea>\n" +
		`<script type="text/javascript" charset="iso-8859-1" >` + "\n" +
		`self.setTimeout('alert(document.getElementById(\'txaInfraMsg\').value)',300);` + "\n</script>\n"
}
