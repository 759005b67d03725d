package collectors

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/internal/seisim"
)

func stepNames(r probe.Result) string {
	var n []string
	for _, s := range r.Steps {
		mark := "ok"
		if !s.OK {
			mark = "FAIL"
		}
		n = append(n, s.Name+":"+mark)
	}
	return strings.Join(n, ",")
}

// countingSim wraps seisim and counts login POSTs per instance, to prove the prober never retries.
func countingSim(t *testing.T, insts ...seisim.Instance) (*simEnv, *atomic.Int64) {
	t.Helper()
	srv := seisim.New(seisim.Fleet{Instances: insts, Seed: 1}, seisim.Options{WSSEIAuthDelay: -1})
	var posts atomic.Int64
	h := srv.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/sip/login.php") {
			posts.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return &simEnv{srv: srv, ts: ts}, &posts
}

func TestSyntheticProber(t *testing.T) {
	env, posts := countingSim(t,
		inst("s415", "4.1.5"), inst("s3011", "3.0.11"), inst("s401", "4.0.1"), inst("s503", "5.0.3"),
		seisim.Instance{Name: "homolog", Org: "ORGX", SEIVersion: "4.1.5", Producao: false},
		seisim.Instance{Name: "maint", SEIVersion: "4.1.5", Faults: seisim.Faults{Maintenance: true}},
		seisim.Instance{Name: "down", SEIVersion: "4.1.5", Faults: seisim.Faults{Down: true}},
		seisim.Instance{Name: "err500", SEIVersion: "4.1.5", Faults: seisim.Faults{Status500: true}},
		seisim.Instance{Name: "hang", SEIVersion: "4.1.5", Faults: seisim.Faults{Hang: true}},
		seisim.Instance{Name: "slow", Org: "ORGX", SEIVersion: "4.1.5", Faults: seisim.Faults{Slow: 60 * time.Millisecond}},
	)
	p, err := NewSyntheticProber(SyntheticOptions{Search: "00000.000001/2024-00"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, password string
		deadline       time.Duration
		ok             bool
		state          string
		steps          string
		failed         string
		errHas         string
		excerptHas     string
		posts          int64
	}{
		{name: "s415", ok: true, state: probe.StateUp, steps: "entry:ok,login:ok,search:ok,logout:ok", posts: 1},
		{name: "s3011", ok: true, state: probe.StateUp, steps: "entry:ok,login:ok,search:ok,logout:ok", posts: 1},
		{name: "s401", ok: true, state: probe.StateUp, steps: "entry:ok,login:ok,search:ok,logout:ok", posts: 1},
		{name: "s503", ok: true, state: probe.StateUp, steps: "entry:ok,login:ok,search:ok,logout:ok", posts: 1},
		{name: "homolog", ok: true, state: probe.StateUp, steps: "entry:ok,login:ok,search:ok,logout:ok", posts: 1},
		{name: "slow", ok: true, state: probe.StateUp, steps: "entry:ok,login:ok,search:ok,logout:ok", posts: 1},
		// A wrong password fails the login step once; logout has nothing to log out of.
		{name: "s415", password: "wrong-pass", state: probe.StateDown, steps: "entry:ok,login:FAIL", failed: "login",
			errHas: "Usuário ou Senha Inválida.", excerptHas: "Usuário ou Senha Inválida.", posts: 1},
		{name: "maint", state: probe.StateMaintenance, steps: "entry:FAIL", failed: "entry", excerptHas: "Sistema em Manutenção"},
		{name: "down", state: probe.StateDown, steps: "entry:FAIL", failed: "entry", errHas: "connection closed"},
		{name: "err500", state: probe.StateDown, steps: "entry:FAIL", failed: "entry", errHas: "HTTP 500", excerptHas: "Fatal error"},
		{name: "hang", deadline: 300 * time.Millisecond, state: probe.StateDown, steps: "entry:FAIL", failed: "entry", errHas: "timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name+tt.password, func(t *testing.T) {
			tg := env.target(tt.name)
			if tt.password != "" {
				tg.Credentials.Password = probe.Secret(tt.password)
			}
			d := tt.deadline
			if d == 0 {
				d = 10 * time.Second
			}
			before := posts.Load()
			start := time.Now()
			r := p.Probe(probeCtx(t, d), tg)
			if time.Since(start) > d+2*time.Second {
				t.Errorf("not bounded by the deadline: %v", time.Since(start))
			}
			if r.OK != tt.ok || r.State != tt.state || stepNames(r) != tt.steps {
				t.Fatalf("OK=%v State=%q steps=%s Error=%q; want %v %q %s", r.OK, r.State, stepNames(r), r.Error, tt.ok, tt.state, tt.steps)
			}
			if got := posts.Load() - before; got != tt.posts {
				t.Errorf("%d login POSTs in one run, want %d", got, tt.posts)
			}
			if tt.errHas != "" && !strings.Contains(r.Error, tt.errHas) {
				t.Errorf("Error = %q, want %q", r.Error, tt.errHas)
			}
			if tt.ok {
				if r.Evidence != nil || r.Error != "" {
					t.Errorf("evidence on success: %+v %q", r.Evidence, r.Error)
				}
				for _, s := range r.Steps {
					if s.Status != 200 || s.Duration <= 0 {
						t.Errorf("step %+v", s)
					}
				}
				if tt.name == "slow" && r.Steps[1].Duration < 120*time.Millisecond {
					t.Errorf("login step (POST + 2 redirects at 60 ms each) took %v", r.Steps[1].Duration)
				}
				return
			}
			ev := r.Evidence
			if ev == nil || ev.Step != tt.failed || !strings.Contains(ev.Excerpt, tt.excerptHas) {
				t.Fatalf("evidence = %+v", ev)
			}
			for _, s := range []string{tt.password, "monitor123", "infra_hash=" + "0"} {
				if s != "" && (strings.Contains(ev.Excerpt, s) || strings.Contains(r.Error, s)) {
					t.Errorf("secret %q in evidence or error", s)
				}
			}
			if strings.Contains(ev.URL, "infra_hash=") && !strings.Contains(ev.URL, "infra_hash=xxxxx") {
				t.Errorf("evidence URL carries a live infra_hash: %s", ev.URL)
			}
		})
	}
}

func TestSyntheticFreshSessionPerRun(t *testing.T) {
	env, posts := countingSim(t, inst("s415", "4.1.5"))
	p, _ := NewSyntheticProber(SyntheticOptions{})
	tg := env.target("s415")
	tg.Credentials.Password = "wrong-pass"
	// Five failed runs: with one session per run, SIP never counts three failures in a session.
	for i := 0; i < 5; i++ {
		r := p.Probe(probeCtx(t, 5*time.Second), tg)
		if r.OK || r.Values[ValueSyntheticCaptcha] != 0 || strings.Contains(r.Error, "captcha") {
			t.Fatalf("run %d: %q captcha=%v", i, r.Error, r.Values[ValueSyntheticCaptcha])
		}
	}
	if posts.Load() != 5 {
		t.Errorf("%d login POSTs for 5 runs", posts.Load())
	}
	// The right password still works: nothing accumulated across runs.
	tg.Credentials.Password = "monitor123"
	if r := p.Probe(probeCtx(t, 5*time.Second), tg); !r.OK {
		t.Errorf("after failures: %s", r.Error)
	}
}

func TestSyntheticSearchFailureStillLogsOut(t *testing.T) {
	env := newSim(t, inst("s415", "4.1.5"))
	p, _ := NewSyntheticProber(SyntheticOptions{Search: "99999.999999/2099-99"})
	r := p.Probe(probeCtx(t, 5*time.Second), env.target("s415"))
	if r.OK || stepNames(r) != "entry:ok,login:ok,search:FAIL,logout:ok" {
		t.Fatalf("steps %s, error %q", stepNames(r), r.Error)
	}
	if r.Evidence.Step != "search" || !strings.Contains(r.Error, "procedimento_trabalhar") || !strings.Contains(r.Evidence.Excerpt, "Nenhum registro encontrado") {
		t.Errorf("evidence %+v error %q", r.Evidence, r.Error)
	}
	// Without a protocol number the search step is skipped, not failed.
	p2, _ := NewSyntheticProber(SyntheticOptions{})
	r = p2.Probe(probeCtx(t, 5*time.Second), env.target("s415"))
	if !r.OK || stepNames(r) != "entry:ok,login:ok,logout:ok" {
		t.Errorf("no search: %s %q", stepNames(r), r.Error)
	}
	nc := env.target("s415")
	nc.Credentials = probe.Credentials{}
	if r := p2.Probe(probeCtx(t, 5*time.Second), nc); r.OK || !strings.Contains(r.Error, "credentials") || len(r.Steps) != 0 {
		t.Errorf("no credentials: %+v", r)
	}
}

// A scenario written by an operator: three silent failed logins in one session, then SIP shows the
// captcha, which the prober recognises and reports.
const captchaScenario = `
name: captcha
steps:
  - name: entry
    request: {path: /sei/}
  - name: try1
    request: {form: "form#frmLogin", fields: {txtUsuario: "{{.Username}}", pwdSenha: "bad", selOrgao: "{{.Orgao}}", hdnAcao: "2"}}
  - name: try2
    request: {form: "form#frmLogin", fields: {txtUsuario: "{{.Username}}", pwdSenha: "bad", selOrgao: "{{.Orgao}}", hdnAcao: "2"}}
  - name: try3
    request: {form: "form#frmLogin", fields: {txtUsuario: "{{.Username}}", pwdSenha: "bad", selOrgao: "{{.Orgao}}", hdnAcao: "2"}}
  - name: login
    request: {form: "form#frmLogin", fields: {txtUsuario: "{{.Username}}", pwdSenha: "{{.Password}}", selOrgao: "{{.Orgao}}", hdnAcao: "2"}}
    assert: {absent: "form#frmLogin"}
`

func TestSyntheticCaptchaDetected(t *testing.T) {
	env := newSim(t, inst("s415", "4.1.5"))
	sc, err := ParseScenario([]byte(captchaScenario))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewSyntheticProber(SyntheticOptions{Scenario: sc})
	if err != nil {
		t.Fatal(err)
	}
	r := p.Probe(probeCtx(t, 5*time.Second), env.target("s415"))
	if r.OK || r.Values[ValueSyntheticCaptcha] != 1 || !strings.Contains(r.Error, "captcha") || r.Evidence.Step != "login" {
		t.Fatalf("captcha not reported: %q %v %+v", r.Error, r.Values, r.Evidence)
	}
}

// An extracted value feeds a later step's path, and the órgão may be given by its sigla.
const extractScenario = `
name: extract
steps:
  - name: entry
    request: {path: /sei/}
    assert: {selector: "form#frmLogin"}
  - name: login
    request:
      form: "form#frmLogin"
      fields: {txtUsuario: "{{.Username}}", pwdSenha: "{{.Password}}", selOrgao: "ORGX", hdnAcao: "2"}
    assert: {title: Controle de Processos, text: ["Controle de Processos"]}
    extract:
      sair: {selector: "#lnkInfraSairSistema", attr: href}
      unidade: {selector: "#lnkInfraUnidade"}
  - name: external
    request: {path: "/sei/controlador_externo.php?acao=usuario_externo_logar&id_orgao_acesso_externo=0"}
    assert: {status: 200}
  - name: logout
    request: {link: "#lnkInfraSairSistema", from: login}
    assert: {url: /sip/login.php}
`

func TestSyntheticCustomScenario(t *testing.T) {
	env := newSim(t, inst("s415", "4.1.5"))
	sc, err := ParseScenario([]byte(extractScenario))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := NewSyntheticProber(SyntheticOptions{Scenario: sc})
	tg := env.target("s415")
	tg.Credentials.Orgao = ""
	r := p.Probe(probeCtx(t, 5*time.Second), tg)
	if !r.OK || stepNames(r) != "entry:ok,login:ok,external:ok,logout:ok" {
		t.Fatalf("%s %q", stepNames(r), r.Error)
	}
}

func TestScenarioValidate(t *testing.T) {
	if err := DefaultScenario().Validate(); err != nil {
		t.Fatalf("default scenario: %v", err)
	}
	if n := len(DefaultScenario().Steps); n != 4 {
		t.Errorf("default scenario has %d steps", n)
	}
	tests := []struct{ yaml, want string }{
		{"name: x\nsteps: []\n", "no steps"},
		{"name: x\nsteps:\n  - request: {path: /}\n", "step 1: name is required"},
		{"name: x\nsteps:\n  - name: a\n    request: {path: /, link: a}\n", "step 1 (a): request: exactly one of path, link and form"},
		{"name: x\nsteps:\n  - name: a\n    request: {link: a}\n", "step 1 (a): request: the first step"},
		{"name: x\nsteps:\n  - name: a\n    request: {path: /}\n  - name: a\n    request: {path: /}\n", "step 2 (a): name: duplicate"},
		{"name: x\nsteps:\n  - name: a\n    request: {path: /}\n  - name: b\n    request: {link: x, from: c}\n", "step 2 (b): request.from: no earlier step named \"c\""},
		{"name: x\nsteps:\n  - name: a\n    request: {path: \"/{{.Usernme}}\"}\n", "step 1 (a): request.path: {{.Usernme}} is neither built in"},
		{"name: x\nsteps:\n  - name: a\n    request: {path: /, fields: {f: \"{{.v}}\"}}\n    extract: {v: {selector: a}}\n", "request.fields.f: {{.v}}"},
		{"name: x\nsteps:\n  - name: a\n    request: {path: \"/{{\"}\n", "step 1 (a): request.path"},
		{"name: x\nsteps:\n  - name: a\n    request: {path: /}\n    assert: {selector: [\"a[\"]}\n", "step 1 (a): assert.selector[0]: bad CSS selector"},
		{"name: x\nsteps:\n  - name: a\n    request: {path: /}\n    assert: {status: 42}\n", "assert.status: 42"},
		{"name: x\nsteps:\n  - name: a\n    request: {path: /}\n    extract: {v: {attr: href}}\n", "step 1 (a): extract.v.selector: required"},
		{"name: x\nsteps:\n  - name: a\n    request: {path: /}\n    extract: {Password: {selector: a}}\n", "extract.Password: the variable name is empty or built in"},
		{"name: x\nsteps:\n  - name: a\n    request: {path: /, method: PUT}\n", "request.method: \"PUT\""},
		{"name: x\nsteps:\n  - name: a\n    request: {path: /}\n    asert: {}\n", "field asert not found"},
	}
	for _, tt := range tests {
		_, err := ParseScenario([]byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q:\n err = %v\nwant mention of %q", tt.yaml, err, tt.want)
		}
	}
	// An extracted variable is usable from the next step on.
	ok := "name: x\nsteps:\n  - name: a\n    request: {path: /}\n    extract: {v: {selector: a}}\n  - name: b\n    request: {path: \"/{{.v}}\"}\n    assert: {selector: \"a\"}\n"
	if _, err := ParseScenario([]byte(ok)); err != nil {
		t.Errorf("valid scenario rejected: %v", err)
	}
}

func BenchmarkSyntheticProbe(b *testing.B) {
	env := newSim(b, inst("b415", "4.1.5"))
	p, err := NewSyntheticProber(SyntheticOptions{Search: "00000.000001/2024-00"})
	if err != nil {
		b.Fatal(err)
	}
	tg := env.target("b415")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := p.Probe(ctx, tg); !r.OK {
			b.Fatal(r.Error)
		}
	}
}

func FuzzParseScenario(f *testing.F) {
	f.Add(defaultScenarioYAML)
	f.Add([]byte(captchaScenario))
	f.Add([]byte(extractScenario))
	f.Fuzz(func(t *testing.T, b []byte) {
		sc, err := ParseScenario(b)
		if err != nil {
			return
		}
		// A scenario that validates compiles into a prober.
		if _, err := NewSyntheticProber(SyntheticOptions{Scenario: sc}); err != nil {
			t.Fatalf("validated scenario rejected by the prober: %v", err)
		}
	})
}

// The options structs are YAML-declarable as the config package may embed them.
func TestOptionsFromYAML(t *testing.T) {
	var so SyntheticOptions
	doc := "user_agent: vigia-test\ninsecure_skip_verify: true\nsearch: 00000.000001/2024-00\nscenario:\n" +
		"  name: mini\n  steps:\n    - name: entry\n      request: {path: /sei/}\n      assert: {selector: \"form#frmLogin\"}\n"
	if err := yaml.Unmarshal([]byte(doc), &so); err != nil {
		t.Fatal(err)
	}
	if so.Client.UserAgent != "vigia-test" || !so.Client.InsecureSkipVerify || so.Search == "" || so.Scenario == nil || len(so.Scenario.Steps) != 1 {
		t.Fatalf("decoded %+v", so)
	}
	p, err := NewSyntheticProber(so)
	if err != nil {
		t.Fatal(err)
	}
	env := newSim(t, inst("s415", "4.1.5"))
	if r := p.Probe(probeCtx(t, 5*time.Second), env.target("s415")); !r.OK || stepNames(r) != "entry:ok" {
		t.Errorf("%s %q", stepNames(r), r.Error)
	}
	var ho HealthOptions
	if err := yaml.Unmarshal([]byte("ca_file: /x.pem\nskip_wssei: true\nentry_path: /sei/\n"), &ho); err != nil || ho.Client.CAFile != "/x.pem" || !ho.SkipWSSEI {
		t.Errorf("health options %+v %v", ho, err)
	}
	var vo VersionOptions
	if err := yaml.Unmarshal([]byte("versions_file: v.yaml\nno_login: true\nwssei_authenticate: true\n"), &vo); err != nil || vo.VersionsFile != "v.yaml" || !vo.NoLogin || !vo.WSSEIAuthenticate {
		t.Errorf("version options %+v %v", vo, err)
	}
	var mo ModulesOptions
	if err := yaml.Unmarshal([]byte("matrix_file: m.yaml\nskip_wsdl: true\n"), &mo); err != nil || mo.MatrixFile != "m.yaml" || !mo.SkipWSDL {
		t.Errorf("modules options %+v %v", mo, err)
	}
}
