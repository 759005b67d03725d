package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/vigia-sei/vigia/alerting"
	vcollectors "github.com/vigia-sei/vigia/collectors"
	"github.com/vigia-sei/vigia/collectors/discovery"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/collectors/sei"
	"github.com/vigia-sei/vigia/config"
	"github.com/vigia-sei/vigia/internal/latest"
	"github.com/vigia-sei/vigia/internal/server"
)

// Options configure a Daemon; flags override the config file.
type Options struct {
	ConfigFile string
	// Listen overrides server.listen when set.
	Listen string
	// Shard overrides global.shard when set ("i/n").
	Shard           string
	Pprof           bool
	Version         string
	Logger          *slog.Logger
	ShutdownTimeout time.Duration
	// Registry receives vigia's own families (Go runtime, process, vigia_*); nil creates one.
	// The sei_* result metrics are not on it: Daemon.Registry gathers both.
	Registry *prometheus.Registry
}

// Daemon is a running vigia.
type Daemon struct {
	opts Options
	log  *slog.Logger
	reg  *prometheus.Registry
	// results holds the sei_* series; it stays off reg (see buildConsumers).
	results *vcollectors.ResultMetrics

	cfg      atomic.Pointer[config.Config]
	reloadMu sync.Mutex

	sched   *vcollectors.Scheduler
	disc    *discovery.Manager
	desired *desiredState
	latest  *latest.Latest
	applyMu sync.Mutex
	// fleetMu orders results against fleet changes: a run still in flight when its instance
	// leaves must not reach the consumers after they forgot the instance (its series and alerts
	// would come back and stay).
	fleetMu sync.RWMutex
	plans   []vcollectors.Plan
	// loggedIn outlives reloads: the version probe reads the logged-in pages other probes saw;
	// answers likewise: mod-wssei answers one probe passes to the next.
	loggedIn *vcollectors.LoggedInPages
	answers  *vcollectors.SharedAnswers
	// tlsSessions outlive reloads too (unless global.tls_sessions changes): the logged-in probes
	// resume the TLS sessions of earlier runs. nil when resumption is off.
	tlsSessions *sei.TLSSessions
	// conns, the connections runs leave for the next run on the same server, outlive reloads.
	conns *sei.ConnPool
	// sessions, the SIP sessions the modules probe keeps between runs, outlive reloads and are
	// logged out at shutdown and when their instance leaves the fleet.
	sessions *vcollectors.KeptSessions
	handlers []vcollectors.ResultHandler
	// fleetWatchers learn the current fleet and the instances that just left it.
	fleetWatchers []func(current, all []probe.Target, gone []string)
	alertHandlers []func(alerting.Alert)
	closers       []func() error
	alerts        *alerting.Manager
	receivers     *receivers
	runners       []func(ctx context.Context)
	srv           *server.Server

	addr atomic.Pointer[net.Addr]

	mReloadOK   prometheus.Gauge
	mReloadTime prometheus.Gauge
	mReloads    *prometheus.CounterVec
	mInstances  prometheus.Gauge
}

// New loads the config and builds every component. An invalid config is an error listing every
// problem; nothing is started.
func New(opts Options) (*Daemon, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 15 * time.Second
	}
	cfg, err := loadConfig(opts)
	if err != nil {
		return nil, err
	}
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d := &Daemon{opts: opts, log: opts.Logger, reg: reg, latest: latest.New(), loggedIn: vcollectors.NewLoggedInPages(),
		answers: vcollectors.NewSharedAnswers(),
		conns:   sei.NewConnPool(), sessions: vcollectors.NewKeptSessions()}
	d.cfg.Store(cfg)
	d.registerOwnMetrics()

	d.disc = discovery.New(discovery.Options{Logger: d.log, Registerer: reg})
	d.runners = append(d.runners, func(ctx context.Context) { d.disc.Run(ctx, d.applyTargets) })
	d.handlers = append(d.handlers, d.latest)
	if err := d.buildConsumers(cfg); err != nil {
		return nil, err
	}
	d.sched = vcollectors.NewScheduler(vcollectors.SchedulerOptions{
		Concurrency: cfg.Global.Concurrency, CronSpread: cfg.Global.CronSpread, StartSpread: cfg.Global.StartSpread,
		Logger: d.log, Registerer: reg,
	}, vcollectors.ResultHandlerFunc(d.fanout))

	d.srv = server.New(server.Options{
		Gatherer: reg, Text: d.results, Logger: d.log, Pprof: opts.Pprof,
		Ready:  d.ready,
		Reload: d.Reload,
		Token:  func() probe.Secret { return d.cfg.Load().Server.APIToken },
	})
	d.latest.Mount(d.srv)
	if err := d.mountExtras(); err != nil {
		return nil, err
	}
	return d, nil
}

func loadConfig(opts Options) (*config.Config, error) {
	cfg, err := config.Load(opts.ConfigFile)
	if err != nil {
		return nil, err
	}
	if opts.Listen != "" {
		cfg.Server.Listen = opts.Listen
	}
	if opts.Shard != "" {
		if _, _, err := config.ParseShard(opts.Shard); err != nil {
			return nil, fmt.Errorf("--shard: %w", err)
		}
		cfg.Global.Shard = opts.Shard
	}
	return cfg, nil
}

func (d *Daemon) registerOwnMetrics() {
	d.mReloadOK = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "vigia_config_last_reload_successful", Help: "Whether the last config (re)load succeeded (1) or was rejected (0).",
	})
	d.mReloadTime = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "vigia_config_last_reload_success_timestamp_seconds", Help: "Time of the last successful config load.",
	})
	d.mReloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigia_config_reloads_total", Help: "Config reloads by result.",
	}, []string{"result"})
	d.mInstances = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "vigia_instances", Help: "SEI instances this replica watches (after sharding).",
	})
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "vigia_build_info", Help: "vigia build information.",
		ConstLabels: prometheus.Labels{"version": d.opts.Version, "goversion": runtime.Version()},
	})
	info.Set(1)
	d.mReloadOK.Set(1)
	d.mReloadTime.SetToCurrentTime()
	d.reg.MustRegister(d.mReloadOK, d.mReloadTime, d.mReloads, d.mInstances, info)
	d.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "vigia_kept_sessions",
		Help: "SIP sessions the modules probe keeps logged in between runs (probes.modules.keep_session), one per instance at most.",
	}, func() float64 { return float64(d.sessions.Len()) }))
	for _, result := range []string{"taken", "none"} {
		d.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "vigia_connection_handovers_total",
			Help:        "Probe runs that looked for the connection the previous run on the same server left: taken, or none (they opened their own).",
			ConstLabels: prometheus.Labels{"result": result},
		}, func() float64 {
			taken, missed := d.conns.HandOvers()
			if result == "taken" {
				return float64(taken)
			}
			return float64(missed)
		}))
	}
}

func (d *Daemon) fanout(r probe.Result) {
	d.fleetMu.RLock()
	defer d.fleetMu.RUnlock()
	if !d.latest.Watches(r.Target.Name) {
		return
	}
	for _, h := range d.handlers {
		h.HandleResult(r)
	}
}

func (d *Daemon) ready() error {
	if !d.sched.Scheduled() {
		return errors.New("first schedule not installed yet")
	}
	return nil
}

// Config returns the config in force.
func (d *Daemon) Config() *config.Config { return d.cfg.Load() }

// Registry gathers every family /metrics serves: the registry's and the sei_* result metrics
// (through their Collect path; /metrics itself renders those as text).
func (d *Daemon) Registry() prometheus.Gatherer {
	results := prometheus.NewRegistry()
	results.MustRegister(d.results)
	return prometheus.Gatherers{d.reg, results}
}

// Addr is the bound HTTP address once Run has started listening.
func (d *Daemon) Addr() net.Addr {
	if a := d.addr.Load(); a != nil {
		return *a
	}
	return nil
}

// Run serves until ctx ends, then drains: the scheduler stops dispatching, runs in progress finish
// within their deadlines (bounded by ShutdownTimeout), and consumers flush.
func (d *Daemon) Run(ctx context.Context) error {
	cfg := d.cfg.Load()
	if err := d.apply(cfg, nil); err != nil {
		return err
	}
	schedCtx, stopSched := context.WithCancel(context.Background())
	compCtx, stopComps := context.WithCancel(context.Background())
	defer stopComps()

	var sched, comps sync.WaitGroup
	sched.Add(1)
	go func() { defer sched.Done(); d.sched.Run(schedCtx) }()
	for _, run := range d.runners {
		comps.Add(1)
		go func() { defer comps.Done(); run(compCtx) }()
	}
	srvErr := make(chan error, 1)
	go func() {
		srvErr <- d.srv.Serve(ctx, cfg.Server.Listen, func(a net.Addr) {
			d.addr.Store(&a)
			d.log.Info("listening", "address", a.String())
		})
	}()
	d.log.Info("vigia started", "instances", d.countInstances(), "config", d.opts.ConfigFile)

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-srvErr:
		if err != nil {
			runErr = fmt.Errorf("HTTP server on %s: %w", cfg.Server.Listen, err)
		}
	}
	d.log.Info("shutting down", "deadline", d.opts.ShutdownTimeout)
	deadline := time.After(d.opts.ShutdownTimeout)
	stopSched()
	if !waitOrDeadline(&sched, deadline) {
		d.log.Warn("probe runs still in progress at the shutdown deadline; leaving them")
	}
	d.logoutKept(nil, d.opts.ShutdownTimeout/3)
	d.conns.Close()
	stopComps()
	if !waitOrDeadline(&comps, deadline) {
		d.log.Warn("consumers did not flush before the shutdown deadline")
	}
	for _, c := range d.closers {
		if err := c(); err != nil {
			d.log.Warn("closing state", "err", err)
		}
	}
	d.log.Info("stopped")
	return runErr
}

func waitOrDeadline(wg *sync.WaitGroup, deadline <-chan time.Time) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-deadline:
		return false
	}
}

// Reload re-reads the config file. A config with problems is rejected with all of them, logged,
// and the running config stays in force.
func (d *Daemon) Reload(ctx context.Context) error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	next, err := loadConfig(d.opts)
	if err == nil {
		err = d.apply(next, d.cfg.Load())
	}
	if err != nil {
		d.mReloadOK.Set(0)
		d.mReloads.WithLabelValues("failure").Inc()
		var cerr *config.Error
		if errors.As(err, &cerr) {
			for _, p := range cerr.Problems {
				d.log.Error("config rejected, keeping the running one", "problem", p.String())
			}
		} else {
			d.log.Error("config rejected, keeping the running one", "err", err)
		}
		return err
	}
	prev := d.cfg.Swap(next)
	d.mReloadOK.Set(1)
	d.mReloadTime.SetToCurrentTime()
	d.mReloads.WithLabelValues("success").Inc()
	if prev.Server.Listen != next.Server.Listen || prev.Global.StateDir != next.Global.StateDir {
		d.log.Warn("server.listen and global.state_dir changes take effect on restart")
	}
	d.log.Info("config reloaded", "instances", d.countInstances())
	return nil
}

// apply installs cfg: plans into the scheduler and the fleet (static plus discovered) into every
// consumer. prev is nil at start.
func (d *Daemon) apply(cfg *config.Config, prev *config.Config) error {
	plans, err := d.buildPlans(cfg)
	if err != nil {
		return err
	}
	if err := d.reloadConsumers(cfg, prev); err != nil {
		return err
	}
	d.disc.Update(cfg.Targets(), cfg.Fleet.Discovery)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	d.disc.Refresh(ctx)
	cancel()
	d.applyMu.Lock()
	d.plans = plans
	d.applyMu.Unlock()
	d.applyTargets(d.disc.Targets())
	if m := cfg.Probes.Modules; (!m.On() || m.KeepSession == nil || *m.KeepSession == 0) && d.sessions.Len() > 0 {
		// Keeping sessions was turned off: end the kept ones now rather than at shutdown.
		go d.logoutKept(nil, keptLogoutTimeout)
	}
	return nil
}

// applyTargets installs a new fleet: the shard's share of it goes to the scheduler, and consumers
// forget instances that left (their series go, their alerts resolve).
func (d *Daemon) applyTargets(all []probe.Target) {
	d.applyMu.Lock()
	defer d.applyMu.Unlock()
	defaults := d.cfg.Load().Fleet.Defaults
	for i, t := range all {
		all[i] = defaults.Apply(t)
	}
	targets := all
	if shard := d.cfg.Load().Global.Shard; shard != "" {
		i, n, _ := config.ParseShard(shard)
		targets = vcollectors.FilterShard(all, i, n)
	}
	d.fleetMu.Lock()
	defer d.fleetMu.Unlock()
	before := d.latest.Names()
	d.latest.SetTargets(targets)
	d.sched.Update(targets, d.plans)
	d.mInstances.Set(float64(len(targets)))
	keep := make(map[string]bool, len(targets))
	for _, t := range targets {
		keep[t.Name] = true
	}
	var gone []string
	for _, name := range before {
		if !keep[name] {
			gone = append(gone, name)
		}
	}
	d.loggedIn.Forget(gone)
	d.answers.Forget(gone)
	if len(gone) > 0 && d.sessions.Len() > 0 {
		go d.logoutKept(gone, keptLogoutTimeout)
	}
	for _, f := range d.fleetWatchers {
		f(targets, all, gone)
	}
}

// keptLogoutTimeout bounds the logouts of kept sessions while the daemon runs (an instance left
// the fleet, keeping was turned off).
const keptLogoutTimeout = 30 * time.Second

// logoutKept ends the SIP sessions the modules probe kept for instances (nil: all of them), within
// a bound: what is not logged out by then expires on the server.
func (d *Daemon) logoutKept(instances []string, within time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if done := d.sessions.Logout(ctx, instances, 64); done > 0 {
		d.log.Info("logged out kept SIP sessions", "logged_out", done)
	}
}

func (d *Daemon) countInstances() int { return len(d.latest.Names()) }
