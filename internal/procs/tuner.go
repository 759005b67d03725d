package procs

import (
	"context"
	"log/slog"
	"runtime"
	"time"
)

const (
	// raiseAt is the share of its processors the process may keep busy before it gets one more:
	// above it, runnable goroutines start to queue for a processor and measured latencies grow.
	raiseAt = 0.7
	// lowerAt is the share of one processor fewer that a minute's CPU use must stay under before
	// one is given back. It equals raiseAt: a processor fewer costs less CPU for the same work
	// (about a sixth for vigia), and that is the margin that keeps the count from swinging. Set
	// lower, a burst that added a processor left it for good at loads between the two lines,
	// since the extra processor's own cost kept the use above lowerAt (10,000 instances with
	// Elasticsearch: about 0.5 core on one processor, 0.6 to 0.65 on two).
	lowerAt = 0.7
	// window is how much CPU use a raise looks at; a minute of samples decides a lowering.
	window      = 10 * time.Second
	lowerWindow = time.Minute
	// A process whose processors are all busy (peggedAt) over pegWindow gets one more at once: at
	// the start of a fleet one processor cannot carry, every second on too few processors is
	// backlog that runs late, and late runs find less to share (stale answers, no connection
	// left), which costs more per run.
	peggedAt  = 0.9
	pegWindow = 6 * time.Second
)

// Options configure a Tuner. The zero value tunes the running process between one processor and
// the runtime's default (the machine's CPUs or the container's CPU limit).
type Options struct {
	// Max is the most processors; 0 is runtime.GOMAXPROCS(0) when the Tuner starts.
	Max    int
	Logger *slog.Logger
	// Sample is how often CPU use is read; 0 is 2 s.
	Sample time.Duration
	// CPUTime, Set and Now are the process's own unless a test replaces them. CPUTime returns the
	// process's CPU time so far (user and system) and false where it cannot be read.
	CPUTime func() (time.Duration, bool)
	Set     func(int)
	Now     func() time.Time
}

// Tuner adjusts GOMAXPROCS to the CPU the process uses.
type Tuner struct {
	o       Options
	cur     int
	samples []sample
}

type sample struct {
	at  time.Time
	cpu time.Duration
}

// New builds a Tuner; Run starts it.
func New(o Options) *Tuner {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Sample <= 0 {
		o.Sample = 2 * time.Second
	}
	if o.CPUTime == nil {
		o.CPUTime = processCPUTime
	}
	if o.Set == nil {
		o.Set = func(n int) { runtime.GOMAXPROCS(n) }
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Tuner{o: o}
}

// Run tunes until ctx ends, then gives the process back the processors it had. Where the
// process's CPU time cannot be read it leaves GOMAXPROCS alone.
func (t *Tuner) Run(ctx context.Context) {
	before := runtime.GOMAXPROCS(0)
	if t.o.Max <= 0 {
		t.o.Max = before
	}
	if _, ok := t.o.CPUTime(); !ok {
		t.o.Logger.Info("GOMAXPROCS left as it is: this system does not report the process's CPU time", "gomaxprocs", before)
		return
	}
	t.begin(before)
	defer t.o.Set(before)
	tick := time.NewTicker(t.o.Sample)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			t.Observe()
		}
	}
}

// begin takes the process from the processors it has to one, and the first sample.
func (t *Tuner) begin(procs int) {
	t.cur = procs
	t.set(1, 0, "start")
	t.Observe()
}

// Observe takes one sample of CPU use and changes GOMAXPROCS when the samples call for it.
func (t *Tuner) Observe() {
	cpu, ok := t.o.CPUTime()
	if !ok {
		return
	}
	now := t.o.Now()
	t.samples = append(t.samples, sample{now, cpu})
	// Keep a minute and one sample: the oldest is where the minute's CPU use is counted from.
	for len(t.samples) > 2 && now.Sub(t.samples[1].at) >= lowerWindow {
		t.samples = t.samples[1:]
	}
	short, shortOK := t.use(pegWindow)
	recent, recentOK := t.use(window)
	minute, full := t.use(lowerWindow)
	switch {
	case t.cur < t.o.Max && shortOK && short > peggedAt*float64(t.cur):
		t.set(t.cur+1, short, "saturated")
	case t.cur < t.o.Max && recentOK && recent > raiseAt*float64(t.cur):
		t.set(t.cur+1, recent, "busy")
	case t.cur > 1 && full && minute < lowerAt*float64(t.cur-1):
		t.set(t.cur-1, minute, "idle")
	}
}

// use is the CPU cores used over the last d, and whether the samples span d.
func (t *Tuner) use(d time.Duration) (float64, bool) {
	if len(t.samples) < 2 {
		return 0, false
	}
	last := t.samples[len(t.samples)-1]
	from := t.samples[0]
	for _, s := range t.samples {
		if last.at.Sub(s.at) < d {
			break
		}
		from = s
	}
	span := last.at.Sub(from.at)
	if span <= 0 {
		return 0, false
	}
	return float64(last.cpu-from.cpu) / float64(span), span >= d
}

func (t *Tuner) set(n int, cores float64, why string) {
	if n == t.cur {
		return
	}
	t.o.Logger.Info("GOMAXPROCS changed", "from", t.cur, "to", n, "reason", why, "cpu_cores", cores, "max", t.o.Max)
	t.cur = n
	t.o.Set(n)
	// Samples taken with the old count say little about the new one.
	if len(t.samples) > 0 {
		t.samples = t.samples[len(t.samples)-1:]
	}
}
