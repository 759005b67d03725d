package sei

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"

	"golang.org/x/net/html/charset"
)

// WSDLPath is SEI's WSDL controller; ?servico=sei|sip|assinador|federacao or a module's service.
const WSDLPath = "/sei/controlador_ws.php"

// WSDLStatus classifies an answer of controlador_ws.php.
type WSDLStatus string

// WSDL answers.
const (
	WSDLOK      WSDLStatus = "wsdl"    // a WSDL document
	WSDLInvalid WSDLStatus = "invalid" // "Serviço [x] inválido.": the service is not registered
	WSDLOther   WSDLStatus = "other"   // anything else (error page, HTML, empty)
)

const wsdlNS = "http://schemas.xmlsoap.org/wsdl/"

// ClassifyWSDL reads a controlador_ws.php answer: a WSDL whose root is wsdl:definitions, SEI's
// "Serviço [x] inválido." for an unknown service, or something else. raw is the body as sent (the
// XML prolog names its encoding); contentType is the response header.
func ClassifyWSDL(raw []byte, contentType string) WSDLStatus {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return WSDLOther
	}
	if trimmed[0] == '<' {
		if isWSDL(trimmed) {
			return WSDLOK
		}
	}
	text := DecodeBody(trimmed, contentType)
	// The message may come bare or inside an Infra error page: look for it in the text.
	if bytes.Contains(text, []byte("Serviço [")) && bytes.Contains(text, []byte("inválido")) {
		return WSDLInvalid
	}
	return WSDLOther
}

func isWSDL(b []byte) bool {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.CharsetReader = charset.NewReaderLabel
	dec.Strict = false
	for i := 0; i < 64; i++ { // the root element comes after a prolog and comments
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return false
			}
			return false
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Local == "definitions" && (se.Name.Space == wsdlNS || se.Name.Space == "")
		}
	}
	return false
}
