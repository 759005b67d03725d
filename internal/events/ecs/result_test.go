package ecs

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
)

var updateGolden = flag.Bool("golden", false, "rewrite testdata/results.golden from the current encoder")

// resultCase is one probe result whose events are pinned in testdata/results.golden.
type resultCase struct {
	name string
	r    probe.Result
}

func healthTarget() probe.Target {
	return probe.Target{Name: "orgao-0001", URL: "https://sei-0001.exemplo.gov.br/", Owner: "MGI", Environment: "prod",
		Labels: map[string]string{"cloud": "a"}, Source: "static"}
}

func stepsOf(n int, failAt int) []probe.Step {
	names := []string{"entry", "login", "process_list", "search", "logout"}
	var out []probe.Step
	for i := range n {
		st := probe.Step{Name: names[i%len(names)], Duration: time.Duration(100+37*i) * time.Millisecond, OK: true, Status: 200}
		if i >= len(names) {
			st.Name += strconv.Itoa(i)
		}
		if i == failAt {
			st.OK, st.Status, st.Error = false, 500, "HTTP status 500: Erro ao conectar ao banco de dados"
		}
		out = append(out, st)
	}
	return out
}

// resultCases covers every kind of result and the corners of each field: what the probers
// produce, plus values no prober produces today but a Result may carry. Map keys that collide
// once dots and spaces become underscores are left out: which value wins then depends on Go's
// map order, so no fixed output exists for them.
func resultCases() []resultCase {
	var cs []resultCase
	add := func(name string, r probe.Result) {
		if r.ID == "" {
			r.ID = fmt.Sprintf("%032x", len(cs)+1)
		}
		if r.Start.IsZero() {
			r.Start = t0.Add(time.Duration(len(cs)) * 1234567 * time.Microsecond)
		}
		cs = append(cs, resultCase{name, r})
	}

	add("health ok", probe.Result{Target: healthTarget(), Probe: probe.Health, Duration: 87 * time.Millisecond, OK: true, State: probe.StateUp,
		Values: map[string]float64{"http_status_code": 200, "time_to_first_byte_seconds": 0.061234, "redirects": 0,
			"content_length_bytes": 22417, "tls_cert_expiry_timestamp_seconds": 1803859200, "production_mode": 1,
			"sip_login_redirect": 1, "maintenance": 0, "wsdl_up": 1, "wssei_up": 1, "external_page_up": 1},
		Phases: map[string]time.Duration{"dns": time.Millisecond, "connect": 2 * time.Millisecond, "tls": 9 * time.Millisecond,
			"first_byte": 61 * time.Millisecond, "processing": 48 * time.Millisecond, "transfer": 3 * time.Millisecond}})
	add("health timeout", probe.Result{Target: healthTarget(), Probe: probe.Health, Duration: 10 * time.Second,
		Error: "timeout after 10s", State: probe.StateDown,
		Values: map[string]float64{"timeout": 1, "http_status_code": 0, "production_mode": math.NaN(),
			"redirects": math.Inf(1), "maintenance": math.Inf(-1)},
		Phases: map[string]time.Duration{"dns": time.Millisecond, "connect": 0}})
	add("health 503 with evidence", probe.Result{Target: healthTarget(), Probe: probe.Health, Duration: 312 * time.Millisecond,
		Error: "HTTP status 503", State: probe.StateDown,
		Values:   map[string]float64{"http_status_code": 503, "tls_cert_expiry_timestamp_seconds": 1803859200.75},
		Evidence: &probe.Evidence{Step: "entry", URL: "https://u:" + secret + "@sei-0001.exemplo.gov.br/sei/?infra_hash=" + secret + "&x=1", Status: 503, Excerpt: "Serviço indisponível <br> & \"tente\" mais tarde"}})
	add("maintenance", probe.Result{Target: healthTarget(), Probe: probe.Health, Duration: 40 * time.Millisecond, OK: true,
		State: probe.StateMaintenance, Values: map[string]float64{"maintenance": 1, "http_status_code": 200}})
	add("timeout without values", probe.Result{Target: healthTarget(), Probe: probe.Version, Duration: 10 * time.Second,
		Error: "timeout", Values: map[string]float64{"timeout": 1}})
	add("tls expiry infinite", probe.Result{Target: healthTarget(), Probe: probe.Health, Duration: time.Millisecond, OK: true,
		Values: map[string]float64{"tls_cert_expiry_timestamp_seconds": math.Inf(1)}})
	add("tls expiry negative, odd status codes", probe.Result{Target: healthTarget(), Probe: probe.HTTP, Duration: time.Millisecond, OK: true,
		Values: map[string]float64{"tls_cert_expiry_timestamp_seconds": -5, "http_status_code": 200.9}})
	add("negative status code", probe.Result{Target: healthTarget(), Probe: probe.HTTP, Duration: time.Millisecond,
		Values: map[string]float64{"http_status_code": -1, "timeout": 0.5}})
	add("tls expiry past year 9999", probe.Result{Target: healthTarget(), Probe: probe.Health, Duration: time.Millisecond, OK: true,
		Values: map[string]float64{"tls_cert_expiry_timestamp_seconds": 1e12}})
	add("float formats", probe.Result{Target: healthTarget(), Probe: probe.HTTP, Duration: 5 * time.Millisecond, OK: true,
		Values: map[string]float64{"zero": 0, "negzero": math.Copysign(0, -1), "tiny": 1e-7, "small": 1e-6, "big": 1e21,
			"below_big": 999999999999999999999, "frac": 123.456, "neg": -2.5e-9, "max": math.MaxFloat64,
			"min": math.SmallestNonzeroFloat64, "third": 1.0 / 3, "int": 1803859200, "e_minus_10": 1.5e-10}})

	add("version with drift", probe.Result{Target: healthTarget(), Probe: probe.Version, Duration: 1500 * time.Millisecond, OK: true,
		Values: map[string]float64{"login_success": 1, "production_mode": 1, "version_conflict": 0, "logged_in_page_age_seconds": 12.5},
		Versions: []probe.ComponentVersion{{Component: "sei", Version: "4.0.12", Source: "asset_suffix", Confidence: "line"},
			{Component: "sip", Version: "3.0.2", Source: "page_title"}, {Component: "infra", Version: "2.0.15", Source: "asset_suffix"},
			{Component: "mod-wssei", Version: "3.0.1", Source: "wssei_api", Confidence: "exact"},
			{Component: "sei", Version: "4.0.13", Source: "wssei_api", Confidence: "exact"}},
		Drift: []probe.Drift{{Component: "sei", Observed: "4.0.13", Desired: "4.1.0", Level: "minor", Against: "desired"},
			{Component: "sip", Observed: "3.0.2", Desired: "3.0.2", Level: "none", Against: "desired"},
			{Component: "mod-wssei", Observed: "3.0.1", Desired: "3.0.0", Level: "ahead", Against: "latest"},
			{Component: "mod-sei-pen", Desired: "4.0.3", Level: "unknown"},
			{Component: "infra", Observed: "2.0.15", Desired: "3.0.0", Level: "major", Against: "latest"},
			{Component: "x", Level: "patch"}, {Component: "y", Level: "weird"}, {Component: "z"}}})
	add("version without sei, no drift", probe.Result{Target: healthTarget(), Probe: probe.Version, Duration: 800 * time.Millisecond, OK: true,
		Versions: []probe.ComponentVersion{{Component: "sip", Version: "3.0.2", Source: "page_title", Confidence: "exact"}},
		Drift:    []probe.Drift{{Component: "sip", Observed: "3.0.2", Desired: "3.0.2", Level: "none", Against: "latest"}}})
	add("version sei without version", probe.Result{Target: healthTarget(), Probe: probe.Version, Duration: 800 * time.Millisecond,
		Error: "no version found", Versions: []probe.ComponentVersion{{Component: "sei", Source: "page_title"}},
		Drift: []probe.Drift{{Component: "sei", Level: "unknown"}, {Component: "sip", Level: "patch"}, {Component: "infra", Level: "minor"}}})

	up, down := probe.BoolPtr(true), probe.BoolPtr(false)
	add("modules", probe.Result{Target: healthTarget(), Probe: probe.Modules, Duration: 640 * time.Millisecond, OK: true,
		Values: map[string]float64{"modules_installed": 4, "modules_down": 1, "modules_incompatible": 1, "modules_missing": 1,
			"login_success": 1, "session_resumed": 1},
		Modules: []probe.Module{
			{Name: "mod-wssei", Version: "3.0.1", Desired: "3.0.2", Up: down, Compatible: up, Detail: "HTTP 500 em /sei/modulos/wssei/"},
			{Name: "mod-sei-pen", Version: "4.0.3", Desired: "4.0.3", Up: up, Compatible: up},
			{Name: "peticionamento", Version: "4.1.2", Compatible: down},
			{Name: "mod-sei-resposta", Desired: "2.0.0", Detail: "missing"},
			{Name: "mod-sei-estatisticas", Version: "1.0.0", Up: up}}})
	add("modules probe, none found", probe.Result{Target: healthTarget(), Probe: probe.Modules, Duration: 640 * time.Millisecond, OK: true,
		Values: map[string]float64{"modules_installed": 0}})
	add("modules from another probe", probe.Result{Target: healthTarget(), Probe: probe.Version, Duration: 640 * time.Millisecond, OK: true,
		Modules: []probe.Module{{Name: "b"}, {Name: "a", Up: down, Compatible: down}, {Name: "a"}}})
	add("modules all down, failed", probe.Result{Target: healthTarget(), Probe: probe.Modules, Duration: 2 * time.Second,
		Error: "login falhou", Modules: []probe.Module{{Name: "mod-wssei", Up: down, Compatible: down}, {Name: "mod-sei-pen", Up: down}},
		Evidence: &probe.Evidence{Step: "login", Status: 200, Excerpt: "Usuário ou senha inválida."}})

	add("synthetic ok", probe.Result{Target: healthTarget(), Probe: probe.Synthetic, Duration: 1310 * time.Millisecond, OK: true,
		Values: map[string]float64{"synthetic_steps": 4, "synthetic_captcha": 0, "tls_cert_expiry_timestamp_seconds": 1803859200},
		Steps:  stepsOf(4, -1)})
	fail := probe.Result{Target: healthTarget(), Probe: probe.Synthetic, Duration: 1310 * time.Millisecond,
		Error: "passo search: HTTP status 500", State: probe.StateDown,
		Values:   map[string]float64{"synthetic_steps": 5, "synthetic_captcha": 0, "http_status_code": 500},
		Steps:    stepsOf(5, 3),
		Evidence: &probe.Evidence{Step: "search", URL: "https://sei-0001.exemplo.gov.br/sei/controlador.php?acao=protocolo_pesquisar&hdnToken=" + secret, Status: 500, Excerpt: "Erro"}}
	add("synthetic failing step", fail)
	odd := fail
	odd.Steps = []probe.Step{{Name: "entry", OK: true}, {Name: "", Duration: time.Millisecond, Status: 0},
		{Name: "login", Duration: 2 * time.Millisecond, Status: 302}, {Name: "logout", Duration: -time.Millisecond, OK: true, Status: 200}}
	add("synthetic unnamed failure, zero and negative durations", odd)
	many := fail
	many.Steps = stepsOf(20, 17)
	add("synthetic twenty steps", many)
	capt := probe.Result{Target: healthTarget(), Probe: probe.Synthetic, Duration: 300 * time.Millisecond,
		Error: "captcha", Values: map[string]float64{"synthetic_captcha": 1}, Steps: stepsOf(1, -1)}
	add("synthetic one step", capt)

	add("failure with empty error", probe.Result{Target: healthTarget(), Probe: probe.Health})
	add("no target, zero result", probe.Result{})
	lab := healthTarget()
	lab.Labels = map[string]string{"team.name": "sei", "a b": "c", " padded ": "p", "": "empty", "   ": "blank",
		"owner": "overridden", "environment": "overridden", "zeta": "", "ÁÉ.x": "acentos", "tab\tkey": "t", "\u00a0nbsp": "n"}
	add("labels", probe.Result{Target: lab, Probe: probe.Health, Duration: time.Millisecond, OK: true})
	lab2 := probe.Target{Name: "x", URL: "http://x/", Labels: map[string]string{"owner": "own", "environment": "env"}}
	add("labels named like owner and environment", probe.Result{Target: lab2, Probe: probe.Health, Duration: time.Millisecond, OK: true})
	add("only owner", probe.Result{Target: probe.Target{Name: "x", Owner: "MGI"}, Probe: probe.Health, OK: true})
	add("only environment", probe.Result{Target: probe.Target{Name: "x", Environment: "dev"}, Probe: probe.Health, OK: true})
	add("only blank labels", probe.Result{Target: probe.Target{Name: "x", Labels: map[string]string{" ": "x"}}, Probe: probe.Health, OK: true})
	manyLabels := map[string]string{}
	manyValues := map[string]float64{}
	manyPhases := map[string]time.Duration{}
	for i := range 40 {
		manyLabels[fmt.Sprintf("l%02d", i)] = strconv.Itoa(i)
		manyValues[fmt.Sprintf("v%02d", 39-i)] = float64(i) / 7
		manyPhases[fmt.Sprintf("p%02d", i)] = time.Duration(i) * time.Microsecond
	}
	add("many labels, values and phases", probe.Result{Target: probe.Target{Name: "big", URL: "https://big/", Owner: "o", Labels: manyLabels},
		Probe: probe.Health, Duration: time.Second, OK: true, Values: manyValues, Phases: manyPhases})
	add("dotted value and phase keys", probe.Result{Target: healthTarget(), Probe: probe.HTTP, Duration: time.Second, OK: true,
		Values: map[string]float64{"a.b": 1, " c d ": 2, "": 3, "e.f.g": 5},
		Phases: map[string]time.Duration{"x.y": 1, " ": 2}})

	for i, raw := range []string{"", "https://monitor:" + secret + "@sei.exemplo.gov.br:8443/sei/?token=" + secret + "&acao=x#frag",
		"HTTPS://SEI.Exemplo.gov.br/Sei/", "http://[::1]:8080/sei/", "http://[::1/", "https://sei.exemplo.gov.br:99999/", "http://x:/a",
		"https://sei.exemplo.gov.br/caminho%20com%20espa%C3%A7o/ç?q=a b", "sei.exemplo.gov.br/sei", "//host/path", "mailto:a@b",
		"https://sei.exemplo.gov.br", "http://h/a/../b/./c?senha=1&password=2&key=3&apikey=4&access_token=5&pwdSenha=6&api_key=7",
		"http://h:0/", "http://h:00443/", "http://a b/"} {
		t := healthTarget()
		t.URL = raw
		add("url "+strconv.Itoa(i), probe.Result{Target: t, Probe: probe.HTTP, Duration: time.Millisecond, OK: i%2 == 0,
			Error: "x", Values: map[string]float64{"http_status_code": 200}})
	}

	for i, s := range awkward {
		r := fullResult()
		r.ID = "awk\"<" + string(rune('a'+i)) + ">&"
		r.Start = time.Time{}
		r.Error, r.State, r.Probe, r.Target.Name, r.Target.Environment, r.Target.Owner, r.Target.Source = s, s, s, s, s, s, s
		r.Target.Labels = map[string]string{s: s, "k." + s: s}
		r.Versions[0].Version, r.Versions[1].Source, r.Modules[0].Detail, r.Modules[1].Name = s, s, s, s
		r.Drift[0].Observed, r.Drift[1].Against, r.Steps[1].Error, r.Steps[0].Name = s, s, s, s
		r.Evidence.Excerpt, r.Evidence.Step = s, s
		r.Values = map[string]float64{s: 1, "frac": 123.456}
		r.Phases = map[string]time.Duration{s: 7}
		r.OK = i%2 == 0
		add("awkward "+strconv.Itoa(i), r)
	}
	// A name ending in half a UTF-8 sequence next to text that could complete it.
	r := fullResult()
	r.ID = ""
	r.Target.Name, r.Error, r.Steps[1].Name, r.Steps[1].Error = "nome \xe2\x82", "\xac erro \xe2", "\xe2\x82", "\x82\xac"
	add("split utf-8", r)
	// In a different zone and with a monotonic reading, the times still come out in UTC.
	loc := time.FixedZone("BRT", -3*3600)
	zr := fullResult()
	zr.ID = ""
	zr.Start = time.Date(2026, 11, 23, 11, 5, 0, 999999999, loc)
	add("start in another zone", zr)
	mr := fullResult()
	mr.ID = ""
	mr.Start = t0.Add(time.Nanosecond - 123*time.Millisecond)
	add("start with one nanosecond", mr)
	return cs
}

// goldenEvents renders the events (or the error) of every case in one text file.
func goldenEvents(t *testing.T, enc *Encoder, cases []resultCase) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, c := range cases {
		fmt.Fprintf(&b, "== %s\n", c.name)
		evs, err := enc.Result(nil, c.r)
		for _, ev := range evs {
			fmt.Fprintf(&b, "id=%s dataset=%d time=%s\n%s\n", strconv.Quote(ev.ID), ev.Dataset, ev.Time.Format(time.RFC3339Nano), ev.Doc)
		}
		if err != nil {
			fmt.Fprintf(&b, "error: %v\n", err)
		}
	}
	return b.Bytes()
}

// The events of every case are byte for byte those in testdata/results.golden, written by the
// encoder that built intermediate documents (commit "ecs: golden events ...") before Result
// wrote straight from the probe result.
func TestResultGolden(t *testing.T) {
	enc := NewEncoder(Observer{Hostname: "vigia-0", Version: "1.0.0"}, "prod")
	got := goldenEvents(t, enc, resultCases())
	path := filepath.Join("testdata", "results.golden")
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range min(len(gl), len(wl)) {
		if gl[i] != wl[i] {
			t.Fatalf("line %d differs from %s\ngot:  %s\nwant: %s", i+1, path, gl[i], wl[i])
		}
	}
	t.Fatalf("%s: %d lines, want %d", path, len(gl), len(wl))
}

// sameAsOracle compares Result with the former encoder on r: same events, same ids and times,
// byte for byte the same documents, same error.
func sameAsOracle(t *testing.T, enc *Encoder, name string, r probe.Result) {
	t.Helper()
	got, gerr := enc.Result(nil, r)
	if r.Start.IsZero() && len(got) > 0 {
		// Both stamp a zero start with time.Now: give the oracle the instant Result used.
		r.Start = got[0].Time
	}
	want, werr := oracleResult(enc, nil, r)
	// encoding/json words the refusal differently; the golden file pins Result's own wording.
	if errPrefix(gerr) != errPrefix(werr) {
		t.Fatalf("%s: error %v, former encoder %v", name, gerr, werr)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d events, former encoder %d", name, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Dataset != w.Dataset || !g.Time.Equal(w.Time) || g.Time.Location() != w.Time.Location() {
			t.Fatalf("%s: event %d is %q %d %v, former encoder %q %d %v", name, i, g.ID, g.Dataset, g.Time, w.ID, w.Dataset, w.Time)
		}
		if !bytes.Equal(g.Doc, w.Doc) {
			t.Fatalf("%s: event %d differs from the former encoder\ngot:  %s\nwant: %s", name, i, g.Doc, w.Doc)
		}
	}
}

func errPrefix(err error) string {
	if err == nil {
		return ""
	}
	before, _, _ := strings.Cut(err.Error(), ": json")
	return before
}

func TestResultMatchesOracle(t *testing.T) {
	encs := []*Encoder{NewEncoder(Observer{Hostname: "vigia-0", Version: "1.0.0"}, "prod"), NewEncoder(Observer{}, "default")}
	for _, s := range awkward {
		encs = append(encs, NewEncoder(Observer{Hostname: s, Version: s}, s))
	}
	for _, enc := range encs {
		for _, c := range resultCases() {
			sameAsOracle(t, enc, c.name, c.r)
			// Reusing dst keeps the events already in it.
			prev := []Event{{ID: "before", Dataset: DatasetLog, Doc: []byte("{}")}}
			evs, _ := enc.Result(prev, c.r)
			if evs[0].ID != "before" || string(evs[0].Doc) != "{}" {
				t.Fatalf("%s: Result changed the events already in dst", c.name)
			}
		}
		zero := fullResult()
		zero.Start = time.Time{}
		sameAsOracle(t, enc, "zero start", zero)
		sameAsOracle(t, enc, "zero result", probe.Result{})
	}
}

// The url object is that of probe.SafeURL and url.Parse for any target URL, whether plainURL
// takes it or not.
func FuzzURL(f *testing.F) {
	for _, s := range []string{"", "https://sei-0001.exemplo.gov.br/", "http://127.0.0.1:40123/orgao-0001", "http://h:8080/a/b",
		"http://h:", "https://h:123456/", "http://a.b-c_d/~x", "http://h//x", "http://h/./..", "HTTP://H.X", "https://h/a%20b",
		"https://u:p@h/", "https://h/?token=x", "https://h/#f", "https://h:08/", "http://[::1]/", "https://h/a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var got jw
		got.url(raw)
		var want []byte
		if u := oracleParseURL(raw); u != nil {
			b, err := json.Marshal(u)
			if err != nil {
				t.Fatal(err)
			}
			want = append([]byte(`,"url":`), b...)
		}
		if !bytes.Equal(got.b, want) {
			t.Fatalf("url %q\ngot:  %s\nwant: %s", raw, got.b, want)
		}
	})
}

// The URLs of real fleets and of seisim take the path without net/url.
func TestPlainURLTakesTheCommonForms(t *testing.T) {
	for _, raw := range []string{"https://sei-0001.exemplo.gov.br/", "https://sei.exemplo.gov.br", "http://127.0.0.1:40123/orgao-0001",
		"https://SEI.Orgao.gov.br:8443/sei/", "http://sei-homolog.orgao.gov.br/sei/controlador.php"} {
		if _, _, _, _, ok := plainURL(raw); !ok {
			t.Errorf("%s goes through net/url", raw)
		}
	}
}

// AppendResult's documents are slices of the buffer it returns, however often it grew, and
// the same as Result's.
func TestAppendResultAliasesItsBuffer(t *testing.T) {
	enc := NewEncoder(Observer{Hostname: "vigia-0", Version: "1.0.0"}, "prod")
	for _, c := range resultCases() {
		want, werr := enc.Result(nil, c.r)
		prefix := []byte("kept")
		b, evs, err := enc.AppendResult(prefix[:len(prefix):len(prefix)], []Event{{ID: "before"}}, c.r)
		if errPrefix(err) != errPrefix(werr) || len(evs) != 1+len(want) || evs[0].ID != "before" || string(b[:4]) != "kept" {
			t.Fatalf("%s: %d events, error %v; Result: %d events, error %v", c.name, len(evs), err, len(want), werr)
		}
		off := 4
		for i, ev := range evs[1:] {
			if !bytes.Equal(ev.Doc, want[i].Doc) || ev.ID != want[i].ID || !ev.Time.Equal(want[i].Time) {
				t.Fatalf("%s: event %d differs from Result's\ngot:  %s\nwant: %s", c.name, i, ev.Doc, want[i].Doc)
			}
			if &ev.Doc[0] != &b[off] || cap(ev.Doc) != len(ev.Doc) {
				t.Fatalf("%s: event %d's document is not b[%d:%d]", c.name, i, off, off+len(ev.Doc))
			}
			off += len(ev.Doc)
		}
		if off != len(b) {
			t.Fatalf("%s: %d bytes after the documents", c.name, len(b)-off)
		}
	}
}
