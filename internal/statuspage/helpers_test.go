package statuspage

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/alerting/notifytest"
	"github.com/vigia-sei/vigia/collectors"
	"github.com/vigia-sei/vigia/collectors/desired"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
	"github.com/vigia-sei/vigia/internal/latest"
	"github.com/vigia-sei/vigia/internal/seisim"
)

// latestOnly is desired state with no per-instance entry: drift is measured against the fleet's
// newest release, as a config's desired.latest does.
type latestOnly struct{ v desired.Versions }

func (l latestOnly) Desired(string) (desired.Versions, bool) { return desired.Versions{}, false }
func (l latestOnly) Latest() desired.Versions                { return l.v }

// fixture is a seisim fleet probed by the real probers, with results in a real latest store and
// a real alert manager evaluating real rules over them.
type fixture struct {
	fleet   seisim.Fleet
	sim     *seisim.Server
	simURL  string
	targets []probe.Target
	latest  *latest.Latest
	alerts  *alerting.Manager
	probers []collectors.Prober
	// raw are the last Results per instance and probe, as the probers returned them.
	rawMu sync.Mutex
	raw   map[string]map[string]probe.Result
}

var fixtureRules = []config.Rule{
	{Alert: "SEIDown", Probe: probe.Health, When: "failing", Severity: "critical"},
	{Alert: "SEIMaintenance", Probe: probe.Health, When: "maintenance", Severity: "warning"},
	{Alert: "SEISyntheticFailed", Probe: probe.Synthetic, When: "failing", Severity: "critical"},
	{Alert: "SEIVersionDrift", Probe: probe.Version, Drift: []string{"major", "minor"}, Component: "sei", Severity: "warning"},
	{Alert: "SEIModuleIncompatible", Probe: probe.Modules, When: "module_incompatible", Severity: "warning"},
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newFixture serves fleet with seisim, probes every instance once with all four SEI probers and
// feeds the results to the store and the alert manager.
func newFixture(t testing.TB, fleet seisim.Fleet) *fixture {
	t.Helper()
	fx := &fixture{fleet: fleet, sim: seisim.New(fleet, seisim.Options{})}
	srv := httptest.NewServer(fx.sim.Handler())
	t.Cleanup(srv.Close)
	fx.simURL = srv.URL
	for _, tg := range fleet.Targets(func(_ int, in seisim.Instance) string { return srv.URL + "/" + in.Name }).Instances {
		fx.targets = append(fx.targets, probe.Target{
			Name: tg.Name, URL: tg.URL, Owner: tg.Owner, Environment: tg.Environment, Labels: tg.Labels, Source: "seisim",
			Credentials: probe.Credentials{Username: "monitor", Password: "monitor123", Orgao: "0"},
		})
	}
	want := latestOnly{desired.Versions{SEI: "5.0.3", Modules: map[string]string{"mod-wssei": "3.0.1", "mod-sei-pen": "4.0.2"}}}
	health, err := collectors.NewHealthProber(collectors.HealthOptions{})
	must(t, err)
	version, err := collectors.NewVersionProber(collectors.VersionOptions{Desired: want})
	must(t, err)
	modules, err := collectors.NewModulesProber(collectors.ModulesOptions{Desired: want})
	must(t, err)
	synthetic, err := collectors.NewSyntheticProber(collectors.SyntheticOptions{Search: "00000.000001/2024-00"})
	must(t, err)
	fx.probers = []collectors.Prober{health, version, modules, synthetic}

	fx.latest = latest.New()
	fx.latest.SetTargets(fx.targets)
	m, err := alerting.NewManager(alerting.ManagerConfig{
		Rules:  fixtureRules,
		Routes: config.Route{Receivers: []string{"registro"}, GroupBy: []string{"alertname"}},
	}, map[string]alerting.Notifier{"registro": notifytest.NewRecorder()}, nil, nil, quiet())
	must(t, err)
	names := make([]string, len(fx.targets))
	for i, tg := range fx.targets {
		names[i] = tg.Name
	}
	m.SetInstances(names)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	fx.alerts = m
	fx.probeAll(t, fx.targets)
	return fx
}

// probeAll runs every prober against targets once, 16 at a time.
func (fx *fixture) probeAll(t testing.TB, targets []probe.Target) {
	t.Helper()
	type job struct {
		p  collectors.Prober
		tg probe.Target
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r := collectors.RunProbe(context.Background(), j.p, j.tg, 3*time.Second)
				fx.rawMu.Lock()
				if fx.raw == nil {
					fx.raw = map[string]map[string]probe.Result{}
				}
				if fx.raw[r.Target.Name] == nil {
					fx.raw[r.Target.Name] = map[string]probe.Result{}
				}
				fx.raw[r.Target.Name][r.Probe] = r
				fx.rawMu.Unlock()
				fx.latest.HandleResult(r)
				fx.alerts.HandleResult(r)
			}
		}()
	}
	for _, tg := range targets {
		for _, p := range fx.probers {
			jobs <- job{p, tg}
		}
	}
	close(jobs)
	wg.Wait()
}

func (fx *fixture) target(name string) probe.Target {
	for _, tg := range fx.targets {
		if tg.Name == name {
			return tg
		}
	}
	panic("no target " + name)
}

func (fx *fixture) seiVersion(name string) string {
	for _, in := range fx.fleet.Instances {
		if in.Name == name {
			return in.SEIVersion
		}
	}
	return ""
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// smallFleet is a deterministic fleet with one instance per condition the page must show.
func smallFleet() seisim.Fleet {
	f := seisim.Generate(12, 7)
	for i := range f.Instances {
		in := &f.Instances[i]
		in.Faults = seisim.Faults{}
		in.Latency = seisim.Latency{}
	}
	f.Instances[0].Name, f.Instances[0].Org = "mgi-prod", "MGI"
	f.Instances[0].SEIVersion, f.Instances[0].SIPVersion, f.Instances[0].InfraVersion = "5.0.3", "", ""
	f.Instances[0].Modules = []seisim.Module{{Name: "mod-wssei", Version: "3.0.1"}}
	f.Instances[1].Name, f.Instances[1].Org = "mgi-fora", "MGI"
	f.Instances[1].Faults.Status500 = true
	f.Instances[2].Name, f.Instances[2].Org = "cade-manut", "CADE"
	f.Instances[2].Faults.Maintenance = true
	f.Instances[3].Name, f.Instances[3].Org = "anac-antigo", "ANAC"
	f.Instances[3].SEIVersion, f.Instances[3].SIPVersion, f.Instances[3].InfraVersion = "4.0.1", "", ""
	f.Instances[3].Modules = nil
	return f
}
