package seisim

import (
	"strconv"
	"strings"
)

// versionLine is one SEI release line with the SIP and Infra versions that ship with it. The
// SEI↔Infra pairs are the fingerprints listed in SEI.md (observed on real installations); the SIP
// versions of the 4.1 and 5.0 lines are not visible on any page and are plausible values only.
type versionLine struct {
	SEI, SIP, Infra string
}

// knownLines are the versions Generate draws from.
var knownLines = [...]versionLine{
	{SEI: "3.0.11", SIP: "2.0.4", Infra: "1.466"},
	{SEI: "4.0.1", SIP: "3.0.0", Infra: "1.583.4"},
	{SEI: "4.1.5", SIP: "3.1.5", Infra: "2.29.0"},
	{SEI: "5.0.0", SIP: "3.2.0", Infra: "2.30.0"},
	{SEI: "5.0.3", SIP: "3.2.3", Infra: "2.41.1"},
}

// moduleInfo is what SEI shows about one module: SeiIntegracao::getNome/getInstituicao, the
// directory under sei/web/modulos/, the acao= prefix of its controller actions, its menu items and
// the SOAP service it registers in controlador_ws.php.
type moduleInfo struct {
	Nome        string
	NomeAntigo  string // name used by releases before NomeDesde, when it differs
	NomeDesde   string
	Instituicao string
	Dir         string
	Prefix      string
	Menu        []menuItem
	WSService   string
}

type menuItem struct {
	Acao  string
	Label string
	Img   string // image under modulos/<dir>/, empty for none
}

func moduleCatalog(name string) moduleInfo {
	switch name {
	case "mod-sei-pen":
		return moduleInfo{
			Nome: "Integração Tramita GOV.BR", NomeAntigo: "Integração Processo Eletrônico Nacional - PEN", NomeDesde: "3.3.0",
			Instituicao: "Ministério da Gestão e da Inovação em Serviços Públicos - MGI",
			Dir:         "pen", Prefix: "pen_",
			Menu: []menuItem{
				{Acao: "pen_procedimento_expedido_listar", Label: "Processos Tramitados Externamente", Img: "imagens/pen_tramite.png"},
				{Acao: "pen_procedimento_recusado_listar", Label: "Processos com Tramitação Recusada", Img: ""},
			},
		}
	case "mod-wssei":
		return moduleInfo{
			Nome: "Módulo de serviços REST", Instituicao: "Ministério da Gestão e da Inovação em Serviços Públicos - MGI",
			Dir: "wssei", Prefix: "md_wssei_",
			Menu: []menuItem{{Acao: "md_wssei_qr_code_gerar", Label: "SEI Mobile", Img: "imagens/sei_mobile.svg"}},
		}
	case "peticionamento":
		return moduleInfo{
			Nome: "SEI Peticionamento, Intimação e Procuração", NomeAntigo: "Peticionamento e Intimação Eletrônicos", NomeDesde: "3.0.0",
			Instituicao: "Anatel - Agência Nacional de Telecomunicações",
			Dir:         "peticionamento", Prefix: "md_pet_", WSService: "wspeticionamento",
			Menu: []menuItem{
				{Acao: "md_pet_intimacao_eletronica_listar", Label: "Intimações Eletrônicas", Img: "imagens/svg/intimacao.svg"},
				{Acao: "md_pet_usu_ext_pendente_listar", Label: "Peticionamento Eletrônico", Img: "imagens/svg/peticionamento.svg"},
			},
		}
	case "mod-sei-estatisticas":
		return moduleInfo{
			Nome: "Módulo de Estatísticas do SEI", Instituicao: "Ministério da Gestão e da Inovação em Serviços Públicos - MGI",
			Dir: "mod-sei-estatisticas", Prefix: "md_estatisticas_",
		}
	case "mod-sei-resposta":
		return moduleInfo{
			Nome: "Módulo de Resposta", Instituicao: "Ministério da Gestão e da Inovação em Serviços Públicos - MGI",
			Dir: "mod-sei-resposta", Prefix: "md_resposta_",
			Menu: []menuItem{{Acao: "md_resposta_parametro_cadastrar", Label: "Resposta", Img: ""}},
		}
	case "gestao-documental":
		return moduleInfo{
			Nome: "Módulo de Gestão Documental", Instituicao: "Ministério da Gestão e da Inovação em Serviços Públicos - MGI",
			Dir: "gestao-documental", Prefix: "gestao_documental_",
			Menu: []menuItem{{Acao: "gestao_documental_listar_arquivamento", Label: "Gestão Documental", Img: ""}},
		}
	case "loginunico":
		return moduleInfo{
			Nome: "Módulo de Login Único", Instituicao: "Ministério da Gestão e da Inovação em Serviços Públicos - MGI",
			Dir: "loginunico", Prefix: "md_lu_",
		}
	case "assinatura-avancada":
		return moduleInfo{
			Nome: "Módulo de Assinatura Avançada", Instituicao: "Ministério da Gestão e da Inovação em Serviços Públicos - MGI",
			Dir: "assinatura-avancada", Prefix: "md_assinatura_avancada_",
		}
	case "pesquisa":
		return moduleInfo{
			Nome: "SEI Pesquisa Pública", Instituicao: "Anatel - Agência Nacional de Telecomunicações (desenvolvido originalmente pelo CADE)",
			Dir: "pesquisa", Prefix: "md_pesq_",
			Menu: []menuItem{{Acao: "md_pesq_parametro_listar", Label: "Pesquisa Pública", Img: ""}},
		}
	}
	safe := strings.NewReplacer("-", "_", ".", "_").Replace(name)
	return moduleInfo{Nome: name, Dir: name, Prefix: "md_" + safe + "_"}
}

// displayName is the module name SEI lists for this version.
func (mi moduleInfo) displayName(version string) string {
	if mi.NomeAntigo != "" && compareVersions(version, mi.NomeDesde) < 0 {
		return mi.NomeAntigo
	}
	return mi.Nome
}

func majorOf(v string) int {
	head, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(head)
	if err != nil {
		return 0
	}
	return n
}

// compareVersions compares dotted numeric versions; missing parts count as 0.
func compareVersions(a, b string) int {
	for a != "" || b != "" {
		var pa, pb string
		pa, a, _ = strings.Cut(a, ".")
		pb, b, _ = strings.Cut(b, ".")
		na, _ := strconv.Atoi(pa)
		nb, _ := strconv.Atoi(pb)
		if na != nb {
			if na < nb {
				return -1
			}
			return 1
		}
	}
	return 0
}

// sipGeneration classifies the SIP login page: 2 (SIP 2.x: sbmLogin, txtCaptcha), 30 (SIP 3.0.x:
// sbmAcessar, hdnToken CSRF, txtCaptchaConfirmacao), 31 (SIP ≥ 3.1: sbmAcessar, txtInfraCaptcha).
func sipGeneration(sip string) int {
	switch {
	case compareVersions(sip, "3") < 0:
		return 2
	case compareVersions(sip, "3.1") < 0:
		return 30
	default:
		return 31
	}
}

// infraBootstrap reports whether the Infra version renders the Bootstrap layout (Infra 2.x, SEI
// 4.1+) rather than the older "esquema 2" layout.
func infraBootstrap(infra string) bool { return compareVersions(infra, "2") >= 0 }
