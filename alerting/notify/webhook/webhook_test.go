package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/alerting/notify/webhook"
	"github.com/vigia-sei/vigia/alerting/notify/webhook/webhooktest"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
)

func group() *alerting.Group {
	start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	firing := alerting.Alert{
		Labels:      map[string]string{"alertname": "SEIDown", "instance": "mgi-prod", "severity": "critical", "owner": "MGI"},
		Annotations: map[string]string{"summary": "SEI fora do ar em mgi-prod", "runbook_url": "https://wiki.exemplo/sei-down"},
		State:       alerting.StateFiring, ActiveAt: start, StartsAt: start,
		Evidence: &probe.Evidence{Step: "login", URL: "https://sei.exemplo.gov.br/sip/login.php", Status: 500, Excerpt: "Erro interno"},
	}
	firing.Fingerprint = alerting.Fingerprint(firing.Labels)
	resolved := alerting.Alert{
		Labels:      map[string]string{"alertname": "SEIDown", "instance": "mgi-homolog", "severity": "critical", "owner": "MGI"},
		Annotations: map[string]string{"summary": "SEI fora do ar em mgi-homolog", "runbook_url": "https://wiki.exemplo/sei-down"},
		State:       alerting.StateResolved, ActiveAt: start, StartsAt: start, EndsAt: start.Add(5 * time.Minute),
	}
	resolved.Fingerprint = alerting.Fingerprint(resolved.Labels)
	return &alerting.Group{
		Key: `{}/{owner="MGI"}:{alertname="SEIDown"}`, Receiver: "hook", Status: alerting.StateFiring,
		GroupLabels:  map[string]string{"alertname": "SEIDown", "owner": "MGI"},
		CommonLabels: map[string]string{"alertname": "SEIDown", "owner": "MGI", "severity": "critical"},
		Alerts:       []alerting.Alert{resolved, firing},
		ExternalURL:  "http://vigia.exemplo:9470",
	}
}

// amWebhook is the payload as Alertmanager documents it (prometheus/alertmanager
// notify/webhook Message), decoded strictly so an extra or renamed field fails the test.
type amWebhook struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   uint64            `json:"truncatedAlerts"`
	Receiver          string            `json:"receiver"`
	Status            string            `json:"status"`
	Alerts            []amAlert         `json:"alerts"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
}

type amAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

type delivery struct {
	header http.Header
	body   []byte
}

type recorder struct {
	mu   sync.Mutex
	got  []delivery
	code int
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got = append(r.got, delivery{req.Header.Clone(), b})
	code := r.code
	r.mu.Unlock()
	if code != 0 {
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"error":"boom"}`))
	}
}

func TestPayloadIsAlertmanagerWebhookAndSigned(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	secret := "s3gredo-hmac"
	now := time.Unix(1795000000, 0)
	n, err := webhook.New(config.WebhookReceiver{URL: probe.Secret(srv.URL + "/hook"), HMACSecret: probe.Secret(secret)}, webhook.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if retry, err := n.Notify(context.Background(), group()); err != nil {
		t.Fatalf("notify: %v (retryable %v)", err, retry)
	}
	if len(rec.got) != 1 {
		t.Fatalf("want 1 delivery, got %d", len(rec.got))
	}
	d := rec.got[0]
	if ct := d.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	// Verify exactly as the package doc tells a receiver to.
	ts := d.header.Get(webhook.TimestampHeader)
	if ts != strconv.FormatInt(now.Unix(), 10) {
		t.Errorf("timestamp header %q", ts)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(d.body)))
	if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); !hmac.Equal([]byte(want), []byte(d.header.Get(webhook.SignatureHeader))) {
		t.Errorf("signature %q does not verify (want %q)", d.header.Get(webhook.SignatureHeader), want)
	}

	var m amWebhook
	dec := json.NewDecoder(bytes.NewReader(d.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("payload is not Alertmanager's webhook format: %v\n%s", err, d.body)
	}
	if m.Version != "4" || m.Status != "firing" || m.Receiver != "hook" || m.GroupKey != group().Key || m.ExternalURL != "http://vigia.exemplo:9470" {
		t.Errorf("header fields wrong: %+v", m)
	}
	if len(m.Alerts) != 2 || m.Alerts[0].Status != "firing" || m.Alerts[1].Status != "resolved" {
		t.Fatalf("alerts (firing first): %+v", m.Alerts)
	}
	a := m.Alerts[0]
	if a.Labels["instance"] != "mgi-prod" || a.Annotations["evidence_status"] != "500" || a.Annotations["evidence_step"] != "login" || !a.EndsAt.IsZero() || a.Fingerprint == "" {
		t.Errorf("firing alert: %+v", a)
	}
	if r := m.Alerts[1]; r.EndsAt.IsZero() || r.EndsAt.Before(r.StartsAt) {
		t.Errorf("resolved alert has no end: %+v", r)
	}
	if m.CommonAnnotations["runbook_url"] != "https://wiki.exemplo/sei-down" || m.CommonAnnotations["summary"] != "" {
		t.Errorf("common annotations: %v", m.CommonAnnotations)
	}
	if m.GroupLabels["owner"] != "MGI" || m.CommonLabels["severity"] != "critical" {
		t.Errorf("group/common labels: %v %v", m.GroupLabels, m.CommonLabels)
	}
}

func TestMaxAlertsTruncates(t *testing.T) {
	m := webhook.Payload(group(), 1)
	if len(m.Alerts) != 1 || m.TruncatedAlerts != 1 || m.Alerts[0].Status != "firing" {
		t.Fatalf("truncation kept %d alerts, truncated %d: %+v", len(m.Alerts), m.TruncatedAlerts, m.Alerts)
	}
}

func TestFailuresClassifiedAndSecretsKeptOut(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(time.Second):
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	tests := []struct {
		name      string
		code      int
		url       string
		retryable bool
	}{
		{"server error is retried", 503, "", true},
		{"rate limit is retried", 429, "", true},
		{"rejected payload is not", 400, "", false},
		{"gone webhook is not", 404, "", false},
		{"connection refused is retried", 0, closedURL, true},
		{"timeout is retried", 0, slow.URL, true},
	}
	const secretPath = "/hooks/T000/B000/XyZsecretToken42"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := tt.url
			if base == "" {
				srv := httptest.NewServer(&recorder{code: tt.code})
				t.Cleanup(srv.Close)
				base = srv.URL
			}
			var logs bytes.Buffer
			n, err := webhook.New(config.WebhookReceiver{URL: probe.Secret(base + secretPath + "?token=qsSecret99"), HMACSecret: "hmacSecret77", Timeout: 300 * time.Millisecond},
				webhook.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			retry, err := n.Notify(context.Background(), group())
			if err == nil {
				t.Fatal("want an error")
			}
			if retry != tt.retryable {
				t.Errorf("retryable = %v, want %v (err %v)", retry, tt.retryable, err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v: timeout not honoured", d)
			}
			for _, s := range []string{"XyZsecretToken42", "qsSecret99", "hmacSecret77"} {
				if strings.Contains(err.Error(), s) || strings.Contains(logs.String(), s) {
					t.Errorf("secret %q leaked: err=%q logs=%q", s, err, logs.String())
				}
			}
		})
	}
}

func TestTLSWithPrivateCAAndClientCertificate(t *testing.T) {
	ca := webhooktest.NewCA(t, "vigia test CA")
	server := ca.Issue(t, "hooks", "127.0.0.1")
	client := ca.Issue(t, "vigia")
	srv := httptest.NewUnstartedServer(&recorder{})
	srv.TLS = webhooktest.ServerConfig(server, ca.Pool)
	// Under TLS 1.3 the server checks the client certificate after the client's handshake is done,
	// so a missing one surfaces either as the server's alert (permanent) or, when the request write
	// loses the race with the server's close, as a broken pipe (retried until it gives up). TLS 1.2
	// refuses within the handshake, which is what this test pins down.
	srv.TLS.MaxVersion = tls.VersionTLS12
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)

	tests := []struct {
		name      string
		cfg       config.WebhookReceiver
		ok        bool
		retryable bool
	}{
		{"CA and client certificate", config.WebhookReceiver{CAFile: ca.CAFile, CertFile: client.CertFile, KeyFile: client.KeyFile}, true, false},
		{"unknown CA is permanent", config.WebhookReceiver{CertFile: client.CertFile, KeyFile: client.KeyFile}, false, false},
		{"no client certificate is permanent", config.WebhookReceiver{CAFile: ca.CAFile}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.URL = probe.Secret(srv.URL + "/x")
			n, err := webhook.New(tt.cfg, webhook.Options{})
			if err != nil {
				t.Fatal(err)
			}
			retry, err := n.Notify(context.Background(), group())
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && retry != tt.retryable {
				t.Errorf("retryable = %v, want %v (%v)", retry, tt.retryable, err)
			}
		})
	}
}

func TestBadTLSFilesFailAtStart(t *testing.T) {
	_, err := webhook.New(config.WebhookReceiver{URL: "https://x.exemplo/h", CAFile: "/nonexistent/ca.pem"}, webhook.Options{})
	if err == nil || !strings.Contains(err.Error(), "CA file") {
		t.Fatalf("want a CA file error, got %v", err)
	}
}
