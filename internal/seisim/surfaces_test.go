package seisim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestWSSEI(t *testing.T) {
	e := newEnv(t, testFleet(), Options{WSSEIAuthDelay: 50 * time.Millisecond})
	api := func(name string) string { return e.base(name) + "/sei/modulos/wssei/controlador_ws.php/api/v2" }
	type jsonResp struct {
		Sucesso  bool            `json:"sucesso"`
		Mensagem *string         `json:"mensagem"`
		Data     json.RawMessage `json:"data"`
		Total    *int            `json:"total"`
	}
	call := func(method, u, token string, form url.Values) (int, jsonResp, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, u, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if token != "" {
			req.Header.Set("token", token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		var j jsonResp
		if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			if err := json.Unmarshal(raw, &j); err != nil {
				t.Fatalf("%s: bad JSON %q: %v", u, raw, err)
			}
		}
		return res.StatusCode, j, string(raw)
	}
	msg := func(j jsonResp) string {
		if j.Mensagem == nil {
			return ""
		}
		return *j.Mensagem
	}

	code, j, raw := call(http.MethodGet, api("orgao-0001")+"/versao", "", nil)
	if code != 401 || j.Sucesso || msg(j) != "Acesso negado!" || !strings.Contains(raw, `"exception":null`) {
		t.Errorf("no token: %d %s", code, raw)
	}
	code, j, raw = call(http.MethodGet, api("orgao-0001")+"/versao", "forjado", nil)
	if code != 403 || msg(j) != "Token inválido!" || !strings.Contains(raw, `Token inv\u00e1lido!`) {
		t.Errorf("bad token: %d %s", code, raw)
	}

	start := time.Now()
	code, j, raw = call(http.MethodPost, api("orgao-0001")+"/autenticar", "", url.Values{"usuario": {"monitor"}, "senha": {"monitor123"}, "orgao": {"0"}})
	if took := time.Since(start); took < 50*time.Millisecond {
		t.Errorf("autenticar answered in %v, before the configured delay", took)
	}
	var auth struct {
		Token string `json:"token"`
	}
	if code != 200 || !j.Sucesso || json.Unmarshal(j.Data, &auth) != nil || auth.Token == "" {
		t.Fatalf("autenticar: %d %s", code, raw)
	}
	code, j, raw = call(http.MethodGet, api("orgao-0001")+"/versao", auth.Token, nil)
	var ver struct{ SEI, WSSEI string }
	if code != 200 || json.Unmarshal(j.Data, &ver) != nil || ver.SEI != "4.1.5" || ver.WSSEI != "2.2.1" {
		t.Errorf("versao: %d %s", code, raw)
	}
	// A token of another instance is not valid here.
	if code, _, _ := call(http.MethodGet, api("orgao-0004")+"/versao", auth.Token, nil); code != 401 {
		t.Errorf("inactive module answered %d", code)
	}

	_, j, raw = call(http.MethodPost, api("orgao-0001")+"/autenticar", "", url.Values{"usuario": {"monitor"}, "senha": {"x"}, "orgao": {"0"}})
	if j.Sucesso || msg(j) != "Usuário ou Senha Inválida." {
		t.Errorf("wrong password: %s", raw)
	}

	code, j, raw = call(http.MethodGet, api("orgao-0001")+"/orgao/listar", "", nil)
	var orgs []struct{ ID, Sigla, Descricao string }
	if code != 200 || !j.Sucesso || json.Unmarshal(j.Data, &orgs) != nil || len(orgs) != 1 || orgs[0].Sigla != "ABC" || j.Total == nil || *j.Total != 1 {
		t.Errorf("orgao/listar: %d %s", code, raw)
	}

	code, j, _ = call(http.MethodGet, api("orgao-0004")+"/orgao/listar", "", nil)
	if code != 401 || msg(j) != "Módulo inativo." {
		t.Errorf("inactive: %d %q", code, msg(j))
	}
	code, j, _ = call(http.MethodGet, api("orgao-0005")+"/versao", "", nil)
	if code != 401 || msg(j) != "Módulo incompatível com a versão 5.0.0 do SEI." {
		t.Errorf("broken: %d %q", code, msg(j))
	}
	if code, _, _ := call(http.MethodGet, api("orgao-0002")+"/versao", "", nil); code != 404 {
		t.Errorf("module not installed: %d", code)
	}
	// wssei < 1.0 (SEI 3): v1 and a public /versao.
	code, j, raw = call(http.MethodGet, e.base("orgao-0003")+"/sei/modulos/wssei/controlador_ws.php/api/v1/versao", "", nil)
	if code != 200 || !strings.Contains(string(j.Data), `"versao":"3.0.11"`) {
		t.Errorf("v1 versao: %d %s", code, raw)
	}
	if code, _, _ := call(http.MethodGet, api("orgao-0003")+"/versao", "", nil); code != 404 {
		t.Errorf("v2 on wssei 0.7: %d", code)
	}
}

func TestSOAP(t *testing.T) {
	e := newEnv(t, testFleet(), Options{})
	get := func(u string) (int, string, string) {
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("Content-Type"), string(b)
	}
	ws := func(name, svc string) string { return e.base(name) + "/sei/controlador_ws.php?servico=" + svc }
	for _, svc := range []string{"sei", "sip", "assinador", "federacao"} {
		code, ct, body := get(ws("orgao-0001", svc))
		if code != 200 || !strings.HasPrefix(ct, "text/xml") || !strings.Contains(body, "<wsdl:definitions") {
			t.Errorf("servico=%s: %d %s %.80s", svc, code, ct, body)
		}
	}
	code, _, body := get(ws("orgao-0001", "sei"))
	if code != 200 || !strings.Contains(body, `location="`+e.ts.URL+`/orgao-0001/sei/ws/SeiWS.php"`) || !strings.Contains(body, `name="listarUnidades"`) {
		t.Errorf("sei WSDL lacks the endpoint or listarUnidades")
	}
	code, ct, body := get(ws("orgao-0001", "naoexiste"))
	if code != 200 || body != "Servi\xe7o [naoexiste] inv\xe1lido." || !strings.Contains(ct, "iso-8859-1") {
		t.Errorf("unknown service: %d %q %q", code, ct, body)
	}
	if _, _, body := get(ws("orgao-0001", "wspeticionamento")); !strings.Contains(body, "<wsdl:definitions") {
		t.Error("wspeticionamento missing on an instance with peticionamento")
	}
	if _, _, body := get(ws("orgao-0002", "wspeticionamento")); !strings.Contains(body, "inv\xe1lido") {
		t.Error("wspeticionamento served without the module")
	}
	if code, _, _ := get(ws("orgao-0005", "wspeticionamento")); code != 500 {
		t.Errorf("broken module WSDL: %d", code)
	}
	if _, _, body := get(ws("orgao-0003", "federacao")); !strings.Contains(body, "inv\xe1lido") {
		t.Error("federacao on SEI 3")
	}

	call := func(sigla string) (int, string) {
		env := `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sei="Sei"><soapenv:Body><sei:listarUnidades><SiglaSistema>` + sigla + `</SiglaSistema><IdentificacaoServico>monitoramento</IdentificacaoServico></sei:listarUnidades></soapenv:Body></soapenv:Envelope>`
		res, err := http.Post(e.base("orgao-0001")+"/sei/ws/SeiWS.php", "text/xml; charset=utf-8", strings.NewReader(env))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := call("VIGIA"); code != 200 || !strings.Contains(body, "listarUnidadesResponse") || !strings.Contains(body, "<Sigla xsi:type=\"xsd:string\">PROTOCOLO</Sigla>") {
		t.Errorf("listarUnidades: %d %s", code, body)
	}
	if code, body := call(""); code != 500 || !strings.Contains(body, "<faultstring>Sistema não informado.</faultstring>") {
		t.Errorf("fault: %d %s", code, body)
	}
}

func TestModuloListar(t *testing.T) {
	e := newEnv(t, testFleet(), Options{})
	b := newBrowser(t)
	ctl := b.login(t, e.base("orgao-0001"), "monitor", "monitor123")
	link := resolve(t, ctl, attr(t, ctl.doc(t), `a[link="modulo_listar"]`, "href"))
	r := b.get(link)
	expectStatus(t, r, http.StatusOK)
	d := r.doc(t)
	var heads []string
	d.Find("table.infraTable th").Each(func(_ int, s *goquery_Selection) { heads = append(heads, s.Text()) })
	if !reflect.DeepEqual(heads, []string{"Nome", "Versão", "Instituição"}) {
		t.Errorf("headers %q", heads)
	}
	rows := map[string]string{}
	d.Find("table.infraTable tr").Each(func(_ int, s *goquery_Selection) {
		td := s.Find("td")
		if td.Length() == 3 {
			rows[td.Eq(0).Text()] = td.Eq(1).Text()
		}
	})
	want := map[string]string{"Módulo de serviços REST": "2.2.1", "Integração Tramita GOV.BR": "3.8.2", "SEI Peticionamento, Intimação e Procuração": "4.1.2"}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("modules %v, want %v", rows, want)
	}
	mustContain(t, r.body, "Lista de M\xf3dulos (3 registros):")

	// A user who is not an administrator has no menu entry and is refused.
	b2 := newBrowser(t)
	ctl2 := b2.login(t, e.base("orgao-0001"), "comum", "comum123")
	if ctl2.doc(t).Find(`a[link="modulo_listar"]`).Length() != 0 {
		t.Error("non-admin sees Módulos")
	}
	in, _ := e.sim.lookup("orgao-0001")
	var s *session
	for _, c := range b2.c.Jar.Cookies(ctl2.Request.URL) {
		if c.Name == "PHPSESSID" {
			s = in.sessions.get(c.Value, time.Now())
		}
	}
	if s == nil {
		t.Fatal("no session")
	}
	r = b2.get(e.base("orgao-0001") + "/sei/" + s.sign("acao=modulo_listar"))
	expectStatus(t, r, http.StatusOK)
	if got := strings.TrimSpace(r.doc(t).Find("#divInfraExcecao").Text()); got != "Acesso negado a este recurso nesta unidade (modulo_listar / PROTOCOLO)." {
		t.Errorf("non-admin got %q", got)
	}
}

func TestExternalPages(t *testing.T) {
	e := newEnv(t, testFleet(), Options{})
	b := newBrowser(t)
	r := b.get(e.base("orgao-0001") + "/sei/controlador_externo.php?acao=usuario_externo_logar&id_orgao_acesso_externo=0")
	expectStatus(t, r, http.StatusOK)
	// md5("4.1.5-2.29.0"), the value SEI.md lists from a real installation.
	mustContain(t, r.body, "InfraUtil.js?dd2e4b04470c0b6dd0141a463b757276", `id="txtEmail"`, "<title>SEI - Acesso para Usu\xe1rios Externos</title>")
	if strings.Contains(r.text(), "4.1.5") {
		t.Error("external page shows the version in clear")
	}
	r = b.get(e.base("orgao-0001") + "/sei/controlador_externo.php?acao=documento_conferir&id_orgao_acesso_externo=0")
	expectStatus(t, r, http.StatusOK)
	mustContain(t, r.body, `id="txtCodigoVerificador"`)
	r = b.get(e.base("orgao-0001") + "/sei/publicacoes/controlador_publicacoes.php?acao=publicacao_pesquisar&id_orgao_publicacao=0")
	expectStatus(t, r, http.StatusOK)
	mustContain(t, r.body, "Pesquisa de Publica\xe7\xf5es Eletr\xf4nicas")
	// SEI 3: no md5, the clear pair.
	r = b.get(e.base("orgao-0003") + "/sei/controlador_externo.php?acao=usuario_externo_logar&id_orgao_acesso_externo=0")
	mustContain(t, r.body, "InfraUtil.js?3.0.11-1.466")
}

func TestFaults(t *testing.T) {
	e := newEnv(t, testFleet(), Options{})
	name := "orgao-0001"
	entry := e.base(name) + "/sei/"
	set := func(f Faults) {
		t.Helper()
		if err := e.sim.SetFaults(name, f); err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowser(t)

	set(Faults{Maintenance: true})
	r := b.get(entry)
	expectStatus(t, r, http.StatusOK)
	mustContain(t, r.body, "Sistema em Manuten\xe7\xe3o")

	set(Faults{Status500: true})
	r = b.get(entry)
	expectStatus(t, r, http.StatusInternalServerError)
	mustContain(t, r.body, "Fatal error")

	set(Faults{Down: true})
	if _, err := http.Get(entry); err == nil {
		t.Error("down instance answered")
	}

	set(Faults{Hang: true})
	c := &http.Client{Timeout: 150 * time.Millisecond}
	start := time.Now()
	_, err := c.Get(entry)
	if err == nil || time.Since(start) < 150*time.Millisecond {
		t.Errorf("hang: err=%v after %v", err, time.Since(start))
	}

	set(Faults{Slow: 120 * time.Millisecond})
	start = time.Now()
	r = b.get(entry)
	if took := time.Since(start); r.StatusCode != http.StatusFound || took < 120*time.Millisecond {
		t.Errorf("slow: %d after %v", r.StatusCode, took)
	}
	// Slow honours the client giving up.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, entry, nil)
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow with deadline: %v", err)
	}

	// Heal.
	set(Faults{})
	expectStatus(t, b.get(entry), http.StatusFound)
	if err := e.sim.SetFaults("nope", Faults{}); err == nil {
		t.Error("SetFaults accepted an unknown instance")
	}
}

func TestWrongVersionAndUpgrade(t *testing.T) {
	f := testFleet()
	f.Instances[0].Faults.WrongVersion = "4.0.1"
	e := newEnv(t, f, Options{})
	b := newBrowser(t)
	ctl := b.login(t, e.base("orgao-0001"), "monitor", "monitor123")
	mustContain(t, ctl.body, "Vers\xe3o 4.0.1\"", "js/sei.js?4.0.1-2.29.0")
	// The API keeps telling the truth.
	res, err := http.Post(e.base("orgao-0001")+"/sei/modulos/wssei/controlador_ws.php/api/v2/autenticar", "application/x-www-form-urlencoded", strings.NewReader("usuario=monitor&senha=monitor123&orgao=0"))
	if err != nil {
		t.Fatal(err)
	}
	var a struct{ Data struct{ Token string } }
	_ = json.NewDecoder(res.Body).Decode(&a)
	res.Body.Close()
	req, _ := http.NewRequest(http.MethodGet, e.base("orgao-0001")+"/sei/modulos/wssei/controlador_ws.php/api/v2/versao", nil)
	req.Header.Set("token", a.Data.Token)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `"sei":"4.1.5"`) {
		t.Errorf("versao with wrong_version: %s", body)
	}

	if err := e.sim.SetSEIVersion("orgao-0002", "4.0.12"); err != nil {
		t.Fatal(err)
	}
	if in, _ := e.sim.Instance("orgao-0002"); in.SEIVersion != "4.0.12" {
		t.Errorf("SetSEIVersion: %q", in.SEIVersion)
	}
	b2 := newBrowser(t)
	ctl = b2.login(t, e.base("orgao-0002"), "monitor", "monitor123")
	mustContain(t, ctl.body, "Vers\xe3o 4.0.12\"")
}

func TestRouting(t *testing.T) {
	e := newEnv(t, testFleet(), Options{})
	// Host mode: clients dial the listener with Host "<name>.<domain>".
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/sei/", nil)
	req.Host = "orgao-0002.seisim.test"
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "http://orgao-0002.seisim.test/sip/login.php?sigla_orgao_sistema=XYZ&sigla_sistema=SEI&infra_url=L3NlaS8=") {
		t.Errorf("host mode Location %q", loc)
	}
	if ck := res.Header.Get("Set-Cookie"); ck != "" {
		t.Errorf("entry redirect set a cookie: %q", ck)
	}
	for path, want := range map[string]int{"/nope/sei/": 404, "/orgao-0001/nada": 404, "/": 404, "/orgao-0001/sei": 301} {
		res, err := c.Get(e.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, res.StatusCode, want)
		}
	}
	// Per-instance handler (port mode).
	h, err := e.sim.InstanceHandler("orgao-0003")
	if err != nil {
		t.Fatal(err)
	}
	ts := httptestServer(t, h)
	res, err = c.Get(ts + "/sei/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, ts+"/sip/login.php?sigla_orgao_sistema=OLD") {
		t.Errorf("port mode Location %q", loc)
	}
}

func TestGenerate(t *testing.T) {
	a, b := Generate(300, 7), Generate(300, 7)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("Generate is not deterministic for a seed")
	}
	if reflect.DeepEqual(a, Generate(300, 8)) {
		t.Error("different seeds gave the same fleet")
	}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	versions := map[string]bool{}
	var nonProd, faults, modules, broken int
	for _, in := range a.Instances {
		versions[in.SEIVersion] = true
		if in.InfraVersion != infraFor(in.SEIVersion) {
			t.Errorf("%s: SEI %s with Infra %s", in.Name, in.SEIVersion, in.InfraVersion)
		}
		if !in.Producao {
			nonProd++
		}
		if in.Faults != (Faults{}) {
			faults++
		}
		modules += len(in.Modules)
		for _, m := range in.Modules {
			if m.Broken || m.Inactive {
				broken++
			}
		}
	}
	if len(versions) != len(knownLines) || nonProd == 0 || faults == 0 || modules == 0 || broken == 0 {
		t.Errorf("fleet not varied: versions=%v nonProd=%d faults=%d modules=%d broken/inactive=%d", versions, nonProd, faults, modules, broken)
	}
}

func TestLoadFleet(t *testing.T) {
	f, err := LoadFleet(filepath.Join("testdata", "fleet-demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Instances) != 50 || f.Seed != 42 {
		t.Fatalf("%d instances, seed %d", len(f.Instances), f.Seed)
	}
	var seen Faults
	for _, in := range f.Instances {
		fl := in.Faults
		seen.Down = seen.Down || fl.Down
		seen.Status500 = seen.Status500 || fl.Status500
		seen.Maintenance = seen.Maintenance || fl.Maintenance
		seen.Hang = seen.Hang || fl.Hang
		if fl.Slow > seen.Slow {
			seen.Slow = fl.Slow
		}
		if fl.CaptchaAfter > 0 {
			seen.CaptchaAfter = fl.CaptchaAfter
		}
		if fl.WrongVersion != "" {
			seen.WrongVersion = fl.WrongVersion
		}
		if fl.TLSExpiresIn > 0 {
			seen.TLSExpiresIn = fl.TLSExpiresIn
		}
	}
	if !seen.Down || !seen.Status500 || !seen.Maintenance || !seen.Hang || seen.Slow != 4*time.Second ||
		seen.CaptchaAfter == 0 || seen.WrongVersion == "" || seen.TLSExpiresIn == 0 {
		t.Errorf("demo fleet does not cover every fault: %+v", seen)
	}

	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("instances:\n  - name: a\n    faults: {dwon: true}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFleet(bad); err == nil || !strings.Contains(err.Error(), "dwon") {
		t.Errorf("unknown key: %v", err)
	}
	dup := filepath.Join(dir, "dup.yaml")
	_ = os.WriteFile(dup, []byte("instances:\n  - name: a\n  - name: a\n  - name: b.c\n"), 0o600)
	if _, err := LoadFleet(dup); err == nil || !strings.Contains(err.Error(), "duplicate") || !strings.Contains(err.Error(), "b.c") {
		t.Errorf("invalid names: %v", err)
	}
}

// TestFleetMemory checks that a 10,000-instance fleet costs little before any traffic.
func TestFleetMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a large fleet")
	}
	f := Generate(10000, 1)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := New(f, Options{})
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("10,000 instances: %.1f MB of heap", float64(grew)/1e6)
	if grew > 60<<20 {
		t.Errorf("10,000 instances take %d MB", grew>>20)
	}
	runtime.KeepAlive(s)
}

func TestSessionStoreBounded(t *testing.T) {
	var st sessionStore
	now := time.Now()
	for i := 0; i < 3*maxSessions; i++ {
		st.put(&session{id: newSessionID()}, now.Add(time.Duration(i)*time.Millisecond))
	}
	if n := st.len(); n != maxSessions {
		t.Errorf("store holds %d sessions, cap %d", n, maxSessions)
	}
	s := &session{id: "x"}
	st.put(s, now)
	if st.get("x", now.Add(sessionIdleTTL+time.Second)) != nil {
		t.Error("idle session not expired")
	}
}

func BenchmarkLoginPage(b *testing.B) {
	sim := New(testFleet(), Options{})
	h := sim.Handler()
	req, _ := http.NewRequest(http.MethodGet, "http://seisim/orgao-0001/sip/login.php?sigla_orgao_sistema=ABC&sigla_sistema=SEI&infra_url=L29yZ2FvLTAwMDEvc2VpLw==", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clear(w.h)
		w.n = 0
		h.ServeHTTP(w, req)
	}
	b.SetBytes(int64(w.n))
}

func BenchmarkEntryRedirect(b *testing.B) {
	sim := New(testFleet(), Options{})
	h := sim.Handler()
	req, _ := http.NewRequest(http.MethodGet, "http://seisim/orgao-0001/sei/", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
}

type discardWriter struct {
	h    http.Header
	n    int
	code int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(code int)        { d.code = code }
func (d *discardWriter) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

// BenchmarkSyntheticJourney runs what vigia's synthetic probe does, over real loopback HTTP with a
// fresh connection and cookie jar per run: entry, login page, login POST, inicializar, controle,
// quick search, process, logout.
func BenchmarkSyntheticJourney(b *testing.B) {
	sim := New(testFleet(), Options{})
	ts := httptest.NewServer(sim.Handler())
	defer ts.Close()
	var t testing.TB = b
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		br := newBrowser(t)
		br.c.Transport = &http.Transport{DisableKeepAlives: false}
		ctl := br.login(t, ts.URL+"/orgao-0001", "monitor", "monitor123")
		d := ctl.doc(t)
		search := resolve(t, ctl, attr(t, d, "#frmProtocoloPesquisaRapida", "action"))
		r := br.do(http.MethodPost, search, url.Values{"txtPesquisaRapida": {"00000.000001/2024-00"}})
		br.get(follow(t, r))
		br.get(resolve(t, ctl, attr(t, d, "#lnkInfraSairSistema", "href")))
		br.c.CloseIdleConnections()
	}
}

// SEI writes its signed links into markup with "&amp;", except the main menu, which joins its own
// parameters with a bare '&' (the captured SEI 4.1.5 and 5.0.3 pages in collectors/sei/testdata);
// SIP's login form action uses "&amp;" too. A client that only ever saw bare '&' would not be
// tested against what SEI sends.
func TestSignedLinksEscapedAsSEIWritesThem(t *testing.T) {
	e := newEnv(t, testFleet(), Options{})
	b := newBrowser(t)
	base := e.base("orgao-0001")
	entry := b.get(base + "/sei/")
	expectStatus(t, entry, http.StatusFound)
	sip := b.get(follow(t, entry))
	if !regexp.MustCompile(`action="login\.php\?sigla_orgao_sistema=[^"&]+&amp;sigla_sistema=SEI&amp;infra_url=`).Match(sip.body) {
		t.Errorf("SIP login form action not written with &amp;: %s", regexp.MustCompile(`action="[^"]*"`).Find(sip.body))
	}
	ctl := b.login(t, base, "monitor", "monitor123")
	links := regexp.MustCompile(`(?:href="|action="|src="|location\.href=')(controlador\.php\?[^"']*)`).FindAllSubmatch(ctl.body, -1)
	if len(links) < 10 {
		t.Fatalf("only %d signed links on the process control page", len(links))
	}
	bare := regexp.MustCompile(`&(?:[^a]|a[^m]|am[^p]|amp[^;])`)
	var menu int
	for _, m := range links {
		link := string(m[1])
		if strings.Contains(link, "infra_item_menu=") {
			menu++
			if strings.Count(link, "&amp;") != 1 || !strings.Contains(link, "&amp;infra_unidade_atual=") {
				t.Errorf("menu link %s: want bare '&' except &amp;infra_unidade_atual", link)
			}
			continue
		}
		if bare.MatchString(link + " ") {
			t.Errorf("link %s has a bare '&'", link)
		}
	}
	if menu == 0 {
		t.Error("no menu link (infra_item_menu) found")
	}
}
