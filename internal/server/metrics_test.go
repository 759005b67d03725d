package server

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/vigia-sei/vigia/collectors"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/internal/testenv"
)

// Accept headers as scrapers send them.
const (
	acceptText = "text/plain;version=0.0.4;q=0.9,*/*;q=0.1"
	acceptOM   = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
	// Prometheus 3's default scrape_protocols.
	acceptPrometheus3 = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1"
	acceptProto       = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3"
)

// fixture is a registry like the daemon's (counters, gauges, a histogram) and real result
// metrics kept off it, as the daemon wires them.
func fixture(t *testing.T) (*prometheus.Registry, *collectors.ResultMetrics) {
	t.Helper()
	reg := prometheus.NewRegistry()
	runs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigia_probe_runs_total", Help: "Probe runs."}, []string{"probe", "result"})
	lag := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vigia_probe_start_lag_seconds", Help: "Start lag.", Buckets: []float64{0.1, 1}})
	inst := prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigia_instances", Help: "Instances."})
	reg.MustRegister(runs, lag, inst)
	runs.WithLabelValues("health", "ok").Add(3)
	lag.Observe(0.5)
	inst.Set(3)

	m := collectors.NewResultMetrics(nil)
	up := true
	for i, name := range []string{"mgi-prod", "cgu-prod", `odd"name\`} {
		tg := probe.Target{Name: name, Owner: "ORG", Environment: "prod"}
		m.Observe(probe.Result{Target: tg, Probe: probe.Health, OK: true, State: probe.StateUp, Duration: time.Duration(i+1) * time.Millisecond,
			Phases: map[string]time.Duration{"dns": time.Millisecond}, Values: map[string]float64{collectors.ValueTLSCertExpiry: 1.8e9}})
		m.Observe(probe.Result{Target: tg, Probe: probe.Version, OK: true,
			Versions: []probe.ComponentVersion{{Component: "sei", Version: "5.0." + strconv.Itoa(i), Source: collectors.SourcePageTitle}},
			Drift:    []probe.Drift{{Component: "sei", Against: "latest", Level: "patch"}}})
		m.Observe(probe.Result{Target: tg, Probe: probe.Modules, OK: true,
			Modules: []probe.Module{{Name: "mod-wssei", Version: "3.0.1", Up: &up, Compatible: &up}}})
		m.Observe(probe.Result{Target: tg, Probe: probe.Synthetic, Steps: []probe.Step{{Name: "entry", OK: false}}})
	}
	return reg, m
}

func TestMetricsEveryFormatServesEveryFamilyOnce(t *testing.T) {
	reg, m := fixture(t)
	srv := httptest.NewServer(New(Options{Gatherer: reg, Text: m, Logger: slog.New(slog.DiscardHandler)}).Handler())
	t.Cleanup(srv.Close)
	// The reference: promhttp serving a registry that holds everything.
	both := prometheus.NewRegistry()
	both.MustRegister(m)
	ref := httptest.NewServer(promhttp.HandlerFor(prometheus.Gatherers{reg, both}, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	t.Cleanup(ref.Close)
	all, err := prometheus.Gatherers{reg, both}.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var families []string
	for _, mf := range all {
		families = append(families, mf.GetName())
	}
	if !slices.Contains(families, "sei_version_info") || !slices.Contains(families, "vigia_probe_runs_total") {
		t.Fatalf("fixture lacks families: %v", families)
	}

	for _, c := range []struct {
		name, accept string
		wantType     expfmt.FormatType
	}{
		{"text", acceptText, expfmt.TypeTextPlain},
		{"no accept header", "", expfmt.TypeTextPlain},
		{"openmetrics", acceptOM, expfmt.TypeOpenMetrics},
		{"prometheus 3 default", acceptPrometheus3, expfmt.TypeOpenMetrics},
		{"protobuf", acceptProto, expfmt.TypeProtoDelim},
	} {
		for _, gz := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/gzip=%v", c.name, gz), func(t *testing.T) {
				resp, body := scrape(t, srv.URL+"/metrics", c.accept, gz)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
				refResp, refBody := scrape(t, ref.URL, c.accept, gz)
				if got, want := resp.Header.Get("Content-Type"), refResp.Header.Get("Content-Type"); got != want {
					t.Errorf("Content-Type %q, promhttp says %q", got, want)
				}
				format := expfmt.Format(resp.Header.Get("Content-Type"))
				if format.FormatType() != c.wantType {
					t.Fatalf("Content-Type %q, want format type %v", format, c.wantType)
				}
				if got := resp.Header.Get("Content-Encoding"); (got == "gzip") != gz {
					t.Errorf("Content-Encoding %q with gzip accepted=%v", got, gz)
				}
				if vary := resp.Header.Values("Vary"); !slices.Equal(vary, refResp.Header.Values("Vary")) {
					t.Errorf("Vary %v, promhttp says %v", vary, refResp.Header.Values("Vary"))
				}

				// The same families and series as promhttp's, decoded the same way (the text
				// decoder reads OpenMetrics counters and histograms lossily, on both sides).
				got, want := decode(t, body, format), decode(t, refBody, format)
				if g, w := names(got), names(want); !slices.Equal(g, w) {
					t.Errorf("families %v\npromhttp's %v", g, w)
				}
				if g, w := flatten(got), flatten(want); !slices.Equal(g, w) {
					t.Errorf("series differ from promhttp's:\n%s", lineDiff(g, w))
				}
				switch c.wantType {
				case expfmt.TypeProtoDelim:
					if g := names(got); !slices.Equal(g, families) {
						t.Errorf("families %v, want each of %v once", g, families)
					}
				default:
					// Every family once: one TYPE line each, as many as promhttp writes.
					for _, line := range strings.Split(string(refBody), "\n") {
						if strings.HasPrefix(line, "# TYPE ") {
							if n := strings.Count(string(body), line+"\n"); n != 1 {
								t.Errorf("%q appears %d times", line, n)
							}
						}
					}
					if n, w := strings.Count(string(body), "# TYPE "), strings.Count(string(refBody), "# TYPE "); n != w || n < len(families) {
						t.Errorf("%d TYPE lines, promhttp writes %d for %d families", n, w, len(families))
					}
				}
				if c.wantType == expfmt.TypeOpenMetrics {
					if !bytes.HasSuffix(body, []byte("\n# EOF\n")) || bytes.Count(body, []byte("# EOF")) != 1 {
						t.Errorf("OpenMetrics body must end with one # EOF:\n%s", tail(body))
					}
				}
			})
		}
	}
}

func names(mfs []*dto.MetricFamily) []string {
	var out []string
	for _, mf := range mfs {
		out = append(out, mf.GetName())
	}
	sort.Strings(out)
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

// A scrape with name[] gets just those families, sei_* included (through Collect).
func TestMetricsNameFilter(t *testing.T) {
	reg, m := fixture(t)
	srv := httptest.NewServer(New(Options{Gatherer: reg, Text: m}).Handler())
	t.Cleanup(srv.Close)
	for _, accept := range []string{acceptText, acceptOM, acceptProto} {
		resp, body := scrape(t, srv.URL+"/metrics?name[]=sei_up&name[]=vigia_instances", accept, false)
		var got []string
		for _, mf := range decode(t, body, expfmt.Format(resp.Header.Get("Content-Type"))) {
			got = append(got, mf.GetName())
		}
		if sort.Strings(got); !slices.Equal(got, []string{"sei_up", "vigia_instances"}) {
			t.Errorf("Accept %s: families %v", accept, got)
		}
	}
}

type failingGatherer struct{}

func (failingGatherer) Gather() ([]*dto.MetricFamily, error) {
	return nil, errors.New("collector exploded")
}

// A failed gather is an HTTP 500 with promhttp's message, never a partial exposition.
func TestMetricsGatherErrorIsA500(t *testing.T) {
	_, m := fixture(t)
	srv := httptest.NewServer(New(Options{Gatherer: failingGatherer{}, Text: m, Logger: slog.New(slog.DiscardHandler)}).Handler())
	t.Cleanup(srv.Close)
	for _, accept := range []string{acceptText, acceptOM, acceptProto} {
		resp, body := scrape(t, srv.URL+"/metrics", accept, true)
		if resp.StatusCode != http.StatusInternalServerError || !strings.HasPrefix(string(body), "An error has occurred while serving metrics:\n\n") ||
			!strings.Contains(string(body), "collector exploded") {
			t.Errorf("Accept %s: status %d, body %q", accept, resp.StatusCode, body)
		}
		if enc := resp.Header.Get("Content-Encoding"); enc != "" {
			t.Errorf("error response carries Content-Encoding %q", enc)
		}
	}
}

func TestNegotiateGzipLikePromhttp(t *testing.T) {
	for _, c := range []struct {
		accept []string
		want   bool
	}{
		{nil, false},
		{[]string{"gzip"}, true},
		{[]string{"gzip, deflate, br"}, true},
		{[]string{"br", "gzip;q=0.8"}, true},
		{[]string{"*"}, false},                         // identity is offered first
		{[]string{"identity;q=0.5, gzip"}, true},       // higher q wins
		{[]string{"gzip, identity"}, false},            // a tie goes to identity
		{[]string{"gzip;q=0"}, false},                  // refused
		{[]string{"identity;q=0, gzip;q=0"}, false},    // nothing acceptable: identity anyway
		{[]string{"gzip;q=nope, identity;q=0"}, false}, // malformed q ignored
	} {
		if got := negotiateGzip(c.accept); got != c.want {
			t.Errorf("Accept-Encoding %q: gzip=%v, want %v", c.accept, got, c.want)
		}
		// The reference: promhttp's own choice, seen in its Content-Encoding.
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		for _, a := range c.accept {
			req.Header.Add("Accept-Encoding", a)
		}
		rec := httptest.NewRecorder()
		promhttp.HandlerFor(prometheus.NewRegistry(), promhttp.HandlerOpts{}).ServeHTTP(rec, req)
		if ref := rec.Header().Get("Content-Encoding") == "gzip"; ref != c.want {
			t.Errorf("Accept-Encoding %q: promhttp chose gzip=%v, the table says %v", c.accept, ref, c.want)
		}
	}
}

// promtool, Prometheus' own checker, accepts the exposition `curl … | promtool check metrics`
// gets. (It reads only the Prometheus text format: OpenMetrics counters, named without _total in
// their TYPE line, would read as counters without the suffix.)
func TestMetricsPromtoolCheck(t *testing.T) {
	promtool := testenv.Promtool(t)
	reg, m := fixture(t)
	srv := httptest.NewServer(New(Options{Gatherer: reg, Text: m}).Handler())
	t.Cleanup(srv.Close)
	for _, accept := range []string{"*/*", acceptText} {
		_, body := scrape(t, srv.URL+"/metrics", accept, false)
		if !strings.Contains(string(body), "sei_version_info{") {
			t.Fatalf("no sei_* series in the exposition:\n%s", body)
		}
		cmd := exec.CommandContext(t.Context(), promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics (Accept %s): %v\n%s", accept, err, out)
		}
	}
}

func scrape(t *testing.T, url, accept string, gz bool) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if gz {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	// No transparent decompression: the test checks what went over the wire.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatalf("gzip body: %v", err)
		}
		r = zr
	}
	body, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func decode(t *testing.T, body []byte, format expfmt.Format) []*dto.MetricFamily {
	t.Helper()
	dec := expfmt.NewDecoder(bytes.NewReader(body), format)
	var out []*dto.MetricFamily
	for {
		mf := &dto.MetricFamily{}
		err := dec.Decode(mf)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("decoding %s: %v\n%s", format, err, tail(body))
		}
		out = append(out, mf)
	}
}

// flatten lists every sample as name{sorted labels} value; histograms by count and sum.
func flatten(mfs []*dto.MetricFamily) []string {
	var out []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			sort.Strings(ls)
			var v string
			switch {
			case m.Gauge != nil:
				v = fmt.Sprint(m.GetGauge().GetValue())
			case m.Counter != nil:
				v = fmt.Sprint(m.GetCounter().GetValue())
			case m.Histogram != nil:
				v = fmt.Sprintf("count=%d sum=%g", m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum())
			}
			out = append(out, fmt.Sprintf("%s{%s} %s", mf.GetName(), strings.Join(ls, ","), v))
		}
	}
	sort.Strings(out)
	return out
}

func tail(b []byte) string {
	if len(b) > 400 {
		b = b[len(b)-400:]
	}
	return string(b)
}
