package collectors

import (
	"container/heap"
	"context"
	"crypto/rand"
	"encoding/hex"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// Prober probes one target once. It must honour ctx's deadline and never panic.
type Prober interface {
	Name() string
	Probe(ctx context.Context, t probe.Target) probe.Result
}

// ResultHandler consumes every Result. It is called from worker goroutines and must not block for
// long: slow consumers buffer on their side.
type ResultHandler interface {
	HandleResult(probe.Result)
}

// ResultHandlerFunc adapts a function.
type ResultHandlerFunc func(probe.Result)

// HandleResult calls f.
func (f ResultHandlerFunc) HandleResult(r probe.Result) { f(r) }

// Plan says when and for how long a prober runs.
type Plan struct {
	Prober   Prober
	Interval time.Duration
	// Cron, when set, replaces Interval; CronSpec is its text (to tell whether a reload changed it).
	Cron     cron.Schedule
	CronSpec string
	Timeout  time.Duration
}

// SchedulerOptions configure a Scheduler.
type SchedulerOptions struct {
	Concurrency int
	// CronSpread spreads instances of a cron-scheduled probe over this window.
	CronSpread time.Duration
	// StartSpread bounds how long after start (or after an instance appears) its first run waits,
	// so first results come fast without every instance starting in the same millisecond. Zero
	// starts every first run at once.
	StartSpread time.Duration
	Logger      *slog.Logger
	Registerer  prometheus.Registerer
}

// Scheduler runs every (target, prober) pair on its plan with bounded concurrency. A hung instance
// holds one run slot until its deadline and nothing else: runs are never serialised per instance.
// Each run gets its own goroutine when it starts (Concurrency bounds how many exist), so a high
// bound for fleets with many hung instances costs nothing while it is not used.
type Scheduler struct {
	opts    SchedulerOptions
	handler ResultHandler
	log     *slog.Logger

	mu    sync.Mutex
	jobs  map[jobKey]*job
	queue jobHeap
	wake  chan struct{}

	slots     chan struct{} // one per running probe, Concurrency in all
	waiting   atomic.Int64  // 1 while a due run waits for a free slot
	inFlight  atomic.Int64
	scheduled atomic.Bool
	m         schedulerMetrics
}

type jobKey struct{ instance, probe string }

type job struct {
	key jobKey
	// plan points into the Update call's copy of the plans, one per probe for the whole fleet:
	// 64 bytes a job kept 40,000 times at 10,000 instances. Read and written under Scheduler.mu.
	plan *Plan
	// run is what a run of the job uses; Update replaces it while runs may be reading it. The
	// target is shared by the jobs of one instance (a Target copy per job was 7 MB at 10,000
	// instances).
	run     atomic.Pointer[jobRun]
	next    time.Time
	phase   time.Duration // deterministic per-key offset within the interval
	running atomic.Bool
}

type jobRun struct {
	target  *probe.Target
	prober  Prober
	timeout time.Duration
}

type dispatch struct {
	j         *job
	scheduled time.Time
}

type schedulerMetrics struct {
	lag      *prometheus.HistogramVec
	runs     *prometheus.CounterVec
	skipped  *prometheus.CounterVec
	duration *prometheus.HistogramVec
	jobs     *prometheus.GaugeVec
}

// NewScheduler builds a scheduler; Run starts it.
func NewScheduler(opts SchedulerOptions, h ResultHandler) *Scheduler {
	if opts.Concurrency < 1 {
		opts.Concurrency = 64
	}
	if opts.StartSpread <= 0 {
		opts.StartSpread = time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Scheduler{
		opts: opts, handler: h, log: opts.Logger,
		jobs: map[jobKey]*job{}, wake: make(chan struct{}, 1),
		slots: make(chan struct{}, opts.Concurrency),
	}
	s.m = schedulerMetrics{
		lag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "vigia_probe_start_lag_seconds", Help: "Delay between when a probe was due and when it started.",
			Buckets: []float64{.001, .005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"probe"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigia_probe_runs_total", Help: "Probe runs by outcome (success, failure, timeout).",
		}, []string{"probe", "outcome"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigia_probe_skipped_total", Help: "Runs skipped because the previous run of the same probe on the same instance was still going.",
		}, []string{"probe"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "vigia_probe_run_duration_seconds", Help: "Wall time of probe runs.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"probe"}),
		jobs: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vigia_scheduled_jobs", Help: "Scheduled (instance, probe) pairs.",
		}, []string{"probe"}),
	}
	if r := opts.Registerer; r != nil {
		r.MustRegister(s.m.lag, s.m.runs, s.m.skipped, s.m.duration, s.m.jobs,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "vigia_scheduler_queue_depth", Help: "Due probe runs waiting for a free run slot (global.concurrency).",
			}, func() float64 { return float64(s.queueDepth()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "vigia_probes_in_flight", Help: "Probe runs executing now.",
			}, func() float64 { return float64(s.inFlight.Load()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "vigia_scheduler_concurrency", Help: "Maximum concurrent probe runs.",
			}, func() float64 { return float64(opts.Concurrency) }),
		)
	}
	return s
}

// Update replaces the set of targets and plans. Pairs that already existed with the same schedule
// keep their next run time, so a reload does not reshuffle or burst the fleet.
func (s *Scheduler) Update(targets []probe.Target, plans []Plan) {
	now := time.Now()
	s.mu.Lock()
	old := s.jobs
	s.jobs = make(map[jobKey]*job, len(targets)*len(plans))
	counts := map[string]int{}
	own := append([]probe.Target(nil), targets...) // the jobs point into these copies
	ownPlans := append([]Plan(nil), plans...)
	for i := range own {
		t := &own[i]
		for pi := range ownPlans {
			p := &ownPlans[pi]
			name := p.Prober.Name()
			if !wants(*t, name) {
				continue
			}
			k := jobKey{t.Name, name}
			if j, ok := old[k]; ok && j.plan.Interval == p.Interval && j.plan.CronSpec == p.CronSpec {
				j.plan = p
				j.run.Store(&jobRun{target: t, prober: p.Prober, timeout: p.Timeout})
				s.jobs[k] = j
				counts[name]++
				continue
			}
			j := &job{key: k, plan: p}
			j.run.Store(&jobRun{target: t, prober: p.Prober, timeout: p.Timeout})
			j.phase = s.phase(k, *p)
			j.next = s.first(j, now)
			s.jobs[k] = j
			counts[name]++
		}
	}
	s.queue = s.queue[:0]
	for _, j := range s.jobs {
		s.queue = append(s.queue, queued{next: j.next, j: j})
	}
	heap.Init(&s.queue)
	s.mu.Unlock()
	s.m.jobs.Reset()
	for name, n := range counts {
		s.m.jobs.WithLabelValues(name).Set(float64(n))
	}
	s.scheduled.Store(true)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func wants(t probe.Target, name string) bool {
	if len(t.Probes) == 0 {
		return true
	}
	for _, p := range t.Probes {
		if p == name {
			return true
		}
	}
	return false
}

// Scheduled reports whether a schedule has been installed (readiness).
func (s *Scheduler) Scheduled() bool { return s.scheduled.Load() }

func (s *Scheduler) phase(k jobKey, p Plan) time.Duration {
	window := p.Interval
	if p.Cron != nil {
		window = s.opts.CronSpread
	}
	if window <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(k.instance))
	rank, chained := chainRank[k.probe]
	if !chained {
		h.Write([]byte{0})
		h.Write([]byte(k.probe))
	}
	base := time.Duration(h.Sum64() % uint64(window))
	return (base + time.Duration(rank)*chainStep) % window
}

// phaseEpoch is the time every job's phases count from, whenever the job was created: an
// instance's probes stay chained after a reload adds one or changes its interval, and keep their
// second of the minute across restarts.
var phaseEpoch = time.Unix(0, 0)

// An instance's SEI probes start chainStep apart, in chainRank's order, from one phase per
// instance: each run finds the connection the previous one left (sei.ConnPool) instead of opening
// its own, and the fleet's load stays flat because the phase is spread by instance. chainStep
// leaves a healthy instance's run (tens to hundreds of milliseconds) time to end, and a connection
// waits at most 2 s in the pool. Probes with different intervals line up whenever the longer
// interval is a multiple of the shorter one (health every minute, logged-in probes every five).
const chainStep = 1500 * time.Millisecond

var chainRank = map[string]int{probe.Health: 0, probe.Version: 1, probe.Modules: 2, probe.Synthetic: 3}

// first is the first run: soon (within StartSpread) for interval probes, the next cron slot plus
// the spread for cron probes.
func (s *Scheduler) first(j *job, now time.Time) time.Time {
	if j.plan.Cron != nil {
		return j.plan.Cron.Next(now).Add(j.phase)
	}
	spread := min(s.opts.StartSpread, j.plan.Interval)
	if spread <= 0 {
		return now
	}
	// The phase's next slot, folded into the spread: with a spread of a whole interval the first
	// run is already on the cadence, so the second comes one interval later and an instance's
	// probes are chained from the start.
	wait := phaseEpoch.Add(j.phase).Sub(now) % j.plan.Interval
	if wait < 0 {
		wait += j.plan.Interval
	}
	return now.Add(wait % spread)
}

// following is the run after one that was due at `due`: the next slot of this pair's phase that is
// at least half an interval away, so the cadence settles on the phase and load stays flat.
func (s *Scheduler) following(j *job, due, now time.Time) time.Time {
	if j.plan.Cron != nil {
		base := due.Add(-j.phase)
		next := j.plan.Cron.Next(base)
		if next.Add(j.phase).Before(now) {
			next = j.plan.Cron.Next(now.Add(-j.phase))
		}
		return next.Add(j.phase)
	}
	iv := j.plan.Interval
	after := due.Add(iv / 2)
	if after.Before(now) {
		after = now // we are behind: skip missed slots instead of bursting them
	}
	start := phaseEpoch.Add(j.phase)
	d := after.Sub(start)
	k := d / iv // Go truncates towards zero, which is the ceiling for negative d
	if d > 0 && d%iv != 0 {
		k++
	}
	return start.Add(k * iv)
}

// Run dispatches due probes until ctx ends, then waits for running probes to finish or be cut off
// by their own deadlines.
func (s *Scheduler) Run(ctx context.Context) {
	var wg sync.WaitGroup
	s.dispatchLoop(ctx, &wg)
	wg.Wait()
}

// queueDepth counts the runs that are due and not started: the one waiting for a slot and the
// overdue jobs in the heap (a min-heap: a subtree whose root is not due has nothing due).
func (s *Scheduler) queueDepth() int {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := int(s.waiting.Load())
	var walk func(i int)
	walk = func(i int) {
		if i >= len(s.queue) || s.queue[i].next.After(now) {
			return
		}
		n++
		walk(2*i + 1)
		walk(2*i + 2)
	}
	walk(0)
	return n
}

func (s *Scheduler) dispatchLoop(ctx context.Context, wg *sync.WaitGroup) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.mu.Unlock()
			select {
			case <-s.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		j := s.queue[0].j
		now := time.Now()
		if wait := j.next.Sub(now); wait > 0 {
			s.mu.Unlock()
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-s.wake:
				if !timer.Stop() {
					<-timer.C
				}
			case <-ctx.Done():
				return
			}
			continue
		}
		due := j.next
		j.next = s.following(j, due, now)
		s.queue[0].next = j.next
		heap.Fix(&s.queue, 0)
		s.mu.Unlock()

		if !j.running.CompareAndSwap(false, true) {
			s.m.skipped.WithLabelValues(j.key.probe).Inc()
			continue
		}
		s.waiting.Store(1)
		select {
		case s.slots <- struct{}{}:
			s.waiting.Store(0)
		case <-ctx.Done():
			s.waiting.Store(0)
			j.running.Store(false)
			return
		}
		wg.Add(1)
		go s.execute(ctx, dispatch{j: j, scheduled: due}, func() { <-s.slots; wg.Done() })
	}
}

// execute runs a dispatched job in its own goroutine and hands the result on; release frees its
// run slot. The prober runs in this goroutine: a watchdog, not a second goroutine, bounds it. A
// prober that ignores its deadline is abandoned when the watchdog fires (timeout plus a grace):
// the watchdog reports the timeout and frees the slot, and whatever the prober returns later is
// dropped, as RunProbe does for its callers.
func (s *Scheduler) execute(ctx context.Context, d dispatch, release func()) {
	j := d.j
	start := time.Now()
	s.m.lag.WithLabelValues(j.key.probe).Observe(start.Sub(d.scheduled).Seconds())
	s.inFlight.Add(1)
	run := j.run.Load()
	var once atomic.Bool
	complete := func(r probe.Result) {
		if !once.CompareAndSwap(false, true) {
			return
		}
		s.inFlight.Add(-1)
		outcome := "success"
		switch {
		case r.OK:
		case r.Values["timeout"] == 1:
			outcome = "timeout"
		default:
			outcome = "failure"
		}
		s.m.runs.WithLabelValues(j.key.probe, outcome).Inc()
		s.m.duration.WithLabelValues(j.key.probe).Observe(time.Since(start).Seconds())
		if s.handler != nil {
			s.handler.HandleResult(r)
		}
		j.running.Store(false)
		release()
	}
	watchdog := time.AfterFunc(run.timeout+abandonGrace, func() {
		complete(abandoned(run.prober, *run.target, start, run.timeout))
	})
	// A run that has started finishes within its own deadline even when vigia is shutting down:
	// a probe cut short by SIGTERM would report a failure the instance never had.
	r := runProber(context.WithoutCancel(ctx), run.prober, *run.target, run.timeout)
	watchdog.Stop()
	complete(r)
}

// abandonGrace is how long past its deadline a prober may take to return its own timeout result
// before it is abandoned.
const abandonGrace = 100 * time.Millisecond

// RunProbe runs one prober with a deadline and fills the fields every Result must have. A prober
// that ignores its deadline is abandoned (its goroutine finishes on its own) and reported as a
// timeout, so it can never hold a worker forever.
func RunProbe(ctx context.Context, p Prober, t probe.Target, timeout time.Duration) probe.Result {
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan probe.Result, 1)
	go func() { done <- runProber(ctx, p, t, timeout) }()
	select {
	case r := <-done:
		return r
	case <-wctx.Done():
		// Grace for a prober that is returning its own timeout result right now.
		select {
		case r := <-done:
			return r
		case <-time.After(abandonGrace):
			return abandoned(p, t, start, timeout)
		}
	}
}

// runProber runs p under a deadline and fills the fields every Result must have; a panic becomes
// a failed result. It returns when the prober does.
func runProber(ctx context.Context, p Prober, t probe.Target, timeout time.Duration) (r probe.Result) {
	start := time.Now()
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	func() {
		defer func() {
			if v := recover(); v != nil {
				r = probe.Result{}
				r.Fail("prober crashed; this is a vigia bug, please report it")
			}
		}()
		r = p.Probe(pctx, t)
	}()
	r = completeResult(r, p, t, start)
	if !r.OK && pctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
		r.SetValue("timeout", 1)
	}
	return r
}

// abandoned is the result of a run whose prober did not return within its deadline and grace.
func abandoned(p Prober, t probe.Target, start time.Time, timeout time.Duration) probe.Result {
	r := probe.Result{}
	r.Fail("no answer within " + timeout.String())
	r.SetValue("timeout", 1)
	return completeResult(r, p, t, start)
}

// completeResult fills what a prober may leave out.
func completeResult(r probe.Result, p Prober, t probe.Target, start time.Time) probe.Result {
	if r.ID == "" {
		r.ID = newID()
	}
	r.Target = t
	r.Probe = p.Name()
	if r.Start.IsZero() {
		r.Start = start
	}
	if r.Duration == 0 {
		r.Duration = time.Since(start)
	}
	if !r.OK && r.Error == "" {
		r.Error = "probe failed"
	}
	return r
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// jobHeap orders jobs by next run. Each entry carries its job's next run, so ordering the heap
// reads only the heap's own array: with tens of thousands of jobs, following the pointer to each
// job it compares was a cache miss a time (1% of vigia's CPU at 10,000 instances).
type jobHeap []queued

type queued struct {
	next time.Time // j.next, kept equal to it
	j    *job
}

func (h jobHeap) Len() int           { return len(h) }
func (h jobHeap) Less(i, j int) bool { return h[i].next.Before(h[j].next) }
func (h jobHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *jobHeap) Push(x any)        { *h = append(*h, x.(queued)) }
func (h *jobHeap) Pop() any {
	old := *h
	q := old[len(old)-1]
	*h = old[:len(old)-1]
	return q
}
