package collectors

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/robfig/cron/v3"

	"github.com/vigia-sei/vigia/collectors/probe"
)

type collected struct {
	mu  sync.Mutex
	all map[string][]probe.Result
}

func (c *collected) HandleResult(r probe.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.all == nil {
		c.all = map[string][]probe.Result{}
	}
	c.all[r.Target.Name] = append(c.all[r.Target.Name], r)
}

func (c *collected) snapshot() map[string][]probe.Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string][]probe.Result, len(c.all))
	for k, v := range c.all {
		out[k] = append([]probe.Result(nil), v...)
	}
	return out
}

// hangingFleet serves 100 instances over real HTTP; inst-042 accepts and never answers.
func hangingFleet(t *testing.T) (*httptest.Server, []probe.Target) {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/inst-042/") {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		fmt.Fprint(w, "<form id=\"frmLogin\"></form>")
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	var targets []probe.Target
	for i := 0; i < 100; i++ {
		name := fmt.Sprintf("inst-%03d", i)
		targets = append(targets, probe.Target{Name: name, URL: srv.URL + "/" + name})
	}
	return srv, targets
}

func TestHungInstanceDoesNotDelayOthers(t *testing.T) {
	_, targets := hangingFleet(t)
	reg := prometheus.NewRegistry()
	got := &collected{}
	// Fewer workers than instances, so head-of-line blocking would show if it existed.
	s := NewScheduler(SchedulerOptions{Concurrency: 8, StartSpread: 100 * time.Millisecond, Registerer: reg}, got)
	const interval = 300 * time.Millisecond
	s.Update(targets, []Plan{{Prober: NewHTTPProber(HTTPOptions{}), Interval: interval, Timeout: 500 * time.Millisecond}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	time.Sleep(2 * time.Second)
	cancel()
	<-done

	res := got.snapshot()
	for _, tg := range targets {
		rs := res[tg.Name]
		if tg.Name == "inst-042" {
			if len(rs) == 0 {
				t.Fatalf("hung instance produced no result")
			}
			for _, r := range rs {
				if r.OK || r.Values["timeout"] != 1 {
					t.Errorf("hung instance: want timeout failure, got ok=%v err=%q", r.OK, r.Error)
				}
			}
			continue
		}
		// ~2s of 300ms cadence: at least 5 runs each, every one successful.
		if len(rs) < 5 {
			t.Errorf("%s probed %d times in 2s, want >= 5 (delayed by the hung instance?)", tg.Name, len(rs))
		}
		for _, r := range rs {
			if !r.OK {
				t.Errorf("%s: unexpected failure %q", tg.Name, r.Error)
			}
		}
	}
	// Start lag stays small for everyone: at least 98% start within 250ms, under one interval
	// (a hung instance holding workers would push lags past the 500ms timeout).
	if n := testutil.CollectAndCount(reg, "vigia_probe_start_lag_seconds"); n == 0 {
		t.Fatal("no lag histogram")
	}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != "vigia_probe_start_lag_seconds" {
			continue
		}
		h := mf.GetMetric()[0].GetHistogram()
		var slow uint64
		for _, b := range h.GetBucket() {
			if b.GetUpperBound() == 0.25 {
				slow = h.GetSampleCount() - b.GetCumulativeCount()
			}
		}
		if float64(slow) > 0.02*float64(h.GetSampleCount()) {
			t.Errorf("%d of %d runs started more than 250ms late", slow, h.GetSampleCount())
		}
	}
}

func TestUpdateKeepsPhaseAndDropsRemoved(t *testing.T) {
	s := NewScheduler(SchedulerOptions{Concurrency: 1}, nil)
	p := NewHTTPProber(HTTPOptions{})
	a := probe.Target{Name: "a", URL: "http://127.0.0.1:1"}
	b := probe.Target{Name: "b", URL: "http://127.0.0.1:1"}
	s.Update([]probe.Target{a, b}, []Plan{{Prober: p, Interval: time.Minute, Timeout: time.Second}})
	next := s.jobs[jobKey{"a", "http"}].next
	s.Update([]probe.Target{a}, []Plan{{Prober: p, Interval: time.Minute, Timeout: time.Second}})
	if len(s.jobs) != 1 || len(s.queue) != 1 {
		t.Fatalf("removed target still scheduled: %d jobs", len(s.jobs))
	}
	if got := s.jobs[jobKey{"a", "http"}].next; !got.Equal(next) {
		t.Errorf("reload moved the next run from %v to %v", next, got)
	}
	s.Update([]probe.Target{a}, []Plan{{Prober: p, Interval: 2 * time.Minute, Timeout: time.Second}})
	if s.jobs[jobKey{"a", "http"}].plan.Interval != 2*time.Minute {
		t.Error("changed interval not applied")
	}
}

func TestPerTargetProbeRestriction(t *testing.T) {
	s := NewScheduler(SchedulerOptions{Concurrency: 1}, nil)
	only := probe.Target{Name: "a", URL: "http://x", Probes: []string{"version"}}
	s.Update([]probe.Target{only}, []Plan{{Prober: NewHTTPProber(HTTPOptions{}), Interval: time.Minute, Timeout: time.Second}})
	if len(s.jobs) != 0 {
		t.Fatal("http probe scheduled for a target that only wants version")
	}
}

func TestFollowingRuns(t *testing.T) {
	origin := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	spec, _ := cron.ParseStandard("*/5 * * * *")
	tests := []struct {
		name     string
		plan     Plan
		phase    time.Duration
		due, now time.Time
		want     time.Time
	}{
		{"on phase", Plan{Interval: time.Minute}, 10 * time.Second, origin.Add(70 * time.Second), origin.Add(70 * time.Second), origin.Add(130 * time.Second)},
		{"first run early", Plan{Interval: time.Minute}, 50 * time.Second, origin.Add(time.Second), origin.Add(time.Second), origin.Add(50 * time.Second)},
		{"behind skips missed slots", Plan{Interval: time.Minute}, 0, origin.Add(60 * time.Second), origin.Add(200 * time.Second), origin.Add(240 * time.Second)},
		{"cron with spread", Plan{Cron: spec, CronSpec: "*/5 * * * *"}, 7 * time.Second, origin.Add(5*time.Minute + 7*time.Second), origin.Add(5*time.Minute + 7*time.Second), origin.Add(10*time.Minute + 7*time.Second)},
	}
	s := NewScheduler(SchedulerOptions{}, nil)
	for _, tt := range tests {
		j := &job{plan: &tt.plan, phase: tt.phase} // origin is a whole number of intervals after phaseEpoch
		if got := s.following(j, tt.due, tt.now); !got.Equal(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got.Sub(origin), tt.want.Sub(origin))
		}
	}
}

// An instance's SEI probes start chainStep apart from one phase per instance, so each run finds the
// connection the previous one left; the instances' phases still spread over the interval.
func TestPhasesChainAnInstancesProbes(t *testing.T) {
	s := NewScheduler(SchedulerOptions{}, nil)
	minute, five := Plan{Interval: time.Minute}, Plan{Interval: 5 * time.Minute}
	seconds := map[time.Duration]bool{}
	for i := range 200 {
		inst := fmt.Sprintf("sei-%03d", i)
		h := s.phase(jobKey{inst, probe.Health}, minute)
		seconds[h/(10*time.Second)] = true
		for rank, name := range []string{probe.Health, probe.Version, probe.Modules, probe.Synthetic} {
			want := (h + time.Duration(rank)*chainStep) % time.Minute
			if got := s.phase(jobKey{inst, name}, minute); got != want {
				t.Fatalf("%s %s: phase %v, want %v (health's %v + %d steps)", inst, name, got, want, h, rank)
			}
			// Every five minutes, the slots of a probe fall on the minute's chain too.
			if got := s.phase(jobKey{inst, name}, five) % time.Minute; got != want {
				t.Fatalf("%s %s every 5 min: phase %v mod 1 min, want %v", inst, name, got, want)
			}
		}
		// Probes outside the chain keep a phase of their own.
		if a, b := s.phase(jobKey{inst, "http"}, minute), s.phase(jobKey{inst, "other"}, minute); a == b {
			t.Errorf("%s: unchained probes share phase %v", inst, a)
		}
	}
	if len(seconds) != 6 {
		t.Errorf("200 instances' phases fall in %d of the minute's six 10 s windows", len(seconds))
	}
	// With a start spread of a whole interval, first runs are on the cadence and chained already.
	sp := NewScheduler(SchedulerOptions{StartSpread: time.Minute}, nil)
	now := time.Now()
	for i := range 50 {
		inst := fmt.Sprintf("sei-%03d", i)
		h := &job{plan: &minute, phase: sp.phase(jobKey{inst, probe.Health}, minute)}
		v := &job{plan: &minute, phase: sp.phase(jobKey{inst, probe.Version}, minute)}
		fh, fv := sp.first(h, now), sp.first(v, now)
		if fh.Before(now) || !fh.Before(now.Add(time.Minute)) {
			t.Fatalf("%s: first run %v after start, want within the spread", inst, fh.Sub(now))
		}
		if d := fv.Sub(fh); d != chainStep && d != chainStep-time.Minute {
			t.Errorf("%s: version's first run %v after health's, want %v", inst, d, chainStep)
		}
		if got := sp.following(h, fh, fh); got.Sub(fh) != time.Minute {
			t.Errorf("%s: second run %v after the first, want one interval", inst, got.Sub(fh))
		}
	}
	// Jobs created at different times count slots from the same epoch: still chained.
	j1 := &job{plan: &minute, phase: s.phase(jobKey{"a", probe.Health}, minute)}
	j2 := &job{plan: &minute, phase: s.phase(jobKey{"a", probe.Version}, minute)}
	if d := s.following(j2, now, now).Sub(s.following(j1, now, now)); d != chainStep && d != chainStep-time.Minute {
		t.Errorf("version's next run is %v after health's, want %v", d, chainStep)
	}
}

type panicky struct{}

func (panicky) Name() string { return "panicky" }
func (panicky) Probe(context.Context, probe.Target) probe.Result {
	panic("boom")
}

type okProber struct{}

func (okProber) Name() string { return "ok" }
func (okProber) Probe(context.Context, probe.Target) probe.Result {
	return probe.Result{OK: true}
}

type deaf struct{ stop chan struct{} }

func (deaf) Name() string { return "deaf" }
func (d deaf) Probe(context.Context, probe.Target) probe.Result {
	<-d.stop // ignores its context on purpose
	return probe.Result{OK: true}
}

func TestRunProbeContainsBadProbers(t *testing.T) {
	r := RunProbe(context.Background(), panicky{}, probe.Target{Name: "x"}, time.Second)
	if r.OK || r.Probe != "panicky" || r.ID == "" || r.Target.Name != "x" {
		t.Errorf("panic not turned into a failed result: %+v", r)
	}
	d := deaf{stop: make(chan struct{})}
	defer close(d.stop)
	start := time.Now()
	r = RunProbe(context.Background(), d, probe.Target{Name: "x"}, 50*time.Millisecond)
	if r.OK || r.Values["timeout"] != 1 || time.Since(start) > time.Second {
		t.Errorf("prober ignoring its deadline held the worker: %+v after %v", r, time.Since(start))
	}
}

// In the scheduler the prober runs in the run's own goroutine under a watchdog: a prober that
// ignores its deadline is reported as a timeout and gives its run slot back, a panicking one is
// a failed result, and the others keep their schedule.
func TestSchedulerContainsBadProbers(t *testing.T) {
	d := deaf{stop: make(chan struct{})}
	defer close(d.stop)
	got := &collected{}
	reg := prometheus.NewRegistry()
	// One run slot: a deaf run that kept its slot would stop every other run.
	s := NewScheduler(SchedulerOptions{Concurrency: 1, StartSpread: 10 * time.Millisecond, Registerer: reg}, got)
	s.Update([]probe.Target{{Name: "sei-1"}}, []Plan{
		{Prober: d, Interval: 400 * time.Millisecond, Timeout: 50 * time.Millisecond},
		{Prober: panicky{}, Interval: 400 * time.Millisecond, Timeout: 50 * time.Millisecond},
		{Prober: okProber{}, Interval: 100 * time.Millisecond, Timeout: 50 * time.Millisecond},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	time.Sleep(1500 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the scheduler did not stop: a deaf run still counts as running")
	}
	res := got.snapshot()
	byProbe := map[string][]probe.Result{}
	for _, rs := range res {
		for _, r := range rs {
			byProbe[r.Probe] = append(byProbe[r.Probe], r)
		}
	}
	if rs := byProbe["deaf"]; len(rs) < 2 {
		t.Errorf("the deaf prober was reported %d times in 1.5 s, want a timeout every 400 ms", len(rs))
	}
	for _, r := range byProbe["deaf"] {
		if r.OK || r.Values["timeout"] != 1 || r.Target.Name == "" || r.ID == "" {
			t.Errorf("deaf run: want a timeout result with target and ID, got %+v", r)
		}
	}
	for _, r := range byProbe["panicky"] {
		if r.OK || !strings.Contains(r.Error, "crashed") {
			t.Errorf("panicking run: %+v", r)
		}
	}
	if len(byProbe["panicky"]) == 0 {
		t.Error("the panicking prober produced no result")
	}
	if n := len(byProbe["ok"]); n < 8 {
		t.Errorf("the healthy prober ran %d times in 1.5 s at 100 ms with one slot, want >= 8", n)
	}
	if v := testutil.ToFloat64(s.m.runs.WithLabelValues("deaf", "timeout")); v < 2 {
		t.Errorf("vigia_probe_runs_total{probe=deaf,outcome=timeout} = %v", v)
	}
}

func TestShardsCoverFleetOnceAndMoveLittle(t *testing.T) {
	const fleet = 10000
	names := make([]string, fleet)
	for i := range names {
		names[i] = fmt.Sprintf("orgao-%05d", i)
	}
	for _, n := range []int{1, 2, 3, 5, 8} {
		count := make([]int, n)
		for _, name := range names {
			owners := 0
			for i := 0; i < n; i++ {
				if InShard(name, i, n) {
					owners++
					count[i]++
				}
			}
			if owners != 1 {
				t.Fatalf("%s owned by %d of %d shards", name, owners, n)
			}
		}
		for i, c := range count {
			if want := fleet / n; c < want*8/10 || c > want*12/10 {
				t.Errorf("n=%d shard %d has %d instances, want about %d", n, i, c, want)
			}
		}
	}
	for n := 1; n < 8; n++ {
		moved := 0
		for _, name := range names {
			if ShardOf(name, n) != ShardOf(name, n+1) {
				moved++
			}
		}
		// Ideal is fleet/(n+1); allow 20% slack.
		if ideal := fleet / (n + 1); moved > ideal*12/10 {
			t.Errorf("going from %d to %d shards moved %d instances, ideal %d", n, n+1, moved, ideal)
		}
	}
}

type proberFunc struct {
	name string
	fn   func(context.Context, probe.Target) probe.Result
}

func (p proberFunc) Name() string                                           { return p.name }
func (p proberFunc) Probe(ctx context.Context, t probe.Target) probe.Result { return p.fn(ctx, t) }

// TestQueueDepthCountsRunsWaitingForASlot: with the only slot held by a hung instance, the runs
// due meanwhile show as the backlog, and it drains once the slot frees.
func TestQueueDepthCountsRunsWaitingForASlot(t *testing.T) {
	release := make(chan struct{})
	p := proberFunc{name: "health", fn: func(ctx context.Context, tg probe.Target) probe.Result {
		if tg.Name == "hung" {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return probe.Result{OK: true}
	}}
	s := NewScheduler(SchedulerOptions{Concurrency: 1, StartSpread: time.Millisecond}, nil)
	plans := []Plan{{Prober: p, Interval: time.Hour, Timeout: time.Minute}}
	s.Update([]probe.Target{{Name: "hung"}}, plans)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	waitFor := func(cond func() bool, what string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("queue depth %d, in flight %d: %s", s.queueDepth(), s.inFlight.Load(), what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(func() bool { return s.inFlight.Load() == 1 }, "the hung instance never started")
	s.Update([]probe.Target{{Name: "hung"}, {Name: "a"}, {Name: "b"}, {Name: "c"}}, plans)
	waitFor(func() bool { return s.queueDepth() == 3 }, "want the 3 new instances waiting behind the hung one")
	close(release)
	waitFor(func() bool { return s.queueDepth() == 0 && s.inFlight.Load() == 0 }, "backlog did not drain after the slot was freed")
}
