package seisim

import (
	"crypto/hmac"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// wssei serves mod-wssei's REST API (Slim) under /sei/modulos/wssei/controlador_ws.php.
func (q *req) wssei(route string) {
	mod, ok := q.module("mod-wssei")
	if !ok {
		notFound(q.w, q.r.URL.Path)
		return
	}
	// ModuleVerificationMiddleware runs before every route.
	if mod.Inactive {
		q.wsJSON(http.StatusUnauthorized, wsErr("Módulo inativo."))
		return
	}
	if mod.Broken {
		q.wsJSON(http.StatusUnauthorized, wsErr("Módulo incompatível com a versão "+q.c.SEIVersion+" do SEI."))
		return
	}
	v1 := majorOf(mod.Version) < 1
	switch {
	case v1 && route == "/api/v1/versao" && q.r.Method == http.MethodGet:
		q.wsJSON(http.StatusOK, `{"sucesso":true,"mensagem":null,"data":{"versao":`+phpJSON(q.c.SEIVersion)+`}}`)
	case !v1 && route == "/api/v2/versao" && q.r.Method == http.MethodGet:
		if !q.wsToken() {
			return
		}
		q.wsJSON(http.StatusOK, `{"sucesso":true,"mensagem":null,"data":{"sei":`+phpJSON(q.c.SEIVersion)+`,"wssei":`+phpJSON(mod.Version)+`}}`)
	case route == q.wsPrefix(v1)+"/autenticar" && q.r.Method == http.MethodPost:
		q.wsAutenticar(v1)
	case route == q.wsPrefix(v1)+"/orgao/listar" && q.r.Method == http.MethodGet:
		q.wsJSON(http.StatusOK, `{"sucesso":true,"mensagem":null,"data":[{"id":"0","sigla":`+phpJSON(q.c.Org)+`,"descricao":`+phpJSON(orgDescription(q.c.Org))+`}],"total":1}`)
	default:
		q.slimNotFound()
	}
}

func (q *req) wsPrefix(v1 bool) string {
	if v1 {
		return "/api/v1"
	}
	return "/api/v2"
}

func (q *req) module(name string) (Module, bool) {
	for _, m := range q.c.Modules {
		if m.Name == name {
			return m, true
		}
	}
	return Module{}, false
}

// wsToken is TokenValidationMiddleware: no token header 401, a token that does not validate 403.
func (q *req) wsToken() bool {
	tok := q.r.Header.Get("token")
	if tok == "" {
		q.wsJSON(http.StatusUnauthorized, wsErr("Acesso negado!"))
		return false
	}
	if _, ok := q.in.checkWSToken(tok, q.now); !ok {
		q.wsJSON(http.StatusForbidden, wsErr("Token inválido!"))
		return false
	}
	return true
}

// wsAutenticar is POST /autenticar (usuario, senha, orgao[, contexto]). Real mod-wssei sleeps
// about 3 s here; Options.WSSEIAuthDelay reproduces it.
func (q *req) wsAutenticar(v1 bool) {
	if d := q.in.srv.opts.WSSEIAuthDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-q.r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	_ = q.r.ParseForm()
	login := q.r.PostForm.Get("usuario")
	pass := q.r.PostForm.Get("senha")
	org := q.r.PostForm.Get("orgao")
	for i, u := range q.c.Users {
		if strings.EqualFold(u.Login, login) && u.Password == pass && (org == "" || org == u.Orgao) {
			tok := q.in.wsToken(i, q.now)
			q.wsJSON(http.StatusOK, `{"sucesso":true,"mensagem":null,"data":{"token":`+phpJSON(tok)+
				`,"loginData":{"sigla":`+phpJSON(u.Login)+`,"nome":`+phpJSON(u.Login)+`,"idUsuario":"`+strconv.Itoa(idUsuarioBase+i)+
				`","idUnidadeAtual":"`+idUnidadeAtual+`","siglaUnidadeAtual":"`+siglaUnidade+`","siglaOrgao":`+phpJSON(orgSigla(q.c.Org, u.Orgao))+`}}}`)
			return
		}
	}
	q.wsJSON(http.StatusOK, wsErr(msgSenhaInvalida))
}

const wsTokenTTL = 24 * time.Hour

// wsToken issues a token that carries the user and expiry and is signed with the instance secret,
// so seisim keeps no state per token.
func (in *instance) wsToken(user int, now time.Time) string {
	payload := strconv.Itoa(user) + "." + strconv.FormatInt(now.Add(wsTokenTTL).Unix(), 10)
	sig := in.derive("wssei-token", payload)[:12]
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func (in *instance) checkWSToken(tok string, now time.Time) (int, bool) {
	p64, s64, ok := strings.Cut(tok, ".")
	if !ok {
		return 0, false
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p64)
	sig, err2 := base64.RawURLEncoding.DecodeString(s64)
	if err1 != nil || err2 != nil || !hmac.Equal(sig, in.derive("wssei-token", string(payload))[:12]) {
		return 0, false
	}
	us, exp, _ := strings.Cut(string(payload), ".")
	user, err1 := strconv.Atoi(us)
	until, err2 := strconv.ParseInt(exp, 10, 64)
	if err1 != nil || err2 != nil || now.Unix() > until {
		return 0, false
	}
	return user, true
}

func wsErr(msg string) string {
	return `{"sucesso":false,"mensagem":` + phpJSON(msg) + `,"exception":null}`
}

func (q *req) wsJSON(status int, body string) {
	q.page(status, ctJSON, []byte(body))
}

// slimNotFound is Slim 3's default 404 page.
func (q *req) slimNotFound() {
	body := `<html>
    <head>
        <meta http-equiv="Content-Type" content="text/html; charset=utf-8">
        <title>Page Not Found</title>
        <style>
            body{
                margin:0;
                padding:30px;
                font:12px/1.5 Helvetica,Arial,Verdana,sans-serif;
            }
            h1{
                margin:0;
                font-size:48px;
                font-weight:normal;
                line-height:48px;
            }
            strong{
                display:inline-block;
                width:65px;
            }
        </style>
    </head>
    <body>
        <h1>Page Not Found</h1>
        <p>
            The page you are looking for could not be found. Check the address bar
            to ensure your URL is spelled correctly. If all else fails, you can
            visit our home page at the link below.
        </p>
        <a href='` + q.base + `/sei/modulos/wssei/controlador_ws.php/'>Visit the Home Page</a>
    </body>
</html>`
	q.page(http.StatusNotFound, ctHTMLUTF8, []byte(body))
}

// phpJSON encodes a string as PHP's json_encode does by default: non-ASCII as \uXXXX and "/"
// escaped.
func phpJSON(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				b.WriteString(`\"`)
			case '\\':
				b.WriteString(`\\`)
			case '/':
				b.WriteString(`\/`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				if c < 0x20 {
					b.WriteString(`\u00`)
					b.WriteByte("0123456789abcdef"[c>>4])
					b.WriteByte("0123456789abcdef"[c&15])
				} else {
					b.WriteByte(c)
				}
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if r >= 0x10000 {
			r -= 0x10000
			writeU(&b, 0xD800+(r>>10))
			writeU(&b, 0xDC00+(r&0x3FF))
			continue
		}
		writeU(&b, r)
	}
	b.WriteByte('"')
	return b.String()
}

func writeU(b *strings.Builder, r rune) {
	const hx = "0123456789abcdef"
	b.WriteString(`\u`)
	b.WriteByte(hx[(r>>12)&15])
	b.WriteByte(hx[(r>>8)&15])
	b.WriteByte(hx[(r>>4)&15])
	b.WriteByte(hx[r&15])
}
