package seisim

// seiHeadTpl is the document of a logged-in SEI page (PaginaSEI, Bootstrap layout, SEI ≥ 4.0).
// {{INFRA}} carries "<SEI>-<Infra>" here; the body is built per page.
const seiHeadTpl = `<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">
<html lang="pt-br" >
<head >

<link rel="shortcut icon" sizes="any" href="favicon/favicon.ico" />         
<link rel="icon" type="image/svg+xml" href="favicon/favicon.svg" />         
<link rel="apple-touch-icon" href="favicon/apple-touch-icon.png" />
<link rel="manifest" href="favicon/site.webmanifest" />
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"/>
<meta name="robots" content="noindex"/>
<meta name="viewport" content="width=device-width, initial-scale=1, shrink-to-fit=no"> 
<title>{{TITLE}}</title>
` + infraHeadCSS + `<link href="/infra_css/esquemas/azul_celeste/infra-esquema-3.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all"/>      
<link href="css/infra-local-esquema-3.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all"/>
<style></style><style type="text/css" >
<!--/*--><![CDATA[/*><!--*/
#divFiltro{
  margin: 15px 0 2px 0;
}

table.tabelaControle,
  tr.infraTrClara td  {
  border:0;
}

table.tabelaControle td {
  text-align:center;
}

.divLink .ancoraPadraoPreta{
  padding: 0px;
}

#divInfraBtnTopo{
  flex: 0 0 100%;
  max-width: 100%;
}

/*]]>*/-->
</style>
` + infraHeadJS + `<script type="text/javascript" charset="iso-8859-1" src="js/sei.js?{{INFRA}}"></script>

<script type="text/javascript" charset="iso-8859-1" >
<!--//--><![CDATA[//><!--

  function inicializar(){
{{LINKS2}}
    if (infraIsBreakpointBootstrap("lg")){
      infraExibirMenuSistemaEsquema();
    }

    infraEfeitoTabelas();
  }

//--><!]]>
</script>
{{MESSAGES}}</head>
<body onload="inicializar();"  >
{{BODY}}<input type="hidden" id="hdnInfraPrefixoCookie" name="hdnInfraPrefixoCookie" value="Sistema_Eletrônico_de_Informações_{{ORG}}"/>
<div id="infraDivImpressao" class="infraImpressao"></div>
<div id="infraBs-xs" class="d-none d-xs-block"></div>
<div id="infraBs-sm" class="d-none d-sm-block"></div>
<div id="infraBs-md" class="d-none d-md-block"></div>
<div id="infraBs-lg" class="d-none d-lg-block"></div>
</body>
</html>
`

// seiHeadOldTpl is the document of SEI 3.x (InfraPaginaEsquema2). seisim reuses the 4.x body for
// these pages; the head, asset list and logo differ.
const seiHeadOldTpl = `<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">
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
<link href="/infra_js/arvore/infra-arvore.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all" />
<link href="/infra_css/esquemas/azul_celeste/infra-esquema.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all" />
<link href="css/infra-esquema-local.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all" />
<link href="css/infra-local.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all" />
<link href="css/sei.css?{{INFRA}}" rel="stylesheet" type="text/css" media="all" />
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraUtil.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraCookie.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraAjax.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraTooltip.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraMenu.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/InfraPaginaEsquema2.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="/infra_js/jquery/jquery-1.11.1.min.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1" src="js/sei.js?{{INFRA}}"></script>
<script type="text/javascript" charset="iso-8859-1">
  function inicializar(){
{{LINKS2}}
    infraEfeitoTabelas();
  }
</script>
{{MESSAGES}}</head>
<body onload="inicializar();">
{{BODY}}<input type="hidden" id="hdnInfraPrefixoCookie" name="hdnInfraPrefixoCookie" value="Sistema_Eletrônico_de_Informações_{{ORG}}"/>
</body>
</html>
`
