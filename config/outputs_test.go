package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestOutputsValidation covers outputs.elasticsearch and outputs.file: each case is a YAML
// outputs section and the problems (path: message) it must produce; none means valid.
func TestOutputsValidation(t *testing.T) {
	tests := []struct {
		name, outputs string
		want          []string
	}{
		{"defaults are valid", `
  elasticsearch: {addresses: ["https://es:9200"], api_key: k}`, nil},
		{"basic auth and mutual TLS", `
  elasticsearch: {addresses: ["https://es:9200"], username: vigia, password: p, cert_file: c.pem, key_file: k.pem,
                  workers: 4, retry_backoff_max: 10s, flush_bytes: 1048576, buffer_max_bytes: 16777216}
  file: {enabled: true, log_events: true}`, nil},
		{"password without username", `
  elasticsearch: {addresses: ["https://es:9200"], password: p}`,
			[]string{"outputs.elasticsearch: username and password go together"}},
		{"certificate without key", `
  elasticsearch: {addresses: ["https://es:9200"], cert_file: c.pem}`,
			[]string{"outputs.elasticsearch: cert_file and key_file go together"}},
		{"bulk over Elasticsearch's request limit", `
  elasticsearch: {addresses: ["https://es:9200"], flush_bytes: 209715200}`,
			[]string{"outputs.elasticsearch.flush_bytes: must be between 1024 and 104857600 (100 MiB), got 209715200"}},
		{"tiny buffer, bad workers, negative backoff", `
  elasticsearch: {addresses: ["https://es:9200"], buffer_max_bytes: 1000, workers: 99, retry_backoff_max: -1s}`,
			[]string{
				"outputs.elasticsearch.buffer_max_bytes: must be at least 16777216 (16 MiB), got 1000",
				"outputs.elasticsearch.workers: must be between 1 and 32 (0 for the default), got 99",
				"outputs.elasticsearch.retry_backoff_max: must not be negative",
			}},
		{"file limits", `
  file: {max_bytes: 10, max_age: -1h}`,
			[]string{"outputs.file.max_bytes: must be at least 1024, got 10", "outputs.file.max_age: must be a positive duration"}},
		{"file flush interval", `
  file: {flush_interval: 1m}`,
			[]string{"outputs.file.flush_interval: must be between 1ms and 10s, got 1m0s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := "fleet:\n  instances: [{name: a, url: \"https://sei.exemplo.gov.br\"}]\noutputs:" + tc.outputs + "\n"
			cfg, err := Parse("outputs.yaml", []byte(src), env(nil))
			var got []string
			var cerr *Error
			if errors.As(err, &cerr) {
				for _, p := range cerr.Problems {
					got = append(got, p.Path+": "+p.Msg)
				}
			} else if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("problems\n got: %q\nwant: %q", got, tc.want)
			}
			if tc.want == nil && cfg.Outputs.File.FlushInterval != 200*time.Millisecond {
				t.Errorf("file.flush_interval default %v", cfg.Outputs.File.FlushInterval)
			}
			if tc.want == nil && cfg.Outputs.Elasticsearch != nil && cfg.Outputs.Elasticsearch.FlushInterval != 2*time.Second {
				t.Errorf("flush_interval default %v", cfg.Outputs.Elasticsearch.FlushInterval)
			}
		})
	}
}
