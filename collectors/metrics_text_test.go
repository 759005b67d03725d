package collectors

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// textCases are fleets whose exposition WriteText must render exactly as the Collect path does.
func textCases() []struct {
	name    string
	results []probe.Result
	forget  []string
	// lines that must appear verbatim in the text format
	want []string
} {
	var fleet []probe.Result
	for i := range 6 {
		fleet = append(fleet, fleetResults(i)...)
	}
	odd := probe.Target{Name: "a\\b\"c\nd", Owner: "Órgão \"X\"", Environment: "prod\xff"}
	weird := []probe.Result{
		{Target: odd, Probe: probe.Health, OK: true, State: probe.StateUp, Duration: time.Nanosecond,
			Phases: map[string]time.Duration{"dns": 0, "tls": 1500 * time.Millisecond},
			Values: map[string]float64{ValueTLSCertExpiry: math.Inf(1), ValueProductionMode: math.NaN()}},
		{Target: odd, Probe: probe.Version, OK: true, Versions: []probe.ComponentVersion{
			{Component: "sei", Version: "4.1.5\nrc", Source: `page "title"`},
			{Component: "sip", Version: `C:\sip`, Source: SourceSIPLoginAssets},
		}},
		{Target: odd, Probe: probe.Synthetic, Steps: []probe.Step{{Name: "entrada\xfe", Duration: -time.Second}}},
		{Target: odd, Probe: probe.Modules, OK: true, Modules: []probe.Module{{Name: "sem-versao"}}},
		{Target: tgt("z"), Probe: probe.Health, State: probe.StateMaintenance, Duration: 123456789 * time.Second,
			Values: map[string]float64{ValueTLSCertExpiry: math.Inf(-1), ValueProductionMode: math.Copysign(0, -1)}},
	}
	// The version and the modules probes both report the same drift tuple: one series.
	sharedDrift := []probe.Result{
		{Target: tgt("a"), Probe: probe.Version, OK: true, Drift: []probe.Drift{{Component: "mod-wssei", Against: "latest", Level: "patch"}}},
		{Target: tgt("a"), Probe: probe.Modules, OK: true, Modules: []probe.Module{{Name: "mod-wssei", Version: "3.0.1"}},
			Drift: []probe.Drift{{Component: "mod-wssei", Against: "latest", Level: "patch"}, {Component: "mod-wssei", Level: "none"}}},
	}
	return []struct {
		name    string
		results []probe.Result
		forget  []string
		want    []string
	}{
		{name: "empty"},
		{name: "realistic fleet", results: fleet, want: []string{
			`sei_probe_duration_seconds{instance="sei-00001",owner="ORG01",environment="homolog",probe="health",phase="connect"} 0.003`,
			`sei_tls_cert_expiry_timestamp_seconds{instance="sei-00000",owner="ORG00",environment="prod"} 1.78e+09`,
			`sei_fleet_instances{component="sei",version="4.0.12"} 2`,
		}},
		{name: "forgotten instances", results: fleet, forget: []string{"sei-00002", "sei-00004", "unknown"}},
		{name: "escaping and special values", results: weird, want: []string{
			`sei_up{instance="a\\b\"c\nd",owner="Órgão \"X\"",environment="prod` + "\uFFFD" + `"} 1`,
			`sei_version_info{instance="a\\b\"c\nd",owner="Órgão \"X\"",environment="prod` + "\uFFFD" + `",component="sip",version="C:\\sip",source="sip_login_assets"} 1`,
			`sei_tls_cert_expiry_timestamp_seconds{instance="a\\b\"c\nd",owner="Órgão \"X\"",environment="prod` + "\uFFFD" + `"} +Inf`,
			`sei_production_mode{instance="a\\b\"c\nd",owner="Órgão \"X\"",environment="prod` + "\uFFFD" + `"} NaN`,
			`sei_production_mode{instance="z",owner="MGI",environment="prod"} 0`,
			`sei_tls_cert_expiry_timestamp_seconds{instance="z",owner="MGI",environment="prod"} -Inf`,
			`sei_probe_duration_seconds{instance="z",owner="MGI",environment="prod",probe="health",phase="total"} 1.23456789e+08`,
			`sei_probe_duration_seconds{instance="a\\b\"c\nd",owner="Órgão \"X\"",environment="prod` + "\uFFFD" + `",probe="health",phase="total"} 1e-09`,
			`sei_module_info{instance="a\\b\"c\nd",owner="Órgão \"X\"",environment="prod` + "\uFFFD" + `",module="sem-versao",version=""} 1`,
		}},
		{name: "drift shared by two probes", results: sharedDrift, want: []string{
			`sei_version_drift{instance="a",owner="MGI",environment="prod",component="mod-wssei",against="latest",level="patch"} 1`,
			`sei_version_drift{instance="a",owner="MGI",environment="prod",component="mod-wssei",against="desired",level="none"} 1`,
		}},
	}
}

func TestMetricsWriteTextMatchesCollect(t *testing.T) {
	for _, c := range textCases() {
		for _, om := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/openmetrics=%v", c.name, om), func(t *testing.T) {
				m := NewResultMetrics(nil)
				for _, r := range c.results {
					m.Observe(r)
				}
				for _, name := range c.forget {
					m.Forget(name)
				}
				reg := prometheus.NewPedanticRegistry()
				reg.MustRegister(m)
				gathered, err := reg.Gather()
				if err != nil {
					t.Fatal(err)
				}

				var buf bytes.Buffer
				if err := m.WriteText(&buf, om); err != nil {
					t.Fatal(err)
				}
				body := buf.String()
				if om {
					body += "# EOF\n" // the server's encoder closes the exposition
				}
				// 1. It parses, and holds the same families, series and values as Collect.
				parser := expfmt.NewTextParser(model.LegacyValidation)
				parsed, err := parser.TextToMetricFamilies(strings.NewReader(body))
				if err != nil {
					t.Fatalf("WriteText output does not parse: %v\n%s", err, body)
				}
				if got, want := normalize(mapValues(parsed)), normalize(gathered); !slices.Equal(got, want) {
					t.Errorf("WriteText and Collect differ:\n%s", lineDiff(got, want))
				}

				// 2. Byte for byte, each family is what expfmt's encoder writes for the gathered one.
				secs, order, err := textSections(body)
				if err != nil {
					t.Fatalf("%v\n%s", err, body)
				}
				if !slices.IsSorted(order) {
					t.Errorf("families not in name order: %v", order)
				}
				if len(order) != len(gathered) {
					t.Errorf("%d families written, %d gathered", len(order), len(gathered))
				}
				for _, mf := range gathered {
					var enc bytes.Buffer
					mf = inLabelOrder(t, m, mf)
					if om {
						_, err = expfmt.MetricFamilyToOpenMetrics(&enc, mf)
					} else {
						_, err = expfmt.MetricFamilyToText(&enc, mf)
					}
					if err != nil {
						t.Fatal(err)
					}
					want, _, err := textSections(enc.String())
					if err != nil {
						t.Fatal(err)
					}
					got, w := secs[mf.GetName()], want[mf.GetName()]
					if got.head != w.head {
						t.Errorf("%s header:\n got %q\nwant %q", mf.GetName(), got.head, w.head)
					}
					if g, w := slices.Sorted(slices.Values(got.lines)), slices.Sorted(slices.Values(w.lines)); !slices.Equal(g, w) {
						t.Errorf("%s samples differ from expfmt's:\n%s", mf.GetName(), lineDiff(g, w))
					}
				}

				// 3. Deterministic, series grouped per family and ordered by instance.
				var again bytes.Buffer
				if err := m.WriteText(&again, om); err != nil {
					t.Fatal(err)
				}
				if again.String() != buf.String() {
					t.Error("two renderings of the same state differ")
				}
				for name, s := range secs {
					if !slices.IsSortedFunc(s.lines, func(a, b string) int { return strings.Compare(instanceOf(a), instanceOf(b)) }) {
						t.Errorf("%s series not ordered by instance:\n%s", name, strings.Join(s.lines, "\n"))
					}
				}
				if !om {
					for _, line := range c.want {
						if !strings.Contains(body, line+"\n") {
							t.Errorf("missing line %s\nin:\n%s", line, body)
						}
					}
				}
			})
		}
	}
}

// An instance's churn (new versions, owners, modules) must not leave label sets or fleet entries
// behind: at 10,000 instances a leak there is the memory the compact state was built to save.
func TestMetricsLabelSetsAreReleased(t *testing.T) {
	m := NewResultMetrics(nil)
	for i := range 300 {
		r := versionResult("a", fmt.Sprintf("4.%d.%d", i/10, i%10))
		r.Target.Owner = fmt.Sprintf("ORG%d", i%7)
		m.Observe(r)
		m.Observe(probe.Result{Target: r.Target, Probe: probe.Modules, OK: true,
			Modules: []probe.Module{{Name: fmt.Sprintf("mod-%d", i), Version: "1.0"}}})
		m.Observe(versionResult("b", "4.1.5"))
	}
	for _, sl := range m.slots {
		for _, set := range sl.st.sets {
			for _, p := range set {
				if p.l.refs <= 0 {
					t.Errorf("label set %s in use with %d references", p.l.text, p.l.refs)
				}
			}
		}
	}
	// Distinct label sets in use now: probe success and total duration of the version and modules
	// probes, a's 3 version_info sets, b's 2 (infra is shared), the shared sei drift, a's module.
	want := 2 + 2 + 3 + 2 + 1 + 1
	if len(m.labels) != want {
		t.Errorf("%d interned label sets after churn, want %d: %v", len(m.labels), want, keys(m.labels))
	}
	if got := m.FleetVersions(); len(got["sei"]) != 2 || got["infra"]["2.29.0"] != 2 {
		t.Errorf("fleet after churn: %v", got)
	}
	m.Forget("a")
	m.Forget("b")
	if len(m.labels) != 0 || len(m.fleetCount) != 0 || len(m.slots) != 0 {
		t.Errorf("after forgetting everything: %d label sets, fleet %v, %d instances", len(m.labels), m.fleetCount, len(m.slots))
	}
	var buf bytes.Buffer
	if err := m.WriteText(&buf, false); err != nil || buf.Len() != 0 {
		t.Errorf("empty fleet renders %q (%v)", buf.String(), err)
	}
}

// Scrapes run while results arrive and instances leave: every rendering must parse and every
// gather succeed (run with -race).
func TestMetricsWriteTextConcurrentWithObserve(t *testing.T) {
	m := NewResultMetrics(nil)
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 3 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				n := (i*3 + w) % 40
				for _, r := range fleetResults(n + i%2*40) {
					m.Observe(r)
				}
				if i%7 == 0 {
					m.Forget(fmt.Sprintf("sei-%05d", n))
				}
			}
		})
	}
	for i := range 60 {
		var buf bytes.Buffer
		if err := m.WriteText(&buf, i%2 == 1); err != nil {
			t.Fatal(err)
		}
		parser := expfmt.NewTextParser(model.LegacyValidation)
		if _, err := parser.TextToMetricFamilies(&buf); err != nil {
			t.Fatalf("scrape %d does not parse: %v", i, err)
		}
		if _, err := reg.Gather(); err != nil {
			t.Fatalf("gather %d: %v", i, err)
		}
	}
	close(stop)
	wg.Wait()
}

type section struct {
	head  string
	lines []string
}

// textSections splits an exposition into families: each must start with its HELP and TYPE lines,
// appear once, and hold only its own samples.
func textSections(body string) (map[string]section, []string, error) {
	secs := map[string]section{}
	var order []string
	cur := ""
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	if body == "" {
		lines = nil
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case l == "# EOF":
			if i != len(lines)-1 {
				return nil, nil, fmt.Errorf("# EOF is not the last line")
			}
		case strings.HasPrefix(l, "# HELP "):
			name, _, _ := strings.Cut(strings.TrimPrefix(l, "# HELP "), " ")
			if _, dup := secs[name]; dup {
				return nil, nil, fmt.Errorf("family %s written twice", name)
			}
			if i+1 >= len(lines) || lines[i+1] != "# TYPE "+name+" gauge" {
				return nil, nil, fmt.Errorf("family %s: HELP without its TYPE gauge line", name)
			}
			secs[name] = section{head: l + "\n" + lines[i+1] + "\n"}
			order = append(order, name)
			cur = name
			i++
		default:
			if cur == "" || !strings.HasPrefix(l, cur+"{") {
				return nil, nil, fmt.Errorf("line %q outside its family (in %s)", l, cur)
			}
			s := secs[cur]
			s.lines = append(s.lines, l)
			secs[cur] = s
		}
	}
	return secs, order, nil
}

// inLabelOrder puts a gathered family's labels in the order WriteText writes them (base labels,
// then the family's own), as registries sort them by name.
func inLabelOrder(t *testing.T, m *ResultMetrics, mf *dto.MetricFamily) *dto.MetricFamily {
	t.Helper()
	var names []string
	for _, f := range m.fams {
		if f.name == mf.GetName() {
			if !f.fleet {
				names = append(names, baseLabels...)
			}
			names = append(names, f.extraKeys...)
		}
	}
	for _, metric := range mf.GetMetric() {
		sort.SliceStable(metric.Label, func(i, j int) bool {
			return slices.Index(names, metric.Label[i].GetName()) < slices.Index(names, metric.Label[j].GetName())
		})
	}
	return mf
}

func instanceOf(line string) string {
	_, rest, ok := strings.Cut(line, `{instance="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `",owner=`)
	return v
}

// normalize lists every family's help and type and every sample as name{sorted labels} value.
func normalize(mfs []*dto.MetricFamily) []string {
	var out []string
	for _, mf := range mfs {
		out = append(out, fmt.Sprintf("%s %s %q", mf.GetName(), mf.GetType(), mf.GetHelp()))
		for _, metric := range mf.GetMetric() {
			var ls []string
			for _, l := range metric.GetLabel() {
				ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			sort.Strings(ls)
			v := metric.GetGauge().GetValue()
			if v == 0 {
				v = 0 // -0 is written as 0 by every text encoder
			}
			out = append(out, fmt.Sprintf("%s{%s} %s", mf.GetName(), strings.Join(ls, ","), strconv.FormatFloat(v, 'g', -1, 64)))
		}
	}
	sort.Strings(out)
	return out
}

func mapValues(m map[string]*dto.MetricFamily) []*dto.MetricFamily {
	out := make([]*dto.MetricFamily, 0, len(m))
	for _, mf := range m {
		out = append(out, mf)
	}
	return out
}

func lineDiff(got, want []string) string {
	var b strings.Builder
	for _, g := range got {
		if !slices.Contains(want, g) {
			fmt.Fprintf(&b, "+ %s\n", g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			fmt.Fprintf(&b, "- %s\n", w)
		}
	}
	return b.String()
}

func keys[V any](m map[string]V) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}
