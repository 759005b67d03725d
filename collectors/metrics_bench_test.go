package collectors

import (
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// fleetResults returns what the four SEI probes report for instance i of a realistic fleet: health
// with its five phases, five versions from three sources with SEI and SIP drift, three modules
// with surface and compatibility verdicts and their drift, and a four-step synthetic
// transaction. Versions and owners vary over the fleet the way they do in a real one (a few
// releases, a few dozen owners). That is 51 series per instance.
func fleetResults(i int) []probe.Result {
	seiVersions := []string{"4.0.12", "4.1.5", "5.0.3", "5.0.4"}
	sei := seiVersions[i%len(seiVersions)]
	t := probe.Target{Name: fmt.Sprintf("sei-%05d", i), Owner: fmt.Sprintf("ORG%02d", i%40),
		Environment: []string{"prod", "homolog", "dev"}[i%3]}
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	phases := map[string]time.Duration{"dns": ms(1), "connect": ms(3), "tls": ms(9), "processing": ms(40 + i%17), "transfer": ms(2)}
	yes, no := true, false
	level := []string{"none", "patch", "minor"}[i%3]
	steps := func(failAt int) []probe.Step {
		var s []probe.Step
		for k, n := range []string{"entry", "login", "search", "logout"} {
			s = append(s, probe.Step{Name: n, OK: k != failAt, Duration: ms(100*k + i%50)})
		}
		return s
	}
	return []probe.Result{
		{Target: t, Probe: probe.Health, OK: i%97 != 0, State: probe.StateUp, Duration: ms(60 + i%30), Phases: phases,
			Values: map[string]float64{ValueTLSCertExpiry: float64(1_780_000_000 + i*3600), ValueProductionMode: 1, ValueHTTPStatusCode: 200}},
		{Target: t, Probe: probe.Version, OK: true, Duration: ms(400 + i%100),
			Versions: []probe.ComponentVersion{
				{Component: "sei", Version: sei, Source: SourcePageTitle, Confidence: ConfidenceExact},
				{Component: "sei", Version: sei, Source: SourceInfraFingerprint, Confidence: ConfidenceLine},
				{Component: "sip", Version: "3.1." + fmt.Sprint(i%3), Source: SourceSIPLoginAssets, Confidence: ConfidenceExact},
				{Component: "infra", Version: "2.29." + fmt.Sprint(i%2), Source: SourceSIPLoginAssets, Confidence: ConfidenceExact},
				{Component: "infra", Version: "2.29." + fmt.Sprint(i%2), Source: SourceAssetSuffix, Confidence: ConfidenceExact},
			},
			Drift: []probe.Drift{
				{Component: "sei", Against: "desired", Level: level},
				{Component: "sei", Against: "latest", Level: level},
				{Component: "sip", Against: "latest", Level: "none"},
			}},
		{Target: t, Probe: probe.Modules, OK: true, Duration: ms(300),
			Modules: []probe.Module{
				{Name: "mod-wssei", Version: "3.0.1", Up: &yes, Compatible: &yes},
				{Name: "mod-sei-pen", Version: "4.0.3", Up: &yes, Compatible: &no},
				{Name: "peticionamento", Version: "4.6.5", Up: &no, Compatible: &yes},
			},
			Drift: []probe.Drift{
				{Component: "mod-wssei", Against: "latest", Level: "none"},
				{Component: "mod-sei-pen", Against: "latest", Level: "patch"},
				{Component: "peticionamento", Against: "desired", Level: "none"},
			}},
		{Target: t, Probe: probe.Synthetic, OK: i%13 != 0, Duration: ms(900), Phases: phases, Steps: steps(map[bool]int{true: 2, false: -1}[i%13 == 0])},
	}
}

// seriesPerInstance is what fleetResults yields: 4 success, 14 durations (health and synthetic
// phases plus totals), 5 version_info, 6 drift, 3×3 module series, 4+4 step series and 5
// unlabelled gauges.
const seriesPerInstance = 4 + 14 + 5 + 6 + 9 + 8 + 5

func fleetMetrics(tb testing.TB, n int) *ResultMetrics {
	tb.Helper()
	m := NewResultMetrics(nil)
	for i := range n {
		for _, r := range fleetResults(i) {
			m.Observe(r)
		}
	}
	return m
}

// BenchmarkResultMetricsObserve is the cost of recording one Result into a 10,000-instance
// fleet: the scheduler's result handler pays it for every probe run.
func BenchmarkResultMetricsObserve(b *testing.B) {
	const n = 10_000
	m := fleetMetrics(b, n)
	// Pre-built results, rotating over instances, probes and a second set of versions so that
	// series are both kept and replaced.
	var rs []probe.Result
	for i := range 256 {
		rs = append(rs, fleetResults(i*37%n)...)
		rs = append(rs, fleetResults(i*37%n+1)...)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Observe(rs[i%len(rs)])
		i++
	}
}

// BenchmarkResultMetricsWriteText is one /metrics scrape of the sei_* families of 10,000
// instances through the text fast path (ns and allocations per scrape).
func BenchmarkResultMetricsWriteText(b *testing.B) {
	for _, om := range []bool{false, true} {
		b.Run(map[bool]string{false: "text", true: "openmetrics"}[om], func(b *testing.B) {
			m := fleetMetrics(b, 10_000)
			cw := &countWriter{}
			if err := m.WriteText(cw, om); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(cw.n)
			b.ReportAllocs()
			for b.Loop() {
				if err := m.WriteText(io.Discard, om); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cw.lines), "lines/scrape")
		})
	}
}

// BenchmarkResultMetricsCollect is the same scrape through Collect and a registry (the protobuf
// path), for comparison with WriteText.
func BenchmarkResultMetricsCollect(b *testing.B) {
	reg := prometheus.NewRegistry()
	m := fleetMetrics(b, 10_000)
	reg.MustRegister(m)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResultMetricsMemory reports the live heap ResultMetrics holds per instance for a
// 10,000-instance fleet with every probe's results recorded (the figure the < 300 MiB RSS budget
// at 10,000 instances depends on).
func BenchmarkResultMetricsMemory(b *testing.B) {
	const n = 10_000
	var perInstance float64
	for b.Loop() {
		before := liveHeap()
		m := fleetMetrics(b, n)
		after := liveHeap()
		runtime.KeepAlive(m)
		perInstance = float64(after-before) / n
	}
	b.ReportMetric(perInstance, "B/instance")
	b.ReportMetric(seriesPerInstance, "series/instance")
}

func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

type countWriter struct{ n, lines int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	for _, c := range p {
		if c == '\n' {
			w.lines++
		}
	}
	return len(p), nil
}
