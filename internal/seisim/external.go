package seisim

import (
	"crypto/md5"
	"encoding/hex"
	"net/http"
)

// externoTpl is the public (non-SIP) page layout of controlador_externo.php and the publications
// search. Since SEI 4.0 their asset suffix is md5("<SEI>-<Infra>") instead of the clear versions.
const externoTpl = `<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">
<html lang="pt-br" >
<head >
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"/>
<meta name="robots" content="noindex"/>
<meta name="viewport" content="width=device-width, initial-scale=1, shrink-to-fit=no"> 
<title>{{TITLE}}</title>
` + infraHeadCSS + `<link href="/infra_css/esquemas/azul_celeste/infra-esquema-3.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all"/>      
<link href="css/infra-local-esquema-3.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all"/>
` + infraHeadJS + `<script type="text/javascript" charset="iso-8859-1" src="js/sei.js?{{INFRA}}"></script>
</head>
<body onload="inicializar();"  >
<div id="divInfraAreaGlobal" class="vh-100 vw-100 d-flex flex-column m-0 border-0" >
      <nav id="navInfraBarraNavegacao" class="  navbar navbar-expand-md infraBarraNavegacao infraCorBarraSistema p-0">
        <div id="divInfraBarraSistema" class="flex-column w-100 h-100 infraBarraSistema"  >
           <div id="divInfraBarraSistemaLinha"></div>
           <h6  class="pl-3 mb-0 mx-0 d-none d-md-block infraCorBarraSuperior">{{ORGDESC}}</h6>
           <h6  class="pl-3 mb-0 mx-0 d-md-none infraCorBarraSuperior">{{ORG}}</h6>
          <div id="divInfraBarraSistemaPadrao" class="navbar p-0 infraCorBarraSistema  collapse navbar-collapse align-self-center infraBarraSistemaPadrao">
            <div id="divInfraBarraSistemaPadraoE" class="nav-link p-0 pl-3 d-none d-md-flex infraBarraSistemaPadraoE">
              <div class="align-self-center"><span id="spnInfraIdentificacaoSistema">Sistema Eletrônico de Informações</span></div>
            </div>
          </div>
        </div>
      </nav>
     <div id="divInfraAreaTela" style="min-height:0;"  class="w-100  flex-grow-1 d-flex flex-row  divInfraAreaTela">
<div id="divInfraAreaTelaD"  class=" flex-grow-1 px-3" >
<div id="divInfraBarraLocalizacao" class="infraBarraLocalizacao">{{TEXT}}</div>
{{BODY}}</div>
</div>
</div>
</body>
</html>
`

// externalSuffix is the asset suffix of external pages: md5("<SEI>-<Infra>") since SEI 4.0, the
// clear "<SEI>-<Infra>" before.
func (q *req) externalSuffix() string {
	_, sei := q.assetSuffixes()
	if majorOf(q.pageVersion()) < 4 {
		return sei
	}
	sum := md5.Sum([]byte(sei))
	return hex.EncodeToString(sum[:])
}

func (q *req) externalPage(title, heading, body string) {
	var v vals
	v[sTitle] = title
	v[sInfraAsset] = q.externalSuffix()
	v[sOrg] = q.c.Org
	v[sOrgDesc] = orgDescription(q.c.Org)
	v[sText] = heading
	v[sBody] = body
	bp := q.in.srv.bufs.get()
	*bp = q.in.srv.t.externo.render(*bp, &v, true)
	q.page(http.StatusOK, ctHTML, *bp)
	q.in.srv.bufs.put(bp)
}

// externo is controlador_externo.php: the external users' login and the document authenticity
// check, both public.
func (q *req) externo() {
	qs := q.r.URL.Query()
	switch acao := qs.Get("acao"); acao {
	case "usuario_externo_logar":
		org := qs.Get("id_orgao_acesso_externo")
		if org == "" {
			org = "0"
		}
		q.sessionHeaders()
		if q.sessionID() == "" {
			q.setSessionCookie(newSessionID())
		}
		q.externalPage("SEI - Acesso para Usuários Externos", "Acesso para Usuários Externos", `<form id="frmLogin" name="frmLogin" method="post" action="controlador_externo.php?acao=usuario_externo_logar&amp;acao_origem=usuario_externo_logar&amp;id_orgao_acesso_externo=`+htmlEsc(org)+`">
  <div id="divUsuario" class="form-group">
    <label id="lblEmail" for="txtEmail" class="infraLabelObrigatorio">E-mail:</label>
    <input type="text" id="txtEmail" name="txtEmail" class="infraText form-control" maxlength="100" tabindex="501" />
  </div>
  <div id="divSenha" class="form-group">
    <label id="lblSenha" for="pwdSenha" class="infraLabelObrigatorio">Senha:</label>
    <input type="password" id="pwdSenha" name="pwdSenha" class="infraText form-control" autocomplete="off" tabindex="502" />
  </div>
  <button type="submit" id="sbmLogin" name="sbmLogin" value="Entrar" class="infraButton btn" tabindex="503">Confirma</button>
  <a id="lnkCadastro" href="controlador_externo.php?acao=usuario_externo_avisar_cadastro&amp;id_orgao_acesso_externo=`+htmlEsc(org)+`" tabindex="504">Clique aqui se você ainda não está cadastrado</a>
  <a id="lnkSenha" href="controlador_externo.php?acao=usuario_externo_gerar_senha&amp;id_orgao_acesso_externo=`+htmlEsc(org)+`" tabindex="505">Esqueci minha senha</a>
  <input type="hidden" id="hdnAcao" name="hdnAcao" value="1" />
</form>
`)
	case "documento_conferir":
		q.externalPage("SEI - Conferência de Autenticidade de Documentos", "Conferência de Autenticidade de Documentos", `<form id="frmConferirDocumento" name="frmConferirDocumento" method="post" action="controlador_externo.php?acao=documento_conferir&amp;acao_origem=documento_conferir&amp;id_orgao_acesso_externo=0">
  <label id="lblCodigoVerificador" for="txtCodigoVerificador" class="infraLabelObrigatorio">Código Verificador:</label>
  <input type="text" id="txtCodigoVerificador" name="txtCodigoVerificador" class="infraText form-control" maxlength="20" tabindex="501" />
  <label id="lblCrc" for="txtCrc" class="infraLabelObrigatorio">Código CRC:</label>
  <input type="text" id="txtCrc" name="txtCrc" class="infraText form-control" maxlength="8" tabindex="502" />
  <button type="submit" id="sbmPesquisar" name="sbmPesquisar" value="Pesquisar" class="infraButton btn" tabindex="504">Pesquisar</button>
</form>
`)
	default:
		q.infraException("Ação '" + acao + "' não reconhecida pelo controlador externo.")
	}
}

// publicacoes is the public search of electronic publications.
func (q *req) publicacoes() {
	if q.r.URL.Query().Get("acao") != "publicacao_pesquisar" {
		q.infraException("Ação '" + q.r.URL.Query().Get("acao") + "' não reconhecida pelo controlador de publicações.")
		return
	}
	q.externalPage("SEI - Pesquisa de Publicações Eletrônicas", "Pesquisa de Publicações Eletrônicas", `<form id="frmPublicacaoPesquisa" name="frmPublicacaoPesquisa" method="post" action="controlador_publicacoes.php?acao=publicacao_pesquisar&amp;acao_origem=publicacao_pesquisar&amp;id_orgao_publicacao=0">
  <label id="lblPalavrasPesquisa" for="txtPalavrasPesquisa" class="infraLabelOpcional">Palavras-chave para pesquisa:</label>
  <input type="text" id="txtPalavrasPesquisa" name="txtPalavrasPesquisa" class="infraText form-control" tabindex="501" />
  <label id="lblOrgao" for="selOrgao" class="infraLabelOpcional">Órgão:</label>
  <select id="selOrgao" name="selOrgao" class="infraSelect form-control" tabindex="502"><option value="null">&nbsp;</option><option value="0">`+htmlEsc(q.c.Org)+`</option></select>
  <button type="submit" id="sbmPesquisar" name="sbmPesquisar" value="Pesquisar" class="infraButton btn" tabindex="503">Pesquisar</button>
</form>
<div id="divInfraAreaTabela" class="infraAreaTabela"><label class="infraLabelOpcional">Nenhum registro encontrado.</label></div>
`)
}
