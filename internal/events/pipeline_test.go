package events

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
	"github.com/vigia-sei/vigia/internal/events/ecs"
)

func firingAlert(instance string, at time.Time) alerting.Alert {
	labels := map[string]string{"alertname": "SEIDown", "instance": instance, "severity": "critical", "probe": "health"}
	return alerting.Alert{Fingerprint: alerting.Fingerprint(labels), Labels: labels, State: alerting.StateFiring,
		ActiveAt: at.Add(-time.Minute), StartsAt: at, Annotations: map[string]string{"summary": "SEI " + instance + " fora do ar"}}
}

func readNDJSON(t *testing.T, dir string) []map[string]any {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "events-*.ndjson"))
	var docs []map[string]any
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("%s: line is not JSON: %v", f, err)
			}
			docs = append(docs, m)
		}
		fh.Close()
	}
	return docs
}

// Without Elasticsearch, events go to local NDJSON files (what make demo shows).
func TestDefaultOutputIsNDJSONFiles(t *testing.T) {
	state := t.TempDir()
	cfg := &config.Config{Global: config.Global{StateDir: state}, Outputs: config.Outputs{File: config.FileOutput{LogEvents: true}}}
	reg := prometheus.NewRegistry()
	p, err := NewFromConfig(cfg, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := newFleet(t, 5)
	results := f.results(t, 10)
	for _, r := range results {
		p.HandleResult(r)
	}
	p.HandleAlert(firingAlert(results[0].Target.Name, time.Now()))
	log := slog.New(p.LogHandler(slog.NewTextHandler(&syncBuffer{}, nil)))
	log.Info("not an event")
	log.Warn("notificação falhou", "receiver", "owner-mail", "instance", results[0].Target.Name)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	docs := readNDJSON(t, filepath.Join(state, "events"))
	if len(docs) != 12 {
		t.Fatalf("%d documents in the event files, want 10 probe + 1 alert + 1 log", len(docs))
	}
	for i, r := range results {
		d := docs[i]
		if field(d, "event.id") != r.ID || field(d, "service.name") != r.Target.Name || field(d, "url.full") != r.Target.URL ||
			field(d, "labels.owner") != r.Target.Owner || field(d, "data_stream.dataset") != "vigia.probe" {
			t.Errorf("document %d does not describe result %s: %v", i, r.ID, d)
		}
		if code := r.Values["http_status_code"]; field(d, "http.response.status_code") != code {
			t.Errorf("status %v, result had %v", field(d, "http.response.status_code"), code)
		}
	}
	if field(docs[10], "event.kind") != "alert" || field(docs[11], "log.level") != "warn" ||
		field(docs[11], "sei.log.attrs.receiver") != "owner-mail" {
		t.Errorf("alert/log documents: %v %v", docs[10], docs[11])
	}
	if _, err := os.Stat(filepath.Join(state, "buffer")); !os.IsNotExist(err) {
		t.Errorf("a disk buffer was created without Elasticsearch: %v", err)
	}
	if got := testutil.ToFloat64(p.m.shipped.WithLabelValues("file", "probe")); got != 10 {
		t.Errorf("shipped{file,probe} = %v", got)
	}
}

// unresponsive accepts connections and never answers, like a hung store.
func unresponsive(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + l.Addr().String()
}

func esConfig(state, url string) *config.Config {
	return &config.Config{Global: config.Global{StateDir: state}, Outputs: config.Outputs{
		Elasticsearch: &config.Elasticsearch{Addresses: []string{url}, Namespace: "default", RetentionDays: 7,
			FlushInterval: 100 * time.Millisecond, RetryBackoffMax: 500 * time.Millisecond},
	}}
}

// HandleResult appends to the disk buffer; a hung store must not slow the probe workers.
func TestHandleResultNeverWaitsOnTheStore(t *testing.T) {
	state := t.TempDir()
	p, err := NewFromConfig(esConfig(state, unresponsive(t)), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	results := newFleet(t, 5).results(t, 50)
	start := time.Now()
	for i := 0; i < 2000; i++ {
		r := results[i%len(results)]
		r.ID = r.ID + "-" + time.Now().Format("150405.000000000")
		p.HandleResult(r)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("2000 HandleResult calls took %v with a hung store", d)
	}
	if st := p.queue.Stats(); st.Records != 2000 {
		t.Errorf("buffer holds %d events, want 2000", st.Records)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel with a hung store")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMetricsAreWellFormed(t *testing.T) {
	reg := prometheus.NewRegistry()
	cfg := esConfig(t.TempDir(), unresponsive(t))
	cfg.Outputs.File.Enabled = boolPtr(true)
	cfg.Outputs.File.Dir = t.TempDir()
	p, err := NewFromConfig(cfg, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.HandleResult(newFleet(t, 1).results(t, 1)[0])
	p.file.Flush()
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range problems {
		t.Errorf("metric %s: %s", pr.Metric, pr.Text)
	}
	mfs, _ := reg.Gather()
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	for _, want := range []string{"vigia_events_total", "vigia_events_shipped_total", "vigia_events_queue_bytes",
		"vigia_events_queue_events", "vigia_events_queue_limit_bytes", "vigia_events_queue_oldest_age_seconds",
		"vigia_events_dropped_total"} {
		if !names[want] {
			t.Errorf("metric %s not exported", want)
		}
	}
	if got := testutil.ToFloat64(p.m.events.WithLabelValues("probe")); got != 1 {
		t.Errorf("vigia_events_total{dataset=probe} = %v", got)
	}
}

func TestFullBufferDropsProbeEventsNotAlerts(t *testing.T) {
	cfg := esConfig(t.TempDir(), unresponsive(t))
	cfg.Outputs.Elasticsearch.BufferMaxBytes = 256 << 10
	reg := prometheus.NewRegistry()
	p, err := NewFromConfig(cfg, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	results := newFleet(t, 3).results(t, 3)
	now := time.Now()
	for i := 0; i < 3000; i++ {
		r := results[i%3]
		r.ID = r.ID + "-" + strings.Repeat("0", 4) + time.Duration(i).String()
		p.HandleResult(r)
		if i%500 == 0 {
			p.HandleAlert(firingAlert(r.Target.Name, now.Add(time.Duration(i)*time.Second)))
		}
	}
	st := p.queue.Stats()
	if st.DroppedFull == 0 || st.Bytes > 256<<10+64<<10 {
		t.Fatalf("buffer over its limit or nothing dropped: %+v", st)
	}
	// Every alert is still there.
	alerts := 0
	for _, r := range drainQueue(t, p) {
		if r.dataset == ecs.DatasetAlert {
			alerts++
		}
	}
	if alerts != 6 {
		t.Errorf("%d alert events in the buffer, want all 6", alerts)
	}
	if n, err := testutil.GatherAndCount(reg, "vigia_events_dropped_total"); err != nil || n == 0 {
		t.Errorf("dropped metric: %d series, %v", n, err)
	}
}

type diskqueueRecord struct {
	dataset ecs.Dataset
	id      string
}

func drainQueue(t *testing.T, p *Pipeline) []diskqueueRecord {
	t.Helper()
	recs, _, err := p.queue.Next(nil, nil, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]diskqueueRecord, 0, len(recs))
	for _, r := range recs {
		ev, err := ecs.ParseRecord(r.Data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, diskqueueRecord{ev.Dataset, ev.ID})
	}
	return out
}

// syscw is the number of write system calls this process made (/proc/self/io).
func syscw(t *testing.T) int {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the write count is read from Linux's /proc/self/io")
	}
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "syscw: "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no syscw in /proc/self/io")
	return 0
}

// The documents of all the probe runs of a flush interval (a synthetic run is one per step and one
// for the run) reach the event file in one write, in order, within the interval.
func TestRunsOfAFlushIntervalAreOneWriteToTheEventFile(t *testing.T) {
	state := t.TempDir()
	cfg := &config.Config{Global: config.Global{StateDir: state}}
	cfg.Outputs.File.FlushInterval = time.Hour // flushed by hand below
	p, err := NewFromConfig(cfg, prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	r := syntheticRun("run-0", "entry", "login", "landing", "search", "logout", "after_logout")
	p.HandleResult(r)
	p.file.Flush() // opens the file
	const runs = 50
	before := syscw(t)
	for i := 1; i <= runs; i++ {
		r.ID = "run-" + strconv.Itoa(i)
		p.HandleResult(r)
	}
	if n := syscw(t) - before; n > 0 {
		t.Errorf("%d synthetic runs took %d write calls before the flush, want 0", runs, n)
	}
	if docs := readNDJSON(t, filepath.Join(state, "events")); len(docs) != len(r.Steps)+1 {
		t.Fatalf("%d documents in the event file before the flush, want the first run's %d", len(docs), len(r.Steps)+1)
	}
	before = syscw(t)
	p.file.Flush()
	if n := syscw(t) - before; n != 1 {
		t.Errorf("the flush of %d runs took %d write calls, want 1", runs, n)
	}
	docs := readNDJSON(t, filepath.Join(state, "events"))
	if want := (runs + 1) * (len(r.Steps) + 1); len(docs) != want {
		t.Fatalf("%d documents in the event file, want %d", len(docs), want)
	}
	for i := 0; i <= runs; i++ {
		if d := docs[i*(len(r.Steps)+1)]; field(d, "event.id") != "run-"+strconv.Itoa(i) {
			t.Fatalf("document of run %d: %v", i, d)
		}
	}
	if got, want := testutil.ToFloat64(p.m.shipped.WithLabelValues("file", "probe")), float64(len(docs)); got != want {
		t.Errorf("shipped{file,probe} = %v, want %v", got, want)
	}
}

// With the default flush interval a probe run's documents are in the file a moment later, without
// a Close.
func TestEventFileIsWrittenWithinTheFlushInterval(t *testing.T) {
	state := t.TempDir()
	p, err := NewFromConfig(&config.Config{Global: config.Global{StateDir: state}}, prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	results := newFleet(t, 3).results(t, 3)
	start := time.Now()
	for _, r := range results {
		p.HandleResult(r)
	}
	for len(readNDJSON(t, filepath.Join(state, "events"))) < len(results) {
		if time.Since(start) > 2*time.Second {
			t.Fatalf("documents not in the event file %v after HandleResult (flush interval %v)", time.Since(start), defaultFileFlush)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := testutil.ToFloat64(p.m.shipped.WithLabelValues("file", "probe")); got != float64(len(results)) {
		t.Errorf("shipped{file,probe} = %v, want %d", got, len(results))
	}
}

// With Elasticsearch, a probe run's events (a synthetic run is one per step and one for the run)
// reach the disk buffer in one write, and every one of them is there to ship.
func TestAProbeRunIsOneWriteToTheDiskBuffer(t *testing.T) {
	p, err := NewFromConfig(esConfig(t.TempDir(), unresponsive(t)), prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	r := syntheticRun("run-0", "entry", "login", "landing", "search", "logout", "after_logout")
	p.HandleResult(r) // the first append may start the segment
	const runs = 20
	before := syscw(t)
	for i := 1; i <= runs; i++ {
		r.ID = "run-" + strconv.Itoa(i)
		p.HandleResult(r)
	}
	if n := syscw(t) - before; n != runs {
		t.Errorf("%d synthetic runs took %d write calls, want one each", runs, n)
	}
	recs := drainQueue(t, p)
	if want := (runs + 1) * (len(r.Steps) + 1); len(recs) != want {
		t.Fatalf("%d events in the buffer, want %d", len(recs), want)
	}
	for i := 0; i <= runs; i++ {
		if got := recs[i*(len(r.Steps)+1)]; got.id != "run-"+strconv.Itoa(i) || got.dataset != ecs.DatasetProbe {
			t.Fatalf("first event of run %d: %+v", i, got)
		}
	}
}

// An event whose buffer record cannot be built (an id over 255 bytes) is counted as dropped, each
// one, and does not keep the run's other events out of the buffer.
func TestUnbuildableRecordsAreCountedAndTheRestBuffered(t *testing.T) {
	p, err := NewFromConfig(esConfig(t.TempDir(), unresponsive(t)), prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	r := syntheticRun(strings.Repeat("x", 300), "entry", "login")
	p.HandleResult(r)
	r.ID = "run-ok"
	p.HandleResult(r)
	p.m.mu.Lock()
	dropped := p.m.dropped["buffer_write"]
	p.m.mu.Unlock()
	if dropped != 3 {
		t.Errorf("dropped{reason=buffer_write} = %v, want the long run's 3 events", dropped)
	}
	recs := drainQueue(t, p)
	if len(recs) != 3 || recs[0].id != "run-ok" {
		t.Fatalf("buffer holds %+v, want the 3 events of run-ok", recs)
	}
}

// syntheticRun is a successful synthetic run of sei-1 with the named steps: one event per step and
// one for the run.
func syntheticRun(id string, steps ...string) probe.Result {
	r := probe.Result{Target: probe.Target{Name: "sei-1", URL: "https://sei.exemplo/"}, Probe: probe.Synthetic,
		Start: time.Now(), Duration: time.Second, OK: true, ID: id}
	for _, s := range steps {
		r.Steps = append(r.Steps, probe.Step{Name: s, Duration: 100 * time.Millisecond, OK: true, Status: 200})
	}
	return r
}
