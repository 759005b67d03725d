// Command vigia-bench measures vigia against a simulated fleet of N SEI instances: it starts seisim
// and vigia as separate processes on loopback, lets vigia run all four SEI probes at production
// intervals, and reads vigia's CPU and memory from /proc and its probe rate, start lag and
// allocations from its own /metrics. It prints a table and writes JSON for tracking.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type result struct {
	Instances         int     `json:"instances"`
	ProbesPerInstance int     `json:"probes_per_instance"`
	IntervalSeconds   float64 `json:"interval_seconds"`
	LoggedInIntervalS float64 `json:"logged_in_interval_seconds,omitempty"`
	// VigiaCPUs is vigia's GOMAXPROCS at the window's end: --vigia-cpus, or what vigia chose.
	VigiaCPUs          int     `json:"vigia_gomaxprocs"`
	StartToFirstProbeS float64 `json:"start_to_first_probe_seconds"`
	WindowSeconds      float64 `json:"window_seconds"`
	ProbesPerSecond    float64 `json:"probes_per_second"`
	ExpectedPerSecond  float64 `json:"expected_probes_per_second"`
	FailedShare        float64 `json:"failed_share"`
	LagP50             float64 `json:"start_lag_p50_seconds"`
	LagP99             float64 `json:"start_lag_p99_seconds"`
	VigiaCores         float64 `json:"vigia_cpu_cores"`
	CPUSecondsPer1000  float64 `json:"vigia_cpu_seconds_per_1000_probes"`
	VigiaRSSMiB        float64 `json:"vigia_max_rss_mib"`
	AllocsPerProbe     float64 `json:"allocs_per_probe"`
	Goroutines         float64 `json:"goroutines"`
	SeisimCores        float64 `json:"seisim_cpu_cores"`
	// With --es: events handed to the pipeline and shipped to the store per second over the
	// window, and the disk buffer's backlog at its end.
	EventsPerSecond  float64 `json:"events_per_second,omitempty"`
	ShippedPerSecond float64 `json:"es_shipped_per_second,omitempty"`
	QueueEvents      float64 `json:"es_queue_events,omitempty"`
}

func main() {
	sizes := flag.String("sizes", "1000,10000,30000", "fleet sizes to measure")
	warmup := flag.Duration("warmup", 40*time.Second, "time before measuring (first runs spread over start_spread)")
	window := flag.Duration("window", 60*time.Second, "measurement window")
	interval := flag.Duration("interval", 60*time.Second, "interval of the health probe, and of every probe unless --logged-in-interval is set")
	loggedIn := flag.Duration("logged-in-interval", 0, "interval of the probes that log in (version, modules, synthetic), for the README's sizing advice of running them less often than health (0: --interval); their first runs then spread over the whole interval (start_spread), so the load is flat from the start")
	probes := flag.String("probes", "health,version,modules,synthetic", "probes to run")
	bin := flag.String("bin", "bin", "directory with the vigia and seisim binaries")
	jsonOut := flag.String("json", "bench-results.json", "where to write the JSON results")
	concurrency := flag.Int("concurrency", 0, "vigia global.concurrency (0: vigia's default)")
	hosts := flag.Int("hosts", 254, "loopback addresses seisim spreads the fleet over (seisim --hosts): a real fleet is many hosts; every connection to one address and port makes the kernel search for a free source port among tens of thousands in TIME_WAIT, a cost production never pays (0: one address)")
	profile := flag.String("profile", "", "directory for CPU profiles of the window (cpu-N.pprof for vigia, seisim-cpu-N.pprof) and vigia's heap profile at its end (heap-N.pprof)")
	cpus := flag.Int("vigia-cpus", 0, "GOMAXPROCS for vigia, set in its environment, which turns off vigia's own sizing of it to its load (0: vigia sizes it)")
	es := flag.String("es", "", "Elasticsearch-compatible store to ship the events to, as production does (http://user:password@host:port/path); the table then adds events shipped per second and the disk buffer's backlog at the window's end")
	flag.Parse()

	var results []result
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			fatal("bad size %q", s)
		}
		fmt.Fprintf(os.Stderr, "bench: %d instances (warmup %s, window %s)...\n", n, *warmup, *window)
		sched := schedule{interval: *interval, loggedIn: *loggedIn}
		if sched.loggedIn <= 0 {
			sched.loggedIn = sched.interval
		}
		r, err := run(n, options{bin: *bin, probes: strings.Split(*probes, ","), sched: sched, warmup: *warmup, window: *window,
			concurrency: *concurrency, hosts: *hosts, cpus: *cpus, profile: *profile, es: *es})
		if err != nil {
			fatal("%d instances: %v", n, err)
		}
		results = append(results, r)
	}
	printTable(os.Stdout, results)
	b, _ := json.MarshalIndent(results, "", "  ")
	if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
		fatal("%v", err)
	}
	fmt.Printf("\nJSON: %s\n", *jsonOut)
}

func fatal(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "vigia-bench: "+format+"\n", a...)
	os.Exit(1)
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatal("%v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// schedule is each probe's interval: health's, and the one of the probes that log in.
type schedule struct{ interval, loggedIn time.Duration }

func (s schedule) of(probe string) time.Duration {
	if probe == "health" {
		return s.interval
	}
	return s.loggedIn
}

// perSecond is how many runs per second n instances need.
func (s schedule) perSecond(n int, probes []string) float64 {
	var r float64
	for _, p := range probes {
		r += float64(n) / s.of(strings.TrimSpace(p)).Seconds()
	}
	return r
}

// options is one bench run's settings, from the command line.
type options struct {
	bin                      string
	probes                   []string
	sched                    schedule
	warmup, window           time.Duration
	concurrency, hosts, cpus int
	profile, es              string
}

func run(n int, o options) (result, error) {
	bin, probes, sched, warmup, window, hosts, cpus, profile := o.bin, o.probes, o.sched, o.warmup, o.window, o.hosts, o.cpus, o.profile
	r := result{Instances: n, ProbesPerInstance: len(probes), IntervalSeconds: sched.interval.Seconds()}
	if sched.loggedIn != sched.interval {
		r.LoggedInIntervalS = sched.loggedIn.Seconds()
	}
	dir, err := os.MkdirTemp("", "vigia-bench")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	seiPort, vigiaPort, seiPprofPort := freePort(), freePort(), freePort()
	targets := filepath.Join(dir, "targets.yaml")
	seiArgs := []string{"--generate", strconv.Itoa(n), "--seed", "1",
		"--listen", fmt.Sprintf("127.0.0.1:%d", seiPort), "--wssei-auth-delay", "0", "--print-targets", targets}
	if hosts > 0 {
		seiArgs = append(seiArgs, "--hosts", strconv.Itoa(hosts))
	}
	if profile != "" {
		seiArgs = append(seiArgs, "--debug.pprof-listen", fmt.Sprintf("127.0.0.1:%d", seiPprofPort))
	}
	seisim := exec.Command(filepath.Join(bin, "seisim"), seiArgs...)
	seisim.Stderr, seisim.Stdout = io.Discard, io.Discard
	if err := seisim.Start(); err != nil {
		return r, err
	}
	defer stop(seisim)
	if err := waitFile(targets, 30*time.Second); err != nil {
		return r, fmt.Errorf("seisim: %w", err)
	}
	cfg := filepath.Join(dir, "vigia.yaml")
	if err := writeConfig(cfg, targets, dir, o); err != nil {
		return r, err
	}
	args := []string{"run", "--config", cfg, "--listen", fmt.Sprintf("127.0.0.1:%d", vigiaPort), "--log.level", "warn"}
	if profile != "" {
		args = append(args, "--debug.pprof")
	}
	vigia := exec.Command(filepath.Join(bin, "vigia"), args...)
	vigia.Stdout = io.Discard
	if cpus > 0 {
		vigia.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(cpus))
	}
	logf, _ := os.Create(filepath.Join(dir, "vigia.log"))
	vigia.Stderr = logf
	start := time.Now()
	if err := vigia.Start(); err != nil {
		return r, err
	}
	defer stop(vigia)
	base := fmt.Sprintf("http://127.0.0.1:%d", vigiaPort)
	for {
		if m, err := scrape(base); err == nil && sum(m, "vigia_probe_runs_total") > 0 {
			r.StartToFirstProbeS = time.Since(start).Seconds()
			break
		}
		if time.Since(start) > 60*time.Second {
			log, _ := os.ReadFile(filepath.Join(dir, "vigia.log"))
			return r, fmt.Errorf("no probe within 60s; log:\n%s", log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	maxRSS := 0.0
	sleepSampling := func(d time.Duration) {
		end := time.Now().Add(d)
		for time.Now().Before(end) {
			maxRSS = math.Max(maxRSS, rssMiB(vigia.Process.Pid))
			time.Sleep(time.Second)
		}
	}
	sleepSampling(warmup - time.Since(start))
	m0, err := scrape(base)
	if err != nil {
		return r, err
	}
	c0, s0, t0 := cpuSeconds(vigia.Process.Pid), cpuSeconds(seisim.Process.Pid), time.Now()
	profDone := make(chan error, 2)
	if profile != "" {
		secs := max(int(window.Seconds())-1, 1)
		go func() {
			profDone <- fetch(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, secs), filepath.Join(profile, fmt.Sprintf("cpu-%d.pprof", n)))
		}()
		go func() {
			profDone <- fetch(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/profile?seconds=%d", seiPprofPort, secs), filepath.Join(profile, fmt.Sprintf("seisim-cpu-%d.pprof", n)))
		}()
	}
	sleepSampling(window)
	if profile != "" {
		for range 2 {
			if err := <-profDone; err != nil {
				return r, err
			}
		}
		if err := fetch(base+"/debug/pprof/heap", filepath.Join(profile, fmt.Sprintf("heap-%d.pprof", n))); err != nil {
			return r, err
		}
	}
	m1, err := scrape(base)
	if err != nil {
		return r, err
	}
	c1, s1, t1 := cpuSeconds(vigia.Process.Pid), cpuSeconds(seisim.Process.Pid), time.Now()
	dt := t1.Sub(t0).Seconds()
	runs := sum(m1, "vigia_probe_runs_total") - sum(m0, "vigia_probe_runs_total")
	failed := sumMatching(m1, "vigia_probe_runs_total", `outcome="success"`, false) - sumMatching(m0, "vigia_probe_runs_total", `outcome="success"`, false)
	r.WindowSeconds = dt
	r.ProbesPerSecond = runs / dt
	r.ExpectedPerSecond = sched.perSecond(n, probes)
	if runs > 0 {
		r.FailedShare = failed / runs
		r.CPUSecondsPer1000 = (c1 - c0) / runs * 1000
		r.AllocsPerProbe = (sum(m1, "go_memstats_mallocs_total") - sum(m0, "go_memstats_mallocs_total")) / runs
	}
	r.VigiaCores = (c1 - c0) / dt
	r.SeisimCores = (s1 - s0) / dt
	r.VigiaRSSMiB = maxRSS
	r.Goroutines = sum(m1, "go_goroutines")
	r.VigiaCPUs = int(sum(m1, "go_sched_gomaxprocs_threads"))
	r.LagP50 = quantile(m0, m1, "vigia_probe_start_lag_seconds", 0.50)
	r.LagP99 = quantile(m0, m1, "vigia_probe_start_lag_seconds", 0.99)
	if o.es != "" {
		r.EventsPerSecond = (sum(m1, "vigia_events_total") - sum(m0, "vigia_events_total")) / dt
		r.ShippedPerSecond = (sumMatching(m1, "vigia_events_shipped_total", `output="elasticsearch"`, true) -
			sumMatching(m0, "vigia_events_shipped_total", `output="elasticsearch"`, true)) / dt
		r.QueueEvents = sum(m1, "vigia_events_queue_events")
	}
	return r, nil
}

// fetch saves a pprof endpoint's answer to a file.
func fetch(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile %s: %s", url, resp.Status)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("profile: %w", err)
	}
	return f.Close()
}

func stop(c *exec.Cmd) {
	_ = c.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = c.Process.Kill()
	}
}

func waitFile(path string, d time.Duration) error {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if st, err := os.Stat(path); err == nil && st.Size() > 0 {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not written within %s", path, d)
}

func writeConfig(path, targets, dir string, o options) error {
	probes, sched, concurrency := o.probes, o.sched, o.concurrency
	data, err := os.ReadFile(targets)
	if err != nil {
		return err
	}
	on := map[string]bool{}
	for _, p := range probes {
		on[strings.TrimSpace(p)] = true
	}
	var b strings.Builder
	// Production defaults (timeout, concurrency) unless the command line overrides them.
	fmt.Fprintf(&b, "global: {interval: %s, state_dir: %q", sched.interval, filepath.Join(dir, "state"))
	if sched.loggedIn > sched.interval {
		fmt.Fprintf(&b, ", start_spread: %s", sched.loggedIn)
	}
	if concurrency > 0 {
		fmt.Fprintf(&b, ", concurrency: %d", concurrency)
	}
	b.WriteString("}\n")
	b.WriteString("probes:\n")
	for _, p := range []string{"health", "version", "modules", "synthetic"} {
		fmt.Fprintf(&b, "  %s: {enabled: %t, interval: %s}\n", p, on[p], sched.of(p))
	}
	if o.es != "" {
		u, err := url.Parse(o.es)
		if err != nil || u.Host == "" {
			return fmt.Errorf("--es %q: want http://user:password@host:port/path", o.es)
		}
		pw, _ := u.User.Password()
		user := u.User.Username()
		u.User = nil
		fmt.Fprintf(&b, "outputs:\n  elasticsearch: {addresses: [%q], username: %q, password: %q}\n", u.String(), user, pw)
	}
	b.WriteString("probes_search_placeholder: null\n")
	b.WriteString("fleet:\n  defaults:\n    credentials: {username: monitor, password: monitor123, orgao: \"0\"}\n")
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		b.WriteString("  " + line + "\n")
	}
	out := strings.Replace(b.String(), "probes_search_placeholder: null\n", "", 1)
	out = strings.Replace(out, "  synthetic: {enabled: "+strconv.FormatBool(on["synthetic"]), "  synthetic: {search: \"00000.000001/2024-00\", enabled: "+strconv.FormatBool(on["synthetic"]), 1)
	return os.WriteFile(path, []byte(out), 0o600)
}

// metrics maps a sample line's name{labels} to its value.
type metrics map[string]float64

func scrape(base string) (metrics, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	m := metrics{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		m[line[:i]] = v
	}
	return m, sc.Err()
}

func sum(m metrics, name string) float64 { return sumMatching(m, name, "", true) }

// sumMatching adds the samples of a metric whose labels contain (or, with want false, lack) sub.
func sumMatching(m metrics, name, sub string, want bool) float64 {
	total := 0.0
	for k, v := range m {
		if k == name || strings.HasPrefix(k, name+"{") {
			if sub == "" || strings.Contains(k, sub) == want {
				total += v
			}
		}
	}
	return total
}

// quantile estimates a quantile of the histogram's increase between two scrapes, summed over
// label sets, by linear interpolation inside the bucket (as PromQL's histogram_quantile).
func quantile(m0, m1 metrics, name string, q float64) float64 {
	buckets := map[float64]float64{}
	for k, v := range m1 {
		if !strings.HasPrefix(k, name+"_bucket{") {
			continue
		}
		i := strings.Index(k, `le="`)
		le, err := strconv.ParseFloat(strings.TrimSuffix(k[i+4:], `"}`), 64)
		if err != nil {
			if strings.HasPrefix(k[i+4:], "+Inf") {
				le = math.Inf(1)
			} else {
				continue
			}
		}
		buckets[le] += v - m0[k]
	}
	var les []float64
	for le := range buckets {
		les = append(les, le)
	}
	sortFloats(les)
	if len(les) == 0 {
		return math.NaN()
	}
	total := buckets[les[len(les)-1]]
	if total == 0 {
		return 0
	}
	rank := q * total
	prevLe, prevCount := 0.0, 0.0
	for _, le := range les {
		c := buckets[le]
		if c >= rank {
			if math.IsInf(le, 1) {
				return prevLe
			}
			if c == prevCount {
				return le
			}
			return prevLe + (le-prevLe)*(rank-prevCount)/(c-prevCount)
		}
		prevLe, prevCount = le, c
	}
	return prevLe
}

func sortFloats(a []float64) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// cpuSeconds reads utime+stime of a process from /proc.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseFloat(fields[11], 64)
	st, _ := strconv.ParseFloat(fields[12], 64)
	return (ut + st) / 100 // USER_HZ is 100 on Linux
}

func rssMiB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func printTable(w io.Writer, rs []result) {
	es := slices.ContainsFunc(rs, func(r result) bool { return r.EventsPerSecond > 0 })
	fmt.Fprintf(w, "\n%-10s %9s %9s %8s %9s %9s %9s %8s %6s %12s %9s %10s %8s %8s", "instances", "probes/s", "expected", "failed", "lag p50", "lag p99",
		"first(s)", "cores", "procs", "cpu s/1000", "RSS MiB", "allocs/pr", "gorout.", "seisim")
	if es {
		fmt.Fprintf(w, " %9s %9s %9s", "events/s", "shipped/s", "backlog")
	}
	fmt.Fprintln(w)
	for _, r := range rs {
		fmt.Fprintf(w, "%-10d %9.1f %9.1f %7.1f%% %8.3fs %8.3fs %9.2f %8.3f %6d %12.3f %9.1f %10.0f %8.0f %8.3f",
			r.Instances, r.ProbesPerSecond, r.ExpectedPerSecond, 100*r.FailedShare, r.LagP50, r.LagP99, r.StartToFirstProbeS,
			r.VigiaCores, r.VigiaCPUs, r.CPUSecondsPer1000, r.VigiaRSSMiB, r.AllocsPerProbe, r.Goroutines, r.SeisimCores)
		if es {
			fmt.Fprintf(w, " %9.1f %9.1f %9.0f", r.EventsPerSecond, r.ShippedPerSecond, r.QueueEvents)
		}
		fmt.Fprintln(w)
	}
}
