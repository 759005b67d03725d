package demo

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigia-sei/vigia/collectors"
	"github.com/vigia-sei/vigia/collectors/probe"
)

// The demo run must leave every sei_* family of the result metrics populated, or the dashboard
// checks built on it would pass for the wrong reason (a family missing from both sides).
func TestExecuteExportsEveryResultFamily(t *testing.T) {
	run, err := Execute(context.Background(), Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(run.Results), len(run.Targets)*4; got != want {
		t.Fatalf("%d results, want %d (4 probes × %d targets)", got, want, len(run.Targets))
	}
	ch := make(chan *prometheus.Desc, 64)
	go func() {
		for _, c := range collectors.NewResultMetrics(nil).Collectors() {
			c.Describe(ch)
		}
		close(ch)
	}()
	for d := range ch {
		name := descName(d)
		if f, ok := run.Families[name]; !ok || len(f.GetMetric()) == 0 {
			t.Errorf("the demo run exported no series of %s", name)
		}
	}
	for _, name := range []string{"vigia_probe_start_lag_seconds", "vigia_probe_runs_total", "vigia_alerts",
		"vigia_notifications_total", "vigia_desired_refresh_success", "vigia_discovery_source_up", "vigia_build_info",
		"vigia_zabbix_queue_depth", "sei_desired_version_info", "vigia_events_queue_events", "vigia_events_total"} {
		if _, ok := run.Families[name]; !ok {
			t.Errorf("the demo run exported no %s", name)
		}
	}
	states := map[string]int{}
	for _, r := range run.Results {
		if r.Probe == probe.Health {
			states[r.State]++
		}
	}
	if states[probe.StateUp] == 0 || states[probe.StateDown] == 0 || states[probe.StateMaintenance] == 0 {
		t.Errorf("health states %v: want up, down and maintenance instances", states)
	}
}

// descName reads the fqName out of a Desc's String(), the only place client_golang exposes it.
func descName(d *prometheus.Desc) string {
	s := d.String()
	const p = `fqName: "`
	i := strings.Index(s, p) + len(p)
	return s[i : i+strings.Index(s[i:], `"`)]
}
