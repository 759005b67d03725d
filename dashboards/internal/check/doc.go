// Package check is a separate module so that github.com/prometheus/prometheus (needed only for
// its PromQL parser, and requiring a newer Go than the main module) stays out of vigia's go.mod.
// Its test parses every PromQL expression of the shipped dashboards and rules with Prometheus's
// parser and checks that each metric and label it names is exported by a real run of vigia
// against a simulated fleet.
//
// Run: cd dashboards/internal/check && go test ./...
package check
