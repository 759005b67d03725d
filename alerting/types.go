package alerting

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// Alert states.
const (
	StateInactive = "inactive"
	StatePending  = "pending"
	StateFiring   = "firing"
	StateResolved = "resolved"
)

// Alert is one (rule, instance) series in a non-inactive state.
type Alert struct {
	// Fingerprint identifies the series: a hash of its labels.
	Fingerprint string `json:"fingerprint"`
	// Labels always hold alertname, instance, severity, probe, and owner/environment when known,
	// plus the rule's and the instance's own labels.
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
	// ActiveAt is when the condition first held; StartsAt when it fired; EndsAt when it resolved.
	ActiveAt time.Time `json:"active_at"`
	StartsAt time.Time `json:"starts_at,omitempty"`
	EndsAt   time.Time `json:"ends_at,omitempty"`
	// Value is the observation that crossed the threshold, when the rule has one.
	Value    *float64        `json:"value,omitempty"`
	Evidence *probe.Evidence `json:"evidence,omitempty"`
	// Silenced and Inhibited are still evaluated and visible, just not sent.
	Silenced     bool   `json:"silenced,omitempty"`
	Inhibited    bool   `json:"inhibited,omitempty"`
	GeneratorURL string `json:"generator_url,omitempty"`
	// SilencedBy lists the ids of the silences that mute the alert (Alerts and the API fill it).
	SilencedBy []string `json:"silenced_by,omitempty"`
	// Reason is the probe's operator-facing failure reason from the latest evaluation, if any.
	Reason string `json:"reason,omitempty"`
}

// Name is the alert name (the rule's alert).
func (a Alert) Name() string { return a.Labels["alertname"] }

// Resolved reports whether the alert has ended.
func (a Alert) Resolved() bool { return a.State == StateResolved }

// Group is what one notification carries: the alerts of one group for one receiver.
type Group struct {
	// Key identifies the group (route + group_by label values); notifiers may use it to thread
	// messages (Slack thread, e-mail Message-ID references).
	Key          string            `json:"group_key"`
	Receiver     string            `json:"receiver"`
	Status       string            `json:"status"` // firing when any alert fires, else resolved
	GroupLabels  map[string]string `json:"group_labels"`
	CommonLabels map[string]string `json:"common_labels"`
	Alerts       []Alert           `json:"alerts"`
	ExternalURL  string            `json:"external_url,omitempty"`
}

// Firing returns the firing alerts.
func (g *Group) Firing() []Alert { return g.filter(false) }

// ResolvedAlerts returns the resolved alerts.
func (g *Group) ResolvedAlerts() []Alert { return g.filter(true) }

func (g *Group) filter(resolved bool) []Alert {
	var out []Alert
	for _, a := range g.Alerts {
		if a.Resolved() == resolved {
			out = append(out, a)
		}
	}
	return out
}

// Notifier delivers a group to one receiver. retryable tells the dispatcher whether trying again
// may help (a timeout, a 4xx from SMTP, a 5xx from a webhook) or not (a rejected payload).
// Notify must honour ctx and must not modify g: its label maps are shared with the manager.
type Notifier interface {
	Notify(ctx context.Context, g *Group) (retryable bool, err error)
}

// Fingerprint hashes a label set in a stable order.
func Fingerprint(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(labels[k]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
