package alertmanager_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/alerting/notify/alertmanager"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
	"github.com/vigia-sei/vigia/internal/testenv"
)

func alert(state string, start time.Time) alerting.Alert {
	a := alerting.Alert{
		Labels:      map[string]string{"alertname": "SEIDown", "instance": "mgi-prod", "severity": "critical", "owner": "MGI"},
		Annotations: map[string]string{"summary": "SEI fora do ar em mgi-prod"},
		State:       state, ActiveAt: start, StartsAt: start,
		Evidence: &probe.Evidence{Step: "login", Status: 500},
	}
	if state == alerting.StateResolved {
		a.EndsAt = start.Add(3 * time.Minute)
	}
	a.Fingerprint = alerting.Fingerprint(a.Labels)
	return a
}

func grp(a alerting.Alert) *alerting.Group {
	return &alerting.Group{Key: "k", Receiver: "am", Status: a.State, Alerts: []alerting.Alert{a}}
}

type amStub struct {
	mu     sync.Mutex
	posts  [][]alertmanager.Alert
	auth   []string
	status int
}

func (s *amStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/am/api/v2/alerts" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	var batch []alertmanager.Alert
	if err := json.NewDecoder(r.Body).Decode(&batch); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posts = append(s.posts, batch)
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	if s.status != 0 {
		w.WriteHeader(s.status)
	}
}

func TestFiringResendAndResolve(t *testing.T) {
	stub := &amStub{}
	srv := httptest.NewServer(stub)
	t.Cleanup(srv.Close)
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()

	now := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)
	reg := prometheus.NewPedanticRegistry()
	n, err := alertmanager.New(config.AlertmanagerReceiver{
		URLs: []string{downURL, srv.URL + "/am/"}, ResendInterval: 30 * time.Second, Username: "vigia", Password: "am-S3cret",
	}, alertmanager.Options{Name: "am", Registerer: reg, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	start := now.Add(-2 * time.Minute)
	if _, err := n.Notify(context.Background(), grp(alert(alerting.StateFiring, start))); err != nil {
		t.Fatalf("one Alertmanager up is enough: %v", err)
	}
	now = now.Add(30 * time.Second)
	if c, err := n.Resend(context.Background()); c != 1 || err != nil {
		t.Fatalf("resend: %d %v", c, err)
	}
	if _, err := n.Notify(context.Background(), grp(alert(alerting.StateResolved, start))); err != nil {
		t.Fatal(err)
	}
	if c, _ := n.Resend(context.Background()); c != 0 {
		t.Errorf("a resolved alert must not be re-sent, got %d", c)
	}
	if len(stub.posts) != 3 {
		t.Fatalf("want 3 posts, got %d", len(stub.posts))
	}
	first, resent, resolved := stub.posts[0][0], stub.posts[1][0], stub.posts[2][0]
	if !first.StartsAt.Equal(start) || !first.EndsAt.Equal(start.Add(2*time.Minute).Add(2*time.Minute)) {
		t.Errorf("firing: starts %v ends %v (want ends four resend intervals ahead)", first.StartsAt, first.EndsAt)
	}
	if !resent.EndsAt.After(first.EndsAt) {
		t.Errorf("a resend must extend the end: %v then %v", first.EndsAt, resent.EndsAt)
	}
	if !resolved.EndsAt.Equal(start.Add(3 * time.Minute)) {
		t.Errorf("resolved end %v", resolved.EndsAt)
	}
	if first.Labels["instance"] != "mgi-prod" || first.Annotations["evidence_status"] != "500" {
		t.Errorf("labels/annotations: %+v", first)
	}
	if !strings.HasPrefix(stub.auth[0], "Basic ") {
		t.Errorf("basic auth not sent: %q", stub.auth[0])
	}
	if v, err := testutil.GatherAndCount(reg, "vigia_alertmanager_active_alerts"); err != nil || v != 1 {
		t.Errorf("active alerts gauge: %v %v", v, err)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP vigia_alertmanager_active_alerts Firing alerts this vigia keeps posting to Alertmanager.
# TYPE vigia_alertmanager_active_alerts gauge
vigia_alertmanager_active_alerts{receiver="am"} 0
`), "vigia_alertmanager_active_alerts"); err != nil {
		t.Error(err)
	}
	if v := counter(t, reg, "vigia_alertmanager_post_errors_total"); v != 3 {
		t.Errorf("errors counted %v, want 3 (the down Alertmanager)", v)
	}
	if v := counter(t, reg, "vigia_alertmanager_alerts_sent_total"); v != 3 {
		t.Errorf("alerts sent %v, want 3", v)
	}
}

func counter(t *testing.T, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func TestAllDownIsRetryableAndKeepsSecrets(t *testing.T) {
	stub := &amStub{status: http.StatusServiceUnavailable}
	srv := httptest.NewServer(stub)
	t.Cleanup(srv.Close)
	n, err := alertmanager.New(config.AlertmanagerReceiver{URLs: []string{srv.URL + "/am"}, Username: "vigia", Password: "am-S3cret", Timeout: time.Second}, alertmanager.Options{})
	if err != nil {
		t.Fatal(err)
	}
	retry, err := n.Notify(context.Background(), grp(alert(alerting.StateFiring, time.Now())))
	if err == nil || !retry {
		t.Fatalf("retry=%v err=%v", retry, err)
	}
	if strings.Contains(err.Error(), "am-S3cret") {
		t.Errorf("password leaked: %v", err)
	}
	stub.status = http.StatusBadRequest
	if retry, err := n.Notify(context.Background(), grp(alert(alerting.StateFiring, time.Now()))); err == nil || retry {
		t.Fatalf("a rejected payload is final: retry=%v err=%v", retry, err)
	}
}

// hookReceiver is the webhook receiver Alertmanager notifies.
type hookReceiver struct {
	mu   sync.Mutex
	msgs []hookMsg
}

type hookMsg struct {
	Status string `json:"status"`
	Alerts []struct {
		Status string            `json:"status"`
		Labels map[string]string `json:"labels"`
	} `json:"alerts"`
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m hookMsg
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &m); err == nil {
		h.mu.Lock()
		h.msgs = append(h.msgs, m)
		h.mu.Unlock()
	}
}

func (h *hookReceiver) snapshot() []hookMsg {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookMsg(nil), h.msgs...)
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestTwoReplicasDeduplicatedByRealAlertmanager runs Debian's prometheus-alertmanager with a
// webhook receiver; two vigia replicas post the same alert, which must be notified once, then
// resolve once.
func TestTwoReplicasDeduplicatedByRealAlertmanager(t *testing.T) {
	bin := testenv.AlertmanagerBin(t)
	hook := &hookReceiver{}
	hs := httptest.NewServer(hook)
	t.Cleanup(hs.Close)

	dir := t.TempDir()
	cfg := fmt.Sprintf(`route:
  receiver: hook
  group_by: [alertname, instance]
  group_wait: 500ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: %s/hook
        send_resolved: true
`, hs.URL)
	cfgFile := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	port := testenv.FreePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	testenv.StartProcess(t, bin, []string{
		"--config.file=" + cfgFile, "--storage.path=" + filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--cluster.listen-address=",
	}, nil, testenv.HTTPReady(base+"/-/ready"))

	var replicas []*alertmanager.Notifier
	for i := 0; i < 2; i++ {
		n, err := alertmanager.New(config.AlertmanagerReceiver{URLs: []string{base}, ResendInterval: 200 * time.Millisecond}, alertmanager.Options{Name: fmt.Sprintf("replica-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		replicas = append(replicas, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	start := time.Now().Add(-time.Minute).Truncate(time.Second)
	firing := alert(alerting.StateFiring, start)
	for _, n := range replicas {
		if _, err := n.Notify(ctx, grp(firing)); err != nil {
			t.Fatal(err)
		}
		go n.Run(ctx)
	}
	waitFor(t, "the firing notification", 10*time.Second, func() bool { return len(hook.snapshot()) >= 1 })
	// Both replicas keep re-sending; Alertmanager must not notify again within repeat_interval.
	time.Sleep(2500 * time.Millisecond)
	msgs := hook.snapshot()
	if len(msgs) != 1 || msgs[0].Status != "firing" || len(msgs[0].Alerts) != 1 || msgs[0].Alerts[0].Labels["instance"] != "mgi-prod" {
		t.Fatalf("want exactly one firing notification with one alert, got %+v", msgs)
	}
	resp, err := http.Get(base + "/api/v2/alerts")
	if err != nil {
		t.Fatal(err)
	}
	var active []json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&active)
	resp.Body.Close()
	if len(active) != 1 {
		t.Errorf("Alertmanager holds %d alerts, want 1 (deduplicated)", len(active))
	}

	resolved := alert(alerting.StateResolved, start)
	resolved.EndsAt = time.Now()
	for _, n := range replicas {
		if _, err := n.Notify(ctx, grp(resolved)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the resolved notification", 10*time.Second, func() bool { return len(hook.snapshot()) >= 2 })
	time.Sleep(1500 * time.Millisecond)
	msgs = hook.snapshot()
	if len(msgs) != 2 || msgs[1].Status != "resolved" || msgs[1].Alerts[0].Status != "resolved" {
		t.Fatalf("want firing then resolved, got %+v", msgs)
	}
}
