package seisim

import (
	"net/http"
	"strconv"
	"strings"
)

// notFound is Apache's 404 page (the web server answers, PHP never runs).
func notFound(w http.ResponseWriter, path string) {
	body := `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>404 Not Found</title>
</head><body>
<h1>Not Found</h1>
<p>The requested URL was not found on this server.</p>
</body></html>
`
	h := w.Header()
	h["Content-Type"] = ctHTML
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(body))
	_ = path
}

// fatalError is what a PHP fatal error looks like to a client: status 500 and PHP's error text
// (display_errors on, as many installations leave it).
func (q *req) fatalError() {
	body := latin1(`<br />
<b>Fatal error</b>:  Uncaught InfraException: Erro abrindo conexão com o banco de dados. in /opt/infra/infra_php/InfraMySqli.php:113
Stack trace:
#0 /opt/infra/infra_php/InfraBD.php(54): InfraMySqli-&gt;abrirConexao()
#1 /opt/sei/web/SEI.php(180): InfraBD-&gt;executarSql()
#2 {main}
  thrown in <b>/opt/infra/infra_php/InfraMySqli.php</b> on line <b>113</b><br />
`)
	q.w.Header()["Connection"] = []string{"close"}
	q.page(http.StatusInternalServerError, ctHTMLUTF8, body)
}

// maintenance is the page SEI shows while ConfiguracaoSEI 'Manutencao' is active. Real SEI's
// status code for it is not documented in the sources seisim was built from; seisim answers 200
// with the message, like the Infra pages it is built from (see doc.go).
func (q *req) maintenance() {
	infra, _ := q.assetSuffixes()
	body := `<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">
<html lang="pt-br" >
<head >
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"/>
<meta name="robots" content="noindex"/>
<meta name="viewport" content="width=device-width, initial-scale=1, shrink-to-fit=no"> 
<title>SEI - Sistema em Manutenção</title>
<link href="/infra_css/bootstrap/bootstrap-4.6.2.min.css?` + infra + `" rel="stylesheet" type="text/css" media="all"/>
<link href="/infra_css/infra-global-esquema-3.css?` + infra + `" rel="stylesheet" type="text/css" media="all"/>
<link href="/infra_css/esquemas/azul_celeste/infra-esquema-3.css?` + infra + `" rel="stylesheet" type="text/css" media="all"/>
</head>
<body>
<div id="divInfraAreaGlobal" class="vh-100 vw-100 d-flex flex-column m-0 border-0" >
<div id="divInfraBarraSistema" class="infraBarraSistema infraCorBarraSistema"><span id="spnInfraIdentificacaoSistema">Sistema Eletrônico de Informações</span></div>
<div id="divManutencao" class="d-flex justify-content-center align-items-center h-100">
  <div class="card text-center" style="max-width:600px">
    <div class="card-body">
      <h3 id="lblManutencao" class="card-title">Sistema em Manutenção</h3>
      <p id="lblManutencaoDetalhes" class="card-text">O sistema está temporariamente indisponível para manutenção. Por favor, tente novamente mais tarde.</p>
    </div>
  </div>
</div>
</div>
</body>
</html>
`
	q.page(http.StatusOK, ctHTML, latin1(body))
}

// infraException is Infra's error page for an exception that is not a validation.
func (q *req) infraException(msg string) {
	infra, _ := q.assetSuffixes()
	body := `<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">
<html lang="pt-br" >
<head >
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"/>
<meta name="robots" content="noindex"/>
<title>SEI - Erro</title>
<link href="/infra_css/bootstrap/bootstrap-4.6.2.min.css?` + infra + `" rel="stylesheet" type="text/css" media="all"/>
<link href="/infra_css/infra-global-esquema-3.css?` + infra + `" rel="stylesheet" type="text/css" media="all"/>
</head>
<body>
<div id="divInfraAreaGlobal" class="infraAreaGlobal">
<div id="divInfraExcecao" class="infraExcecao">
<span class="infraExcecao">` + htmlEsc(msg) + `</span>
</div>
</div>
</body>
</html>
`
	q.page(http.StatusOK, ctHTML, latin1(body))
}

// asset answers the Infra static files the pages reference, so a browser pointed at seisim
// renders without 404 storms; the content is a stub.
func (q *req) asset() {
	ct := "application/octet-stream"
	switch {
	case strings.HasSuffix(q.path, ".js"):
		ct = "application/javascript"
	case strings.HasSuffix(q.path, ".css"):
		ct = "text/css"
	case strings.HasSuffix(q.path, ".svg"):
		ct = "image/svg+xml"
	}
	h := q.w.Header()
	h["Cache-Control"] = []string{"max-age=31536000"}
	body := []byte("/* " + q.path + " */\n")
	if ct == "image/svg+xml" {
		body = []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24"/>`)
	}
	q.page(http.StatusOK, []string{ct}, body)
}
