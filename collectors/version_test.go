package collectors

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/collectors/desired"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/collectors/sei"
	"github.com/vigia-sei/vigia/internal/seisim"
)

// desiredStore is a real desired.Store reading a GitOps-style directory of values files.
func desiredStore(t testing.TB, latest desired.Versions, values map[string]string) *desired.Store {
	t.Helper()
	dir := t.TempDir()
	for name, body := range values {
		p := filepath.Join(dir, "instances", name, "values.yaml")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	st, err := desired.New(desired.Options{Path: dir, Latest: latest}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

func versionOf(r probe.Result, comp, source string) (probe.ComponentVersion, bool) {
	for _, v := range r.Versions {
		if v.Component == comp && v.Source == source {
			return v, true
		}
	}
	return probe.ComponentVersion{}, false
}

func driftOfResult(r probe.Result, comp, against string) (probe.Drift, bool) {
	for _, d := range r.Drift {
		if d.Component == comp && d.Against == against {
			return d, true
		}
	}
	return probe.Drift{}, false
}

func TestVersionProberFleet(t *testing.T) {
	env := newSim(t,
		inst("v3011", "3.0.11", seisim.Module{Name: "mod-wssei", Version: "0.7.12"}),
		inst("v401", "4.0.1", seisim.Module{Name: "mod-wssei", Version: "2.1.2"}),
		inst("v415", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1"}),
		inst("v503", "5.0.3", seisim.Module{Name: "mod-wssei", Version: "3.0.1"}),
		seisim.Instance{Name: "wrong", Org: "ORGX", SEIVersion: "4.1.5", Producao: true,
			Modules: []seisim.Module{{Name: "mod-wssei", Version: "2.2.1"}}, Faults: seisim.Faults{WrongVersion: "5.0.3"}},
		seisim.Instance{Name: "homolog", Org: "ORGX", SEIVersion: "4.1.5", Producao: false},
	)
	store := desiredStore(t, desired.Versions{SEI: "5.0.3"}, map[string]string{
		"v3011": "sei:\n  version: 4.1.5\n",
		"v401":  "sei:\n  version: 4.1.5\n",
		"v415":  "sei:\n  version: 4.1.5\nsip:\n  version: 3.1.5\n",
		"v503":  "sei:\n  version: 5.0.2\n",
	})
	p, err := NewVersionProber(VersionOptions{Desired: store, WSSEIAuthenticate: true})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		sei           string
		bestSource    string
		infra         string
		sip           string // "" when no source can tell it
		sources       []string
		conflict      float64
		prod          float64
		driftDesired  string
		driftLatest   string
		noDesiredSEIs bool
	}{
		{name: "v3011", sei: "3.0.11", bestSource: SourceWSSEIAPI, infra: "1.466", sip: "2.0.4",
			sources: []string{SourceWSSEIAPI, SourcePageTitle, SourceAssetSuffix, SourceInfraFingerprint}, prod: 1, driftDesired: "major", driftLatest: "major"},
		{name: "v401", sei: "4.0.1", bestSource: SourceWSSEIAPI, infra: "1.583.4", sip: "3.0.0",
			sources: []string{SourceWSSEIAPI, SourcePageTitle, SourceAssetSuffix, SourceExternalMD5, SourceInfraFingerprint}, prod: 1, driftDesired: "minor", driftLatest: "major"},
		{name: "v415", sei: "4.1.5", bestSource: SourceWSSEIAPI, infra: "2.29.0",
			sources: []string{SourceWSSEIAPI, SourcePageTitle, SourceAssetSuffix, SourceExternalMD5, SourceInfraFingerprint}, prod: 1, driftDesired: "none", driftLatest: "major"},
		{name: "v503", sei: "5.0.3", bestSource: SourceWSSEIAPI, infra: "2.41.1",
			sources: []string{SourceWSSEIAPI, SourcePageTitle, SourceAssetSuffix, SourceExternalMD5, SourceInfraFingerprint}, prod: 1, driftDesired: "ahead", driftLatest: "none"},
		// The pages claim 5.0.3, the API (and the Infra the pages really load) say 4.1.5.
		{name: "wrong", sei: "4.1.5", bestSource: SourceWSSEIAPI, infra: "2.29.0", conflict: 1, prod: 1, driftLatest: "major", noDesiredSEIs: true},
		{name: "homolog", sei: "4.1.5", bestSource: SourcePageTitle, infra: "2.29.0", prod: 0, driftLatest: "major", noDesiredSEIs: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := p.Probe(probeCtx(t, 10*time.Second), env.target(tt.name))
			if !r.OK {
				t.Fatalf("probe failed: %s", r.Error)
			}
			if len(r.Versions) == 0 || r.Versions[0].Component != "sei" || r.Versions[0].Version != tt.sei || r.Versions[0].Source != tt.bestSource || r.Versions[0].Confidence != ConfidenceExact {
				t.Errorf("best SEI = %+v, want %s from %s", r.Versions, tt.sei, tt.bestSource)
			}
			for _, src := range tt.sources {
				v, ok := versionOf(r, "sei", src)
				if !ok || v.Version != tt.sei {
					t.Errorf("source %s: %+v (present %v), want %s", src, v, ok, tt.sei)
				}
			}
			if v, ok := versionOf(r, "infra", SourceSIPLoginAssets); !ok || v.Version != tt.infra || v.Confidence != ConfidenceExact {
				t.Errorf("infra from SIP login: %+v", v)
			}
			if sip, ok := versionOf(r, "sip", SourceInfraFingerprint); (tt.sip != "") != ok || sip.Version != tt.sip || (ok && sip.Confidence != ConfidenceLine) {
				t.Errorf("sip = %+v (present %v), want %q", sip, ok, tt.sip)
			}
			if r.Values[ValueVersionConflict] != tt.conflict {
				t.Errorf("%s = %v, want %v", ValueVersionConflict, r.Values[ValueVersionConflict], tt.conflict)
			}
			if got, ok := r.Values[ValueProductionMode]; !ok || got != tt.prod {
				t.Errorf("%s = %v (%v), want %v", ValueProductionMode, got, ok, tt.prod)
			}
			if r.Values[ValueLoginSuccess] != 1 {
				t.Errorf("login failed: %v", r.Values)
			}
			if d, ok := driftOfResult(r, "sei", "desired"); tt.noDesiredSEIs == ok || (ok && d.Level != tt.driftDesired) {
				t.Errorf("drift against desired = %+v (present %v), want %q", d, ok, tt.driftDesired)
			}
			if d, ok := driftOfResult(r, "sei", "latest"); !ok || d.Level != tt.driftLatest || d.Desired != "5.0.3" {
				t.Errorf("drift against latest = %+v, want %q", d, tt.driftLatest)
			}
			// Versions come ordered: sei before sip before infra, preferred source first.
			last := -1
			for _, v := range r.Versions {
				if c := componentRank[v.Component]; c < last {
					t.Fatalf("versions out of order: %+v", r.Versions)
				} else {
					last = c
				}
			}
		})
	}
	// v415 has a desired SIP; no surface tells SIP 3.1.5, so its drift is unknown, never "none".
	r := p.Probe(probeCtx(t, 10*time.Second), env.target("v415"))
	if d, ok := driftOfResult(r, "sip", "desired"); !ok || d.Level != desired.LevelUnknown {
		t.Errorf("sip drift = %+v", d)
	}
	wr := p.Probe(probeCtx(t, 10*time.Second), env.target("wrong"))
	if v, _ := versionOf(wr, "sei", SourcePageTitle); v.Version != "5.0.3" {
		t.Errorf("page title source on the wrong-version instance: %+v", v)
	}
}

func TestVersionProberWithoutLogin(t *testing.T) {
	env := newSim(t, inst("v415", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1"}),
		inst("v503", "5.0.3"), inst("v3011", "3.0.11"),
		seisim.Instance{Name: "unknown-infra", Org: "ORGX", SEIVersion: "5.0.5", InfraVersion: "2.45.0", Producao: true})
	store := desiredStore(t, desired.Versions{}, map[string]string{
		"v415": "sei:\n  version: 4.1.7\n", "v503": "sei:\n  version: 4.1.5\n", "unknown-infra": "sei:\n  version: 5.0.5\n",
	})
	p, err := NewVersionProber(VersionOptions{Desired: store})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, sei, source, confidence, drift string
	}{
		// Without a login or a token: mod-wssei only says "Acesso negado!", the external page's md5
		// is reversed exactly.
		{"v415", "4.1.5", SourceExternalMD5, ConfidenceExact, "patch"},
		{"v503", "5.0.3", SourceExternalMD5, ConfidenceExact, "ahead"},
		// SEI 3 has no md5 external page: the Infra fingerprint tells the release (line).
		{"v3011", "3.0.11", SourceInfraFingerprint, ConfidenceLine, ""},
		// An Infra newer than the table knows: only the line, and a drift that cannot be judged.
		{"unknown-infra", "5.0", SourceInfraFingerprint, ConfidenceLow, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := env.target(tt.name)
			tg.Credentials = probe.Credentials{}
			r := p.Probe(probeCtx(t, 10*time.Second), tg)
			if !r.OK {
				t.Fatalf("probe failed: %s", r.Error)
			}
			if b := r.Versions[0]; b.Component != "sei" || b.Version != tt.sei || b.Source != tt.source || b.Confidence != tt.confidence {
				t.Errorf("best = %+v, want %s/%s/%s", b, tt.sei, tt.source, tt.confidence)
			}
			if _, ok := r.Values[ValueLoginSuccess]; ok {
				t.Error("logged in without credentials")
			}
			if tt.drift != "" {
				if d, ok := driftOfResult(r, "sei", "desired"); !ok || d.Level != tt.drift {
					t.Errorf("drift = %+v, want %s", d, tt.drift)
				}
			}
		})
	}
}

func TestVersionProberFaults(t *testing.T) {
	env := newSim(t,
		seisim.Instance{Name: "down", SEIVersion: "4.1.5", Faults: seisim.Faults{Down: true}},
		seisim.Instance{Name: "err500", SEIVersion: "4.1.5", Faults: seisim.Faults{Status500: true}},
		seisim.Instance{Name: "hang", SEIVersion: "4.1.5", Faults: seisim.Faults{Hang: true}},
		seisim.Instance{Name: "maint", SEIVersion: "4.1.5", Faults: seisim.Faults{Maintenance: true}},
		seisim.Instance{Name: "badpass", Org: "ORGX", SEIVersion: "4.1.5", Producao: true},
	)
	p, _ := NewVersionProber(VersionOptions{})
	for _, tt := range []struct {
		name, state, errHas string
		ok                  bool
	}{
		{name: "down", state: probe.StateDown, errHas: "connection closed"},
		{name: "err500", state: probe.StateDown, errHas: "HTTP 500"},
		{name: "hang", state: probe.StateDown, errHas: "timed out"},
		{name: "maint", state: probe.StateMaintenance, errHas: "maintenance"},
		// A rejected login is a missing source, not a failed version probe.
		{name: "badpass", state: probe.StateUp, ok: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tg := env.target(tt.name)
			if tt.name == "badpass" {
				tg.Credentials.Password = "wrong-password"
			}
			start := time.Now()
			r := p.Probe(probeCtx(t, 400*time.Millisecond), tg)
			if time.Since(start) > 3*time.Second {
				t.Errorf("not bounded by the deadline: %v", time.Since(start))
			}
			if r.OK != tt.ok || r.State != tt.state || !strings.Contains(r.Error, tt.errHas) {
				t.Errorf("OK=%v State=%q Error=%q", r.OK, r.State, r.Error)
			}
			if tt.name == "badpass" {
				if r.Values[ValueLoginSuccess] != 0 {
					t.Errorf("login_success = %v", r.Values[ValueLoginSuccess])
				}
				if strings.Contains(r.Error, "wrong-password") {
					t.Error("error leaks the password")
				}
			}
		})
	}
}

func BenchmarkVersionProbe(b *testing.B) {
	env := newSim(b, inst("b415", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1"}))
	p, err := NewVersionProber(VersionOptions{})
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

// mod-wssei's v1 API exists only in releases for SEI 3: the version and modules probes ask it
// only when nothing they read says the instance runs SEI 4 or later, and still find v1 where it is.
func TestWSSEIv1IsAskedOnlyWhereItCanBe(t *testing.T) {
	c := newLoginCounter(t,
		inst("n415", "4.1.5"), inst("n503", "5.0.3"), inst("n3011", "3.0.11"),
		inst("w3011", "3.0.11", seisim.Module{Name: "mod-wssei", Version: "0.7.12"}))
	target := func(name string) probe.Target {
		return probe.Target{Name: name, URL: c.url + "/" + name, Credentials: monitorCreds()}
	}
	version, err := NewVersionProber(VersionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	modules, err := NewModulesProber(ModulesOptions{Sessions: NewKeptSessions(), KeepSession: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		p      Prober
		wantV1 int
	}{
		{"n415", version, 0}, {"n503", version, 0}, {"n3011", version, 1}, {"w3011", version, 1},
		// The first modules run reads the SIP login page (Infra only), a resumed one the landing page.
		{"n415", modules, 0}, {"n415", modules, 0}, {"n503", modules, 0}, {"n3011", modules, 1},
		{"w3011", modules, 1}, {"w3011", modules, 1},
	} {
		r, hits := c.runCounting(t, tc.p, target(tc.name))
		if hits["wssei_v1"] < tc.wantV1 || (tc.wantV1 == 0 && hits["wssei_v1"] != 0) {
			t.Errorf("%s on %s: %d mod-wssei v1 requests, want %d", tc.p.Name(), tc.name, hits["wssei_v1"], tc.wantV1)
		}
		if tc.name == "w3011" && tc.p == Prober(version) && versionFrom(r, "sei", SourceWSSEIAPI) != "3.0.11" {
			t.Errorf("version on w3011: mod-wssei v1 no longer tells the SEI version: %+v", r.Versions)
		}
		if m, _ := moduleOf(r, "mod-wssei"); tc.name == "w3011" && tc.p == Prober(modules) && (m.Up == nil || !*m.Up) {
			t.Errorf("modules on w3011: mod-wssei not found up through v1: %+v", r.Modules)
		}
	}
}

// A health run followed by a version run, as the scheduler starts them 1.5 s apart, on an instance
// whose logged-in page the modules or synthetic probe saw (the daemon's steady state): with shared
// answers the version run reads the entry the health run opened.
func BenchmarkHealthThenVersion(b *testing.B) {
	for _, shared := range []bool{false, true} {
		b.Run(map[bool]string{false: "alone", true: "shared"}[shared], func(b *testing.B) {
			env := newSim(b, inst("b415", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1"}))
			var answers *SharedAnswers
			if shared {
				answers = NewSharedAnswers()
			}
			h, err := NewHealthProber(HealthOptions{Shared: answers})
			if err != nil {
				b.Fatal(err)
			}
			pages := NewLoggedInPages()
			pages.Record("b415", probe.Modules, sei.VersionScan{TitleVersion: "4.1.5", AssetSEI: "4.1.5", AssetInfra: "2.29.2"}, time.Now())
			v, err := NewVersionProber(VersionOptions{Shared: answers, LoggedIn: pages})
			if err != nil {
				b.Fatal(err)
			}
			tg := env.target("b415")
			if tg.Credentials.Empty() {
				b.Fatal("the target has no credentials: the version run would need no logged-in page")
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if r := h.Probe(ctx, tg); !r.OK {
					b.Fatal(r.Error)
				}
				if r := v.Probe(ctx, tg); !r.OK {
					b.Fatal(r.Error)
				}
			}
		})
	}
}
