package seisim

import (
	"encoding/xml"
	"io"
	"net/http"
	"strings"
)

// wsOps are the operations each built-in WSDL declares (abridged: enough for a client to see the
// service; seisim implements listarUnidades and listarSeries).
var wsOps = map[string][]string{
	"sei":       {"gerarProcedimento", "incluirDocumento", "listarUnidades", "listarTiposProcedimento", "listarSeries", "consultarProcedimento", "consultarDocumento", "enviarProcesso", "concluirProcesso", "reabrirProcesso", "listarUsuarios"},
	"sip":       {"carregarUsuarios", "replicarUsuarioRH", "validarLogin", "removerLogin", "loginUnificado"},
	"assinador": {"listarAssinaturas", "assinarDocumento", "obterVersao"},
	"federacao": {"consultarInstalacao", "replicarProcesso", "consultarProcessoFederacao"},
}

// wsdl is GET controlador_ws.php?servico=X: the WSDL of a built-in or module service, or the
// plain "Serviço [X] inválido." message.
func (q *req) wsdl() {
	servico := q.r.URL.Query().Get("servico")
	ops, ok := wsOps[servico]
	if servico == "federacao" && majorOf(q.c.SEIVersion) < 4 {
		ok = false // Federação arrived with SEI 4.0
	}
	if !ok {
		for _, m := range q.c.Modules {
			if mi := moduleCatalog(m.Name); mi.WSService != "" && mi.WSService == servico && !m.Inactive {
				if m.Broken {
					q.fatalError()
					return
				}
				ops, ok = []string{"listarTiposPeticionamento", "consultarIntimacao", "listarIntimacoes"}, true
			}
		}
	}
	if !ok {
		q.page(http.StatusOK, ctHTML, latin1("Serviço ["+servico+"] inválido."))
		return
	}
	ns := strings.ToUpper(servico[:1]) + servico[1:]
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:tns="` + ns + `" name="` + ns + `WS" targetNamespace="` + ns + `">
  <wsdl:types>
    <xsd:schema targetNamespace="` + ns + `">
      <xsd:import namespace="http://schemas.xmlsoap.org/soap/encoding/"/>
      <xsd:complexType name="Unidade">
        <xsd:all>
          <xsd:element name="IdUnidade" type="xsd:string"/>
          <xsd:element name="Sigla" type="xsd:string"/>
          <xsd:element name="Descricao" type="xsd:string"/>
        </xsd:all>
      </xsd:complexType>
      <xsd:complexType name="ArrayOfUnidade">
        <xsd:complexContent>
          <xsd:restriction base="soapenc:Array">
            <xsd:attribute ref="soapenc:arrayType" wsdl:arrayType="tns:Unidade[]"/>
          </xsd:restriction>
        </xsd:complexContent>
      </xsd:complexType>
    </xsd:schema>
  </wsdl:types>
`)
	for _, op := range ops {
		b.WriteString(`  <wsdl:message name="` + op + `Request">
    <wsdl:part name="SiglaSistema" type="xsd:string"/>
    <wsdl:part name="IdentificacaoServico" type="xsd:string"/>
  </wsdl:message>
  <wsdl:message name="` + op + `Response">
    <wsdl:part name="parametros" type="tns:ArrayOfUnidade"/>
  </wsdl:message>
`)
	}
	b.WriteString(`  <wsdl:portType name="` + ns + `PortType">
`)
	for _, op := range ops {
		b.WriteString(`    <wsdl:operation name="` + op + `">
      <wsdl:input message="tns:` + op + `Request"/>
      <wsdl:output message="tns:` + op + `Response"/>
    </wsdl:operation>
`)
	}
	b.WriteString(`  </wsdl:portType>
  <wsdl:binding name="` + ns + `Binding" type="tns:` + ns + `PortType">
    <soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>
`)
	for _, op := range ops {
		b.WriteString(`    <wsdl:operation name="` + op + `">
      <soap:operation soapAction="` + ns + `Action"/>
      <wsdl:input><soap:body namespace="` + ns + `" use="encoded" encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"/></wsdl:input>
      <wsdl:output><soap:body namespace="` + ns + `" use="encoded" encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"/></wsdl:output>
    </wsdl:operation>
`)
	}
	loc := q.abs("/sei/ws/" + ns + "WS.php")
	b.WriteString(`  </wsdl:binding>
  <wsdl:service name="` + ns + `Service">
    <wsdl:port name="` + ns + `PortService" binding="tns:` + ns + `Binding">
      <soap:address location="` + loc + `"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
`)
	q.page(http.StatusOK, ctXML, []byte(b.String()))
}

// soap is POST ws/SeiWS.php, PHP's SoapServer: listarUnidades/listarSeries answer for any
// non-empty SiglaSistema and IdentificacaoServico; other operations and bad envelopes are faults.
func (q *req) soap() {
	if q.r.Method != http.MethodPost {
		q.soapFault("Bad Request. Can't find HTTP_RAW_POST_DATA")
		return
	}
	body, err := io.ReadAll(io.LimitReader(q.r.Body, 1<<20))
	if err != nil {
		q.soapFault("Bad Request")
		return
	}
	op, params, ok := parseSOAPCall(body)
	if !ok {
		q.soapFault("Bad Request")
		return
	}
	if params["SiglaSistema"] == "" {
		q.soapFault("Sistema não informado.")
		return
	}
	if params["IdentificacaoServico"] == "" {
		q.soapFault("Serviço não informado.")
		return
	}
	var items string
	switch op {
	case "listarUnidades":
		items = `<item xsi:type="ns1:Unidade"><IdUnidade xsi:type="xsd:string">` + idUnidadeAtual + `</IdUnidade><Sigla xsi:type="xsd:string">` + siglaUnidade + `</Sigla><Descricao xsi:type="xsd:string">Protocolo</Descricao></item>`
	case "listarSeries":
		items = `<item xsi:type="ns1:Serie"><IdSerie xsi:type="xsd:string">1</IdSerie><Nome xsi:type="xsd:string">Ofício</Nome><Aplicabilidade xsi:type="xsd:string">T</Aplicabilidade></item>`
	default:
		q.soapFault("Operação [" + op + "] não suportada.")
		return
	}
	resp := `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="Sei" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/" SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><SOAP-ENV:Body><ns1:` + op + `Response><parametros SOAP-ENC:arrayType="ns1:Unidade[1]" xsi:type="ns1:ArrayOfUnidade">` + items + `</parametros></ns1:` + op + `Response></SOAP-ENV:Body></SOAP-ENV:Envelope>
`
	q.page(http.StatusOK, ctXML, []byte(resp))
}

func (q *req) soapFault(msg string) {
	resp := `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Server</faultcode><faultstring>` + xmlEsc(msg) + `</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>
`
	q.page(http.StatusInternalServerError, ctXML, []byte(resp))
}

func xmlEsc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// parseSOAPCall returns the operation (first element in Body) and its simple parameters.
func parseSOAPCall(body []byte) (string, map[string]string, bool) {
	d := xml.NewDecoder(strings.NewReader(string(body)))
	d.Strict = false
	var op string
	params := map[string]string{}
	depth, opDepth := 0, -1
	inBody := false
	var cur string
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case t.Name.Local == "Body":
				inBody = true
			case inBody && op == "":
				op, opDepth = t.Name.Local, depth
			case op != "" && depth == opDepth+1:
				cur = t.Name.Local
			}
		case xml.CharData:
			if cur != "" {
				params[cur] += string(t)
			}
		case xml.EndElement:
			if depth == opDepth+1 {
				cur = ""
			}
			depth--
		}
	}
	return op, params, op != ""
}
