package alertmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/alerting/notify/webhook"
	"github.com/vigia-sei/vigia/config"
)

// DefaultResendInterval is how often firing alerts are posted again when the config sets none.
const DefaultResendInterval = time.Minute

// Options are what the Alertmanager notifier needs besides its config.
type Options struct {
	// Name is the receiver's name, a constant label on the metrics.
	Name       string
	Logger     *slog.Logger
	UserAgent  string
	Registerer prometheus.Registerer
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
}

// Notifier posts alerts to every configured Alertmanager.
type Notifier struct {
	endpoints []endpoint
	resend    time.Duration
	client    *webhook.Client
	auth      string
	log       *slog.Logger
	now       func() time.Time

	mu     sync.Mutex
	active map[string]Alert // firing alerts by fingerprint, re-sent until resolved

	sent   *prometheus.CounterVec
	errs   *prometheus.CounterVec
	firing prometheus.GaugeFunc
}

type endpoint struct {
	url  string // .../api/v2/alerts
	name string // scheme://host, for logs and metric labels
}

// Alert is Alertmanager's postableAlert.
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitempty"`
	EndsAt       time.Time         `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// New builds the notifier; call Run to keep firing alerts alive in Alertmanager.
func New(cfg config.AlertmanagerReceiver, o Options) (*Notifier, error) {
	if len(cfg.URLs) == 0 {
		return nil, fmt.Errorf("alertmanager: needs at least one URL")
	}
	c, err := webhook.NewClient(webhook.ClientOptions{
		Timeout: cfg.Timeout, UserAgent: o.UserAgent,
		TLS: webhook.TLSOptions{CAFile: cfg.CAFile, InsecureSkipVerify: cfg.InsecureSkipVerify},
	})
	if err != nil {
		return nil, fmt.Errorf("alertmanager: %w", err)
	}
	n := &Notifier{resend: cfg.ResendInterval, client: c, log: o.Logger, now: o.Now, active: map[string]Alert{}}
	if n.resend <= 0 {
		n.resend = DefaultResendInterval
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	if n.now == nil {
		n.now = time.Now
	}
	if cfg.Username != "" {
		req, _ := http.NewRequest(http.MethodPost, "http://x/", nil)
		req.SetBasicAuth(cfg.Username, cfg.Password.Reveal())
		n.auth = req.Header.Get("Authorization")
	}
	for _, raw := range cfg.URLs {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("alertmanager: %q is not an http(s) URL", webhook.Redact(raw))
		}
		if u.User != nil {
			return nil, fmt.Errorf("alertmanager: %s carries credentials in the URL: use username/password", webhook.Redact(raw))
		}
		u.Path = strings.TrimRight(u.Path, "/") + "/api/v2/alerts"
		n.endpoints = append(n.endpoints, endpoint{url: u.String(), name: u.Scheme + "://" + u.Host})
	}
	labels := prometheus.Labels{"receiver": o.Name}
	n.sent = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigia_alertmanager_alerts_sent_total", ConstLabels: labels,
		Help: "Alerts accepted by each Alertmanager (re-sends included).",
	}, []string{"alertmanager"})
	n.errs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigia_alertmanager_post_errors_total", ConstLabels: labels,
		Help: "Failed posts to each Alertmanager.",
	}, []string{"alertmanager"})
	n.firing = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "vigia_alertmanager_active_alerts", ConstLabels: labels,
		Help: "Firing alerts this vigia keeps posting to Alertmanager.",
	}, func() float64 { n.mu.Lock(); defer n.mu.Unlock(); return float64(len(n.active)) })
	if o.Registerer != nil {
		for _, c := range []prometheus.Collector{n.sent, n.errs, n.firing} {
			if err := o.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("alertmanager: register metrics: %w", err)
			}
		}
	}
	for _, e := range n.endpoints {
		n.sent.WithLabelValues(e.name)
		n.errs.WithLabelValues(e.name)
	}
	return n, nil
}

// Notify posts the group's alerts to every Alertmanager: firing ones with an end time a few
// resend intervals ahead, resolved ones with their end. It succeeds when at least one
// Alertmanager took them (they gossip among themselves); retryable when all failed and one of
// the failures may pass.
func (n *Notifier) Notify(ctx context.Context, g *alerting.Group) (bool, error) {
	now := n.now()
	batch := make([]Alert, 0, len(g.Alerts))
	n.mu.Lock()
	for _, a := range g.Alerts {
		fp := a.Fingerprint
		if fp == "" {
			fp = alerting.Fingerprint(a.Labels)
		}
		pa := Alert{Labels: a.Labels, Annotations: webhook.Annotations(a), StartsAt: a.StartsAt, GeneratorURL: a.GeneratorURL}
		if pa.StartsAt.IsZero() {
			pa.StartsAt = a.ActiveAt
		}
		if a.Resolved() {
			pa.EndsAt = a.EndsAt
			if pa.EndsAt.IsZero() {
				pa.EndsAt = now
			}
			delete(n.active, fp)
		} else {
			n.active[fp] = pa
			pa.EndsAt = now.Add(4 * n.resend)
		}
		batch = append(batch, pa)
	}
	n.mu.Unlock()
	return n.post(ctx, batch)
}

// Run re-posts the firing alerts every resend interval until ctx ends.
func (n *Notifier) Run(ctx context.Context) {
	t := time.NewTicker(n.resend)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := n.Resend(ctx); err != nil {
				n.log.Warn("re-sending firing alerts to Alertmanager failed", "err", err)
			}
		}
	}
}

// Resend posts every firing alert once more, extending its end time; it returns how many.
func (n *Notifier) Resend(ctx context.Context) (int, error) {
	ends := n.now().Add(4 * n.resend)
	n.mu.Lock()
	batch := make([]Alert, 0, len(n.active))
	for _, a := range n.active {
		a.EndsAt = ends
		batch = append(batch, a)
	}
	n.mu.Unlock()
	if len(batch) == 0 {
		return 0, nil
	}
	_, err := n.post(ctx, batch)
	return len(batch), err
}

func (n *Notifier) post(ctx context.Context, batch []Alert) (bool, error) {
	if len(batch) == 0 {
		return false, nil
	}
	body, err := json.Marshal(batch)
	if err != nil {
		return false, fmt.Errorf("alertmanager: encode alerts: %w", err)
	}
	h := http.Header{}
	if n.auth != "" {
		h.Set("Authorization", n.auth)
	}
	type result struct {
		retry bool
		err   error
	}
	results := make([]result, len(n.endpoints))
	var wg sync.WaitGroup
	for i, e := range n.endpoints {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, retry, err := n.client.Post(ctx, e.url, body, h)
			results[i] = result{retry, err}
			if err != nil {
				n.errs.WithLabelValues(e.name).Inc()
				n.log.Warn("posting alerts to Alertmanager failed", "alertmanager", e.name, "alerts", len(batch), "retryable", retry, "err", err)
				return
			}
			n.sent.WithLabelValues(e.name).Add(float64(len(batch)))
		}()
	}
	wg.Wait()
	var errs []error
	retry := false
	for _, r := range results {
		if r.err == nil {
			return false, nil
		}
		errs = append(errs, r.err)
		retry = retry || r.retry
	}
	return retry, fmt.Errorf("alertmanager: every Alertmanager failed: %w", errors.Join(errs...))
}
