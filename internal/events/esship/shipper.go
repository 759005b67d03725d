package esship

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigia-sei/vigia/internal/events/diskqueue"
	"github.com/vigia-sei/vigia/internal/events/ecs"
)

// Queue is what the shipper needs of the disk buffer.
type Queue interface {
	Next(dst []diskqueue.Record, buf []byte, maxBytes int) ([]diskqueue.Record, []byte, error)
	Commit(diskqueue.Position) error
	Rewind()
	Ready() <-chan struct{}
}

// Metrics the shipper updates. The vectors are already curried down to the labels named.
type Metrics struct {
	Shipped      *prometheus.CounterVec // dataset
	Failed       *prometheus.CounterVec // reason: rejected, unreadable, no_result
	BulkFailures *prometheus.CounterVec // reason: unavailable, throttled, server_error, forbidden, index_missing, no_result
	BulkDuration prometheus.Observer    // seconds per bulk request
	StoreUp      prometheus.Gauge
}

// NewMetrics returns unregistered metrics with the shipper's names, for callers that register
// them (or tests that only read them).
func NewMetrics() Metrics {
	return Metrics{
		Shipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigia_events_shipped_total",
			Help: "Events the event store accepted."}, []string{"dataset"}),
		Failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigia_events_failed_total",
			Help: "Events the event store refused for good; they are in the dead-letter file."}, []string{"reason"}),
		BulkFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigia_events_bulk_failures_total",
			Help: "Bulk rounds that left events to retry."}, []string{"reason"}),
		BulkDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vigia_events_bulk_duration_seconds",
			Help: "Latency of one bulk request.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}),
		StoreUp: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigia_events_store_up",
			Help: "1 when the last request to the event store succeeded."}),
	}
}

// Options tune the shipper.
type Options struct {
	Namespace     string
	RetentionDays int
	// FlushBytes is the size of one bulk request; FlushInterval the longest an event waits for a
	// batch to fill. Workers bulk requests run at once.
	FlushBytes    int
	FlushInterval time.Duration
	Workers       int
	// RetryBackoffMax caps the wait between attempts while the store is down.
	RetryBackoffMax time.Duration
	// DeadLetterPath is the NDJSON file for refused events.
	DeadLetterPath string
	// ShutdownGrace is how long an in-flight bulk may finish after Run's context ends.
	ShutdownGrace time.Duration
	Logger        *slog.Logger
	Metrics       Metrics
}

// Shipper moves events from the disk buffer to Elasticsearch.
type Shipper struct {
	es    *elasticsearch.Client
	q     Queue
	o     Options
	log   *slog.Logger
	dl    *deadLetter
	index map[ecs.Dataset]string

	// Report is the last bootstrap's; read it after Run returns or from tests.
	mu     sync.Mutex
	report Report

	// answers counts bulk responses decoded: the store answered, whatever it said per item.
	answers     atomic.Int64
	down        bool
	downSince   time.Time
	poisonPos   diskqueue.Position
	poisonCount int
	outcomes    []uint8
	datasets    []ecs.Dataset
}

// Item outcomes of one bulk round.
const (
	outNone  uint8 = iota // no answer for the item: retry
	outOK                 // stored (or already there)
	outDead               // refused for good: dead-lettered
	outRetry              // refused for now
)

// poisonRounds is how many rounds an item may go unanswered, while the store answers the items
// before it, before it is dead-lettered: ZincSearch stops a bulk at a document it cannot index
// and answers 200 for the ones before, saying nothing about the rest.
const poisonRounds = 3

// New returns a shipper; Run does the work.
func New(es *elasticsearch.Client, q Queue, o Options) *Shipper {
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.FlushBytes <= 0 {
		o.FlushBytes = 5 << 20
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = 2 * time.Second
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.RetryBackoffMax <= 0 {
		o.RetryBackoffMax = 30 * time.Second
	}
	if o.ShutdownGrace <= 0 {
		o.ShutdownGrace = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics.Shipped == nil {
		o.Metrics = NewMetrics()
	}
	s := &Shipper{es: es, q: q, o: o, log: o.Logger, dl: newDeadLetter(o.DeadLetterPath, 0), index: map[ecs.Dataset]string{}}
	for _, d := range ecs.Datasets {
		s.index[d] = ecs.DataStream(d, o.Namespace)
	}
	return s
}

// Report returns what the last bootstrap did.
func (s *Shipper) Report() Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.report
}

type flushStartKey struct{}

// Run bootstraps the store (retrying until it answers) and ships until ctx ends. Events not
// acknowledged by the store stay in the buffer for the next run.
func (s *Shipper) Run(ctx context.Context) error {
	// Requests of an in-flight bulk get ShutdownGrace after ctx ends, then are cut; their
	// events were not committed, so they are sent again next time.
	hard, cancelHard := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHard()
	stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(s.o.ShutdownGrace, cancelHard) })
	defer stopGrace()
	defer s.dl.close()

	if !s.bootstrapLoop(ctx) {
		return nil
	}
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{
		Client:     s.es,
		NumWorkers: s.o.Workers,
		FlushBytes: s.o.FlushBytes,
		// Only what the callbacks read: a bulk response of a few thousand full items costs more
		// to decode than to send.
		FilterPath: []string{"errors", "items.*.status", "items.*.error"},
		Decoder:    countingDecoder{&s.answers},
		// Batches are cut by size here and flushed explicitly by time in fill; the indexer's
		// own timer only has to stay out of the way.
		FlushInterval: time.Hour,
		OnFlushStart: func(context.Context) context.Context {
			return context.WithValue(hard, flushStartKey{}, time.Now())
		},
		OnFlushEnd: func(c context.Context) {
			if t, ok := c.Value(flushStartKey{}).(time.Time); ok {
				s.o.Metrics.BulkDuration.Observe(time.Since(t).Seconds())
			}
		},
	})
	if err != nil {
		return fmt.Errorf("bulk indexer: %w", err)
	}
	defer func() { _ = bi.Close(context.Background()) }()

	// Records read by an earlier Run but not committed are this Run's to send.
	s.q.Rewind()
	var recs []diskqueue.Record
	var buf []byte
	failures := 0
	for ctx.Err() == nil {
		recs, buf, err = s.fill(ctx, recs[:0], buf[:0])
		if err != nil {
			if errors.Is(err, diskqueue.ErrClosed) {
				return nil
			}
			return err
		}
		if len(recs) == 0 || ctx.Err() != nil {
			continue
		}
		switch s.ship(bi, recs) {
		case shipped:
			failures = 0
		case retryNow:
			failures = 0
			s.q.Rewind()
		case retryLater:
			failures++
			s.q.Rewind()
			if !sleepCtx(ctx, s.backoff(failures)) {
				return nil
			}
		}
	}
	return nil
}

func (s *Shipper) bootstrapLoop(ctx context.Context) bool {
	for attempt := 1; ; attempt++ {
		rep, err := Bootstrap(ctx, s.es, s.o.Namespace, s.o.RetentionDays)
		if err == nil {
			s.mu.Lock()
			s.report = rep
			s.mu.Unlock()
			s.o.Metrics.StoreUp.Set(1)
			s.log.Info("event store ready", "version", rep.StoreVersion, "installed", strings.Join(rep.Installed, ","))
			if len(rep.Missing) > 0 {
				missing := make([]string, len(rep.Missing))
				for i, m := range rep.Missing {
					missing[i] = m.String()
				}
				s.log.Warn("event store lacks some Elasticsearch APIs; shipping continues without them",
					"missing", strings.Join(missing, "; "), "effect", rep.Effects())
			}
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		s.o.Metrics.StoreUp.Set(0)
		if attempt == 1 {
			s.log.Warn("event store not reachable; events wait in the disk buffer until it is",
				"err", redact(err.Error()))
		} else {
			s.log.Debug("event store still not reachable", "attempt", attempt, "err", redact(err.Error()))
		}
		if !sleepCtx(ctx, s.backoff(attempt)) {
			return false
		}
	}
}

// fill reads a batch: up to Workers bulk requests' worth, or whatever arrived within
// FlushInterval of the batch's first event.
func (s *Shipper) fill(ctx context.Context, recs []diskqueue.Record, buf []byte) ([]diskqueue.Record, []byte, error) {
	target := s.o.FlushBytes * s.o.Workers
	size := 0
	var timer *time.Timer
	var deadline <-chan time.Time
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		n0 := len(recs)
		var err error
		recs, buf, err = s.q.Next(recs, buf, min(target-size, 4<<20))
		if err != nil {
			return recs, buf, err
		}
		for _, r := range recs[n0:] {
			size += len(r.Data)
		}
		if size >= target {
			return recs, buf, nil
		}
		if len(recs) > n0 {
			continue
		}
		if len(recs) > 0 && timer == nil {
			timer = time.NewTimer(s.o.FlushInterval)
			deadline = timer.C
		}
		select {
		case <-ctx.Done():
			return recs[:0], buf, nil
		case <-s.q.Ready():
		case <-deadline:
			return recs, buf, nil
		}
	}
}

type rejection struct {
	i      int
	status int
	typ    string
	reason string
	metric string
}

type shipResult int

const (
	shipped    shipResult = iota // the whole batch is committed
	retryNow                     // progress was made past a poison event: read on at once
	retryLater                   // the store could not take it: back off, then resend from the commit
)

// ship sends one batch and commits the prefix the store took (stored or dead-lettered).
func (s *Shipper) ship(bi esutil.BulkIndexer, recs []diskqueue.Record) shipResult {
	n := len(recs)
	s.outcomes = append(s.outcomes[:0], make([]uint8, n)...)
	s.datasets = append(s.datasets[:0], make([]ecs.Dataset, n)...)
	outcomes := s.outcomes
	var (
		mu          sync.Mutex
		rejects     []rejection
		retryReason string
		retryErr    string
		docs        = make([]ecs.Event, n)
		answersThen = s.answers.Load()
	)
	for i := range recs {
		ev, err := ecs.ParseRecord(recs[i].Data)
		if err != nil {
			outcomes[i] = outDead
			docs[i] = ecs.Event{Doc: recs[i].Data}
			rejects = append(rejects, rejection{i: i, reason: err.Error(), metric: "unreadable"})
			continue
		}
		docs[i] = ev
		s.datasets[i] = ev.Dataset
		err = bi.Add(context.Background(), esutil.BulkIndexerItem{
			Action:     "create",
			Index:      s.index[ev.Dataset],
			DocumentID: ev.ID,
			Body:       bytes.NewReader(ev.Doc),
			OnSuccess: func(context.Context, esutil.BulkIndexerItem, esutil.BulkIndexerResponseItem) {
				outcomes[i] = outOK
			},
			OnFailure: func(_ context.Context, _ esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, err error) {
				o, reason := classify(res, err)
				outcomes[i] = o
				mu.Lock()
				defer mu.Unlock()
				switch o {
				case outRetry:
					if retryReason == "" {
						retryReason = reason
						if err != nil {
							retryErr = err.Error()
						} else {
							retryErr = fmt.Sprintf("HTTP %d %s: %s", res.Status, res.Error.Type, res.Error.Reason)
						}
					}
				case outDead:
					rejects = append(rejects, rejection{i: i, status: res.Status, typ: res.Error.Type,
						reason: res.Error.Reason, metric: "rejected"})
				}
			},
		})
		if err != nil {
			break // only on a cancelled context, which Background is not; the rest stays unanswered
		}
	}
	// Flush returns after every worker sent its part and ran every callback.
	if err := bi.Flush(context.Background()); err != nil {
		return retryLater
	}

	first := -1
	for i, o := range outcomes {
		if o == outNone || o == outRetry {
			first = i
			break
		}
	}
	poisoned := false
	if first >= 0 && outcomes[first] == outNone && s.answers.Load() > answersThen && retryReason == "" {
		// The store answered the bulk but not for this item, round after round.
		if recs[first].End == s.poisonPos {
			s.poisonCount++
		} else {
			s.poisonPos, s.poisonCount = recs[first].End, 1
		}
		if s.poisonCount >= poisonRounds {
			outcomes[first] = outDead
			rejects = append(rejects, rejection{i: first, reason: "the store answered for the events around it but never for this one",
				metric: "no_result"})
			s.poisonCount, poisoned = 0, true
			from := first + 1
			first = -1
			for i := from; i < n; i++ {
				if outcomes[i] == outNone || outcomes[i] == outRetry {
					first = i
					break
				}
			}
		}
	}
	s.deadLetter(docs, rejects, first)

	end := n
	if first >= 0 {
		end = first
	}
	for i := 0; i < end; i++ {
		if outcomes[i] == outOK {
			s.o.Metrics.Shipped.WithLabelValues(s.datasets[i].Short()).Inc()
		}
	}
	if end > 0 {
		if err := s.q.Commit(recs[end-1].End); err != nil {
			s.log.Error("event buffer: cannot commit shipped events; they will be sent again", "err", err)
		}
	}
	if first < 0 {
		s.up()
		return shipped
	}
	if poisoned {
		return retryNow
	}
	if retryReason == "" {
		retryReason, retryErr = "no_result", "the store did not answer for every event of the bulk"
	}
	s.o.Metrics.BulkFailures.WithLabelValues(retryReason).Inc()
	s.o.Metrics.StoreUp.Set(0)
	if !s.down {
		s.down, s.downSince = true, time.Now()
		s.log.Warn("event store unavailable; events wait in the disk buffer and are retried with backoff",
			"reason", retryReason, "err", redact(retryErr))
	} else {
		s.log.Debug("event store still unavailable", "reason", retryReason, "err", redact(retryErr))
	}
	return retryLater
}

func (s *Shipper) up() {
	s.o.Metrics.StoreUp.Set(1)
	if s.down {
		s.down = false
		s.log.Info("event store reachable again; shipping the buffered events", "down_for", time.Since(s.downSince).Round(time.Second))
	}
}

// deadLetter keeps refused events of the committed part of the batch (the rest is sent again).
func (s *Shipper) deadLetter(docs []ecs.Event, rejects []rejection, first int) {
	if len(rejects) == 0 {
		return
	}
	kept := 0
	var sample rejection
	now := time.Now()
	for _, r := range rejects {
		if first >= 0 && r.i > first {
			continue
		}
		ev := docs[r.i]
		err := s.dl.write(deadLetterLine{Time: now, Index: s.index[ev.Dataset], ID: ev.ID, Status: r.status,
			Error: deadLetterError{Type: r.typ, Reason: r.reason}, Document: ev.Doc})
		if err != nil {
			s.log.Error("cannot write the dead-letter file; the refused event is lost", "id", ev.ID, "err", err)
		}
		s.o.Metrics.Failed.WithLabelValues(r.metric).Inc()
		if kept == 0 {
			sample = r
		}
		kept++
	}
	if kept > 0 {
		s.log.Warn("event store refused events; they are in the dead-letter file and the stream goes on",
			"count", kept, "file", s.dl.path, "status", sample.status, "error_type", sample.typ,
			"reason", truncate(sample.reason, 300), "example_id", docs[sample.i].ID)
	}
}

// classify sorts a failed bulk item: worth retrying, or refused for good.
func classify(res esutil.BulkIndexerResponseItem, err error) (uint8, string) {
	if err != nil {
		return outRetry, "unavailable"
	}
	switch st := res.Status; {
	case st == 409:
		return outOK, "" // create of an id that is already there: a replay
	case st == 429:
		return outRetry, "throttled"
	case st >= 500:
		return outRetry, "server_error"
	case st == 401 || st == 403:
		return outRetry, "forbidden" // a privilege problem hits every event: wait for the fix
	case st == 404:
		return outRetry, "index_missing" // auto-creation disabled: same
	case st == 0:
		return outNone, ""
	default:
		return outDead, "rejected"
	}
}

func (s *Shipper) backoff(attempt int) time.Duration {
	d := 500 * time.Millisecond << min(attempt-1, 10)
	d = min(d, s.o.RetryBackoffMax)
	return d/2 + rand.N(d/2+1)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

var userinfo = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s"]+@`)

// redact removes credentials a URL in an error text could carry.
func redact(s string) string { return userinfo.ReplaceAllString(s, "$1") }

// countingDecoder is the indexer's default decoding, counting the responses it could read.
type countingDecoder struct{ n *atomic.Int64 }

func (d countingDecoder) UnmarshalFromReader(r io.Reader, blk *esutil.BulkIndexerResponse) error {
	if err := json.NewDecoder(r).Decode(blk); err != nil {
		return err
	}
	d.n.Add(1)
	return nil
}
