package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/config"
)

// The bench's config is a valid vigia config with the schedule asked for: the sizing advice in
// the README (logged-in probes every few minutes) is measured with it.
func TestWriteConfigSchedule(t *testing.T) {
	dir := t.TempDir()
	targets := filepath.Join(dir, "targets.yaml")
	fleet := "instances:\n  - name: \"orgao-0001\"\n    url: \"http://127.0.1.1:9/orgao-0001\"\n"
	if err := os.WriteFile(targets, []byte(fleet), 0o600); err != nil {
		t.Fatal(err)
	}
	probes := []string{"health", "version", "modules", "synthetic"}
	for _, tc := range []struct {
		sched     schedule
		spread    time.Duration
		perSecond float64
	}{
		{schedule{interval: time.Minute, loggedIn: time.Minute}, time.Minute, 4.0 / 60},
		{schedule{interval: time.Minute, loggedIn: 5 * time.Minute}, 5 * time.Minute, 1.0/60 + 3.0/300},
	} {
		path := filepath.Join(dir, "vigia.yaml")
		if err := writeConfig(path, targets, dir, options{probes: probes, sched: tc.sched}); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(path)
		if err != nil {
			t.Fatalf("%+v: the bench wrote a config vigia refuses: %v", tc.sched, err)
		}
		p := cfg.Probes
		if p.Health.Interval != tc.sched.interval || p.Version.Interval != tc.sched.loggedIn ||
			p.Modules.Interval != tc.sched.loggedIn || p.Synthetic.Interval != tc.sched.loggedIn {
			t.Errorf("%+v: intervals health %s version %s modules %s synthetic %s", tc.sched,
				p.Health.Interval, p.Version.Interval, p.Modules.Interval, p.Synthetic.Interval)
		}
		if !p.Synthetic.On() || p.Synthetic.Search == "" {
			t.Errorf("%+v: synthetic probe off or without a search", tc.sched)
		}
		if cfg.Global.StartSpread != tc.spread {
			t.Errorf("%+v: start_spread %s, want %s", tc.sched, cfg.Global.StartSpread, tc.spread)
		}
		if got := tc.sched.perSecond(1, probes); got < tc.perSecond*0.999 || got > tc.perSecond*1.001 {
			t.Errorf("%+v: %f runs per second per instance, want %f", tc.sched, got, tc.perSecond)
		}
	}
}

// With --es the bench ships to the store as production does: the address without the user, who
// is given as username and password.
func TestWriteConfigShipsToTheStore(t *testing.T) {
	dir := t.TempDir()
	targets := filepath.Join(dir, "targets.yaml")
	if err := os.WriteFile(targets, []byte("instances:\n  - name: \"orgao-0001\"\n    url: \"http://127.0.1.1:9/orgao-0001\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "vigia.yaml")
	o := options{probes: []string{"health"}, sched: schedule{interval: time.Minute, loggedIn: time.Minute},
		es: "http://admin:s3cr%40t@127.0.0.1:4080/es"}
	if err := writeConfig(path, targets, dir, o); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("the bench wrote a config vigia refuses: %v", err)
	}
	es := cfg.Outputs.Elasticsearch
	if es == nil {
		t.Fatal("no outputs.elasticsearch")
	}
	if len(es.Addresses) != 1 || es.Addresses[0] != "http://127.0.0.1:4080/es" || es.Username != "admin" || es.Password.Reveal() != "s3cr@t" {
		t.Errorf("elasticsearch output: addresses %v, username %q", es.Addresses, es.Username)
	}
	o.es = "127.0.0.1:4080"
	if err := writeConfig(path, targets, dir, o); err == nil {
		t.Error("an --es without a scheme was accepted")
	}
}
