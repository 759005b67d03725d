package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
	"github.com/vigia-sei/vigia/internal/events/diskqueue"
	"github.com/vigia-sei/vigia/internal/events/ecs"
	"github.com/vigia-sei/vigia/internal/events/esship"
	"github.com/vigia-sei/vigia/internal/events/ndjson"
)

// Defaults for fields a hand-built config may leave zero (config.Parse sets most of them).
const (
	defaultBufferMaxBytes = 1 << 30
	defaultFileMaxBytes   = 100 << 20
	defaultFileMaxAge     = 24 * time.Hour
	defaultFileMaxFiles   = 10
	defaultFileFlush      = 200 * time.Millisecond
)

// Pipeline takes events from the daemon and delivers them to the configured outputs.
type Pipeline struct {
	enc       *ecs.Encoder
	log       *slog.Logger
	queue     *diskqueue.Queue // nil without Elasticsearch
	shipper   *esship.Shipper  // nil without Elasticsearch
	file      *ndjson.Writer   // nil when the file output is off
	logEvents bool
	m         *metrics

	recPool    sync.Pool    // of *recBatch: disk-buffer records of alerts and log records
	resultPool sync.Pool    // of *resultBuf
	lastError  atomic.Int64 // unix seconds of the last output error logged, to rate-limit
	closeOnce  sync.Once
	closeErr   error
}

// NewFromConfig builds the pipeline the config asks for: Elasticsearch behind a disk buffer under
// global.state_dir/buffer when outputs.elasticsearch is set, NDJSON files when outputs.file is
// enabled (the default without Elasticsearch), or both. Metrics are registered with reg (nil:
// not registered). log is used for the pipeline's own messages; it should not be a logger
// built on LogHandler, or the pipeline's warnings would feed themselves back as events.
func NewFromConfig(cfg *config.Config, reg prometheus.Registerer, log *slog.Logger) (*Pipeline, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	es := cfg.Outputs.Elasticsearch
	fo := cfg.Outputs.File
	namespace := "default"
	if es != nil && es.Namespace != "" {
		namespace = es.Namespace
	}
	hostname, _ := os.Hostname()
	p := &Pipeline{
		enc: ecs.NewEncoder(ecs.Observer{Hostname: hostname, Version: version()}, namespace),
		log: log.With("component", "events"),
		m:   newMetrics(),
	}
	p.recPool.New = func() any { return &recBatch{buf: make([]byte, 0, 4096)} }

	if es != nil {
		limit := orDefault(es.BufferMaxBytes, defaultBufferMaxBytes)
		q, err := diskqueue.Open(filepath.Join(cfg.Global.StateDir, "buffer"), diskqueue.Options{MaxBytes: limit, Logger: p.log})
		if err != nil {
			return nil, fmt.Errorf("event buffer: %w", err)
		}
		workers := es.Workers
		if workers <= 0 {
			workers = 2
		}
		client, err := esship.NewClient(esship.ClientOptions{
			Addresses: es.Addresses, APIKey: es.APIKey.Reveal(), Username: es.Username, Password: es.Password.Reveal(),
			CAFile: es.CAFile, CertFile: es.CertFile, KeyFile: es.KeyFile, InsecureSkipVerify: es.InsecureSkipVerify,
			Compress: es.Compress, Conns: workers + 1,
		})
		if err != nil {
			_ = q.Close()
			return nil, err
		}
		p.queue = q
		p.m.queue, p.m.limit = q, float64(limit)
		p.shipper = esship.New(client, q, esship.Options{
			Namespace: namespace, RetentionDays: es.RetentionDays, FlushBytes: es.FlushBytes,
			FlushInterval: es.FlushInterval, Workers: workers, RetryBackoffMax: es.RetryBackoffMax,
			DeadLetterPath: filepath.Join(cfg.Global.StateDir, "buffer", "dead-letter.ndjson"),
			Logger:         p.log, Metrics: p.m.shipperMetrics(),
		})
		p.logEvents = es.LogEvents
	}
	if fo.Enabled != nil && *fo.Enabled || fo.Enabled == nil && es == nil {
		dir := fo.Dir
		if dir == "" {
			dir = filepath.Join(cfg.Global.StateDir, "events")
		}
		w, err := ndjson.Open(ndjson.Options{Dir: dir, MaxBytes: orDefault(fo.MaxBytes, defaultFileMaxBytes),
			MaxAge: orDefault(fo.MaxAge, defaultFileMaxAge), MaxFiles: orDefault(fo.MaxFiles, defaultFileMaxFiles),
			FlushInterval: orDefault(fo.FlushInterval, defaultFileFlush), Written: p.fileWritten})
		if err != nil {
			if p.queue != nil {
				_ = p.queue.Close()
			}
			return nil, err
		}
		p.file = w
		p.logEvents = p.logEvents || fo.LogEvents
	}
	if reg != nil {
		if err := p.m.register(reg); err != nil {
			_ = p.Close()
			return nil, fmt.Errorf("register event metrics: %w", err)
		}
	}
	return p, nil
}

func orDefault[T int | int64 | time.Duration](v, d T) T {
	if v <= 0 {
		return d
	}
	return v
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// resultBuf is what HandleResult reuses from one probe result to the next: the documents, the
// events that point into them, and their disk-buffer records. The outputs copy what they keep, so
// nothing of a result outlives its HandleResult.
type resultBuf struct {
	docs  []byte
	evs   []ecs.Event
	recs  recBatch
	lines [][]byte // the documents for the event file
	tags  []uint8  // and their datasets
}

// recBatch is the disk-buffer records of a result's events, appended in one call.
type recBatch struct {
	buf     []byte
	ends    []int // where each entry's record ends in buf
	entries []diskqueue.Entry
	errs    []error
}

// HandleResult records one probe run (and its synthetic steps). It never waits on the network.
func (p *Pipeline) HandleResult(r probe.Result) {
	rb, _ := p.resultPool.Get().(*resultBuf)
	if rb == nil {
		rb = &resultBuf{}
	}
	docs, evs, err := p.enc.AppendResult(rb.docs[:0], rb.evs[:0], r)
	if err != nil {
		p.m.drop("encode", 1)
		p.outputError("cannot encode a probe result as an event", err)
	}
	p.putRecs(evs, &rb.recs)
	p.writeFile(evs, &rb.lines, &rb.tags)
	clear(evs)
	// A result of many large steps must not pin its buffer for good.
	if cap(docs) <= 256<<10 {
		rb.docs, rb.evs = docs, evs[:0]
		p.resultPool.Put(rb)
	}
}

// HandleAlert records one alert state change. Alert events are never dropped by the buffer.
func (p *Pipeline) HandleAlert(a alerting.Alert) {
	ev, err := p.enc.Alert(a)
	if err != nil {
		p.m.drop("encode", 1)
		p.outputError("cannot encode an alert as an event", err)
		return
	}
	p.put(ev)
}

func (p *Pipeline) put(ev ecs.Event) {
	rb := p.recPool.Get().(*recBatch)
	p.putRecs([]ecs.Event{ev}, rb)
	p.recPool.Put(rb)
	var (
		docs [][]byte
		tags []uint8
	)
	p.writeFile([]ecs.Event{ev}, &docs, &tags)
}

// putRecs counts evs and hands them to the disk buffer in one append, building their records in
// rb; writeFile hands them to the event file.
func (p *Pipeline) putRecs(evs []ecs.Event, rb *recBatch) {
	for _, ev := range evs {
		p.m.eventsOf.get(ev.Dataset).Inc()
	}
	if p.queue == nil || len(evs) == 0 {
		return
	}
	// Records are appended to one buffer, which may move as it grows: the entries take their
	// slices of it once it is complete.
	b, ends, entries := rb.buf[:0], rb.ends[:0], rb.entries[:0]
	var (
		encErr    error
		encFailed int
	)
	for _, ev := range evs {
		var err error
		if b, err = ecs.AppendRecord(b, ev); err != nil {
			encErr = err
			encFailed++
			continue
		}
		class := diskqueue.Droppable
		if ev.Dataset == ecs.DatasetAlert {
			class = diskqueue.Keep
		}
		entries = append(entries, diskqueue.Entry{Class: class, Time: ev.Time})
		ends = append(ends, len(b))
	}
	start := 0
	for i := range entries {
		entries[i].Data = b[start:ends[i]]
		start = ends[i]
	}
	errs := append(rb.errs[:0], make([]error, len(entries))...)
	p.queue.AppendAll(entries, errs)
	if encFailed > 0 {
		p.m.drop("buffer_write", encFailed)
		p.outputError("cannot build the disk-buffer record of an event; it is lost", encErr)
	}
	for _, err := range errs {
		switch {
		case err == nil, errors.Is(err, diskqueue.ErrFull):
			// ErrFull is counted by the queue as dropped{reason="queue_full"}.
		case errors.Is(err, diskqueue.ErrClosed):
			p.m.drop("closed", 1)
		default:
			p.m.drop("buffer_write", 1)
			p.outputError("cannot write an event to the disk buffer; it is lost", err)
		}
	}
	clear(entries)
	clear(errs)
	rb.entries, rb.errs, rb.ends = entries[:0], errs[:0], ends[:0]
	if cap(b) <= 1<<20 {
		rb.buf = b[:0]
	} else {
		rb.buf = nil
	}
}

// writeFile hands events to the event file (ndjson.Writer.Write), tagged with their datasets for
// fileWritten. docs and tags are scratch for the lists of their documents and datasets.
func (p *Pipeline) writeFile(evs []ecs.Event, docs *[][]byte, tags *[]uint8) {
	if p.file == nil || len(evs) == 0 {
		return
	}
	d, tg := (*docs)[:0], (*tags)[:0]
	for _, ev := range evs {
		d = append(d, ev.Doc)
		tg = append(tg, uint8(ev.Dataset))
	}
	err := p.file.Write(tg, d...)
	clear(d)
	*docs, *tags = d[:0], tg[:0]
	if errors.Is(err, ndjson.ErrClosed) {
		p.m.drop("closed", len(evs))
	}
}

// fileWritten counts the outcome of a write to the event file by the datasets of its documents.
func (p *Pipeline) fileWritten(datasets []uint8, err error) {
	if err != nil {
		p.m.failed.WithLabelValues("file", "write_error").Add(float64(len(datasets)))
		p.outputError("cannot write events to the event file; they are lost", err)
		return
	}
	for _, ds := range datasets {
		p.m.fileShippedOf.get(ecs.Dataset(ds)).Inc()
	}
}

// outputError logs at most one error per minute: a full disk must not flood the log.
func (p *Pipeline) outputError(msg string, err error) {
	now := time.Now().Unix()
	last := p.lastError.Load()
	if now-last < 60 || !p.lastError.CompareAndSwap(last, now) {
		return
	}
	p.log.Error(msg, "err", err)
}

// Run ships buffered events until ctx ends. Without Elasticsearch it only waits.
func (p *Pipeline) Run(ctx context.Context) error {
	if p.shipper == nil {
		<-ctx.Done()
		return nil
	}
	return p.shipper.Run(ctx)
}

// Bootstrap returns what the last Elasticsearch bootstrap installed and what the store lacked;
// zero without Elasticsearch or before the first bootstrap.
func (p *Pipeline) Bootstrap() esship.Report {
	if p.shipper == nil {
		return esship.Report{}
	}
	return p.shipper.Report()
}

// Close flushes and closes the buffer and files. Call it after Run returned; events handed in
// later are counted as dropped{reason="closed"}.
func (p *Pipeline) Close() error {
	p.closeOnce.Do(func() {
		var errs []error
		if p.queue != nil {
			errs = append(errs, p.queue.Close())
		}
		if p.file != nil {
			errs = append(errs, p.file.Close())
		}
		p.closeErr = errors.Join(errs...)
	})
	return p.closeErr
}
