package procs

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"
)

// fakeProcess is a process whose CPU use per second is load(elapsed, procs): the tests drive the
// Tuner's samples themselves.
type fakeProcess struct {
	now   time.Time
	cpu   time.Duration
	procs int
	sets  []int
}

func (f *fakeProcess) options(max int) Options {
	return Options{
		Max:     max,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		CPUTime: func() (time.Duration, bool) { return f.cpu, true },
		Set:     func(n int) { f.procs = n; f.sets = append(f.sets, n) },
		Now:     func() time.Time { return f.now },
	}
}

// run advances d in 2 s samples, the process using load(procs) cores meanwhile.
func (f *fakeProcess) run(t *Tuner, d time.Duration, load func(procs int) float64) {
	for step := 2 * time.Second; d > 0; d -= step {
		f.now = f.now.Add(step)
		f.cpu += time.Duration(load(f.procs) * float64(step))
		t.Observe()
	}
}

// work is a load that needs cores of processor time, plus the cost of each processor beyond the
// first (a second one costs about a sixth more CPU for the same work, as measured).
func work(cores float64) func(int) float64 {
	return func(procs int) float64 { return cores * (1 + 0.18*float64(procs-1)) }
}

func TestTunerFollowsTheLoad(t *testing.T) {
	tests := []struct {
		name   string
		max    int
		phases []phase
		// changes, when set, is how many times GOMAXPROCS may be set in all (the start included).
		changes int
	}{
		{"10,000 instances stay on one processor", 2, []phase{
			{3 * time.Minute, work(0.47), 1},
		}, 0},
		{"a fleet one processor cannot carry gets a second within 10 s", 2, []phase{
			{10 * time.Second, work(0.9), 2},
			{3 * time.Minute, work(0.9), 2},
		}, 0},
		{"a saturated start gets a second within 6 s", 2, []phase{
			{6 * time.Second, work(1.5), 2},
		}, 0},
		{"never more than the machine has", 2, []phase{
			{time.Minute, work(1.9), 2},
		}, 0},
		{"a processor goes back a minute after the load falls", 4, []phase{
			{time.Minute, work(1.1), 2},
			{30 * time.Second, work(0.3), 2},
			{2 * time.Minute, work(0.3), 1},
		}, 0},
		{"a processor a burst added goes back, although on two the same work costs more", 2, []phase{
			{time.Minute, work(0.52), 1},
			{12 * time.Second, work(0.95), 2},
			{2 * time.Minute, work(0.52), 1},
			{3 * time.Minute, work(0.52), 1},
		}, 3},
		{"just over the raise line at one processor does not swing back and forth", 2, []phase{
			{time.Minute, work(0.72), 2},
			{5 * time.Minute, work(0.72), 2},
		}, 2},
		{"on one processor a machine with one CPU stays", 1, []phase{
			{time.Minute, work(2), 1},
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeProcess{now: time.Unix(0, 0), procs: tt.max}
			tu := New(f.options(tt.max))
			tu.begin(f.procs)
			for i, p := range tt.phases {
				f.run(tu, p.d, p.load)
				if f.procs != p.want {
					t.Fatalf("phase %d: GOMAXPROCS %d, want %d (changes %v)", i, f.procs, p.want, f.sets)
				}
			}
			if tt.changes > 0 && len(f.sets) > tt.changes {
				t.Errorf("GOMAXPROCS set %d times (%v), want at most %d", len(f.sets), f.sets, tt.changes)
			}
		})
	}
}

type phase struct {
	d    time.Duration
	load func(int) float64
	want int
}

// A Prometheus scrape of a large fleet costs a burst of CPU every 15 s: it must not cost the
// process a second processor.
func TestTunerIgnoresScrapeBursts(t *testing.T) {
	f := &fakeProcess{now: time.Unix(0, 0), procs: 2}
	tu := New(f.options(2))
	tu.begin(2)
	for i := range 90 { // 3 minutes of 2 s samples, one in seven a whole core busier
		f.now = f.now.Add(2 * time.Second)
		cores := 0.47
		if i%7 == 0 {
			cores += 1
		}
		f.cpu += time.Duration(cores * float64(2*time.Second))
		tu.Observe()
	}
	if f.procs != 1 {
		t.Errorf("GOMAXPROCS %d after scrape bursts, want 1 (changes %v)", f.procs, f.sets)
	}
}

func TestRunRestoresAndLeavesUnreadableSystemsAlone(t *testing.T) {
	t.Run("restores on stop", func(t *testing.T) {
		f := &fakeProcess{now: time.Unix(0, 0)}
		o := f.options(4)
		o.Sample = time.Millisecond
		sets := make(chan int, 100)
		o.Set = func(n int) { sets <- n }
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { New(o).Run(ctx); close(done) }()
		if n := <-sets; n != 1 {
			t.Fatalf("GOMAXPROCS set to %d at start, want 1", n)
		}
		cancel()
		<-done
		if n, want := <-sets, runtime.GOMAXPROCS(0); n != want {
			t.Errorf("GOMAXPROCS set to %d at stop, want the process's own %d", n, want)
		}
	})
	t.Run("no CPU time", func(t *testing.T) {
		f := &fakeProcess{}
		o := f.options(4)
		o.CPUTime = func() (time.Duration, bool) { return 0, false }
		New(o).Run(context.Background())
		if len(f.sets) != 0 {
			t.Errorf("GOMAXPROCS set to %v where CPU time cannot be read", f.sets)
		}
	})
}
