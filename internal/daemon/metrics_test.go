package daemon

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/internal/seisim"
)

// The sei_* series reach /metrics (rendered from ResultMetrics' own state, off the registry)
// exactly once beside the registry's families, in every format, and Registry() gathers them too.
func TestMetricsEndpointServesResultSeriesOnce(t *testing.T) {
	sei := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(sei.Close)
	d, base, _ := startDaemon(t, fleetConfig(sei.URL, "a", "b"))

	instances := func(mfs []*dto.MetricFamily, name string) map[string]bool {
		out := map[string]bool{}
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "instance" {
						out[l.GetValue()] = true
					}
				}
			}
		}
		return out
	}
	waitFor(t, "both instances in sei_probe_success", func() bool {
		mfs, err := d.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := instances(mfs, "sei_probe_success")
		return got["a"] && got["b"]
	})

	for _, accept := range []string{"text/plain;version=0.0.4", "application/openmetrics-text;version=1.0.0",
		"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"} {
		body, format := get(t, base+"/metrics", accept)
		if format.FormatType() == expfmt.TypeOpenMetrics {
			// No OpenMetrics parser here (the text one reads OpenMetrics counters as second
			// families): every TYPE line once, sei_* included, and # EOF last.
			types := map[string]int{}
			for _, l := range strings.Split(string(body), "\n") {
				if strings.HasPrefix(l, "# TYPE ") {
					types[l]++
				}
			}
			for l, n := range types {
				if n != 1 {
					t.Errorf("OpenMetrics: %q appears %d times", l, n)
				}
			}
			for _, l := range []string{"# TYPE sei_probe_success gauge", "# TYPE vigia_instances gauge", "# TYPE vigia_probe_runs counter"} {
				if types[l] != 1 {
					t.Errorf("OpenMetrics: no %q", l)
				}
			}
			if !bytes.HasSuffix(body, []byte("\n# EOF\n")) || bytes.Count(body, []byte("# EOF")) != 1 {
				t.Error("OpenMetrics: # EOF is not the one last line")
			}
			for _, inst := range []string{"a", "b"} {
				if !bytes.Contains(body, []byte(`sei_probe_success{instance="`+inst+`",owner="ORG",environment="prod",probe="http"} 1.0`)) {
					t.Errorf("OpenMetrics: no sei_probe_success for %s", inst)
				}
			}
			continue
		}
		mfs := decodeAll(t, body, format)
		seen := map[string]int{}
		for _, mf := range mfs {
			seen[mf.GetName()]++
		}
		for _, name := range []string{"sei_probe_success", "sei_probe_duration_seconds", "vigia_instances", "go_goroutines", "vigia_probe_runs_total"} {
			if seen[name] != 1 {
				t.Errorf("Accept %s: %s appears %d times", accept, name, seen[name])
			}
		}
		for name, n := range seen {
			if n != 1 {
				t.Errorf("Accept %s: family %s appears %d times", accept, name, n)
			}
		}
		if got := instances(mfs, "sei_probe_success"); !got["a"] || !got["b"] {
			t.Errorf("Accept %s: sei_probe_success instances %v", accept, got)
		}
	}
}

func get(t *testing.T, url, accept string) ([]byte, expfmt.Format) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v\n%s", url, resp.Status, err, body)
	}
	return body, expfmt.Format(resp.Header.Get("Content-Type"))
}

func decodeAll(t *testing.T, body []byte, format expfmt.Format) []*dto.MetricFamily {
	t.Helper()
	if format.FormatType() != expfmt.TypeProtoDelim {
		// The parser refuses a second HELP or TYPE line for a family.
		p := expfmt.NewTextParser(model.LegacyValidation)
		m, err := p.TextToMetricFamilies(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s exposition: %v", format, err)
		}
		var out []*dto.MetricFamily
		for _, mf := range m {
			out = append(out, mf)
		}
		return out
	}
	dec := expfmt.NewDecoder(bytes.NewReader(body), format)
	var out []*dto.MetricFamily
	for {
		mf := &dto.MetricFamily{}
		if err := dec.Decode(mf); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		out = append(out, mf)
	}
}

// A run still in flight when its instance leaves the fleet finishes after the consumers forgot
// the instance: its result must not bring the instance's series back.
func TestResultOfRemovedInstanceIsDropped(t *testing.T) {
	sei := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(sei.Close)
	d, _, _ := startDaemon(t, fleetConfig(sei.URL, "a", "b"))
	has := func(name string) bool {
		mfs, err := d.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "instance" && l.GetValue() == name {
						return true
					}
				}
			}
		}
		return false
	}
	waitFor(t, "series of a", func() bool { return has("a") })
	late := probe.Result{Target: probe.Target{Name: "gone", URL: sei.URL}, Probe: probe.Health, OK: true, State: probe.StateUp}
	d.fanout(late)
	if has("gone") {
		t.Error("a result for an instance outside the fleet created series")
	}
	if _, ok := d.latest.Get("gone"); ok {
		t.Error("a result for an instance outside the fleet reached the latest results")
	}
}

// An instance's version run starts 1.5 s after its health run and takes over the connection
// health left; vigia_connection_handovers_total counts it.
func TestVersionRunTakesOverHealthsConnection(t *testing.T) {
	sim := seisim.New(seisim.Fleet{Instances: []seisim.Instance{{Name: "sei-1", Org: "AAA", SEIVersion: "4.1.5"}}}, seisim.Options{})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	d, _, _ := startDaemon(t, fmt.Sprintf(`server: {listen: "127.0.0.1:0"}
global: {state_dir: STATE, start_spread: 4s}
probes:
  health: {interval: 4s, timeout: 2s}
  version: {interval: 4s, timeout: 2s}
  modules: {enabled: false}
  synthetic: {enabled: false}
fleet:
  instances:
    - {name: sei-1, url: "%s/sei-1", owner: AAA, environment: prod}
`, srv.URL))
	handovers := func() (taken, none float64) {
		mfs, err := d.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != "vigia_connection_handovers_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				if m.GetLabel()[0].GetValue() == "taken" {
					taken = m.GetCounter().GetValue()
				} else {
					none = m.GetCounter().GetValue()
				}
			}
		}
		return taken, none
	}
	// A chain can wrap around the interval (version's slot before health's), so allow two rounds.
	deadline := time.Now().Add(12 * time.Second)
	for {
		if taken, _ := handovers(); taken >= 1 {
			break
		}
		if time.Now().After(deadline) {
			taken, none := handovers()
			t.Fatalf("no version run took over health's connection in two rounds: taken %v, none %v", taken, none)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
