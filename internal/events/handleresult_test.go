package events

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
	"github.com/vigia-sei/vigia/internal/events/ecs"
)

// HandleResult reuses its buffers across results and goroutines: whatever the interleaving, the
// disk buffer and the event file get exactly the documents ecs.Encoder.Result makes.
func TestConcurrentResultsReachBothOutputsIntact(t *testing.T) {
	state := t.TempDir()
	cfg := esConfig(state, "http://127.0.0.1:9")
	on := true
	cfg.Outputs.File = config.FileOutput{Enabled: &on}
	p, err := NewFromConfig(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	hostname, _ := os.Hostname()
	enc := ecs.NewEncoder(ecs.Observer{Hostname: hostname, Version: version()}, "default")

	start := time.Date(2026, 11, 23, 14, 5, 0, 123000000, time.UTC)
	kinds := []probe.Result{
		{Target: benchTarget(), Probe: probe.Health, Duration: 87 * time.Millisecond, OK: true, State: probe.StateUp,
			Values: map[string]float64{"http_status_code": 200, "tls_cert_expiry_timestamp_seconds": 1803859200},
			Phases: map[string]time.Duration{"dns": time.Millisecond}},
		{Target: benchTarget(), Probe: probe.Synthetic, Duration: 900 * time.Millisecond, Error: "passo login: HTTP status 500",
			Steps: []probe.Step{{Name: "entry", Duration: 200 * time.Millisecond, OK: true, Status: 200},
				{Name: "login", Duration: 700 * time.Millisecond, Status: 500, Error: "HTTP status 500"}},
			Evidence: &probe.Evidence{Step: "login", URL: "https://sei-0001.exemplo.gov.br/sip/login.php", Status: 500}},
		{Target: benchTarget(), Probe: probe.Modules, Duration: 640 * time.Millisecond, OK: true,
			Modules: []probe.Module{{Name: "mod-wssei", Version: "3.0.1", Up: probe.BoolPtr(false)}, {Name: "mod-sei-pen"}}},
		{Target: probe.Target{Name: "x", URL: "http://x:8080/sei/?token=s3cr3t"}, Probe: probe.Version, Duration: time.Second,
			Error: "timeout", Values: map[string]float64{"timeout": 1},
			Versions: []probe.ComponentVersion{{Component: "sei", Version: "4.0.12"}},
			Drift:    []probe.Drift{{Component: "sei", Observed: "4.0.12", Desired: "4.1.0", Level: "minor"}}},
	}
	const workers, each = 4, 60
	var want [][]byte
	wantTime := map[string]time.Time{}
	results := make([][]probe.Result, workers)
	for g := range workers {
		for i := range each {
			r := kinds[(g+i)%len(kinds)]
			r.ID = fmt.Sprintf("%02d%030x", g, i)
			r.Start = start.Add(time.Duration(g*each+i) * time.Second)
			results[g] = append(results[g], r)
			evs, err := enc.Result(nil, r)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range evs {
				want = append(want, ev.Doc)
				wantTime[ev.ID] = ev.Time
			}
		}
	}
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			for _, r := range results[g] {
				p.HandleResult(r)
			}
		})
	}
	wg.Wait()

	var fromBuffer [][]byte
	for {
		recs, _, err := p.queue.Next(nil, nil, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		for _, rec := range recs {
			ev, err := ecs.ParseRecord(rec.Data)
			if err != nil {
				t.Fatal(err)
			}
			if !rec.Time.Equal(wantTime[ev.ID]) {
				t.Errorf("event %s buffered with time %v, want %v", ev.ID, rec.Time, wantTime[ev.ID])
			}
			fromBuffer = append(fromBuffer, bytes.Clone(ev.Doc))
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(state, "events", "events-*.ndjson"))
	var fromFile [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fromFile = append(fromFile, bytes.SplitAfter(b, []byte("\n"))...)
	}
	for i, line := range fromFile {
		fromFile[i] = bytes.TrimSuffix(line, []byte("\n"))
	}
	fromFile = slices.DeleteFunc(fromFile, func(b []byte) bool { return len(b) == 0 })

	slices.SortFunc(want, bytes.Compare)
	for name, got := range map[string][][]byte{"disk buffer": fromBuffer, "event file": fromFile} {
		slices.SortFunc(got, bytes.Compare)
		if len(got) != len(want) {
			t.Fatalf("%s: %d documents, want %d", name, len(got), len(want))
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("%s: document differs from the encoder's\ngot:  %s\nwant: %s", name, got[i], want[i])
			}
		}
	}
}
