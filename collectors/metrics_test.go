package collectors

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigia-sei/vigia/collectors/desired"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/internal/seisim"
)

func tgt(name string) probe.Target {
	return probe.Target{Name: name, URL: "https://user:pw@" + name + ".exemplo/sei/?token=abc", Owner: "MGI", Environment: "prod"}
}

func versionResult(name, sei string) probe.Result {
	return probe.Result{Target: tgt(name), Probe: probe.Version, OK: true, Duration: 20 * time.Millisecond,
		Versions: []probe.ComponentVersion{
			{Component: "sei", Version: sei, Source: SourcePageTitle, Confidence: ConfidenceExact},
			{Component: "sei", Version: sei, Source: SourceInfraFingerprint, Confidence: ConfidenceLine},
			{Component: "infra", Version: "2.29.0", Source: SourceSIPLoginAssets, Confidence: ConfidenceExact},
		},
		Drift:  []probe.Drift{{Component: "sei", Observed: sei, Desired: "4.1.5", Against: "desired", Level: "none"}},
		Values: map[string]float64{ValueProductionMode: 1},
	}
}

// series lists every sample as "name{k=v,...} value" with labels in name order (as gathered).
func series(t *testing.T, reg *prometheus.Registry) []string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			out = append(out, fmt.Sprintf("%s{%s} %g", mf.GetName(), strings.Join(ls, ","), m.GetGauge().GetValue()))
		}
	}
	return out
}

// sample finds the series of a family whose labels include all of want; ok is false when none or
// several match.
func sample(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var v float64
	n := 0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, w := range want {
				if have[k] != w {
					continue next
				}
			}
			v = m.GetGauge().GetValue()
			n++
		}
	}
	return v, n == 1
}

func L(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestMetricsVersionInfoHasNoStaleSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewResultMetrics(reg)
	m.Observe(versionResult("a", "4.1.5"))
	m.Observe(versionResult("b", "4.1.5"))
	if got, ok := sample(t, reg, "sei_fleet_instances", L("component", "sei", "version", "4.1.5")); !ok || got != 2 {
		t.Errorf("fleet 4.1.5 = %v (found %v)", got, ok)
	}
	// a is upgraded: its 4.1.5 series disappear, the fleet moves one instance.
	m.Observe(versionResult("a", "5.0.3"))
	if _, ok := sample(t, reg, "sei_version_info", L("instance", "a", "component", "sei", "version", "4.1.5", "source", SourcePageTitle)); ok {
		t.Errorf("stale version series left behind:\n%s", strings.Join(series(t, reg), "\n"))
	}
	for _, c := range []struct {
		name string
		l    map[string]string
		v    float64
	}{
		{"sei_version_info", L("instance", "a", "owner", "MGI", "environment", "prod", "component", "sei", "version", "5.0.3", "source", SourcePageTitle), 1},
		{"sei_version_info", L("instance", "b", "component", "sei", "version", "4.1.5", "source", SourcePageTitle), 1},
		{"sei_fleet_instances", L("component", "sei", "version", "4.1.5"), 1},
		{"sei_fleet_instances", L("component", "sei", "version", "5.0.3"), 1},
		{"sei_fleet_instances", L("component", "infra", "version", "2.29.0"), 2},
	} {
		if v, ok := sample(t, reg, c.name, c.l); !ok || v != c.v {
			t.Errorf("%s%v = %v (found %v), want %v", c.name, c.l, v, ok, c.v)
		}
	}
	// A failed run without observations keeps the last known versions.
	m.Observe(probe.Result{Target: tgt("b"), Probe: probe.Version, Error: "timed out"})
	if n := testutil.CollectAndCount(m, "sei_version_info"); n != 6 {
		t.Errorf("version_info series after a failed run: %d, want 6", n)
	}
	if got, ok := sample(t, reg, "sei_probe_success", L("instance", "b", "owner", "MGI", "environment", "prod", "probe", "version")); !ok || got != 0 {
		t.Errorf("probe_success after failure = %v (found %v)", got, ok)
	}
	// Removed from the fleet: every series of b goes, the fleet count too.
	m.Forget("b")
	for _, line := range series(t, reg) {
		if strings.Contains(line, "instance=b,") || strings.Contains(line, "instance=b}") {
			t.Errorf("series of a forgotten instance remain: %s", line)
		}
	}
	if got := m.FleetVersions()["sei"]; len(got) != 1 || got["5.0.3"] != 1 {
		t.Errorf("fleet after Forget: %v", got)
	}
}

func TestMetricsOwnerChangeClearsOldLabels(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewResultMetrics(reg)
	r := probe.Result{Target: tgt("a"), Probe: probe.Health, OK: true, State: probe.StateUp, Duration: time.Millisecond}
	m.Observe(r)
	r.Target.Owner = "CGU"
	m.Observe(r)
	if _, ok := sample(t, reg, "sei_up", L("owner", "MGI")); ok {
		t.Error("series with the old owner remain")
	}
	if v, ok := sample(t, reg, "sei_up", L("instance", "a", "owner", "CGU")); !ok || v != 1 {
		t.Error("series with the new owner missing")
	}
}

func TestMetricsFromProbers(t *testing.T) {
	env := newSim(t,
		admin(inst("adm", "5.0.3", seisim.Module{Name: "mod-wssei", Version: "3.0.1"}, seisim.Module{Name: "peticionamento", Version: "4.6.5"})),
		seisim.Instance{Name: "maint", SEIVersion: "4.1.5", Faults: seisim.Faults{Maintenance: true}},
	)
	store := desiredStore(t, desiredVersions("5.0.3"), map[string]string{"adm": "sei:\n  version: 5.0.3\n  modules:\n    mod-wssei: 3.0.2\n"})
	h, _ := NewHealthProber(HealthOptions{})
	v, _ := NewVersionProber(VersionOptions{Desired: store})
	mp, _ := NewModulesProber(ModulesOptions{Desired: store})
	sy, _ := NewSyntheticProber(SyntheticOptions{Search: "00000.000001/2024-00"})
	reg := prometheus.NewRegistry()
	m := NewResultMetrics(reg)
	for _, name := range []string{"adm", "maint"} {
		for _, p := range []Prober{h, v, mp, sy} {
			m.Observe(p.Probe(probeCtx(t, 10*time.Second), env.target(name)))
		}
	}
	// promtool's checks (the same linter `promtool check metrics` runs).
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	base := func(inst string, kv ...string) map[string]string {
		return L(append([]string{"instance", inst, "owner", "MGI", "environment", "prod"}, kv...)...)
	}
	for _, c := range []struct {
		name string
		l    map[string]string
		v    float64 // -1: any value
	}{
		{"sei_up", base("adm"), 1},
		{"sei_up", base("maint"), 0},
		{"sei_maintenance", base("maint"), 1},
		{"sei_maintenance", base("adm"), 0},
		{"sei_probe_success", base("adm", "probe", "synthetic"), 1},
		{"sei_probe_success", base("maint", "probe", "health"), 0},
		{"sei_probe_duration_seconds", base("adm", "probe", "health", "phase", "connect"), -1},
		{"sei_probe_duration_seconds", base("adm", "probe", "health", "phase", "total"), -1},
		{"sei_version_info", base("adm", "component", "sei", "version", "5.0.3", "source", SourcePageTitle), 1},
		{"sei_version_drift", base("adm", "component", "sei", "against", "desired", "level", "none"), 1},
		{"sei_version_drift", base("adm", "component", "mod-wssei", "against", "desired", "level", "patch"), 1},
		{"sei_module_info", base("adm", "module", "mod-wssei", "version", "3.0.1"), 1},
		{"sei_module_up", base("adm", "module", "peticionamento"), 1},
		{"sei_module_compatible", base("adm", "module", "peticionamento"), 0},
		{"sei_production_mode", base("adm"), 1},
		{"sei_synthetic_success", base("adm"), 1},
		{"sei_synthetic_step_duration_seconds", base("adm", "step", "search"), -1},
		{"sei_synthetic_failed_step", base("adm", "step", "login"), 0},
		{"sei_synthetic_failed_step", base("maint", "step", "entry"), 1},
		{"sei_fleet_instances", L("component", "sei", "version", "5.0.3"), 1},
	} {
		v, ok := sample(t, reg, c.name, c.l)
		if !ok || (c.v >= 0 && v != c.v) {
			t.Errorf("%s%v = %v (found %v), want %v", c.name, c.l, v, ok, c.v)
		}
	}
	out := strings.Join(series(t, reg), "\n")
	// No URL, credential or error text in any label value.
	for _, bad := range []string{"http", "127.0.0.1", "monitor123", "token", "timed out", "Fatal"} {
		if strings.Contains(out, bad) {
			t.Errorf("label value carries %q", bad)
		}
	}
	// Both module drift (modules probe) and SEI drift (version probe) coexist: one probe's update does
	// not erase the other's.
	m.Observe(v.Probe(probeCtx(t, 10*time.Second), env.target("adm")))
	if _, ok := sample(t, reg, "sei_version_drift", base("adm", "component", "mod-wssei", "against", "desired")); !ok {
		t.Error("module drift erased by a version result")
	}
	if _, ok := sample(t, reg, "sei_version_drift", base("adm", "component", "sei", "against", "desired")); !ok {
		t.Error("SEI drift missing")
	}
}

func TestMetricsSyntheticFailedStepMoves(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewResultMetrics(reg)
	steps := func(failAt int, names ...string) []probe.Step {
		var s []probe.Step
		for i, n := range names {
			s = append(s, probe.Step{Name: n, OK: i != failAt, Duration: time.Millisecond})
		}
		return s
	}
	m.Observe(probe.Result{Target: tgt("a"), Probe: probe.Synthetic, Steps: steps(1, "entry", "login")})
	m.Observe(probe.Result{Target: tgt("a"), Probe: probe.Synthetic, OK: true, Steps: steps(-1, "entry", "login", "search", "logout")})
	for _, st := range []string{"entry", "login", "search", "logout"} {
		if v, ok := sample(t, reg, "sei_synthetic_failed_step", L("step", st)); !ok || v != 0 {
			t.Errorf("failed_step{step=%s} = %v,%v after recovery", st, v, ok)
		}
	}
	m.Observe(probe.Result{Target: tgt("a"), Probe: probe.Synthetic, Steps: steps(0, "entry")})
	if _, ok := sample(t, reg, "sei_synthetic_step_duration_seconds", L("step", "logout")); ok {
		t.Error("a step that did not run keeps a duration")
	}
	if v, ok := sample(t, reg, "sei_synthetic_failed_step", L("step", "entry")); !ok || v != 1 {
		t.Errorf("failed_step{entry} = %v,%v", v, ok)
	}
}

func TestMetricsConcurrentObserve(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewResultMetrics(reg)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				name := string(rune('a' + (i+j)%5))
				m.Observe(versionResult(name, []string{"4.1.5", "5.0.3"}[j%2]))
				if j%50 == 0 {
					m.Forget(name)
				}
			}
		}(i)
	}
	wg.Wait()
	total := 0
	for _, n := range m.FleetVersions()["sei"] {
		total += n
	}
	// Every instance still known has exactly one SEI version counted.
	known := testutil.CollectAndCount(m, "sei_production_mode")
	if total != known {
		t.Errorf("fleet counts %d instances, %d instances have series", total, known)
	}
}

func desiredVersions(sei string) desired.Versions { return desired.Versions{SEI: sei} }

// A probe's phases are replaced by its latest run's: a run that stopped before TLS has no tls
// series, and another probe's phases are untouched.
func TestMetricsDurationPhasesFollowTheLatestRun(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewResultMetrics(reg)
	ph := map[string]time.Duration{"dns": time.Millisecond, "connect": time.Millisecond, "tls": time.Millisecond}
	m.Observe(probe.Result{Target: tgt("a"), Probe: probe.Health, OK: true, State: probe.StateUp, Phases: ph})
	m.Observe(probe.Result{Target: tgt("a"), Probe: probe.Synthetic, OK: true, Phases: ph})
	m.Observe(probe.Result{Target: tgt("a"), Probe: probe.Health, State: probe.StateDown, Duration: 2 * time.Second,
		Phases: map[string]time.Duration{"dns": 3 * time.Millisecond}})
	for _, c := range []struct {
		probe, phase string
		found        bool
		v            float64
	}{
		{"health", "total", true, 2},
		{"health", "dns", true, 0.003},
		{"health", "tls", false, 0},
		{"health", "connect", false, 0},
		{"synthetic", "tls", true, 0.001},
	} {
		v, ok := sample(t, reg, "sei_probe_duration_seconds", L("probe", c.probe, "phase", c.phase))
		if ok != c.found || v != c.v {
			t.Errorf("duration{probe=%s,phase=%s} = %v (found %v), want %v (found %v)", c.probe, c.phase, v, ok, c.v, c.found)
		}
	}
	if v, ok := sample(t, reg, "sei_probe_success", L("probe", "health")); !ok || v != 0 {
		t.Errorf("probe_success{health} = %v (found %v), want 0", v, ok)
	}
}
