package events

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigia-sei/vigia/internal/events/diskqueue"
	"github.com/vigia-sei/vigia/internal/events/ecs"
	"github.com/vigia-sei/vigia/internal/events/esship"
)

type metrics struct {
	events       *prometheus.CounterVec // dataset
	shipped      *prometheus.CounterVec // output, dataset
	failed       *prometheus.CounterVec // output, reason
	bulkFailures *prometheus.CounterVec
	bulkDuration prometheus.Histogram
	storeUp      prometheus.Gauge

	// eventsOf and fileShippedOf are the children of events and shipped{output="file"} that
	// every event counts in.
	eventsOf, fileShippedOf *datasetCounters

	// queue is read at scrape time; nil without Elasticsearch.
	queue *diskqueue.Queue

	mu      sync.Mutex
	dropped map[string]float64 // reasons counted here; the queue counts its own

	descBytes, descEvents, descLimit, descAge, descDropped *prometheus.Desc
	limit                                                  float64
}

func newMetrics() *metrics {
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigia_events_total",
			Help: "Events produced, by dataset (probe runs and steps, alert state changes, log records)."}, []string{"dataset"}),
		shipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigia_events_shipped_total",
			Help: "Events delivered: accepted by the event store, or written to the event file."}, []string{"output", "dataset"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigia_events_failed_total",
			Help: "Events an output refused for good (Elasticsearch: kept in the dead-letter file)."}, []string{"output", "reason"}),
		bulkFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigia_events_bulk_failures_total",
			Help: "Bulk rounds that left events to retry, by reason."}, []string{"reason"}),
		bulkDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vigia_events_bulk_duration_seconds",
			Help: "Latency of one bulk request to the event store.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}),
		storeUp: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigia_events_store_up",
			Help: "1 when the last request to the event store succeeded, 0 while it fails."}),
		dropped: map[string]float64{},
		descBytes: prometheus.NewDesc("vigia_events_queue_bytes",
			"Bytes of events waiting in the disk buffer.", nil, nil),
		descEvents: prometheus.NewDesc("vigia_events_queue_events",
			"Events waiting in the disk buffer.", nil, nil),
		descLimit: prometheus.NewDesc("vigia_events_queue_limit_bytes",
			"Size limit of the disk buffer; at the limit the oldest probe events are dropped.", nil, nil),
		descAge: prometheus.NewDesc("vigia_events_queue_oldest_age_seconds",
			"Age of the oldest event waiting in the disk buffer (0 when empty).", nil, nil),
		descDropped: prometheus.NewDesc("vigia_events_dropped_total",
			"Events lost before delivery: queue_full (oldest probe events dropped at the buffer limit), buffer_corrupt, buffer_write, encode, closed.",
			[]string{"reason"}, nil),
	}
	for _, r := range []string{"queue_full", "buffer_corrupt", "buffer_write", "encode", "closed"} {
		m.dropped[r] = 0
	}
	m.eventsOf = &datasetCounters{vec: m.events}
	m.fileShippedOf = &datasetCounters{vec: m.shipped, labels: []string{"file"}}
	return m
}

// datasetCounters looks up the child of a counter vector for a dataset once: WithLabelValues
// hashes the label values and takes the vector's lock on every call. A child is created on first
// use, as WithLabelValues does, so /metrics shows no series before its first event.
type datasetCounters struct {
	vec    *prometheus.CounterVec
	labels []string // the label values before the dataset
	by     [4]atomic.Pointer[prometheus.Counter]
}

func (dc *datasetCounters) get(d ecs.Dataset) prometheus.Counter {
	if int(d) >= len(dc.by) {
		return dc.vec.WithLabelValues(append(slices.Clip(dc.labels), d.Short())...)
	}
	if c := dc.by[d].Load(); c != nil {
		return *c
	}
	c := dc.vec.WithLabelValues(append(slices.Clip(dc.labels), d.Short())...)
	dc.by[d].Store(&c)
	return c
}

func (m *metrics) shipperMetrics() esship.Metrics {
	es := prometheus.Labels{"output": "elasticsearch"}
	return esship.Metrics{
		Shipped:      m.shipped.MustCurryWith(es),
		Failed:       m.failed.MustCurryWith(es),
		BulkFailures: m.bulkFailures,
		BulkDuration: m.bulkDuration,
		StoreUp:      m.storeUp,
	}
}

func (m *metrics) drop(reason string, n int) {
	m.mu.Lock()
	m.dropped[reason] += float64(n)
	m.mu.Unlock()
}

func (m *metrics) register(reg prometheus.Registerer) error {
	cs := []prometheus.Collector{m.events, m.shipped, m.failed, m, m.bulkFailures, m.bulkDuration, m.storeUp}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Describe implements prometheus.Collector for the buffer gauges and the drop counter.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.descBytes, m.descEvents, m.descLimit, m.descAge, m.descDropped} {
		ch <- d
	}
}

// Collect reads the buffer once per scrape.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	dropped := make(map[string]float64, len(m.dropped))
	for k, v := range m.dropped {
		dropped[k] = v
	}
	m.mu.Unlock()
	if m.queue != nil {
		st := m.queue.Stats()
		dropped["queue_full"] += float64(st.DroppedFull)
		dropped["buffer_corrupt"] += float64(st.DroppedCorrupt)
		age := 0.0
		if !st.Oldest.IsZero() {
			age = max(time.Since(st.Oldest).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(m.descBytes, prometheus.GaugeValue, float64(st.Bytes))
		ch <- prometheus.MustNewConstMetric(m.descEvents, prometheus.GaugeValue, float64(st.Records))
		ch <- prometheus.MustNewConstMetric(m.descLimit, prometheus.GaugeValue, m.limit)
		ch <- prometheus.MustNewConstMetric(m.descAge, prometheus.GaugeValue, age)
	}
	for r, v := range dropped {
		ch <- prometheus.MustNewConstMetric(m.descDropped, prometheus.CounterValue, v, r)
	}
}
