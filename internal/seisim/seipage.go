package seisim

import (
	"net/http"
	"strconv"
	"strings"
)

// baseMenu is the core of SEI's main menu (SEI 4.x), in the order SEI lists it.
var baseMenu = [...]struct{ acao, label, img string }{
	{"acompanhamento_listar", "Acompanhamento Especial", "acompanhamento_especial.svg"},
	{"base_conhecimento_pesquisar", "Base de Conhecimento", "base_conhecimento.svg"},
	{"bloco_assinatura_listar", "Blocos de Assinatura", "blocos.svg"},
	{"contato_listar", "Contatos", "contatos.svg"},
	{"controle_prazo_listar", "Controle de Prazos", "controle_prazo.svg"},
	{"procedimento_controlar", "Controle de Processos", "controle_processos.svg"},
	{"procedimento_escolher_tipo", "Iniciar Processo", "iniciar_processo.svg"},
	{"marcador_listar", "Marcadores", "marcadores.svg"},
	{"protocolo_pesquisar", "Pesquisa", "pesquisa.svg"},
	{"procedimento_gerado_listar", "Processos Sobrestados", "processos_sobrestados.svg"},
	{"rel_usuario_usuario_unidade_listar", "Pontos de Controle", "pontos_controle.svg"},
	{"texto_padrao_interno_listar", "Textos Padrão", "textos_padrao.svg"},
}

func baseMenuLabel(acao string) (string, bool) {
	for _, m := range baseMenu {
		if m.acao == acao {
			return m.label, true
		}
	}
	switch acao {
	case "infra_trocar_unidade", "painel_controle_visualizar", "novidade_mostrar", "infra_acessibilidade_exibir",
		"infra_configurar", "infra_acesso_usuario_listar", "procedimento_visualizar":
		return "Sistema Eletrônico de Informações", true
	}
	return "", false
}

// userDisplay is how SEI names the logged-in user: "Nome (sigla/ÓRGÃO)".
func (q *req) userDisplay(s *session) string {
	u := q.c.Users[s.user]
	name := u.Login
	if name != "" {
		name = strings.ToUpper(name[:1]) + name[1:]
	}
	return name + " (" + u.Login + "/" + orgSigla(q.c.Org, u.Orgao) + ")"
}

// seiPage renders a logged-in page: navigation bar with the signed links a browser (and a probe)
// harvests, the main menu with module entries, and the page content.
func (q *req) seiPage(s *session, title, script, messages, content string) {
	infra, seiAsset := q.assetSuffixes()
	ver := q.pageVersion()
	var b strings.Builder
	b.Grow(24 << 10)
	user := htmlEsc(q.userDisplay(s))
	logo := `<img src="svg/sei_barra.svg?` + seiAsset + `" title="Sistema Eletrônico de Informações - Versão ` + ver + `"/><span class="infraTituloLogoSistema">` + ver + `</span>`
	trocar := s.signHTML("acao=infra_trocar_unidade")
	controle := s.signHTML("acao=procedimento_controlar&reset=1")
	sairLink := s.signHTML("acao=sair")
	usuario := s.signHTML("acao=infra_acesso_usuario_listar")

	b.WriteString(`<button onclick="infraMoverParaTopo()" id="btnInfraTopo" class="infraButton infraCorBarraSistema" ><img src="/infra_css/svg/topo.svg?` + infra + `" title="Voltar ao Topo" alt="Voltar ao Topo" tabindex="32767"></button>
<div id="divInfraAreaGlobal" class="vh-100 vw-100 d-flex flex-column m-0 border-0" >

      <nav id="navInfraBarraNavegacao" class="  navbar navbar-expand-md infraBarraNavegacao infraCorBarraSistema p-0">

        <div id="divInfraBarraSistema" class="flex-column w-100 h-100 infraBarraSistema"  >
           <div id="divInfraBarraSistemaLinha"></div>
           <h6  class="pl-3 mb-0 mx-0 d-none d-md-block infraCorBarraSuperior">` + htmlEsc(orgDescription(q.c.Org)) + `</h6>
           <h6  class="pl-3 mb-0 mx-0 d-md-none infraCorBarraSuperior">` + htmlEsc(q.c.Org) + `</h6>

          <div id="divInfraBarraSistemaMovel" class="flex-row d-flex pb-0  pl-3 d-md-none media infraBarraSistemaMovel">
            <div class="d-flex flex-grow-1 infraBarraSistemaMovelE" >

               <div class="align-self-center mt-1">
                   <span id="spnInfraIdentificacaoSistema">` + logo + `</span>
               </div>
            </div>
            <div class="infraBarraSistemaMovelD d-flex flex-shrink-0">
              <div class="nav-item d-flex d-md-flex py-md-0 py-2"><a id="lnkInfraMenuSistema" onclick="infraClicarMenuBootstrap()" href="#" target="_self"  title="Exibir/Ocultar Menu do Sistema" tabindex="65" class="nav-link align-self-center"><span class="font-weight-bold" style="padding:.1rem .5rem;">Menu</span></a></div ><div class=" nav-item px-1 d-flex d-md-flex  py-md-0 py-2">
                  <div class="input-group align-self-center ">
                  <a id="lnkInfraUnidade" href="#" onclick="window.location.href='` + trocar + `';" class="form-control infraAcaoBarraConjugada" title="Protocolo" tabindex="66">` + siglaUnidade + `</a>

             </div >
          </div>

        <a class="navbar-toggler px-1 border-0 flex-grow-0 mr-2 align-self-center media" data-toggle="collapse" data-target="#divInfraBarraSistemaPadrao" aria-controls="divInfraBarraSistemaPadrao" aria-expanded="false">
              <img id="imgInfraMenuPontosTopo" class=" align-self-center infraImg"  width="24" height="24" src="/infra_css/svg/menu_pontos_topo.svg?` + infra + `" tabindex="100" title="Exibir/Ocultar Ações"/>
            </a>

            </div>
          </div>

          <div id="divInfraBarraSistemaPadrao" class="navbar p-0 infraCorBarraSistema  collapse navbar-collapse align-self-center infraBarraSistemaPadrao">
            <div id="divInfraBarraSistemaPadraoE" class="nav-link p-0 pl-3 d-none d-md-flex infraBarraSistemaPadraoE">

              <div class="align-self-center">` + logo + `</div>
            </div>
            <div id="divInfraBarraSistemaPadraoD" class="navbar-nav  flex-grow-1 justify-content-end infraBarraSistemaPadraoD">
                 <div class="nav-item d-none d-md-flex py-md-0 py-2"><a id="lnkInfraMenuSistema" onclick="infraClicarMenuBootstrap()" href="#" target="_self"  title="Exibir/Ocultar Menu do Sistema" tabindex="51" class="nav-link align-self-center"><span class="font-weight-bold" style="padding:.1rem .5rem;">Menu</span></a></div > <div class="nav-item px-1 media d-flex py-md-0 ">
                 <form class="form-inline align-self-center w-100" id="frmProtocoloPesquisaRapida" method="post" action="` + s.signHTML("acao=protocolo_pesquisa_rapida") + `">
                  <div class="input-group">
                    <input type="text" id="txtPesquisaRapida" name="txtPesquisaRapida" class="form-control" placeholder="Pesquisar..." style="font-size:.8rem;height:24px;width:190px;border:0;" tabindex="52" />
                    <span class="input-group-btn">
                      <span id="spnInfraUnidade" class="btn infraAcaoBarraConjugada">
                      <img src="svg/pesquisa_rapida.svg?` + seiAsset + `" width="20" height="20" onclick="document.getElementById('frmProtocoloPesquisaRapida').submit();" title="Pesquisa Rápida" alt="Pesquisa Rápida" tabindex="53" class="infraImg" />
                      </span>
                    </span>
                  </div>
                 </form>
             </div >
          <div class=" nav-item px-1 d-none d-md-flex  py-md-0 py-2">
                  <div class="input-group align-self-center ">
                  <a id="lnkInfraUnidade" href="#" onclick="window.location.href='` + trocar + `';" class="form-control infraAcaoBarraConjugada" title="Protocolo" tabindex="54">` + siglaUnidade + `</a>

             </div >
          </div>
          <div class="nav-item d-flex infraAcaoBarraSistema">
            <a class="align-self-center  d-none d-md-block" id="lnkControleProcessos" href="#" onclick="window.location.href='` + controle + `'" title="Controle de Processos" tabindex="55">
              <img src="svg/controle_processos_barra.svg?` + seiAsset + `" class="infraImg" title="Controle de Processos" />
            </a>
          </div >
          <div class="nav-item d-flex infraAcaoBarraSistema">
            <a class="align-self-center  d-none d-md-block" id="lnkPainelControle" href="#" onclick="window.location.href='` + s.signHTML("acao=painel_controle_visualizar") + `'" title="Painel de Controle" tabindex="57">
              <img src="svg/painel_controle_barra.svg?` + seiAsset + `" class="infraImg" title="Painel de Controle" />
            </a>
          </div >
          <div class="nav-item d-flex infraAcaoBarraSistema">
            <a class="align-self-center  d-none d-md-block"  target="_blank" href="` + s.signHTML("acao=novidade_mostrar&mostrar_todas=1") + `" title="Novidades" tabindex="59">
              <img src="svg/novidades.svg?` + seiAsset + `" class="infraImg" title="Novidades" />
            </a>
         </div >
    <div class="nav-item d-md-flex infraAcaoBarraSistema">
      <a class="align-self-center  d-none d-md-block" id="lnkInfraAcessibilidadeSistema" href="#" onclick="window.location.href='` + s.signHTML("acao=infra_acessibilidade_exibir") + `';" title="Acessibilidade"  tabindex="61">
        <img src="/infra_css/svg/acessibilidade_topo.svg?` + infra + `" height="24" width="24" class="infraImg" title="Acessibilidade"  />
      </a>
     </div>

    <div class="nav-item d-md-flex infraAcaoBarraSistema">
      <a class="align-self-center  d-none d-md-block" id="lnkInfraConfiguracaoSistema" href="` + s.signHTML("acao=infra_configurar") + `" title="Configurações do Sistema"  tabindex="62">
        <img src="/infra_css/svg/configuracao.svg?` + infra + `" height="24" width="24" class="infraImg" title="Configurações do Sistema"  />
      </a>
     </div>

      <div class="nav-item d-md-flex infraAcaoBarraSistema">
      <a class="align-self-center  d-none d-md-block" id="lnkUsuarioSistema" href="` + usuario + `" title="` + user + `" tabindex="63">
        <img src="/infra_css/svg/usuario_topo.svg?` + infra + `" height="24" width="24" class="infraImg"  title="` + user + `"  />
      </a>
      <span title="` + user + `"  class=" nav-link   d-flex d-md-none" >
         <img src="/infra_css/svg/usuario_topo.svg?` + infra + `" height="24" width="24" class="infraImg"  title="` + user + `"  />
         <a class="align-self-center text-white pl-1" id="lnkUsuarioSistema" href="` + usuario + `" title="` + user + `" >
          ` + user + `
         </a>
      </span>
      </div>

    <div class="nav-item pr-2 media infraAcaoBarraSistema">
    <a class="align-self-center d-none d-md-block" id="lnkInfraSairSistema" href="` + sairLink + `" title="Sair do Sistema"  tabindex="64">
      <img src="/infra_css/svg/sair.svg?` + infra + `" height="24" width="24" class="infraImg"/>
    </a>
    <span class=" nav-link d-flex d-md-none">
      <img src="/infra_css/svg/sair.svg?` + infra + `" height="24" width="24"  class="infraImg"/>
       <a id="lnkInfraSairSistema" class="align-self-center text-white pl-1" href="` + sairLink + `" title="Sair do Sistema" >
        Sair
      </a>
    </span>
    </div>


            </div>
          </div>
        </div>
      </nav>
     <div id="divInfraAreaTela" style="min-height:0;"  class="w-100  flex-grow-1 d-flex flex-row  divInfraAreaTela">
<div id="divInfraAreaTelaE" class=" divInfraAreaTelaE d-flex flex-column  infraAreaTelaEExibeGrande infraAreaTelaEEscondePequeno  " >
<div id="divInfraSidebarMenu" class="infraSidebarMenu flex-grow-1"><div id="divInfraPesquisarMenu"><input type="text" autocomplete="off" id="txtInfraPesquisarMenu" class="infraPesquisarMenu infraText" onkeyup="infraFiltrarMenuBootstrap()" placeholder="Pesquisar no Menu" title="Pesquisar no Menu"/></div><ul id="infraMenu">
`)
	q.writeMenu(&b, s, seiAsset)
	b.WriteString(`</ul>
</div>
</div>
<div id="divInfraAreaTelaD" class="infraAreaTelaD flex-grow-1 divInfraAreaTelaD" >
`)
	b.WriteString(content)
	b.WriteString("</div>\n</div>\n</div>\n")

	var v vals
	v[sTitle] = title
	v[sInfraAsset] = seiAsset
	v[sOrg] = q.c.Org
	v[sLinks2] = script
	v[sMessages] = messages
	v[sBody] = b.String()
	t := q.in.srv.t.seiHead
	if !infraBootstrap(q.c.InfraVersion) {
		t = q.in.srv.t.seiHeadOld
	}
	bp := q.in.srv.bufs.get()
	*bp = t.render(*bp, &v, true)
	q.page(http.StatusOK, ctHTML, *bp)
	q.in.srv.bufs.put(bp)
}

// writeMenu writes SEI's main menu: the core entries, one entry per active module (acao= with
// the module prefix, image under modulos/<dir>/) and, for administrators, Administração > Módulos.
func (q *req) writeMenu(b *strings.Builder, s *session, seiAsset string) {
	n := 0
	item := func(acao, label, img string, indent int) {
		pad := "5px"
		if indent > 0 {
			pad = "35px"
		}
		b.WriteString(`<li><a id="linkMenu` + strconv.Itoa(n) + `" style="padding-left:` + pad + `" link="` + acao + `" href="` + s.signMenu("acao="+acao+"&infra_item_menu="+strconv.Itoa(n)) + `">`)
		if img != "" {
			b.WriteString(`<img src="` + img + `" width="24" height="24"/>`)
		}
		b.WriteString("<span>" + htmlEsc(label) + "</span></a></li>\n")
		n++
	}
	for _, m := range baseMenu {
		item(m.acao, m.label, "menu/"+m.img+"?"+seiAsset, 0)
	}
	for _, m := range q.c.Modules {
		if m.Inactive {
			continue
		}
		mi := moduleCatalog(m.Name)
		for _, it := range mi.Menu {
			img := ""
			if it.Img != "" {
				img = "modulos/" + mi.Dir + "/" + it.Img
			}
			item(it.Acao, it.Label, img, 0)
		}
	}
	if q.c.Users[s.user].Admin {
		b.WriteString(`<li><a id="linkMenu` + strconv.Itoa(n) + `" style="padding-left:5px" data-toggle="collapse" class="infraAnchorMenu" href="#submenu` + strconv.Itoa(n) + `" role="button" aria-expanded="false" aria-controls="collapseMenu"><img src="menu/administracao.svg?` + seiAsset + `" width="24" height="24"/><span>Administração</span><img src="/infra_css/imagens/menu_seta.png" class="infraImgSetaMenu" style="width:12px;"/></a>` + "\n" + `<ul class="collapse" id="submenu` + strconv.Itoa(n) + `">` + "\n")
		n++
		item("infra_parametro_listar", "Parâmetros", "", 1)
		item("modulo_listar", "Módulos", "", 1)
		item("infra_agendamento_tarefa_listar", "Agendamentos", "", 1)
		b.WriteString("</ul>\n</li>\n")
	}
}

// controleProcessos is the Controle de Processos page with the received/generated tables.
func (q *req) controleProcessos(s *session) {
	var rec, ger []int
	for i := range q.c.Protocols {
		if i%2 == 0 {
			rec = append(rec, i)
		} else {
			ger = append(ger, i)
		}
	}
	var b strings.Builder
	b.WriteString(`<form id="frmProcedimentoControlar" method="post" action="` + s.signHTML("acao=procedimento_controlar&acao_origem=procedimento_controlar&acao_retorno=procedimento_controlar") + `">
<div id="divControleProcessosConteudo" class="d-flex flex-column h-100">
<div id="divInfraBarraLocalizacao" class="infraBarraLocalizacao" tabindex="450">Controle de Processos</div>
<div id="divFiltro" class="row mx-0 mb-0">
<div class=" col-6 p-1 col-md-auto mr-md-3  "><a id="ancLiberarMeusProcessos" href="` + s.signHTML("acao=procedimento_controlar&acao_origem=procedimento_controlar&meus_processos=T") + `" class="ancoraPadraoPreta p-0" tabindex="451">Ver todos os processos</a></div>
<div class=" col-6 p-1 col-md-auto mr-md-3  "><a href="` + s.signHTML("acao=procedimento_controlar&acao_origem=procedimento_controlar&tipo_visualizacao=D") + `" class="ancoraPadraoPreta p-0" tabindex="452">Visualização detalhada</a></div>
</div>
<div style="overflow-y: auto;min-height: 200px;margin-top:5px;" class="flex-grow-1 row mx-0 mb-0  d-flex divTabelaProcesso" id="divTabelaProcesso">
`)
	q.writeTabela(&b, s, "Recebidos", "recebidos", rec, 1001)
	q.writeTabela(&b, s, "Gerados", "gerados", ger, 1002)
	b.WriteString(`</div>
</div>
<input type="hidden" id="hdnRecebidosItensSelecionados" name="hdnRecebidosItensSelecionados" value="" />
<input type="hidden" id="hdnGeradosItensSelecionados" name="hdnGeradosItensSelecionados" value="" />
<input type="hidden" id="hdnTipoVisualizacao" name="hdnTipoVisualizacao" value="R" />
<input type="hidden" id="hdnMeusProcessos" name="hdnMeusProcessos" value="T" />
</form>
`)
	script := "    seiConfigurarTabIndexSinalizacoes('tblProcessosRecebidos','1001');\n    seiConfigurarTabIndexSinalizacoes('tblProcessosGerados','1002');\n"
	q.seiPage(s, "SEI - Controle de Processos", script, "", b.String())
}

func (q *req) writeTabela(b *strings.Builder, s *session, tipo, lower string, idx []int, tab int) {
	ts := strconv.Itoa(tab)
	b.WriteString(`<div id="div` + tipo + `" class="ml-0  pl-0 d-none  d-md-block  col-12 col-md-6">
<div id="div` + tipo + `AreaPaginacaoSuperior" class="infraAreaPaginacao">
</div>
<div id="div` + tipo + `AreaTabela" class="infraAreaTabela" >
<table id="tblProcessos` + tipo + `" width="100%" border="0" cellspacing="0" cellpadding="1" class="infraTable tabelaControle" summary="Tabela de Processos ` + tipo + `." tabindex="` + ts + `">
<caption class="infraCaption">Processos ` + lower + ` (` + registros(len(idx)) + `):</caption><tr><th class="infraTh" width="5%"><a href="javascript:void(0);" id="lnkInfraCheck" onclick="infraSelecaoMultipla('` + tipo + `');" tabindex="` + ts + `"><img src="/infra_css/svg/check.svg" id="img` + tipo + `Check" title="Selecionar Tudo" alt="Selecionar Tudo" class="infraImg"/></a></th>
<th class="infraTh" colspan="3">` + tipo + `</th>
</tr>
`)
	for n, i := range idx {
		id := procedimentoID(i)
		prot := htmlEsc(q.c.Protocols[i])
		wbr := prot
		if k := strings.IndexByte(prot, '.'); k > 0 {
			wbr = prot[:k+1] + "<wbr>" + prot[k+1:]
		}
		b.WriteString(`<tr id="P` + id + `" class="infraTrClara">
<td><a id="lnk` + tipo + `ID-` + id + `" name="ID-` + id + `"></a><input class="infraCheckbox" id="chk` + tipo + `Item` + strconv.Itoa(n) + `" name="chk` + tipo + `Item` + strconv.Itoa(n) + `" tabindex="` + ts + `" title="` + prot + `" type="checkbox" value="` + id + `" aria-label="Tipo Monitoramento" onclick="infraSelecionarItens(this,'` + tipo + `');"/></td>
<td width="20%"></td>
<td><a class="processoVisualizado" href="` + s.signHTML("acao=procedimento_trabalhar&acao_origem=procedimento_controlar&acao_retorno=procedimento_controlar&id_procedimento="+id) + `" aria-label="Monitoramento" onmouseover="return infraTooltipMostrar('','Monitoramento');" onmouseout="return infraTooltipOcultar();" tabindex="` + ts + `">` + wbr + `</a></td>
<td width="10%">&nbsp;</td>
</tr>
`)
	}
	b.WriteString("</table>\n</div>\n</div>\n")
}
