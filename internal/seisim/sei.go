package seisim

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// serveSEI handles /sei/*.
func (q *req) serveSEI() {
	switch q.path {
	case "/sei/", "/sei/index.php":
		if s := q.validSession(); s != nil {
			q.seiPage(s, "SEI", "", "", "")
			return
		}
		q.toLogin()
	case "/sei/controlador.php":
		q.controlador()
	case "/sei/inicializar.php":
		q.inicializar()
	case "/sei/controlador_ws.php":
		q.wsdl()
	case "/sei/ws/SeiWS.php":
		q.soap()
	case "/sei/controlador_externo.php":
		q.externo()
	case "/sei/publicacoes/controlador_publicacoes.php":
		q.publicacoes()
	default:
		if strings.HasPrefix(q.path, "/sei/modulos/wssei/controlador_ws.php") {
			q.wssei(strings.TrimPrefix(q.path, "/sei/modulos/wssei/controlador_ws.php"))
			return
		}
		notFound(q.w, q.r.URL.Path)
	}
}

// validSession returns the logged-in session of the request, or nil. A session presented with a
// different User-Agent than the one it logged in with is not valid (Infra binds sessions to
// SHA-512 of the agent).
func (q *req) validSession() *session {
	s := q.in.sessions.get(q.sessionID(), q.now)
	if s == nil || !s.loggedIn {
		return nil
	}
	if agentHash(q.r.UserAgent()) != s.uaHash {
		return nil
	}
	return s
}

// toLogin is InfraSessao::validarSessao without a session: back to SIP, carrying the URI.
func (q *req) toLogin() {
	q.sessionHeaders()
	loc := q.loginLink()
	if _, signed := rawQueryValue(q.r.URL.RawQuery, "infra_hash"); !signed {
		uri := q.base + q.path
		if rq := stripInfraParams(q.r.URL.RawQuery); rq != "" {
			uri += "?" + rq
		}
		if uri != "/" {
			loc += "&infra_url=" + b64URI(uri)
		}
	}
	q.redirect(http.StatusFound, loc)
}

// stripInfraParams is removerParametrosLink: the infra_* parameters are never carried over.
func stripInfraParams(raw string) string {
	if !strings.Contains(raw, "infra_") {
		return raw
	}
	var out []string
	for _, kv := range strings.Split(raw, "&") {
		if !strings.HasPrefix(kv, "infra_") && kv != "" {
			out = append(out, kv)
		}
	}
	return strings.Join(out, "&")
}

// sair destroys the session and sends the browser to the login page, with an optional message
// (InfraSessao::sair).
func (q *req) sair(s *session, msg string) {
	if s != nil {
		q.in.sessions.del(s.id)
	}
	q.sessionHeaders()
	loc := q.loginLink()
	if msg != "" {
		loc += "&msg=" + msg
	}
	q.redirect(http.StatusFound, loc)
}

// sign is InfraSessao::assinarLink: append the system and unit, then the hash of the parameters.
func (s *session) sign(params string) string {
	p := params + "&infra_sistema=" + idSistemaSEI + "&infra_unidade_atual=" + idUnidadeAtual
	return "controlador.php?" + p + "&infra_hash=" + linkHash(p, s.secretHx)
}

// signHTML is a signed link as SEI writes it into a page's markup (href, action, onclick, src):
// every '&' as "&amp;". Redirects carry sign's raw form.
func (s *session) signHTML(params string) string {
	return strings.ReplaceAll(s.sign(params), "&", "&amp;")
}

// signMenu is a signed link as SEI's main menu writes it: its own parameters joined by a bare '&',
// only the one before infra_unidade_atual escaped (controle_processos.html in collectors/sei's
// testdata, captured from SEI 4.1.5 and 5.0.3).
func (s *session) signMenu(params string) string {
	return strings.Replace(s.sign(params), "&infra_unidade_atual=", "&amp;infra_unidade_atual=", 1)
}

// checkLink is InfraSessao::validarLink. It returns the message to leave with, or "" when the
// link is correctly signed for this session.
func (q *req) checkLink(s *session) string {
	link, err := url.QueryUnescape(q.r.URL.RawQuery)
	if err != nil {
		link = q.r.URL.RawQuery
	}
	i := strings.Index(link, "&infra_hash=")
	if i < 0 {
		return "Link+sem+assinatura."
	}
	h := link[i+len("&infra_hash="):]
	if len(h) != 64 && len(h) != 192 {
		return latin1QueryEscape("Tamanho de hash inválido.")
	}
	params := strings.Replace(link, "&infra_hash="+h, "", 1)
	if h[:64] != linkHash(params, s.secretHx) {
		return latin1QueryEscape("Hash inválido. [" + q.base + q.path + "?" + link + "]")
	}
	return ""
}

func (q *req) controlador() {
	s := q.validSession()
	if s == nil {
		q.toLogin()
		return
	}
	if msg := q.checkLink(s); msg != "" {
		q.sair(s, msg)
		return
	}
	q.sessionHeaders()
	acao := q.r.URL.Query().Get("acao")
	switch acao {
	case "procedimento_controlar":
		q.controleProcessos(s)
	case "protocolo_pesquisa_rapida":
		q.pesquisaRapida(s)
	case "procedimento_trabalhar":
		q.procedimentoTrabalhar(s)
	case "sair":
		q.sair(s, "")
	case "modulo_listar":
		if !q.c.Users[s.user].Admin {
			q.infraException("Acesso negado a este recurso nesta unidade (modulo_listar / " + siglaUnidade + ").")
			return
		}
		q.moduloListar(s)
	default:
		if label, ok := baseMenuLabel(acao); ok {
			q.seiPage(s, "SEI - "+label, "", "", listaVazia(label))
			return
		}
		for _, m := range q.c.Modules {
			mi := moduleCatalog(m.Name)
			if !strings.HasPrefix(acao, mi.Prefix) {
				continue
			}
			if m.Broken {
				q.fatalError()
				return
			}
			if m.Inactive {
				break
			}
			q.seiPage(s, "SEI - "+mi.displayName(m.Version), "", "", listaVazia(mi.displayName(m.Version)))
			return
		}
		q.infraException("Ação '" + acao + "' não reconhecida pelo controlador.")
	}
}

// inicializar.php: SEI takes the login from SIP, regenerates the session id and opens the
// initial page.
func (q *req) inicializar() {
	qs := q.r.URL.Query()
	if qs.Get("infra_sip") != "true" {
		if s := q.validSession(); s != nil {
			q.redirect(http.StatusFound, s.sign("acao=procedimento_controlar"))
			return
		}
		q.toLogin()
		return
	}
	for _, k := range [...]struct{ key, msg string }{
		{"id_login", "Identificador de login não informado."},
		{"id_sistema", "Identificador do Sistema não informado."},
		{"id_usuario", "Identificador do Usuário não informado."},
	} {
		if strings.TrimSpace(qs.Get(k.key)) == "" {
			q.sair(nil, latin1QueryEscape(k.msg))
			return
		}
	}
	p, ok := q.in.sessions.takePending(qs.Get("id_login"), q.now)
	if !ok || qs.Get("id_usuario") != strconv.Itoa(idUsuarioBase+p.user) || qs.Get("id_sistema") != idSistemaSEI ||
		agentHash(q.r.UserAgent()) != p.uaHash {
		q.sair(nil, "")
		return
	}
	if old := q.sessionID(); old != "" {
		q.in.sessions.del(old)
	}
	sec, hx := newSecret()
	s := &session{id: newSessionID(), loggedIn: true, user: p.user, uaHash: p.uaHash, secret: sec, secretHx: hx}
	q.in.sessions.put(s, q.now)
	q.setSessionCookie(s.id)
	q.sessionHeaders()
	q.redirect(http.StatusFound, s.sign(initialParams(qs.Get("infra_url"))))
}

// initialParams picks the first page: the controller action carried in infra_url when there is
// one, the process control otherwise.
func initialParams(infraURL string) string {
	if infraURL != "" {
		// The value travelled unescaped; '+' may have become ' ' on the way.
		raw, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(infraURL, " ", "+"))
		if err == nil {
			if _, q, ok := strings.Cut(string(raw), "controlador.php?"); ok {
				if v, err := url.ParseQuery(q); err == nil {
					if a := v.Get("acao"); a != "" && a != "usuario_login" && a != "sair" {
						return stripInfraParams(q)
					}
				}
			}
		}
	}
	return "acao=procedimento_controlar"
}

// pesquisaRapida: a protocol number that matches one process goes straight to it (302), as SEI's
// quick search does; no match shows the search page with no results.
func (q *req) pesquisaRapida(s *session) {
	if q.r.Method == http.MethodPost {
		_ = q.r.ParseForm()
	}
	term := digits(q.r.PostForm.Get("txtPesquisaRapida"))
	if term != "" {
		for i, p := range q.c.Protocols {
			if digits(p) == term {
				q.redirect(http.StatusFound, s.sign("acao=procedimento_trabalhar&acao_origem=protocolo_pesquisa_rapida&id_procedimento="+procedimentoID(i)))
				return
			}
		}
	}
	body := `<div id="divInfraBarraLocalizacao" class="infraBarraLocalizacao" tabindex="450">Pesquisar em Processos</div>
<div id="divInfraAreaTabela" class="infraAreaTabela">
<label class="infraLabelOpcional">Nenhum registro encontrado.</label>
</div>
`
	q.seiPage(s, "SEI - Pesquisar em Processos", "", "", body)
}

func digits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func procedimentoID(i int) string { return strconv.Itoa(7100000 + 37*i) }

func (q *req) procedimentoTrabalhar(s *session) {
	id := q.r.URL.Query().Get("id_procedimento")
	prot := ""
	for i, p := range q.c.Protocols {
		if procedimentoID(i) == id {
			prot = p
		}
	}
	if prot == "" {
		q.infraException("Processo não encontrado.")
		return
	}
	arvore := s.signHTML("acao=procedimento_visualizar&acao_origem=procedimento_trabalhar&id_procedimento=" + id)
	body := `<div id="divArvore" class="d-flex flex-row" style="height:100%">
<iframe id="ifrArvore" name="ifrArvore" src="` + arvore + `" frameborder="0" title="Árvore do processo ` + htmlEsc(prot) + `"></iframe>
<iframe id="ifrVisualizacao" name="ifrVisualizacao" src="about:blank" frameborder="0"></iframe>
</div>
`
	q.seiPage(s, "SEI - "+prot, "", "", body)
}

// moduloListar is Infra's module list (Administração > Módulos): Nome / Versão / Instituição.
func (q *req) moduloListar(s *session) {
	var b strings.Builder
	n := len(q.c.Modules)
	b.WriteString(`<div id="divInfraBarraLocalizacao" class="infraBarraLocalizacao" tabindex="450">Módulos</div>
<div id="divInfraAreaTabela" class="infraAreaTabela">
<table width="99%" class="infraTable" summary="Tabela de Módulos.">
<caption class="infraCaption">Lista de Módulos (` + registros(n) + `):</caption>
<tr>
<th class="infraTh">Nome</th>
<th class="infraTh" width="15%">Versão</th>
<th class="infraTh" width="30%">Instituição</th>
</tr>
`)
	for i, m := range q.c.Modules {
		mi := moduleCatalog(m.Name)
		cls := "infraTrClara"
		if i%2 == 1 {
			cls = "infraTrEscura"
		}
		b.WriteString(`<tr class="` + cls + `"><td>` + htmlEsc(mi.displayName(m.Version)) + `</td><td align="center">` + htmlEsc(m.Version) + `</td><td>` + htmlEsc(mi.Instituicao) + "</td></tr>\n")
	}
	b.WriteString("</table>\n</div>\n")
	q.seiPage(s, "SEI - Módulos", "", "", b.String())
}

// registros is Infra's caption count: "1 registro", "N registros".
func registros(n int) string {
	if n == 1 {
		return "1 registro"
	}
	return strconv.Itoa(n) + " registros"
}

func listaVazia(label string) string {
	return `<div id="divInfraBarraLocalizacao" class="infraBarraLocalizacao" tabindex="450">` + htmlEsc(label) + `</div>
<div id="divInfraAreaTabela" class="infraAreaTabela">
<label class="infraLabelOpcional">Nenhum registro encontrado.</label>
</div>
`
}
