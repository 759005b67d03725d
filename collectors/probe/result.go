package probe

import (
	"time"
)

// Probe names. A prober's Name() is one of these; they are the values of the `probe` label.
const (
	HTTP      = "http"
	Version   = "version"
	Health    = "health"
	Modules   = "modules"
	Synthetic = "synthetic"
)

// Health states reported in Result.State by the health prober.
const (
	StateUp          = "up"
	StateDown        = "down"
	StateMaintenance = "maintenance"
)

// Result is what one run of one prober against one target found. Every consumer (metrics,
// Elasticsearch, alerting, the status page) reads this type and nothing else.
type Result struct {
	// ID is unique per run; the Elasticsearch shipper uses it as the document id so replays never
	// duplicate an event.
	ID       string        `json:"id"`
	Target   Target        `json:"target"`
	Probe    string        `json:"probe"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration_ns"`
	OK       bool          `json:"ok"`
	// Error is an operator-facing reason for a failure, free of secrets. Empty when OK.
	Error string `json:"error,omitempty"`
	// State is the health state (StateUp, StateDown, StateMaintenance) where the probe knows it.
	State string `json:"state,omitempty"`
	// Values holds named numeric observations (http_status_code, tls_cert_expiry_timestamp_seconds,
	// production_mode, ...). Rules refer to them by name; duration_seconds is always present.
	Values map[string]float64 `json:"values,omitempty"`
	// Phases is the latency split of the main request (dns, connect, tls, processing, transfer).
	Phases   map[string]time.Duration `json:"phases_ns,omitempty"`
	Versions []ComponentVersion       `json:"versions,omitempty"`
	Drift    []Drift                  `json:"drift,omitempty"`
	Modules  []Module                 `json:"modules,omitempty"`
	Steps    []Step                   `json:"steps,omitempty"`
	// Evidence is kept for a failure: what the failing request saw.
	Evidence *Evidence `json:"evidence,omitempty"`
}

// ComponentVersion is one observed version (component sei, sip, infra, or a module name).
type ComponentVersion struct {
	Component string `json:"component"`
	Version   string `json:"version"`
	// Source says which surface answered (wssei_api, page_title, asset_suffix, external_md5,
	// infra_fingerprint, ...).
	Source string `json:"source"`
	// Confidence is "exact" when the surface states the version, "line" when it is inferred
	// (e.g. from the Infra version), "low" for guesses.
	Confidence string `json:"confidence,omitempty"`
}

// Drift compares an observed version with the desired one.
type Drift struct {
	Component string `json:"component"`
	Observed  string `json:"observed,omitempty"`
	Desired   string `json:"desired,omitempty"`
	// Level is one of none, patch, minor, major, ahead, unknown.
	Level string `json:"level"`
	// Against says what the observed version was compared with: "desired" (Git) or "latest".
	Against string `json:"against,omitempty"`
}

// Module is one installed SEI module as observed.
type Module struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	// Up is whether the module's own surface answered; nil when the module has none to check.
	Up *bool `json:"up,omitempty"`
	// Compatible is whether this module version runs on the observed SEI version according to the
	// compatibility matrix; nil when unknown.
	Compatible *bool  `json:"compatible,omitempty"`
	Desired    string `json:"desired,omitempty"`
	Detail     string `json:"detail,omitempty"`
}

// Step is one timed step of a synthetic transaction.
type Step struct {
	Name     string        `json:"name"`
	Duration time.Duration `json:"duration_ns"`
	OK       bool          `json:"ok"`
	Status   int           `json:"status,omitempty"`
	Error    string        `json:"error,omitempty"`
}

// Evidence is what the failing request saw, safe to store and show.
type Evidence struct {
	Step    string `json:"step,omitempty"`
	URL     string `json:"url,omitempty"`
	Status  int    `json:"status,omitempty"`
	Excerpt string `json:"excerpt,omitempty"`
}

// Value returns a named observation; duration_seconds is derived from Duration.
func (r Result) Value(name string) (float64, bool) {
	if name == "duration_seconds" {
		return r.Duration.Seconds(), true
	}
	v, ok := r.Values[name]
	return v, ok
}

// SetValue records a named observation.
func (r *Result) SetValue(name string, v float64) {
	if r.Values == nil {
		r.Values = make(map[string]float64, 4)
	}
	r.Values[name] = v
}

// Fail marks the result failed with an operator-facing reason.
func (r *Result) Fail(reason string) {
	r.OK = false
	r.Error = reason
}

// BoolPtr is a helper for Module.Up and Module.Compatible.
func BoolPtr(b bool) *bool { return &b }
