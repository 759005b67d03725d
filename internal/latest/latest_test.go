package latest

import (
	"reflect"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// A stored result reads back as the view of the Result it came from, whatever the store keeps.
func TestViewReadsBackWhatWasStored(t *testing.T) {
	l := New()
	target := probe.Target{Name: "a", URL: "https://sei.exemplo/?senha=x", Owner: "MGI", Environment: "prod"}
	l.SetTargets([]probe.Target{target, {Name: "b", URL: "https://b"}})
	start := time.Date(2026, 11, 24, 4, 0, 0, 0, time.UTC)
	results := []probe.Result{
		{Target: target, Probe: probe.Health, Start: start, Duration: time.Second, OK: false, State: probe.StateDown, Error: "HTTP 500",
			Values: map[string]float64{"http_status_code": 500, "duration_seconds": 1}, Phases: map[string]time.Duration{"connect": time.Millisecond}},
		{Target: target, Probe: probe.Synthetic, Start: start, OK: true, Steps: []probe.Step{{Name: "login", OK: true, Duration: time.Second, Status: 200}}},
		{Target: target, Probe: "custom", Start: start, OK: true},           // not a probe vigia runs
		{Target: probe.Target{Name: "gone"}, Probe: probe.Health, OK: true}, // not in the fleet
	}
	for _, r := range results {
		l.HandleResult(r)
	}
	v, ok := l.Get("a")
	if !ok {
		t.Fatal("instance a not found")
	}
	if len(v.Probes) != 2 {
		t.Fatalf("probes %v, want health and synthetic", v.Probes)
	}
	for _, r := range results[:2] {
		if got, want := v.Probes[r.Probe], ViewResult(r); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got  %+v\n want %+v", r.Probe, got, want)
		}
	}
	if v.Up == nil || *v.Up || v.State != probe.StateDown || v.URL != probe.SafeURL(target.URL) {
		t.Errorf("instance view: up %v state %q url %q", v.Up, v.State, v.URL)
	}
	if _, ok := l.Get("gone"); ok {
		t.Error("a result for an instance outside the fleet was kept")
	}
	l.SetTargets([]probe.Target{{Name: "b"}})
	if _, ok := l.Get("a"); ok || len(l.Snapshot(nil)) != 1 {
		t.Error("instance a outlived its removal")
	}
}
