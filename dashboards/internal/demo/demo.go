package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"gopkg.in/yaml.v3"

	"github.com/vigia-sei/vigia/alerting"
	lognotify "github.com/vigia-sei/vigia/alerting/notify/log"
	"github.com/vigia-sei/vigia/alerting/notify/zabbix"
	"github.com/vigia-sei/vigia/collectors"
	"github.com/vigia-sei/vigia/collectors/desired"
	"github.com/vigia-sei/vigia/collectors/discovery"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/collectors/sei"
	"github.com/vigia-sei/vigia/config"
	"github.com/vigia-sei/vigia/dashboards/internal/gen"
	"github.com/vigia-sei/vigia/internal/daemon"
	"github.com/vigia-sei/vigia/internal/events"
	"github.com/vigia-sei/vigia/internal/seisim"
)

// Options configure a demo run. The zero value runs 30 instances.
type Options struct {
	Instances int
	Seed      int64
	// Dir holds the files the run writes (targets, desired state, daemon config); required.
	Dir string
	// Rules are the alert rules; nil means gen.DefaultRules (the rules of scripts/demo.sh).
	Rules  []config.Rule
	Logger *slog.Logger
	// Timeout bounds the whole run (60s by default).
	Timeout time.Duration
}

// Run is what a finished demo run left behind.
type Run struct {
	// Families are the gathered metric families, by name.
	Families map[string]*dto.MetricFamily
	Results  []probe.Result
	Targets  []probe.Target
	Rules    []config.Rule
	// Zabbix is a Zabbix notifier that saw every result (never started: it holds the values and
	// the dynamic items it would provision), for template tests.
	Zabbix *zabbix.Notifier
}

// Latest is the fleet-wide latest of scripts/demo.sh.
var Latest = desired.Versions{SEI: "5.0.3", Modules: map[string]string{"mod-sei-pen": "4.0.3", "mod-wssei": "3.0.1"}}

// Execute runs every probe once on every instance through the real scheduler and returns what
// the registry then exports.
func Execute(ctx context.Context, o Options) (*Run, error) {
	if o.Dir == "" {
		return nil, errors.New("demo: Options.Dir is required")
	}
	if o.Instances <= 0 {
		o.Instances = 30
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	rules := o.Rules
	if rules == nil {
		var err error
		if rules, err = gen.DefaultRules(); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()

	fleet := seisim.Generate(o.Instances, o.Seed)
	sim := seisim.New(fleet, seisim.Options{WSSEIAuthDelay: 0})
	srv := httptest.NewTLSServer(sim.Handler())
	defer srv.Close()
	// A few faults so that failure series (down, maintenance, failed steps) exist too.
	names := sim.Names()
	sort.Strings(names)
	faults := []seisim.Faults{{Maintenance: true}, {Status500: true}, {Down: true}}
	for i, f := range faults {
		if i < len(names) {
			if err := sim.SetFaults(names[i], f); err != nil {
				return nil, fmt.Errorf("demo: %w", err)
			}
		}
	}

	reg := prometheus.NewRegistry()

	// Targets reach the scheduler the way they do in vigia: a file_sd document read by discovery.
	tf := fleet.Targets(func(_ int, in seisim.Instance) string { return srv.URL + "/" + in.Name })
	sdPath := filepath.Join(o.Dir, "targets.yaml")
	if err := writeFileSD(sdPath, tf); err != nil {
		return nil, err
	}
	disc := discovery.New(discovery.Options{Logger: o.Logger, Registerer: reg})
	disc.Update(nil, []config.Discovery{{File: sdPath}})
	disc.Refresh(ctx)
	targets := disc.Targets()
	if len(targets) != len(tf.Instances) {
		return nil, fmt.Errorf("demo: discovery read %d of %d targets from %s", len(targets), len(tf.Instances), sdPath)
	}
	for i := range targets {
		targets[i].Credentials = probe.Credentials{Username: "monitor", Password: "monitor123", Orgao: "0"}
	}

	store, err := desiredStore(ctx, o, fleet, reg)
	if err != nil {
		return nil, err
	}

	metrics := collectors.NewResultMetrics(reg)
	mgr, err := alerting.NewManager(alerting.ManagerConfig{
		Rules:  rules,
		Routes: config.Route{Receivers: []string{"log"}, GroupBy: []string{"owner", "alert"}, GroupWait: 10 * time.Millisecond},
	}, map[string]alerting.Notifier{"log": lognotify.New(o.Logger, slog.LevelInfo)}, nil, reg, o.Logger)
	if err != nil {
		return nil, fmt.Errorf("demo: alerting: %w", err)
	}
	zbx, err := zabbix.New(config.ZabbixReceiver{Server: "127.0.0.1:10051"}, zabbix.Options{Name: "zabbix", Logger: o.Logger, Registerer: reg})
	if err != nil {
		return nil, fmt.Errorf("demo: zabbix notifier: %w", err)
	}
	cfgPath, cfg, err := demoConfig(o)
	if err != nil {
		return nil, err
	}
	own, err := daemonRegistry(o, cfgPath)
	if err != nil {
		return nil, err
	}
	// The event pipeline is built but its shipper never runs: events stay in the disk buffer.
	pipeline, err := events.NewFromConfig(cfg, reg, o.Logger)
	if err != nil {
		return nil, fmt.Errorf("demo: events: %w", err)
	}
	defer pipeline.Close()

	client := sei.ClientOptions{UserAgent: config.DefaultUserAgent, InsecureSkipVerify: true}
	version, err := collectors.NewVersionProber(collectors.VersionOptions{Client: client, Desired: store})
	if err != nil {
		return nil, err
	}
	health, err := collectors.NewHealthProber(collectors.HealthOptions{Client: client})
	if err != nil {
		return nil, err
	}
	modules, err := collectors.NewModulesProber(collectors.ModulesOptions{Client: client, Desired: store})
	if err != nil {
		return nil, err
	}
	synthetic, err := collectors.NewSyntheticProber(collectors.SyntheticOptions{Client: client, Search: "00000.000001/2024-00"})
	if err != nil {
		return nil, err
	}

	want := len(targets) * 4
	var (
		mu      sync.Mutex
		results []probe.Result
		done    = make(chan struct{})
	)
	handler := collectors.ResultHandlerFunc(func(r probe.Result) {
		metrics.Observe(r)
		mgr.HandleResult(r)
		zbx.HandleResult(r)
		pipeline.HandleResult(r)
		mu.Lock()
		defer mu.Unlock()
		results = append(results, r)
		if len(results) == want {
			close(done)
		}
	})
	sched := collectors.NewScheduler(collectors.SchedulerOptions{
		Concurrency: 16, StartSpread: 200 * time.Millisecond, Logger: o.Logger, Registerer: reg,
	}, handler)
	plans := []collectors.Plan{
		// Short deadlines: the generated fleet has a hung instance, which costs one deadline.
		{Prober: health, Interval: time.Hour, Timeout: 4 * time.Second},
		{Prober: version, Interval: time.Hour, Timeout: 4 * time.Second},
		{Prober: modules, Interval: time.Hour, Timeout: 4 * time.Second},
		{Prober: synthetic, Interval: time.Hour, Timeout: 6 * time.Second},
	}
	sched.Update(targets, plans)
	mgr.SetInstances(names)

	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); sched.Run(runCtx) }()
	go func() { defer wg.Done(); mgr.Run(runCtx) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	// Let the alert manager deliver the first groups (group_wait above) before stopping.
	time.Sleep(200 * time.Millisecond)
	stop()
	wg.Wait()

	mu.Lock()
	got := append([]probe.Result(nil), results...)
	mu.Unlock()
	if len(got) < want {
		return nil, fmt.Errorf("demo: %d of %d probe results within %s", len(got), want, o.Timeout)
	}
	fams, err := reg.Gather()
	if err != nil {
		return nil, fmt.Errorf("demo: gather: %w", err)
	}
	ownFams, err := own.Gather()
	if err != nil {
		return nil, fmt.Errorf("demo: gather daemon metrics: %w", err)
	}
	run := &Run{Families: map[string]*dto.MetricFamily{}, Results: got, Targets: targets, Rules: rules, Zabbix: zbx}
	// The daemon's registry also holds its own (idle) scheduler and discovery: the demo's, which
	// ran, win.
	for _, f := range append(ownFams, fams...) {
		run.Families[f.GetName()] = f
	}
	return run, nil
}

// writeFileSD writes the fleet as a Prometheus file_sd document, one group per instance.
func writeFileSD(path string, tf seisim.TargetsFile) error {
	type group struct {
		Targets []string          `yaml:"targets"`
		Labels  map[string]string `yaml:"labels"`
	}
	groups := make([]group, 0, len(tf.Instances))
	for _, t := range tf.Instances {
		l := map[string]string{"name": t.Name, "owner": t.Owner, "environment": t.Environment}
		for k, v := range t.Labels {
			l[k] = v
		}
		groups = append(groups, group{Targets: []string{t.URL}, Labels: l})
	}
	b, err := yaml.Marshal(groups)
	if err != nil {
		return fmt.Errorf("demo: targets: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("demo: targets: %w", err)
	}
	return nil
}

// desiredStore writes a GitOps-style values file for every third instance, some of them behind
// what the instance runs, and loads it with the real desired-state store.
func desiredStore(ctx context.Context, o Options, fleet seisim.Fleet, reg prometheus.Registerer) (*desired.Store, error) {
	root := filepath.Join(o.Dir, "gitops")
	for i, in := range fleet.Instances {
		if i%3 != 0 {
			continue
		}
		want := in.SEIVersion
		if i%2 == 0 {
			want = bumpMinor(want)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "instance:\n  name: %s\nsei:\n  version: %q\n  modules:\n", in.Name, want)
		for _, m := range in.Modules {
			fmt.Fprintf(&b, "    %s: %q\n", m.Name, m.Version)
		}
		fmt.Fprintf(&b, "sip:\n  version: %q\n", in.SIPVersion)
		dir := filepath.Join(root, "instances", in.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("demo: desired state: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, "values.yaml"), []byte(b.String()), 0o644); err != nil {
			return nil, fmt.Errorf("demo: desired state: %w", err)
		}
	}
	store, err := desired.New(desired.Options{Path: root, Latest: Latest}, reg, o.Logger)
	if err != nil {
		return nil, fmt.Errorf("demo: desired state: %w", err)
	}
	if err := store.Refresh(ctx); err != nil {
		return nil, fmt.Errorf("demo: desired state: %w", err)
	}
	return store, nil
}

// bumpMinor returns the next minor version ("4.0.12" → "4.1.0"), so the instance lags desired.
func bumpMinor(v string) string {
	p := strings.Split(v, ".")
	if len(p) < 2 {
		return v
	}
	var minor int
	fmt.Sscanf(p[1], "%d", &minor)
	return fmt.Sprintf("%s.%d.0", p[0], minor+1)
}

// demoConfig writes and loads the config of the demo's daemon and event pipeline: events to an
// Elasticsearch nobody answers at (so they wait in the disk buffer, the shipping backlog the
// dashboards show) and to NDJSON files.
func demoConfig(o Options) (string, *config.Config, error) {
	cfgPath := filepath.Join(o.Dir, "vigia.yaml")
	cfg := fmt.Sprintf(`global: {state_dir: %q}
server: {listen: "127.0.0.1:0"}
outputs:
  elasticsearch: {addresses: ["http://127.0.0.1:9"], namespace: demo}
  file: {enabled: true}
`, filepath.Join(o.Dir, "state"))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return "", nil, fmt.Errorf("demo: config: %w", err)
	}
	c, err := config.Load(cfgPath)
	if err != nil {
		return "", nil, fmt.Errorf("demo: config: %w", err)
	}
	return cfgPath, c, nil
}

// daemonRegistry builds a real daemon on its own registry, for the families only the daemon
// registers (build info, config reloads, fleet size, Go runtime and process). It is not started.
func daemonRegistry(o Options, cfgPath string) (*prometheus.Registry, error) {
	own := prometheus.NewRegistry()
	if _, err := daemon.New(daemon.Options{ConfigFile: cfgPath, Registry: own, Logger: o.Logger, Version: "demo"}); err != nil {
		return nil, fmt.Errorf("demo: daemon: %w", err)
	}
	return own, nil
}
