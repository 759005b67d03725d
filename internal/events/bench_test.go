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
	p, err := NewFromConfig(esConfig(b.TempDir(), "http://127.0.0.1:9"), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	r := probe.Result{
		Target: probe.Target{Name: "orgao-0001", URL: "https://sei-0001.exemplo.gov.br/", Owner: "MGI", Environment: "prod",
			Labels: map[string]string{"cloud": "a"}, Source: "static"},
		Probe: probe.Health, Start: time.Now(), Duration: 87 * time.Millisecond, OK: true, State: probe.StateUp,
		Values: map[string]float64{"http_status_code": 200, "http_content_length": 22417, "tls_cert_expiry_timestamp_seconds": 1803859200},
		Phases: map[string]time.Duration{"dns": time.Millisecond, "connect": 2 * time.Millisecond, "first_byte": 61 * time.Millisecond},
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.ID = fmt.Sprintf("%032x", i)
		p.HandleResult(r)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
