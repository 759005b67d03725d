package alerting_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
)

func withValue(r probe.Result, name string, v float64) probe.Result {
	vals := make(map[string]float64, len(r.Values)+1)
	for k, x := range r.Values {
		vals[k] = x
	}
	vals[name] = v
	r.Values = vals
	return r
}

func withDuration(r probe.Result, d time.Duration) probe.Result { r.Duration = d; return r }

func withState(r probe.Result, s string) probe.Result { r.State = s; return r }

func withDrift(r probe.Result, d ...probe.Drift) probe.Result { r.Drift = d; return r }

func withModules(r probe.Result, m ...probe.Module) probe.Result { r.Modules = m; return r }

// describe renders alerts as "state alertname instance probe [item]" lines.
func describe(alerts []alerting.Alert) []string {
	var out []string
	for _, a := range alerts {
		s := fmt.Sprintf("%s %s %s %s", a.State, a.Name(), a.Labels["instance"], a.Labels["probe"])
		if v, ok := a.Labels["module"]; ok {
			s += " module=" + v
		}
		if v, ok := a.Labels["component"]; ok {
			s += " component=" + v
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// TestRuleKinds feeds results to one rule of each kind and checks the alerts it yields.
func TestRuleKinds(t *testing.T) {
	a := target("a")
	in10days := float64(t0.Add(10 * 24 * time.Hour).Unix())
	in20days := float64(t0.Add(20 * 24 * time.Hour).Unix())
	expired := float64(t0.Add(-24 * time.Hour).Unix())
	tests := []struct {
		name    string
		rule    config.Rule
		results []probe.Result
		want    []string
		value   *float64
		summary string
		desc    string
	}{
		{
			name: "failing fires on a failed result of its probe", rule: seiDown,
			results: []probe.Result{failResult(a, probe.Health)},
			want:    []string{"firing SEIDown a health"},
			summary: "Instância SEI a fora do ar", desc: "HTTP status 500",
		},
		{
			name: "failing ignores other probes", rule: seiDown,
			results: []probe.Result{failResult(a, probe.Synthetic), failResult(a, probe.Version)},
		},
		{
			name: "failing resolves on an ok result", rule: seiDown,
			results: []probe.Result{failResult(a, probe.Health), okResult(a, probe.Health)},
		},
		{
			name: "failing synthetic has its own summary",
			rule: config.Rule{Alert: "SEISyntheticFailing", Probe: probe.Synthetic, When: "failing"},
			results: []probe.Result{func() probe.Result {
				r := failResult(a, probe.Synthetic)
				r.Evidence.Step = "login"
				return r
			}()},
			want:    []string{"firing SEISyntheticFailing a synthetic"},
			summary: "Transação sintética falhou na instância SEI a", desc: "Passo: login",
		},
		{
			name:    "maintenance without probe takes the producing probe",
			rule:    config.Rule{Alert: "SEIMaintenance", When: "maintenance"},
			results: []probe.Result{withState(okResult(a, probe.Health), probe.StateMaintenance)},
			want:    []string{"firing SEIMaintenance a health"},
			summary: "Instância SEI a em manutenção",
		},
		{
			name: "maintenance ends when the page is back",
			rule: config.Rule{Alert: "SEIMaintenance", When: "maintenance"},
			results: []probe.Result{withState(okResult(a, probe.Health), probe.StateMaintenance),
				okResult(a, probe.Health)},
		},
		{
			name:    "value above",
			rule:    config.Rule{Alert: "Slow", Probe: probe.Synthetic, Value: "duration_seconds", Above: f(5)},
			results: []probe.Result{withDuration(okResult(a, probe.Synthetic), 6500*time.Millisecond)},
			want:    []string{"firing Slow a synthetic"}, value: f(6.5),
			summary: "duration_seconds acima de 5 (valor atual 6.5)",
		},
		{
			name:    "value above, not crossed",
			rule:    config.Rule{Alert: "Slow", Probe: probe.Synthetic, Value: "duration_seconds", Above: f(5)},
			results: []probe.Result{withDuration(okResult(a, probe.Synthetic), 5*time.Second)},
		},
		{
			name:    "value below",
			rule:    config.Rule{Alert: "FewModules", Probe: probe.Modules, Value: "modules_installed", Below: f(2)},
			results: []probe.Result{withValue(okResult(a, probe.Modules), "modules_installed", 1)},
			want:    []string{"firing FewModules a modules"}, value: f(1),
		},
		{
			name:    "value equal",
			rule:    config.Rule{Alert: "HTTP500", Probe: probe.HTTP, Value: "http_status_code", Equal: f(500)},
			results: []probe.Result{failResult(a, probe.HTTP)},
			want:    []string{"firing HTTP500 a http"}, value: f(500),
		},
		{
			name: "value band needs both bounds",
			rule: config.Rule{Alert: "Band", Probe: probe.Health, Value: "latency", Above: f(1), Below: f(3)},
			results: []probe.Result{withValue(okResult(a, probe.Health), "latency", 2),
				withValue(okResult(a, probe.Health), "latency", 4)},
		},
		{
			name: "value unknown on a failed probe keeps firing",
			rule: config.Rule{Alert: "BigPage", Probe: probe.Health, Value: "page_bytes", Above: f(100)},
			results: []probe.Result{withValue(okResult(a, probe.Health), "page_bytes", 500),
				failResult(a, probe.Health)},
			want: []string{"firing BigPage a health"}, value: f(500),
		},
		{
			name: "value missing from an ok probe resolves",
			rule: config.Rule{Alert: "BigPage", Probe: probe.Health, Value: "page_bytes", Above: f(100)},
			results: []probe.Result{withValue(okResult(a, probe.Health), "page_bytes", 500),
				okResult(a, probe.Health)},
		},
		{
			name: "drift: one alert per component at a listed level",
			rule: config.Rule{Alert: "Drift", Probe: probe.Version, Drift: []string{"major", "minor"}},
			results: []probe.Result{withDrift(okResult(a, probe.Version),
				probe.Drift{Component: "sei", Observed: "4.1.5", Desired: "5.0.3", Level: "major", Against: "desired"},
				probe.Drift{Component: "sip", Observed: "3.1.5", Desired: "3.1.6", Level: "patch"},
				probe.Drift{Component: "mod-wssei", Observed: "2.1.0", Desired: "2.2.1", Level: "minor"})},
			want:    []string{"firing Drift a version component=mod-wssei", "firing Drift a version component=sei"},
			summary: "Versão de mod-wssei defasada (minor)", desc: "desejado 2.2.1",
		},
		{
			name: "drift restricted to a component",
			rule: config.Rule{Alert: "Drift", Probe: probe.Version, Drift: []string{"major", "minor"}, Component: "sei"},
			results: []probe.Result{withDrift(okResult(a, probe.Version),
				probe.Drift{Component: "sei", Observed: "4.1.5", Desired: "5.0.3", Level: "major"},
				probe.Drift{Component: "mod-wssei", Observed: "2.1.0", Desired: "2.2.1", Level: "minor"})},
			want: []string{"firing Drift a version component=sei"},
		},
		{
			name: "drift of a component no longer reported resolves, unless the probe failed",
			rule: config.Rule{Alert: "Drift", Probe: probe.Version, Drift: []string{"major"}},
			results: []probe.Result{
				withDrift(okResult(a, probe.Version), probe.Drift{Component: "sei", Level: "major"},
					probe.Drift{Component: "sip", Level: "major"}),
				failResult(a, probe.Version), // says nothing: both stay
				withDrift(okResult(a, probe.Version), probe.Drift{Component: "sei", Level: "major"}),
			},
			want: []string{"firing Drift a version component=sei"},
		},
		{
			name: "module incompatible: one alert per module",
			rule: config.Rule{Alert: "ModIncompat", When: "module_incompatible"},
			results: []probe.Result{withModules(okResult(a, probe.Modules),
				probe.Module{Name: "mod-sei-pen", Version: "3.8.0", Compatible: probe.BoolPtr(false)},
				probe.Module{Name: "mod-wssei", Version: "2.2.1", Compatible: probe.BoolPtr(true)},
				probe.Module{Name: "peticionamento", Version: "4.6.5"})},
			want:    []string{"firing ModIncompat a modules module=mod-sei-pen"},
			summary: "Módulo mod-sei-pen incompatível", desc: "mod-sei-pen 3.8.0",
		},
		{
			name: "module down",
			rule: config.Rule{Alert: "ModDown", Probe: probe.Modules, When: "module_down"},
			results: []probe.Result{withModules(okResult(a, probe.Modules),
				probe.Module{Name: "mod-wssei", Up: probe.BoolPtr(false), Detail: "HTTP 500 em /versao"},
				probe.Module{Name: "mod-sei-pen", Up: probe.BoolPtr(true)})},
			want:    []string{"firing ModDown a modules module=mod-wssei"},
			summary: "Módulo mod-wssei não responde", desc: "HTTP 500 em /versao",
		},
		{
			name:    "tls expiry within the window",
			rule:    config.Rule{Alert: "TLSExpiring", Probe: probe.Health, TLSExpiryDays: f(14)},
			results: []probe.Result{withValue(okResult(a, probe.Health), "tls_cert_expiry_timestamp_seconds", in10days)},
			want:    []string{"firing TLSExpiring a health"}, value: f(10),
			summary: "expira em 10 dias",
		},
		{
			name:    "tls expiry outside the window",
			rule:    config.Rule{Alert: "TLSExpiring", Probe: probe.Health, TLSExpiryDays: f(14)},
			results: []probe.Result{withValue(okResult(a, probe.Health), "tls_cert_expiry_timestamp_seconds", in20days)},
		},
		{
			name:    "tls already expired",
			rule:    config.Rule{Alert: "TLSExpiring", TLSExpiryDays: f(14)},
			results: []probe.Result{withValue(okResult(a, probe.Health), "tls_cert_expiry_timestamp_seconds", expired)},
			want:    []string{"firing TLSExpiring a health"}, value: f(-1),
			summary: "Certificado TLS da instância SEI a expirou",
		},
		{
			name: "tls expiry naming no probe reads the probes that do full handshakes",
			rule: config.Rule{Alert: "TLSExpiring", TLSExpiryDays: f(14)},
			results: []probe.Result{
				withValue(okResult(a, probe.Version), "tls_cert_expiry_timestamp_seconds", in10days),
				withValue(okResult(a, probe.HTTP), "tls_cert_expiry_timestamp_seconds", in10days),
			},
			want: []string{"firing TLSExpiring a http"}, value: f(10),
		},
		{
			name: "tls expiry: a run that resumed its TLS session (no certificate seen) keeps the alert",
			rule: config.Rule{Alert: "TLSExpiring", Probe: probe.Version, TLSExpiryDays: f(14)},
			results: []probe.Result{
				withValue(okResult(a, probe.Version), "tls_cert_expiry_timestamp_seconds", in10days),
				okResult(a, probe.Version),
			},
			want: []string{"firing TLSExpiring a version"}, value: f(10),
		},
		{
			name: "tls expiry: an instance now served over plain HTTP resolves",
			rule: config.Rule{Alert: "TLSExpiring", Probe: probe.Version, TLSExpiryDays: f(14)},
			results: []probe.Result{
				withValue(okResult(a, probe.Version), "tls_cert_expiry_timestamp_seconds", in10days),
				okResult(withURL(a, "http://a.exemplo.gov.br/"), probe.Version),
			},
		},
		{
			name:    "production mode off on a prod instance",
			rule:    config.Rule{Alert: "NotProduction", When: "production_mode_off"},
			results: []probe.Result{withValue(okResult(a, probe.Version), "production_mode", 0)},
			want:    []string{"firing NotProduction a version"},
			summary: "Instância de produção a com o SEI fora do modo de produção",
		},
		{
			name:    "production mode off on a homolog instance is fine",
			rule:    config.Rule{Alert: "NotProduction", When: "production_mode_off"},
			results: []probe.Result{withValue(okResult(withEnv(a, "homolog"), probe.Version), "production_mode", 0)},
		},
		{
			name:    "production mode on",
			rule:    config.Rule{Alert: "NotProduction", When: "production_mode_off"},
			results: []probe.Result{withValue(okResult(a, probe.Version), "production_mode", 1)},
		},
		{
			name: "annotations are operator templates",
			rule: config.Rule{Alert: "SEIDown", Probe: probe.Health, When: "failing", Annotations: map[string]string{
				"summary":     "{{ .Labels.instance }} caiu ({{ .Evidence.Status }})",
				"runbook_url": "https://wiki.exemplo/runbooks/{{ .Labels.alertname }}",
			}},
			results: []probe.Result{failResult(a, probe.Health)},
			want:    []string{"firing SEIDown a health"},
			summary: "a caiu (500)", desc: "A sonda health falhou em a: HTTP status 500",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, alerting.ManagerConfig{Rules: []config.Rule{tt.rule}, Routes: simpleRoutes("r")}, []string{"r"}, harnessOpts{})
			h.feed(tt.results...)
			alerts := h.m.Alerts()
			if got, want := strings.Join(describe(alerts), "\n"), strings.Join(tt.want, "\n"); got != want {
				t.Fatalf("alerts:\n got: %s\nwant: %s", got, want)
			}
			if len(alerts) == 0 {
				return
			}
			a := alerts[0]
			if tt.value != nil {
				if a.Value == nil || (*a.Value-*tt.value) > 1e-6 || (*tt.value-*a.Value) > 1e-6 {
					t.Errorf("value = %v, want %v", a.Value, *tt.value)
				}
			}
			if !strings.Contains(a.Annotations["summary"], tt.summary) {
				t.Errorf("summary = %q, want it to contain %q", a.Annotations["summary"], tt.summary)
			}
			if !strings.Contains(a.Annotations["description"], tt.desc) {
				t.Errorf("description = %q, want it to contain %q", a.Annotations["description"], tt.desc)
			}
			if tt.rule.Annotations["runbook_url"] != "" && a.Annotations["runbook_url"] != "https://wiki.exemplo/runbooks/SEIDown" {
				t.Errorf("runbook_url = %q", a.Annotations["runbook_url"])
			}
		})
	}
}

// TestAlertLabels checks the label set every alert carries and that no secret of the target
// URL reaches an alert.
func TestAlertLabels(t *testing.T) {
	rule := seiDown
	rule.Labels = map[string]string{"team": "infra", "cloud": "rule-wins"}
	rule.Annotations = map[string]string{"description": "{{ .Instance.URL }}"}
	h := newHarness(t, alerting.ManagerConfig{Rules: []config.Rule{rule}, Routes: simpleRoutes("r"), ExternalURL: "https://vigia.exemplo"}, []string{"r"}, harnessOpts{})
	h.feed(failResult(target("a"), probe.Health))
	alerts := h.m.Alerts()
	if len(alerts) != 1 {
		t.Fatalf("want 1 alert, got %d", len(alerts))
	}
	a := alerts[0]
	want := map[string]string{"alertname": "SEIDown", "instance": "a", "owner": "MGI", "environment": "prod",
		"severity": "critical", "probe": "health", "cloud": "rule-wins", "team": "infra"}
	if fmt.Sprint(a.Labels) != fmt.Sprint(want) {
		t.Errorf("labels = %v, want %v", a.Labels, want)
	}
	if a.Fingerprint != alerting.Fingerprint(want) {
		t.Errorf("fingerprint %s is not the hash of the labels", a.Fingerprint)
	}
	if d := a.Annotations["description"]; strings.Contains(d, "pw") || strings.Contains(d, "abc") {
		t.Errorf("credentials leaked into an annotation: %q", d)
	}
	if a.GeneratorURL != "https://vigia.exemplo/api/v1/alerts?fingerprint="+a.Fingerprint {
		t.Errorf("generator URL = %q", a.GeneratorURL)
	}
	if a.Reason != "HTTP status 500" || a.Evidence == nil || a.Evidence.Status != 500 {
		t.Errorf("reason/evidence = %q/%+v", a.Reason, a.Evidence)
	}
}

// TestForDuration walks the pending state: a condition must hold for `for` before firing.
func TestForDuration(t *testing.T) {
	a := target("a")
	type step struct {
		at    time.Duration // since t0
		ok    bool
		state string // expected state after the result; "" means no alert
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"fires after for", []step{{0, false, "pending"}, {time.Minute, false, "pending"}, {2 * time.Minute, false, "firing"}}},
		{"recovery while pending forgets", []step{{0, false, "pending"}, {time.Minute, true, ""}, {2 * time.Minute, false, "pending"}, {3 * time.Minute, false, "pending"}, {4 * time.Minute, false, "firing"}}},
		{"a late result fires at once", []step{{0, false, "pending"}, {10 * time.Minute, false, "firing"}}},
		{"firing resolves on recovery", []step{{0, false, "pending"}, {2 * time.Minute, false, "firing"}, {3 * time.Minute, true, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule := seiDown
			rule.For = 2 * time.Minute
			h := newHarness(t, alerting.ManagerConfig{Rules: []config.Rule{rule}, Routes: simpleRoutes("r")}, []string{"r"}, harnessOpts{})
			for i, s := range tt.steps {
				h.clock.Set(t0.Add(s.at))
				if s.ok {
					h.feed(okResult(a, probe.Health))
				} else {
					h.feed(failResult(a, probe.Health))
				}
				got := ""
				if al := h.m.Alerts(); len(al) == 1 {
					got = al[0].State
					if got == alerting.StateFiring && !al[0].StartsAt.Equal(t0.Add(s.at)) {
						t.Errorf("step %d: StartsAt = %v, want the result that fired", i, al[0].StartsAt)
					}
				} else if len(al) > 1 {
					t.Fatalf("step %d: %d alerts", i, len(al))
				}
				if got != s.state {
					t.Fatalf("step %d (t0+%v ok=%v): state %q, want %q", i, s.at, s.ok, got, s.state)
				}
			}
		})
	}
}

// TestPendingNeverNotifies checks that a pending alert that recovers is never sent.
func TestPendingNeverNotifies(t *testing.T) {
	rule := seiDown
	rule.For = 2 * time.Minute
	h := newHarness(t, alerting.ManagerConfig{Rules: []config.Rule{rule}, Routes: simpleRoutes("r")}, []string{"r"}, harnessOpts{})
	h.feed(failResult(target("a"), probe.Health))
	h.advance(time.Minute)
	h.feed(okResult(target("a"), probe.Health))
	h.advance(time.Hour)
	if got := h.take("r"); len(got) != 0 {
		t.Fatalf("pending alert was notified: %s", summaries(got))
	}
}

// TestFlapDamping checks keep_firing_for: short recoveries do not resolve, so a flapping
// instance yields one firing and one resolved notification, not one pair per flap.
func TestFlapDamping(t *testing.T) {
	tests := []struct {
		name         string
		keep         time.Duration
		wantFiring   int
		wantResolved int
	}{
		{"without damping every flap notifies", 0, 3, 3},
		{"keep_firing_for absorbs the flaps", 5 * time.Minute, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule := seiDown
			rule.KeepFiringFor = tt.keep
			routes := simpleRoutes("r")
			routes.GroupWait, routes.GroupInterval = 10*time.Second, 10*time.Second
			h := newHarness(t, alerting.ManagerConfig{Rules: []config.Rule{rule}, Routes: routes}, []string{"r"}, harnessOpts{})
			a := target("a")
			for i := 0; i < 3; i++ { // down 1 minute, up 1 minute, three times
				h.feed(failResult(a, probe.Health))
				for j := 0; j < 6; j++ {
					h.advance(10 * time.Second)
				}
				h.feed(okResult(a, probe.Health))
				for j := 0; j < 6; j++ {
					h.advance(10 * time.Second)
				}
			}
			// Stay up long enough for keep_firing_for to lapse; results keep coming.
			for j := 0; j < 60; j++ {
				h.feed(okResult(a, probe.Health))
				h.advance(10 * time.Second)
			}
			var firing, resolved int
			for _, g := range h.take("r") {
				if g.Status == alerting.StateFiring {
					firing++
				} else {
					resolved++
				}
			}
			if firing != tt.wantFiring || resolved != tt.wantResolved {
				t.Errorf("firing=%d resolved=%d notifications, want %d and %d", firing, resolved, tt.wantFiring, tt.wantResolved)
			}
		})
	}
}
