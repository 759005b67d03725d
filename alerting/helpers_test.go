package alerting_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/alerting/notifytest"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
)

// t0 is a Monday morning in Brasília.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.FixedZone("BRT", -3*3600))

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// harness runs a manager on a manual clock with one recording notifier per receiver.
type harness struct {
	t     *testing.T
	m     *alerting.Manager
	clock *notifytest.Clock
	rec   map[string]*notifytest.Recorder
	reg   *prometheus.Registry
	stop  func()
}

type harnessOpts struct {
	store *alerting.Store
	clock *notifytest.Clock
}

func newHarness(t *testing.T, cfg alerting.ManagerConfig, receivers []string, o harnessOpts) *harness {
	t.Helper()
	h := &harness{t: t, clock: o.clock, rec: map[string]*notifytest.Recorder{}, reg: prometheus.NewRegistry()}
	if h.clock == nil {
		h.clock = notifytest.NewClock(t0)
	}
	cfg.Clock = h.clock
	if cfg.RetryBase == 0 {
		cfg.RetryBase, cfg.RetryMax = time.Millisecond, 2*time.Millisecond
	}
	notifiers := map[string]alerting.Notifier{}
	for _, r := range receivers {
		h.rec[r] = notifytest.NewRecorder()
		notifiers[r] = h.rec[r]
	}
	m, err := alerting.NewManager(cfg, notifiers, o.store, h.reg, quietLog())
	if err != nil {
		t.Fatalf("NewManager: %v", err)
	}
	h.m = m
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	h.stop = func() { cancel(); <-done }
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			h.stop()
		}
	})
	// Run starts its workers asynchronously; wait until Sync accepts.
	for {
		if err := m.Sync(context.Background()); err == nil {
			break
		}
		runtime.Gosched()
	}
	return h
}

// sync runs one dispatch pass at the current fake time and waits for deliveries.
func (h *harness) sync() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.m.Sync(ctx); err != nil {
		h.t.Fatalf("Sync: %v", err)
	}
}

// advance moves the clock and syncs.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	h.clock.Advance(d)
	h.sync()
}

func (h *harness) feed(rs ...probe.Result) {
	for _, r := range rs {
		h.m.HandleResult(r)
	}
}

// take returns and forgets what receiver got.
func (h *harness) take(receiver string) []alerting.Group { return h.rec[receiver].Take() }

func (h *harness) counter(name string, labels map[string]string) float64 {
	h.t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			if m.Counter != nil {
				return m.Counter.GetValue()
			}
			if m.Gauge != nil {
				return m.Gauge.GetValue()
			}
		}
	}
	return 0
}

func target(name string) probe.Target {
	return probe.Target{
		Name: name, URL: "https://user:pw@" + name + ".exemplo.gov.br/?token=abc", Owner: "MGI", Environment: "prod",
		Labels: map[string]string{"cloud": "a"},
	}
}

func withEnv(t probe.Target, env string) probe.Target { t.Environment = env; return t }

func withURL(t probe.Target, u string) probe.Target { t.URL = u; return t }

func okResult(t probe.Target, probeName string) probe.Result {
	r := probe.Result{Target: t, Probe: probeName, OK: true, State: probe.StateUp, Duration: 200 * time.Millisecond}
	r.SetValue("http_status_code", 200)
	return r
}

func failResult(t probe.Target, probeName string) probe.Result {
	r := probe.Result{Target: t, Probe: probeName, OK: false, State: probe.StateDown, Duration: 50 * time.Millisecond,
		Error: "HTTP status 500", Evidence: &probe.Evidence{URL: "https://" + t.Name + ".exemplo.gov.br/sei/", Status: 500}}
	r.SetValue("http_status_code", 500)
	return r
}

func f(v float64) *float64 { return &v }

// simpleRoutes sends everything to one receiver, grouped by alertname.
func simpleRoutes(receiver string) config.Route {
	return config.Route{
		Receivers: []string{receiver}, GroupBy: []string{"alertname"},
		GroupWait: 30 * time.Second, GroupInterval: 5 * time.Minute, RepeatInterval: 4 * time.Hour,
	}
}

var seiDown = config.Rule{Alert: "SEIDown", Probe: probe.Health, When: "failing", Severity: "critical"}

// summary lists a group's alerts as "state:alertname:instance", sorted.
func summary(g alerting.Group) []string {
	var out []string
	for _, a := range g.Alerts {
		out = append(out, a.State+":"+a.Name()+":"+a.Labels["instance"])
	}
	sort.Strings(out)
	return out
}

func summaries(gs []alerting.Group) string {
	var parts []string
	for _, g := range gs {
		parts = append(parts, g.Status+"["+strings.Join(summary(g), " ")+"]")
	}
	return strings.Join(parts, "; ")
}

func storePath(t *testing.T) string { return filepath.Join(t.TempDir(), "alerts.db") }

func openStore(t *testing.T, path string) *alerting.Store {
	t.Helper()
	s, err := alerting.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newClockAt(t time.Time) *notifytest.Clock { return notifytest.NewClock(t) }
