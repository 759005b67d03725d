package esship

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/internal/events/diskqueue"
	"github.com/vigia-sei/vigia/internal/events/ecs"
)

func newQueue(t *testing.T) *diskqueue.Queue {
	t.Helper()
	q, err := diskqueue.Open(t.TempDir(), diskqueue.Options{SyncInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Close() })
	return q
}

// enqueue appends n probe events with ids r00000... and returns the ids.
func enqueue(t *testing.T, q *diskqueue.Queue, n int) []string {
	t.Helper()
	enc := ecs.NewEncoder(ecs.Observer{Hostname: "test"}, "default")
	var ids []string
	for i := 0; i < n; i++ {
		r := probe.Result{ID: fmt.Sprintf("r%05d", i), Target: probe.Target{Name: "sei-1", URL: "https://sei.exemplo/", Owner: "MGI"},
			Probe: probe.Health, Start: time.Now(), Duration: time.Millisecond, OK: true}
		evs, err := enc.Result(nil, r)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := ecs.AppendRecord(nil, evs[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Append(diskqueue.Droppable, evs[0].Time, rec); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, evs[0].ID)
	}
	return ids
}

type running struct {
	s      *Shipper
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, co *ClientOptions, q Queue, o Options) *running {
	t.Helper()
	es, err := NewClient(*co)
	if err != nil {
		t.Fatal(err)
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = 20 * time.Millisecond
	}
	if o.RetryBackoffMax == 0 {
		o.RetryBackoffMax = 50 * time.Millisecond
	}
	if o.DeadLetterPath == "" {
		o.DeadLetterPath = filepath.Join(t.TempDir(), "dead-letter.ndjson")
	}
	o.Metrics = NewMetrics()
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	s := New(es, q, o)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{s: s, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *running) stop(t *testing.T) {
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		r.done <- nil
	case <-time.After(15 * time.Second):
		t.Fatal("shipper did not stop")
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func waitDrained(t *testing.T, q *diskqueue.Queue, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if q.Stats().Records == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("buffer not drained: %+v", q.Stats())
}

func shippedTotal(s *Shipper) float64 {
	return testutil.ToFloat64(s.o.Metrics.Shipped.WithLabelValues("probe"))
}

func TestShipperStoresEveryEventOnce(t *testing.T) {
	e := newES8(t)
	q := newQueue(t)
	ids := enqueue(t, q, 2000)
	r := start(t, client(t, e.srv.URL), q, Options{FlushBytes: 64 << 10, Workers: 2})
	waitDrained(t, q, 20*time.Second)
	if n := e.count(); n != len(ids) {
		t.Fatalf("store holds %d documents, want %d", n, len(ids))
	}
	for _, id := range ids {
		if _, ok := e.docs["logs-vigia.probe-default"][id]; !ok {
			t.Fatalf("event %s missing", id)
		}
	}
	if got := shippedTotal(r.s); got != float64(len(ids)) {
		t.Errorf("shipped metric %v, want %d", got, len(ids))
	}
	if e.bulks < 2 {
		t.Errorf("2000 events in %d bulk requests: size batching did not split them", e.bulks)
	}
}

func TestShipperRetriesThrottlingAndServerErrors(t *testing.T) {
	e := newES8(t)
	// Five 503s in a row outlast the client's own retries (3 attempts), so the shipper has to
	// back off and resend from the buffer; some items are throttled once on their own.
	e.bulkStatus = func(n int) int {
		if n <= 5 {
			return 503
		}
		return 0
	}
	var throttled sync.Map
	e.itemStatus = func(id string, _ []byte) (int, json.RawMessage) {
		if strings.HasSuffix(id, "7") {
			if _, again := throttled.LoadOrStore(id, true); !again {
				return 429, json.RawMessage(`{"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation"}`)
			}
		}
		return 0, nil
	}
	q := newQueue(t)
	ids := enqueue(t, q, 300)
	// One worker makes the order of requests, and so which ones fail, deterministic.
	r := start(t, client(t, e.srv.URL), q, Options{FlushBytes: 16 << 10, Workers: 1})
	waitDrained(t, q, 20*time.Second)
	if n := e.count(); n != len(ids) {
		t.Fatalf("store holds %d documents, want %d", n, len(ids))
	}
	m := r.s.o.Metrics
	if testutil.ToFloat64(m.BulkFailures.WithLabelValues("unavailable")) == 0 || testutil.ToFloat64(m.BulkFailures.WithLabelValues("throttled")) == 0 {
		t.Errorf("retries not counted: unavailable %v throttled %v", testutil.ToFloat64(m.BulkFailures.WithLabelValues("unavailable")),
			testutil.ToFloat64(m.BulkFailures.WithLabelValues("throttled")))
	}
	if testutil.ToFloat64(m.StoreUp) != 1 {
		t.Error("store_up not back to 1")
	}
	if got := shippedTotal(r.s); got != float64(len(ids)) {
		t.Errorf("shipped metric %v, want %d (each event counted once)", got, len(ids))
	}
}

func TestShipperDeadLettersMappingErrorsAndGoesOn(t *testing.T) {
	e := newES8(t)
	bad := map[string]bool{"r00013": true, "r00077": true}
	var refusals atomic.Int32
	e.itemStatus = func(id string, _ []byte) (int, json.RawMessage) {
		if bad[id] {
			refusals.Add(1)
			return 400, json.RawMessage(fmt.Sprintf(string(fixture(t, "document_parsing_exception.json")), id))
		}
		return 0, nil
	}
	q := newQueue(t)
	ids := enqueue(t, q, 150)
	dl := filepath.Join(t.TempDir(), "dl", "dead-letter.ndjson")
	r := start(t, client(t, e.srv.URL), q, Options{DeadLetterPath: dl})
	waitDrained(t, q, 20*time.Second)
	if n := e.count(); n != len(ids)-2 {
		t.Fatalf("store holds %d documents, want %d", n, len(ids)-2)
	}
	if refusals.Load() != 2 {
		t.Errorf("refused events were sent %d times, want once each", refusals.Load())
	}
	f, err := os.Open(dl)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []deadLetterLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l deadLetterLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("dead-letter line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	if len(lines) != 2 {
		t.Fatalf("dead-letter file has %d lines, want 2", len(lines))
	}
	for _, l := range lines {
		var doc struct {
			Event struct{ ID string } `json:"event"`
		}
		_ = json.Unmarshal(l.Document, &doc)
		if !bad[l.ID] || l.Status != 400 || l.Error.Type != "document_parsing_exception" || doc.Event.ID != l.ID ||
			l.Index != "logs-vigia.probe-default" {
			t.Errorf("dead letter %+v", l)
		}
	}
	if got := testutil.ToFloat64(r.s.o.Metrics.Failed.WithLabelValues("rejected")); got != 2 {
		t.Errorf("failed{rejected} = %v", got)
	}
}

func TestShipperReplayOfStoredEventsIsHarmless(t *testing.T) {
	e := newES8(t)
	q := newQueue(t)
	ids := enqueue(t, q, 50)
	// As after a crash between the bulk and the commit: half the events are already stored.
	e.docs["logs-vigia.probe-default"] = map[string]json.RawMessage{}
	for _, id := range ids[:25] {
		e.docs["logs-vigia.probe-default"][id] = json.RawMessage(`{}`)
	}
	r := start(t, client(t, e.srv.URL), q, Options{})
	waitDrained(t, q, 10*time.Second)
	if n := e.count(); n != 50 {
		t.Fatalf("store holds %d, want 50", n)
	}
	if got := testutil.ToFloat64(r.s.o.Metrics.Failed.WithLabelValues("rejected")); got != 0 {
		t.Errorf("replayed events dead-lettered: %v", got)
	}
}

func TestShipperCompressesBulks(t *testing.T) {
	e := newES8(t)
	q := newQueue(t)
	enqueue(t, q, 100)
	co := client(t, e.srv.URL)
	co.Compress = true
	start(t, co, q, Options{})
	waitDrained(t, q, 10*time.Second)
	gz := false
	for _, r := range e.recordedRequests() {
		if r.Path == "/_bulk" && r.Header.Get("Content-Encoding") == "gzip" {
			gz = true
		}
	}
	if !gz || e.count() != 100 {
		t.Fatalf("gzip bulk seen: %v, stored %d", gz, e.count())
	}
}

func TestShipperWaitsForTimeBeforeSendingASmallBatch(t *testing.T) {
	e := newES8(t)
	q := newQueue(t)
	start(t, client(t, e.srv.URL), q, Options{FlushInterval: 400 * time.Millisecond, Workers: 1})
	time.Sleep(200 * time.Millisecond) // bootstrap done
	t0 := time.Now()
	enqueue(t, q, 3)
	waitDrained(t, q, 5*time.Second)
	if d := time.Since(t0); d < 350*time.Millisecond {
		t.Errorf("3 events shipped after %v, before the 400ms flush interval", d)
	}
	if e.bulks != 1 {
		t.Errorf("3 events in %d bulks, want 1", e.bulks)
	}
}

// A store that stops answering at one event (and only that one) must not hold the stream
// forever: after a few rounds that event goes to the dead-letter file.
func TestShipperDeadLettersAnEventTheStoreNeverAnswers(t *testing.T) {
	e := newES8(t)
	var stops atomic.Int32
	e.stopAt = func(id string) bool {
		if id == "r00005" {
			stops.Add(1)
			return true
		}
		return false
	}
	q := newQueue(t)
	ids := enqueue(t, q, 40)
	r := start(t, client(t, e.srv.URL), q, Options{Workers: 1})
	waitDrained(t, q, 20*time.Second)
	if n := e.count(); n != len(ids)-1 {
		t.Fatalf("store holds %d, want %d", n, len(ids)-1)
	}
	if stops.Load() != poisonRounds {
		t.Errorf("the unanswered event was sent %d times, want %d", stops.Load(), poisonRounds)
	}
	if got := testutil.ToFloat64(r.s.o.Metrics.Failed.WithLabelValues("no_result")); got != 1 {
		t.Errorf("failed{no_result} = %v", got)
	}
}
