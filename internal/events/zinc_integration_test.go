package events

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
	"github.com/vigia-sei/vigia/internal/events/ecs"
	"github.com/vigia-sei/vigia/internal/testenv"
)

type runningPipeline struct {
	p      *Pipeline
	cancel context.CancelFunc
	done   chan error
}

func startPipeline(t *testing.T, cfg *config.Config, reg prometheus.Registerer, log *slog.Logger) *runningPipeline {
	t.Helper()
	p, err := NewFromConfig(cfg, reg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rp := &runningPipeline{p: p, cancel: cancel, done: make(chan error, 1)}
	go func() { rp.done <- p.Run(ctx) }()
	t.Cleanup(func() { rp.stop(t) })
	return rp
}

// stop is the daemon's shutdown: cancel Run, wait for it, Close.
func (rp *runningPipeline) stop(t *testing.T) {
	t.Helper()
	if rp.cancel == nil {
		return
	}
	rp.cancel()
	rp.cancel = nil
	select {
	case err := <-rp.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after shutdown")
	}
	if err := rp.p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func (rp *runningPipeline) waitDrained(t *testing.T, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for rp.p.queue.Stats().Records > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("buffer not drained within %s: %+v", within, rp.p.queue.Stats())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func zincConfig(state, url, user, pass, namespace string) *config.Config {
	return &config.Config{Global: config.Global{StateDir: state}, Outputs: config.Outputs{
		Elasticsearch: &config.Elasticsearch{Addresses: []string{url}, Username: user, Password: probe.Secret(pass),
			Namespace: namespace, RetentionDays: 7, FlushInterval: 200 * time.Millisecond,
			RetryBackoffMax: time.Second, LogEvents: true},
	}}
}

// Probe results from seisim arrive in a real ZincSearch and are found by search with the right
// fields; the bootstrap's one warning names what ZincSearch lacks.
func TestZincReceivesProbeEventsFromSeisim(t *testing.T) {
	url, user, pass := testenv.Zinc(t)
	z := zincClient{url, user, pass}
	ns := "it" + strconv.FormatInt(time.Now().UnixNano()%1e12, 36)
	t.Cleanup(func() {
		// The shared store outlives the test: remove what it wrote (ZincSearch's own API).
		api := zincClient{strings.TrimSuffix(strings.TrimSuffix(url, "/"), "/es") + "/api", user, pass}
		for _, d := range ecs.Datasets {
			api.do(t, http.MethodDelete, "/index/"+ecs.DataStream(d, ns), nil)
		}
	})
	logs := &syncBuffer{}
	reg := prometheus.NewRegistry()
	rp := startPipeline(t, zincConfig(t.TempDir(), url, user, pass, ns), reg, slog.New(slog.NewTextHandler(logs, nil)))

	results := newFleet(t, 20).results(t, 20)
	byID := map[string]probe.Result{}
	for _, r := range results {
		rp.p.HandleResult(r)
		byID[r.ID] = r
	}
	alert := firingAlert(results[3].Target.Name, time.Now().Truncate(time.Millisecond))
	rp.p.HandleAlert(alert)
	daemonLog := slog.New(rp.p.LogHandler(slog.NewTextHandler(&syncBuffer{}, nil)))
	daemonLog.Warn("notificação falhou", "receiver", "owner-mail", "instance", results[0].Target.Name)
	rp.waitDrained(t, 60*time.Second)

	probeIndex := ecs.DataStream(ecs.DatasetProbe, ns)
	hits := z.waitCount(t, probeIndex, 20, 30*time.Second)
	for _, h := range hits {
		r, ok := byID[h.ID]
		if !ok {
			t.Fatalf("document %s is no probe result of this test", h.ID)
		}
		s := h.Source
		checks := map[string]any{
			"event.id":              r.ID,
			"event.dataset":         "vigia.probe",
			"event.action":          "http",
			"event.outcome":         map[bool]string{true: "success", false: "failure"}[r.OK],
			"service.name":          r.Target.Name,
			"url.full":              r.Target.URL,
			"labels.owner":          r.Target.Owner,
			"labels.cloud":          "a",
			"sei.instance":          r.Target.Name,
			"data_stream.namespace": ns,
			"event.duration":        float64(r.Duration),
		}
		if code, ok := r.Values["http_status_code"]; ok {
			checks["http.response.status_code"] = code
		}
		for path, want := range checks {
			if got := field(s, path); str(got) != str(want) {
				t.Errorf("%s: %s = %v, want %v", r.ID, path, got, want)
			}
		}
	}
	// Found by a search on a field, not only listed.
	name := results[7].Target.Name
	if n, hits := z.search(t, probeIndex, map[string]any{"term": map[string]any{"service.name": name}}); n != 1 || hits[0].ID != results[7].ID {
		t.Errorf("term query service.name=%s found %d documents", name, n)
	}
	// The index got vigia's mapping from the template, not ZincSearch's guesses (text).
	st, body := z.do(t, http.MethodGet, "/"+probeIndex+"/_mapping", nil)
	if st != http.StatusOK || !strings.Contains(string(body), `"id":{"type":"keyword"`) {
		t.Errorf("mapping of %s (HTTP %d) does not come from the template: %s", probeIndex, st, body)
	}
	alerts := z.waitCount(t, ecs.DataStream(ecs.DatasetAlert, ns), 1, 30*time.Second)
	if alerts[0].ID != ecs.AlertID(alert) || field(alerts[0].Source, "rule.name") != "SEIDown" {
		t.Errorf("alert document %v", alerts[0])
	}
	logDocs := z.waitCount(t, ecs.DataStream(ecs.DatasetLog, ns), 1, 30*time.Second)
	if field(logDocs[0].Source, "message") != "notificação falhou" || field(logDocs[0].Source, "sei.instance") != results[0].Target.Name {
		t.Errorf("log document %v", logDocs[0].Source)
	}

	// ZincSearch has no ILM and fakes data streams: one clear warning, and shipping went on.
	warns := logs.lines("level=WARN")
	if len(warns) != 1 || !strings.Contains(warns[0], "lacks some Elasticsearch APIs") ||
		!strings.Contains(warns[0], "ilm_policy (HTTP 404") || !strings.Contains(warns[0], "data_stream") {
		t.Errorf("want exactly one bootstrap warning naming ilm_policy and data_stream, got:\n%s", strings.Join(warns, "\n"))
	}
	rep := rp.p.Bootstrap()
	if !strings.Contains(strings.Join(rep.Installed, ","), "index_template") {
		t.Errorf("index template not installed: %+v", rep)
	}
	if got := testutil.ToFloat64(rp.p.m.shipped.WithLabelValues("elasticsearch", "probe")); got != 20 {
		t.Errorf("shipped{elasticsearch,probe} = %v, want 20", got)
	}
	if strings.Contains(logs.String(), pass) {
		t.Error("the store password appears in the log")
	}
}

func startOwnZinc(t *testing.T, bin string, port int, data, pass string) *testenv.Process {
	t.Helper()
	env := []string{"ZINC_SERVER_ADDRESS=127.0.0.1", "ZINC_SERVER_PORT=" + strconv.Itoa(port), "ZINC_DATA_PATH=" + data,
		"ZINC_FIRST_ADMIN_USER=admin", "ZINC_FIRST_ADMIN_PASSWORD=" + pass, "ZINC_SENTRY=false", "ZINC_TELEMETRY=false"}
	return testenv.StartProcess(t, bin, nil, env, testenv.HTTPReady(fmt.Sprintf("http://127.0.0.1:%d/healthz", port)))
}

// The store goes away, the daemon restarts during the outage, the store comes back: every event
// is there exactly once.
func TestZincOutageAndDaemonRestartLoseNothing(t *testing.T) {
	bin := testenv.ZincBin(t)
	port := testenv.FreePort(t)
	data := t.TempDir()
	const pass = "fault-test-Zinc1" // a throw-away store of this test
	zinc := startOwnZinc(t, bin, port, data, pass)
	url := fmt.Sprintf("http://127.0.0.1:%d/es", port)
	z := zincClient{url, "admin", pass}
	state := t.TempDir()
	cfg := zincConfig(state, url, "admin", pass, "fault")
	index := ecs.DataStream(ecs.DatasetProbe, "fault")
	f := newFleet(t, 20)
	want := map[string]bool{}
	feed := func(rp *runningPipeline, n int) {
		for _, r := range f.results(t, n) {
			rp.p.HandleResult(r)
			want[r.ID] = true
		}
	}

	// Phase 1: store up.
	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("vigia log:\n%s", logs)
		}
	})
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rp := startPipeline(t, cfg, prometheus.NewRegistry(), log)
	feed(rp, 100)
	rp.waitDrained(t, 60*time.Second)
	z.waitCount(t, index, 100, 30*time.Second)

	// Phase 2: store stopped; events pile up in the buffer.
	if err := zinc.Stop(); err != nil {
		t.Fatal(err)
	}
	feed(rp, 150)
	for deadline := time.Now().Add(15 * time.Second); testutil.ToFloat64(rp.p.m.storeUp) != 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("store_up still 1 15s into the outage")
		}
	}
	if n := rp.p.queue.Stats().Records; n != 150 {
		t.Fatalf("buffer holds %d events during the outage, want 150", n)
	}

	// Phase 3: the daemon restarts during the outage and keeps probing.
	rp.stop(t)
	rp = startPipeline(t, cfg, prometheus.NewRegistry(), log)
	feed(rp, 150)
	alert := firingAlert(f.targets[0].Name, time.Now().Truncate(time.Millisecond))
	rp.p.HandleAlert(alert)
	time.Sleep(2 * time.Second) // the outage goes on for a while
	if n := rp.p.queue.Stats().Records; n != 301 {
		t.Fatalf("buffer holds %d events after the restart, want 301", n)
	}

	// Phase 4: the store returns on the same address with its data.
	startOwnZinc(t, bin, port, data, pass)
	rp.waitDrained(t, 90*time.Second)
	hits := z.waitCount(t, index, len(want), 60*time.Second)
	seen := map[string]int{}
	for _, h := range hits {
		seen[str(field(h.Source, "event.id"))]++
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("event %s stored %d times, want exactly once", id, seen[id])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("%d distinct event ids stored, want %d", len(seen), len(want))
	}
	alerts := z.waitCount(t, ecs.DataStream(ecs.DatasetAlert, "fault"), 1, 30*time.Second)
	if alerts[0].ID != ecs.AlertID(alert) {
		t.Errorf("alert %s stored as %s", ecs.AlertID(alert), alerts[0].ID)
	}
}
