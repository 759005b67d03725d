package seisim

// Templates are written from the structure of real SEI pages (element ids, names, classes, asset
// lists and their ?VERSION suffixes). Text is UTF-8 here and served as ISO-8859-1.

// infraHead is the <head> asset block every Infra page carries; {{INFRA}} is the asset suffix
// (Infra version on SIP pages, "<SEI>-<Infra>" on SEI pages).
const infraHeadCSS = `<link href="/infra_css/infra-tooltip.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all"/>
<link href="/infra_css/infra-barra-progresso.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all"/>
<link href="/infra_css/infra-impressao-global.css?{{INFRA}}" rel="stylesheet" type="text/css" media="print"/>
<link href="/infra_css/infra-ajax.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all"/>
<link href="/infra_js/calendario/v2/infra-calendario.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all"/>
<link href="/infra_js/arvore/infra-arvore.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all"/>
<link href="/infra_js/mapa/infra-mapa.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all"/>
<link href="/infra_js/jquery/jquery-ui-1.13.2/jquery-ui.min.css?1.13.2" rel="stylesheet" type="text/css" media="all"/>
<link href="/infra_js/jquery/jquery-ui-1.13.2/jquery-ui.structure.min.css?1.13.2" rel="stylesheet" type="text/css" media="all"/>
<link href="/infra_js/jquery/jquery-ui-1.13.2/jquery-ui.theme.min.css?1.13.2" rel="stylesheet" type="text/css" media="all"/>
<link href="/infra_js/multiple-select/multiple-select.min.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all"/>
<link href="/infra_js/modal/jquery.modalLink-1.0.0.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all"/>
<link href="/infra_css/bootstrap/bootstrap-4.6.2.min.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all"/>
<link href="/infra_css/bootstrap/menu-bootstrap.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all"/>
<link href="/infra_css/infra-global-esquema-3.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all"/>
`

const infraHeadJS = `<script type="text/javascript">var INFRA_PATH_CSS="/infra_css",INFRA_PATH_IMAGENS="/infra_css/imagens",INFRA_PATH_JS="/infra_js",INFRA_PATH_SVG="/infra_css/svg",INFRA_LUPA_TIPO_JANELA=1,INFRA_BARRA_TIPO_JANELA=1,INFRA_TIPO_ALERTA=1;</script>
<script type="text/javascript" charset="utf-8" src="/infra_js/jquery/jquery-3.7.0.min.js?3.7.0"></script>
<script type="text/javascript" charset="utf-8" src="/infra_js/jquery/jquery-ui-1.13.2/jquery-ui.min.js?1.13.2"></script>
<script type="text/javascript" charset="utf-8" src="/infra_js/multiple-select/multiple-select.min.js?{{INFRA}}"></script>
<script type="text/javascript" charset="utf-8" src="/infra_js/ddslick/jquery.ddslick.min.js?{{INFRA}}"></script>
<script type="text/javascript" charset="utf-8" src="/infra_js/modal/jquery.modalLink-1.0.0.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraPaginaEsquema3.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraBotaoMenu.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraUtil.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraCookie.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraUpload.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraTabelaDinamica.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraLupas.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraSelectEditavel.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraAjax.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraTooltip.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/calendario/v2/InfraCalendario.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/arvore/InfraArvore.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/maskedpwd/MaskedPassword.min.js?{{INFRA}}"></script>
<script type="text/javascript" charset="utf-8" src="../infra_js/SEI_DETECT.js"></script>
<script type="text/javascript" charset="utf-8" src="/infra_js/bootstrap/bootstrap-4.6.2.min.js?{{INFRA}}"></script>
<script type="text/javascript" charset="utf-8" src="/infra_js/bootstrap/infra-menu-bootstrap.js?{{INFRA}}"></script>
<script type="text/javascript" charset="utf-8" src="/infra_js/touch/jquery.ui.touch-punch.min.js?{{INFRA}}"></script>
<script type="text/javascript" charset="utf-8" src="/infra_js/hotkeys/jquery.hotkeys.js?{{INFRA}}"></script>
`

// loginBootstrapTpl is the SIP 3.x login page (login.php, PaginaLogin with the Bootstrap layout).
const loginBootstrapTpl = `<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">
<html lang="pt-br" >
<head >
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"/>
<meta name="robots" content="noindex"/>
<meta name="viewport" content="width=device-width, initial-scale=1, shrink-to-fit=no"> 
<title>{{TITLE}}</title>
` + infraHeadCSS + `<link href="/infra_css/esquemas/azul_celeste/infra-esquema-3.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all"/>      
<link href="css/infra-local-esquema-3.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all"/>
<style></style><style type="text/css">
          #divInfraCaptcha {margin:.3em 0;}
          #lblInfraCaptcha {margin-right:.5em;}
          #lblInfraCaptcha img {vertical-align:bottom;}
          #txtInfraCaptcha {vertical-align:top;font-size:1.8em;text-align:center;max-width:130px;margin-right:3px;padding:3px;height:50px;}
          </style><style type="text/css" >
<!--/*--><![CDATA[/*><!--*/

  @media screen and (max-width: 991.98px)  {
  .divInfraAreaTela{
  height:84vh;
  max-height:84vh;
  min-height:84vh;
  }
  }

  body{
  background-color: #f0f0f0;
  }

  .divInfraAreaTelaD{
  padding-left: 0px !important;
  }

  #divLogo {
  overflow:hidden;
  margin:auto;
  width:150px;
  height:150px;
  background-image: url("data:image/png;base64,{{TEXT}}");
  background-position: center center;
  background-repeat: no-repeat;
  border-radius: 8px;
  }

  #divIdentificacaoSistema h3 {font-size:2rem;}

  #divIntroducao2FA p,
  #divIntroducao2FA a,
  #divValidacao2FA p
  {
  font-size:1.2em;
  }

  a.linkLogin{
  font-size:12px;
  color:#0099e5;
  }
  a.linkLogin:hover{
  color:#006699;
  }
  a.linkLogin:focus{
  outline:1px dotted #0099e5;
  }
  #divLiberar{
  flex-wrap: nowrap;
  }
  #chkLiberar{
  margin-right:5px;
  }
  #lblLiberar{
  font-size:.75rem;
  margin-left:5px;
  color:#6c757d;
  }

  #lblChaveDigitavel {color:#205d8c;font-size:.75rem;}
  #lblChaveDigitavel:hover {cursor:pointer;}

  #lblInfraCaptcha img {width:100px;height:50px;}
  #txtInfraCaptcha {max-width:100px;}

  @media screen and (min-width: 1366px) {
  #lblInfraCaptcha img {width:130px;}
  #txtInfraCaptcha {max-width:130px;}
  }

/*]]>*/-->
</style>
` + infraHeadJS + `<script type="text/javascript" charset="iso-8859-1" >
          var infraCaptchaHttpRequest;
          function infraGerarNovoCaptcha(url) {
            if (window.XMLHttpRequest) {
              infraCaptchaHttpRequest = new XMLHttpRequest();
            } else if (window.ActiveXObject) {
              try {
                infraCaptchaHttpRequest = new ActiveXObject("Msxml2.XMLHTTP");
              }
              catch (e) {
                try {
                  infraCaptchaHttpRequest = new ActiveXObject("Microsoft.XMLHTTP");
                }
                catch (e) {}
              }
            }
            if (!infraCaptchaHttpRequest) {
              alert('Não foi possível fazer a chamada AJAX para geração de um novo captcha. Tente novamente por favor.');
              return false;
            }
            infraCaptchaHttpRequest.onreadystatechange = infraAtualizarImagemCaptcha;
            infraCaptchaHttpRequest.open('GET', INFRA_PATH_JS + url);
            infraCaptchaHttpRequest.send();
          }
          function infraAtualizarImagemCaptcha() {
            if (infraCaptchaHttpRequest.readyState === 4) {
              if (infraCaptchaHttpRequest.status === 200) {
                document.getElementById('imgCaptcha').src = infraCaptchaHttpRequest.responseText;
              } else {
                alert('Houve um erro durante a requisição da um novo captcha. Tente novamente por favor.');
              }
            }
          }
          </script>
<script type="text/javascript" charset="iso-8859-1" >
<!--//--><![CDATA[//><!--


    $(document).ready(function () {
      new MaskedPassword(document.getElementById("pwdSenha"), '\u25CF', true, 'input-group');
    });


    function inicializar() {
            if (document.getElementById('txtUsuario').value == '') {
        self.setTimeout('document.getElementById(\'txtUsuario\').focus()', 500);
      } else {
        self.setTimeout('document.getElementById(\'pwdSenha\').focus()', 500);
      }
          }

    function validarCampos() {


      if (infraTrim(document.getElementById('txtUsuario').value) == '') {
        alert('Informe o Usuário.');
        document.getElementById('txtUsuario').focus();
        return false;
      }

      if (infraTrim(document.getElementById('pwdSenha').value) == '') {
        alert('Informe a Senha.');
        document.getElementById('pwdSenha').focus();
        return false;
      }

      if (document.getElementById('selOrgao').value == 'null') {
        alert('Escolha um Órgão.');
        document.getElementById('selOrgao').focus();
        return false;
      }

      infraCriarCookie('SIP_U_{{ORG}}_SEI', document.getElementById('selOrgao').value, 3650);

      return true;
    }


    function acaoLogin(acao) {

      document.getElementById('hdnAcao').value = acao;

      if (acao == 2 || acao == 3) {
        if (validarCampos()){

          if (document.getElementById('sbmAcessar')!=null) {
            document.getElementById('sbmAcessar').disabled = true;
          }

          if (document.getElementById('sbmValidar')!=null) {
            document.getElementById('sbmValidar').disabled = true;
          }

          return true;
        }
        return false;
      }

      if ((acao == 5 || acao == 6) && !validarCampos()) {
        return false;
      }

      if (acao == 7) {
        if (!confirm('Confirma envio de e-mail com link para desativação da autenticação em 2 fatores?')) {
          return false;
        }
      }

      document.getElementById('frmLogin').submit();
      return true;
    }

//--><!]]>
</script>
{{MESSAGES}}</head>
<body onload="inicializar();"  >
<button onclick="infraMoverParaTopo()" id="btnInfraTopo" class="infraButton infraCorBarraSistema" ><img src="/infra_css/svg/topo.svg?{{INFRA}}" title="Voltar ao Topo" alt="Voltar ao Topo" tabindex="32767"></button>
<div id="divInfraAreaGlobal" class="vh-100 vw-100 d-flex flex-column m-0 border-0" >

      <nav id="navInfraBarraNavegacao" class="  navbar navbar-expand-md infraBarraNavegacao infraCorBarraSistema p-0">
      
        <div id="divInfraBarraSistema" class="flex-column w-100 h-100 infraBarraSistema"  >
           <div id="divInfraBarraSistemaLinha"></div>
           <h6  class="pl-3 mb-0 mx-0 d-none d-md-block infraCorBarraSuperior">{{ORGDESC}}</h6>
           <h6  class="pl-3 mb-0 mx-0 d-md-none infraCorBarraSuperior">{{ORG}}</h6>

          <div id="divInfraBarraSistemaMovel" class="flex-row d-flex pb-0  pl-3 d-md-none media infraBarraSistemaMovel">
            <div class="d-flex flex-grow-1 infraBarraSistemaMovelE" >
               
               <div class="align-self-center mt-1">
                   <span id="spnInfraIdentificacaoSistema">SEI</span>
               </div>
            </div>
            <div class="infraBarraSistemaMovelD d-flex flex-shrink-0">
              
              
            </div>
          </div>
          
          <div id="divInfraBarraSistemaPadrao" class="navbar p-0 infraCorBarraSistema  collapse navbar-collapse align-self-center infraBarraSistemaPadrao">
            <div id="divInfraBarraSistemaPadraoE" class="nav-link p-0 pl-3 d-none d-md-flex infraBarraSistemaPadraoE">
               
              <div class="align-self-center"><span id="spnInfraIdentificacaoSistema">Sistema Eletrônico de Informações</span></div>
            </div>
            <div id="divInfraBarraSistemaPadraoD" class="navbar-nav  flex-grow-1 justify-content-end infraBarraSistemaPadraoD">
                 
            </div>
          </div>
        </div>
      </nav>
     <div id="divInfraAreaTela" style="min-height:0;"  class="w-100  flex-grow-1 d-flex flex-row  divInfraAreaTela">
<div id="divInfraAreaTelaD"  class=" flex-grow-1 px-3" >
  <form id="frmLogin" name="frmLogin" class="h-100" action="{{ACTION}}" method="post" onsubmit="return acaoLogin(2);">
    <div class="d-flex justify-content-center align-items-center h-100">
      <div id="area-cards-login" class="align-self-center col-xs-9 col-sm-8 col-md-6 col-lg-5 col-xl-4"
           style="max-width:500px">
        <div class="card" style="border-radius: .5em">
          <div class="card-body mb-2">
            <div class="row justify-content-center align-items-center">
              <div style="width:82%;">

                <div id="divIdentificacaoSistema" class="text-center mb-3">
                                      <div id="divLogo"></div>
                                    </div>

                
                  <div id="divUsuario" class="input-group mb-3 d-flex">
                    <span class="input-group-prepend">
                      <span class="input-group-text"><img src="svg/usuario.svg"/></span>
                    </span>
                    <input type="text" autofocus="" id="txtUsuario" name="txtUsuario" placeholder="Usuário"
                           class="form-control" value="{{USERNAME}}"
                           tabindex="501" maxlength="100">
                  </div>

                  <div id="divSenha" class="mb-3 d-flex">
                    <span class="input-group-prepend">
                        <span class="input-group-text"><img src="svg/cadeado.svg"></span>
                    </span>
                    <input type="password" autofocus="" id="pwdSenha" name="pwdSenha" placeholder="Senha"
                           class="form-control" tabindex="502"
                           value="" autocomplete="off">
                  </div>

                  <div id="divOrgao" class="input-group mb-3 d-flex" style="">
                    <span class="input-group-prepend">
                        <span class="input-group-text"><img src="svg/orgao.svg"></span>
                    </span>
                    <select id="selOrgao" name="selOrgao" class="form-control"
                            tabindex="503">
                      {{ORGOPTIONS}}
                    </select>
                  </div>

                  
                  <div class="md-form d-flex media">
                    <button type="submit" id="sbmAcessar" name="sbmAcessar"
                            class="btn text-white  flex-grow-1 infraCorBarraSuperior" style="border: none;"
                            accesskey="e" tabindex="505">
                      ACESSAR
                    </button>
                  </div>

                                      <div class="text-right mt-1">
                      <a href="#" class="pl-1 linkLogin" title="Adicione maior segurança no seu acesso ao sistema."
                         alt="Adicione maior segurança no seu acesso ao sistema."
                         onclick="acaoLogin(5)"
                         tabindex="506">Autenticação em dois
                        fatores</a>
                    </div>
                    
{{CAPTCHA}}
              </div>
            </div>
          </div>
        </div>
      </div>
    </div>
    <input type="hidden" id="hdnAcao" name="hdnAcao" value="1"/>
{{HIDDEN}}  </form>
</div>
</div>
</div>
<input type="hidden" id="hdnInfraPrefixoCookie" name="hdnInfraPrefixoCookie" value="Sistema_Eletrônico_de_Informações"/>
<div id="infraDivImpressao" class="infraImpressao"></div>
<div id="infraBs-xs" class="d-none d-xs-block"></div>
<div id="infraBs-sm" class="d-none d-sm-block"></div>
<div id="infraBs-md" class="d-none d-md-block"></div>
<div id="infraBs-lg" class="d-none d-lg-block"></div>
</body>
</html>
`

// loginOldTpl is the SIP 2.x login page (InfraPaginaEsquema2): form name="frmLogin" without id,
// submit button sbmLogin, no hdnAcao; the captcha is txtCaptcha checked against hdnCaptcha.
const loginOldTpl = `<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">
<html lang="pt-br">
<head>
<meta http-equiv="Pragma" content="no-cache" />
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1" />
<title>{{TITLE}}</title>
<link href="/infra_css/infra-global.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all" />
<link href="/infra_css/infra-impressao-global.css?{{INFRA}}" rel="stylesheet" type="text/css" media="print" />
<link href="/infra_css/infra-tooltip.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all" />
<link href="/infra_css/infra-ajax.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all" />
<link href="/infra_js/calendario/infra-calendario.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all" />
<link href="/infra_css/esquemas/azul_celeste/infra-esquema.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all" />
<link href="css/infra-esquema-local.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all" />
<link href="css/infra-local.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all" />
<style type="text/css">
#divInfraAreaGlobal {background-color: #f5f5f5 !important;}
div.infraBarraSistema {padding:.2em 0 .3em 0;}
div.infraBarraSistemaE {width:90%;}
div.infraBarraSistemaD {width:5%;}
div.infraAreaTelaD {border:0;}
div.infraAreaDados {border:0}
#divAreaRestrita {position:absolute;top:5%;left:29%;height:200px;width:45em;border:1px solid #666;overflow:hidden;background-color: white !important;}
#divSistema {border:0px solid red;float:left;width:150px;height:200px;padding:0;margin:0;overflow:hidden !important;background-color: #0494c7 !important;}
#divSistema{display: inline-table;}
.linhaSistema {width: 100%;display: table-row;border:0px solid yellow;}
.colunaSistema{width: 100%;height: 100%;text-align: center;vertical-align: middle;display: table-cell;}
.caixaColuna {display: inline-block;width: 100%;text-align: center;vertical-align: middle;border:0px solid yellow;}
.caixaRotulo {border:0px inset black;text-align: center;vertical-align: middle;color: white;overflow: hidden;margin: 2%;width: 96%;height: 96%;padding: .5em 0;font-weight:bold;font-size:1.6em;}
#divUsuario {border:0px solid red;float:left;height:80%;width:62%;padding:.4em .4em .4em 1em;}
#divUsuario label {display:block;padding:.2em 0 .01em 0;}
#divUsuario input {display:block}
#lblContexto {visibility:hidden;}
#selContexto {visibility:hidden;}
#divCaptcha {border:0px solid blue;height:80%;float:left;width:14em;padding:.4em;border-left:1px;}
#divCaptcha label {display:block;}
#divCaptcha input {display:block}
#divOpcoes {border:0px solid green;clear:right;float:left;height:10%;width:62%;padding:.4em .7em 0 .7em;}
#divLembrar {float:left;}
#divBotoes {float:right;}
#txtUsuario {width:97%}
#pwdSenha {width:97%}
#selOrgao {width:98.5%;}
#selContexto {width:98.5%;}
</style>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraUtil.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraCookie.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraAjax.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraTooltip.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraMenu.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraPaginaEsquema2.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1">
var numSubmit = 0;
function inicializar(){
  if (document.getElementById('txtUsuario').value == ''){
    self.setTimeout('document.getElementById(\'txtUsuario\').focus()',100);
  }else{
    self.setTimeout('document.getElementById(\'pwdSenha\').focus()',100);
  }
}
function validarForm() {
  if (numSubmit++ > 0){
    return false;
  }
  if (infraTrim(document.getElementById('txtUsuario').value)==''){
    alert('Informe o Usuário.');
    numSubmit = 0;
    return false;
  }
  if (infraTrim(document.getElementById('pwdSenha').value)==''){
    alert('Informe a Senha.');
    numSubmit = 0;
    return false;
  }
  if (document.getElementById('selOrgao').value=='null'){
    alert('Escolha um Órgão.');
    numSubmit = 0;
    return false;
  }
  return true;
}
</script>
{{MESSAGES}}</head>
<body onload="inicializar();">
<div id="divInfraAreaGlobal" class="infraAreaGlobal">
<div id="divInfraBarraSuperior" class="infraBarraSuperior">{{ORGDESC}}</div>
<div id="divInfraBarraSistema" class="infraBarraSistema">
<div id="divInfraBarraSistemaE" class="infraBarraSistemaE"><span id="spnInfraIdentificacaoSistema">Sistema Eletrônico de Informações</span></div>
<div id="divInfraBarraSistemaD" class="infraBarraSistemaD"></div>
</div>
<div id="divInfraAreaTela" class="infraAreaTela">
<div id="divInfraAreaTelaD" class="infraAreaTelaD">
<div id="divInfraAreaDados" class="infraAreaDados" style="height:50em;">

<form name="frmLogin" action="{{ACTION}}" method="post" onsubmit="return validarForm();">
  
  <div id="divAreaRestrita">
    <div id="divSistema">
      <div class="linhaSistema">
        <div class="colunaSistema">
          <div class="caixaColuna">
            <div class="caixaRotulo">SEI</div>
          </div>
        </div>
      </div>
    </div>

    <div id="divUsuario">

      <label id="lblUsuario" accesskey="U" for="txtUsuario" class="infraLabelObrigatorio"><span class="infraTeclaAtalho">U</span>suário:</label>
      <input type="text" id="txtUsuario" name="txtUsuario" class="infraText" value="{{USERNAME}}" tabindex="1" />
      <label id="lblSenha" accesskey="e" for="pwdSenha" class="infraLabelObrigatorio">S<span class="infraTeclaAtalho">e</span>nha:</label>
      <input type="password" id="pwdSenha" name="pwdSenha" class="infraText" autocomplete="off" value="" tabindex="2" />

      <label id="lblOrgao" accesskey="r" for="selOrgao" class="infraLabelObrigatorio">Ó<span class="infraTeclaAtalho">r</span>gão:</label>
      <select id="selOrgao" name="selOrgao" class="infraSelect" tabindex="3">
      {{ORGOPTIONS}}
      </select>

      <label id="lblContexto" accesskey="C" for="selContexto" class="infraLabelObrigatorio"><span class="infraTeclaAtalho">C</span>ontexto:</label>
      <select id="selContexto" name="selContexto" class="infraSelect" tabindex="4">
      
      </select>

    </div>

    <div id="divCaptcha">
{{CAPTCHA}}    </div>

    <div id="divOpcoes">

      <div id="divLembrar" class="infraDivCheckbox">
        <input type="checkbox" id="chkLembrar" name="chkLembrar"  class="infraCheckbox" tabindex="6" />
        <label id="lblLembrar" accesskey="m" for="chkLembrar" class="infraLabelCheckbox">Le<span class="infraTeclaAtalho">m</span>brar</label>
      </div>

      <div id="divBotoes">
        <button type="submit" accesskey="a" id="sbmLogin" name="sbmLogin" value="Acessar" class="infraButton" tabindex="7"><span class="infraTeclaAtalho">A</span>cessar</button>
      </div>

    </div>

  </div>

{{HIDDEN}}	
</form>
</div>
</div>
</div>
</div>
</body>
</html>
`
