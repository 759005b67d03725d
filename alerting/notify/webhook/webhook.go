package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/config"
)

// Signature headers. The signature is HMAC-SHA256 over "<timestamp>.<body>" with the shared secret,
// hex-encoded after "sha256=", so a receiver can reject both forged and replayed deliveries:
//
//	mac := hmac.New(sha256.New, secret); mac.Write([]byte(ts + "." + body))
//	ok := hmac.Equal([]byte("sha256="+hex.EncodeToString(mac.Sum(nil))), []byte(sigHeader))
const (
	SignatureHeader = "X-Vigia-Signature"
	TimestampHeader = "X-Vigia-Timestamp"
)

// Options are what every webhook notifier needs besides its config.
type Options struct {
	Logger    *slog.Logger
	UserAgent string
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
}

// Notifier posts groups in Alertmanager's webhook format.
type Notifier struct {
	url       string
	secret    []byte
	maxAlerts int
	client    *Client
	log       *slog.Logger
	now       func() time.Time
}

// New builds the webhook notifier from its config.
func New(cfg config.WebhookReceiver, o Options) (*Notifier, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("webhook: url is required")
	}
	c, err := NewClient(ClientOptions{
		Timeout:   cfg.Timeout,
		UserAgent: o.UserAgent,
		TLS:       TLSOptions{CAFile: cfg.CAFile, CertFile: cfg.CertFile, KeyFile: cfg.KeyFile, InsecureSkipVerify: cfg.InsecureSkipVerify},
	})
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	n := &Notifier{url: cfg.URL.Reveal(), secret: []byte(cfg.HMACSecret.Reveal()), maxAlerts: cfg.MaxAlerts, client: c, log: o.Logger, now: o.Now}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	if n.now == nil {
		n.now = time.Now
	}
	return n, nil
}

// Notify posts one group. One attempt; the dispatcher retries when retryable is true.
func (n *Notifier) Notify(ctx context.Context, g *alerting.Group) (bool, error) {
	msg := Payload(g, n.maxAlerts)
	body, err := json.Marshal(msg)
	if err != nil {
		return false, fmt.Errorf("webhook: encode payload: %w", err)
	}
	h := http.Header{}
	if len(n.secret) > 0 {
		ts := strconv.FormatInt(n.now().Unix(), 10)
		h.Set(TimestampHeader, ts)
		h.Set(SignatureHeader, Sign(n.secret, ts, body))
	}
	_, retry, err := n.client.Post(ctx, n.url, body, h)
	if err != nil {
		return retry, fmt.Errorf("webhook: %w", err)
	}
	n.log.Debug("webhook delivered", "receiver", g.Receiver, "alerts", len(msg.Alerts), "to", Redact(n.url))
	return false, nil
}

// Sign computes the signature header value for a body sent at ts (Unix seconds).
func Sign(secret []byte, ts string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Message is Alertmanager's webhook payload (version 4), which Grafana OnCall, PagerDuty's and
// Opsgenie's Alertmanager integrations, and many home-grown receivers already parse.
type Message struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []Alert           `json:"alerts"`
}

// Alert is one alert of the payload.
type Alert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// Payload converts a group; maxAlerts > 0 truncates, firing alerts first.
func Payload(g *alerting.Group, maxAlerts int) Message {
	alerts := append(g.Firing(), g.ResolvedAlerts()...)
	truncated := 0
	if maxAlerts > 0 && len(alerts) > maxAlerts {
		truncated = len(alerts) - maxAlerts
		alerts = alerts[:maxAlerts]
	}
	m := Message{
		Version:           "4",
		GroupKey:          g.Key,
		TruncatedAlerts:   truncated,
		Status:            groupStatus(g),
		Receiver:          g.Receiver,
		GroupLabels:       nonNil(g.GroupLabels),
		CommonLabels:      nonNil(g.CommonLabels),
		CommonAnnotations: commonAnnotations(g.Alerts),
		ExternalURL:       g.ExternalURL,
		Alerts:            make([]Alert, 0, len(alerts)),
	}
	for _, a := range alerts {
		status := "firing"
		if a.Resolved() {
			status = "resolved"
		}
		m.Alerts = append(m.Alerts, Alert{
			Status:       status,
			Labels:       nonNil(a.Labels),
			Annotations:  Annotations(a),
			StartsAt:     a.StartsAt,
			EndsAt:       a.EndsAt,
			GeneratorURL: a.GeneratorURL,
			Fingerprint:  a.Fingerprint,
		})
	}
	return m
}

func groupStatus(g *alerting.Group) string {
	if len(g.Firing()) > 0 {
		return "firing"
	}
	return "resolved"
}

// Annotations are the alert's annotations plus its evidence, flattened to strings because the
// Alertmanager format has no place for structured evidence.
func Annotations(a alerting.Alert) map[string]string {
	out := make(map[string]string, len(a.Annotations)+4)
	for k, v := range a.Annotations {
		out[k] = v
	}
	if e := a.Evidence; e != nil {
		set := func(k, v string) {
			if _, taken := out[k]; !taken && v != "" {
				out[k] = v
			}
		}
		set("evidence_step", e.Step)
		set("evidence_url", e.URL)
		if e.Status != 0 {
			set("evidence_status", strconv.Itoa(e.Status))
		}
		set("evidence_excerpt", e.Excerpt)
	}
	if _, taken := out["reason"]; !taken && a.Reason != "" {
		out["reason"] = a.Reason
	}
	if a.Value != nil {
		if _, taken := out["value"]; !taken {
			out["value"] = strconv.FormatFloat(*a.Value, 'g', -1, 64)
		}
	}
	return out
}

func commonAnnotations(alerts []alerting.Alert) map[string]string {
	out := map[string]string{}
	if len(alerts) == 0 {
		return out
	}
	keys := make([]string, 0, len(alerts[0].Annotations))
	for k := range alerts[0].Annotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := alerts[0].Annotations[k]
		common := true
		for _, a := range alerts[1:] {
			if a.Annotations[k] != v {
				common = false
				break
			}
		}
		if common {
			out[k] = v
		}
	}
	return out
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
