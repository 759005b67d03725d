package events

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// BenchmarkHandleResult is what a probe worker pays per result with Elasticsearch configured:
// encode the ECS document and append it to the disk buffer (no store runs; nothing ships).
func BenchmarkHandleResult(b *testing.B) {
	r := probe.Result{
		Target: benchTarget(),
		Probe:  probe.Health, Start: time.Now(), Duration: 87 * time.Millisecond, OK: true, State: probe.StateUp,
		Values: map[string]float64{"http_status_code": 200, "http_content_length": 22417, "tls_cert_expiry_timestamp_seconds": 1803859200},
		Phases: map[string]time.Duration{"dns": time.Millisecond, "connect": 2 * time.Millisecond, "first_byte": 61 * time.Millisecond},
	}
	benchHandleResult(b, r)
}

// BenchmarkHandleResultSynthetic: a synthetic run of four steps, five events.
func BenchmarkHandleResultSynthetic(b *testing.B) {
	r := probe.Result{
		Target: benchTarget(),
		Probe:  probe.Synthetic, Start: time.Now(), Duration: 1310 * time.Millisecond, OK: true,
		Values: map[string]float64{"synthetic_steps": 4, "synthetic_captcha": 0, "tls_cert_expiry_timestamp_seconds": 1803859200},
		Steps: []probe.Step{{Name: "entry", Duration: 180 * time.Millisecond, OK: true, Status: 200},
			{Name: "login", Duration: 420 * time.Millisecond, OK: true, Status: 200},
			{Name: "process_list", Duration: 530 * time.Millisecond, OK: true, Status: 200},
			{Name: "logout", Duration: 180 * time.Millisecond, OK: true, Status: 200}},
	}
	benchHandleResult(b, r)
}

// BenchmarkHandleResultModules: a modules run that found four modules, one of them down.
func BenchmarkHandleResultModules(b *testing.B) {
	r := probe.Result{
		Target: benchTarget(),
		Probe:  probe.Modules, Start: time.Now(), Duration: 640 * time.Millisecond, OK: true,
		Values: map[string]float64{"modules_installed": 4, "modules_down": 1, "modules_incompatible": 0, "modules_missing": 0,
			"login_success": 1, "session_resumed": 1},
		Modules: []probe.Module{
			{Name: "mod-sei-pen", Version: "4.0.3", Desired: "4.0.3", Up: probe.BoolPtr(true), Compatible: probe.BoolPtr(true)},
			{Name: "mod-wssei", Version: "3.0.1", Desired: "3.0.2", Up: probe.BoolPtr(false), Compatible: probe.BoolPtr(true), Detail: "HTTP 500 em /sei/modulos/wssei/"},
			{Name: "peticionamento", Version: "4.1.2", Compatible: probe.BoolPtr(true)},
			{Name: "mod-sei-resposta", Version: "2.0.0"}},
	}
	benchHandleResult(b, r)
}

func benchTarget() probe.Target {
	return probe.Target{Name: "orgao-0001", URL: "https://sei-0001.exemplo.gov.br/", Owner: "MGI", Environment: "prod",
		Labels: map[string]string{"cloud": "a"}, Source: "static"}
}

func benchHandleResult(b *testing.B, r probe.Result) {
	p, err := NewFromConfig(esConfig(b.TempDir(), "http://127.0.0.1:9"), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.ID = fmt.Sprintf("%032x", i)
		p.HandleResult(r)
	}
	b.ReportMetric(float64(b.N*(1+len(r.Steps)))/b.Elapsed().Seconds(), "events/s")
}
