package sei

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// mod-wssei REST paths, relative to the instance root.
const (
	WSSEIBaseV2    = "/sei/modulos/wssei/controlador_ws.php/api/v2"
	WSSEIBaseV1    = "/sei/modulos/wssei/controlador_ws.php/api/v1"
	WSSEIVersaoV2  = WSSEIBaseV2 + "/versao"
	WSSEIVersaoV1  = WSSEIBaseV1 + "/versao"
	WSSEIOrgaos    = WSSEIBaseV2 + "/orgao/listar"
	WSSEIOrgaosV1  = WSSEIBaseV1 + "/orgao/listar"
	WSSEIAuth      = WSSEIBaseV2 + "/autenticar"
	WSSEITokenHead = "token"
)

// WSSEIState is what a mod-wssei answer says about the module.
type WSSEIState string

// States read from mod-wssei answers.
const (
	WSSEIOK           WSSEIState = "ok"           // sucesso: true
	WSSEIDenied       WSSEIState = "denied"       // 401 "Acesso negado!": installed, active, wants a token
	WSSEIBadToken     WSSEIState = "bad_token"    // 403 "Token inválido!"
	WSSEIInactive     WSSEIState = "inactive"     // 401 "Módulo inativo."
	WSSEIIncompatible WSSEIState = "incompatible" // 401 "Módulo incompatível com a versão X do SEI."
	WSSEIError        WSSEIState = "error"        // sucesso: false with any other message
	WSSEIAbsent       WSSEIState = "absent"       // not mod-wssei JSON at all (404 page, HTML)
)

// WSSEIAnswer is one decoded mod-wssei response.
type WSSEIAnswer struct {
	State   WSSEIState
	Message string
	// SEI and WSSEI are the versions /versao states: v2 data.sei and data.wssei; v1 (mod-wssei
	// < 1.0, SEI 3) data.versao, which is SEI_VERSAO.
	SEI   string
	WSSEI string
	// IncompatibleWith is the SEI version the "Módulo incompatível com a versão X do SEI." middleware
	// message leaks.
	IncompatibleWith string
	// Token is data.token of /autenticar.
	Token string
	// Total is "total" of list endpoints (/orgao/listar), -1 when absent.
	Total int
	// Items is the length of a list "data".
	Items int
	// V1 says the answer came from the v1 API (mod-wssei < 1.0).
	V1 bool
}

type wsseiEnvelope struct {
	Sucesso  *bool           `json:"sucesso"`
	Mensagem string          `json:"mensagem"`
	Data     json.RawMessage `json:"data"`
	Total    *json.Number    `json:"total"`
}

// ErrNotWSSEI is returned for a body that is not a mod-wssei JSON envelope.
var ErrNotWSSEI = errors.New("not a mod-wssei answer")

// ParseWSSEI decodes any mod-wssei answer ({"sucesso":…,"mensagem":…,"data":…}). The body must be
// UTF-8 (Response.Text).
func ParseWSSEI(body []byte) (WSSEIAnswer, error) {
	a := WSSEIAnswer{State: WSSEIAbsent, Total: -1}
	var env wsseiEnvelope
	if err := json.Unmarshal(body, &env); err != nil || env.Sucesso == nil {
		return a, ErrNotWSSEI
	}
	a.Message = strings.TrimSpace(env.Mensagem)
	if env.Total != nil {
		if n, err := env.Total.Int64(); err == nil && n >= 0 && n < 1<<31 {
			a.Total = int(n)
		}
	}
	if !*env.Sucesso {
		a.State = classifyWSSEIMessage(a.Message, &a)
		return a, nil
	}
	a.State = WSSEIOK
	if len(env.Data) == 0 {
		return a, nil
	}
	switch env.Data[0] {
	case '{':
		var d struct {
			SEI    string `json:"sei"`
			WSSEI  string `json:"wssei"`
			Versao string `json:"versao"`
			Token  string `json:"token"`
		}
		if err := json.Unmarshal(env.Data, &d); err != nil {
			return a, fmt.Errorf("mod-wssei data: %w", err)
		}
		a.SEI, a.WSSEI, a.Token = d.SEI, d.WSSEI, d.Token
		if a.SEI == "" && d.Versao != "" {
			a.SEI = d.Versao
		}
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(env.Data, &items); err != nil {
			return a, fmt.Errorf("mod-wssei data: %w", err)
		}
		a.Items = len(items)
	}
	return a, nil
}

func classifyWSSEIMessage(msg string, a *WSSEIAnswer) WSSEIState {
	n := NormalizeName(msg)
	switch {
	case strings.HasPrefix(n, "acesso negado"):
		return WSSEIDenied
	case strings.HasPrefix(n, "token invalido"):
		return WSSEIBadToken
	case strings.HasPrefix(n, "modulo inativo"):
		return WSSEIInactive
	case strings.HasPrefix(n, "modulo incompativel"):
		// "Módulo incompatível com a versão 4.1.5 do SEI."
		for _, f := range strings.Fields(msg) {
			f = strings.TrimRight(f, ".,;")
			if isVersion(f) {
				a.IncompatibleWith = f
				break
			}
		}
		return WSSEIIncompatible
	}
	return WSSEIError
}

// Installed says the answer came from an installed mod-wssei (any state but absent).
func (a WSSEIAnswer) Installed() bool { return a.State != WSSEIAbsent }
