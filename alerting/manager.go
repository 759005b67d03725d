package alerting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
)

// ManagerConfig is what the manager needs from the config; ConfigFrom builds it.
type ManagerConfig struct {
	Rules  []config.Rule
	Routes config.Route
	// Inhibit rules; when empty, DefaultInhibitRules(Rules) apply.
	Inhibit  []config.InhibitRule
	Silences []config.Silence
	// SendResolved per receiver; a receiver not listed gets resolved notifications.
	SendResolved map[string]bool
	// ExternalURL is how operators reach vigia (alert links point at it).
	ExternalURL string
	// TimeZone for silences that do not name one; America/Sao_Paulo when empty.
	TimeZone string
	// Clock defaults to the real one.
	Clock Clock
	// OnChange, when set, sees every state change (pending, firing, resolved) once it is
	// committed, in order, from the dispatch loop: the place to ship alert events. It must not
	// block for long (hand off to a buffer).
	OnChange func(Alert)

	// QueueSize bounds each receiver's queue of group updates (default 256).
	QueueSize int
	// MaxAttempts per notification (default 5), with exponential backoff from RetryBase (1s)
	// up to RetryMax (1m); each attempt may take NotifyTimeout (30s).
	MaxAttempts   int
	RetryBase     time.Duration
	RetryMax      time.Duration
	NotifyTimeout time.Duration
	// Retention keeps the notification log of vanished groups and expired API silences this
	// long (default 5 days).
	Retention time.Duration
}

// ConfigFrom takes the alerting parts of a loaded config.
func ConfigFrom(c *config.Config) ManagerConfig {
	sr := make(map[string]bool, len(c.Receivers))
	for name, r := range c.Receivers {
		sr[name] = r.SendResolved == nil || *r.SendResolved
	}
	return ManagerConfig{
		Rules: c.Rules, Routes: c.Routes, Inhibit: c.Inhibit, Silences: c.Silences, SendResolved: sr,
		ExternalURL: strings.TrimRight(c.Server.ExternalURL, "/"), TimeZone: c.Global.TimeZone,
	}
}

func (c *ManagerConfig) setDefaults() {
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	if c.TimeZone == "" {
		c.TimeZone = DefaultTimeZone
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 256
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.RetryBase <= 0 {
		c.RetryBase = time.Second
	}
	if c.RetryMax <= 0 {
		c.RetryMax = time.Minute
	}
	if c.NotifyTimeout <= 0 {
		c.NotifyTimeout = 30 * time.Second
	}
	if c.Retention <= 0 {
		c.Retention = 5 * 24 * time.Hour
	}
}

// compiled is a ManagerConfig ready to install.
type compiled struct {
	rules []*rule
	root  *route
	inhib *inhibitor
}

func compileConfig(cfg ManagerConfig, notifiers map[string]Notifier) (*compiled, error) {
	rules, err := compileRules(cfg.Rules)
	if err != nil {
		return nil, fmt.Errorf("alerting: %w", err)
	}
	root, err := compileRoutes(cfg.Routes)
	if err != nil {
		return nil, fmt.Errorf("alerting: routes: %w", err)
	}
	inh := cfg.Inhibit
	if len(inh) == 0 {
		inh = DefaultInhibitRules(cfg.Rules)
	}
	in, err := newInhibitor(inh)
	if err != nil {
		return nil, fmt.Errorf("alerting: %w", err)
	}
	used := map[string]bool{}
	root.allReceivers(used)
	var missing []string
	for name := range used {
		if notifiers[name] == nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("alerting: routes use receivers without a notifier: %s", strings.Join(missing, ", "))
	}
	return &compiled{rules: rules, root: root, inhib: in}, nil
}

// Manager evaluates rules over probe results, keeps alert state, and routes, groups, silences,
// inhibits, deduplicates and delivers notifications, persisting what it must not forget.
type Manager struct {
	log     *slog.Logger
	clock   Clock
	metrics *metrics
	store   *Store
	updates *updateLog
	eval    *evaluator
	disp    *dispatcher
	sil     *silences

	cfgMu sync.Mutex
	cfg   ManagerConfig

	qmu     sync.Mutex
	queues  map[string]*receiverQueue
	running context.Context // the workers' context while Run runs

	passMu sync.Mutex
	idle   chan struct{}
}

// NewManager builds a manager and restores persisted state from store (nil: nothing persists).
// notifiers maps receiver names to their Notifier; every receiver the routes use needs one.
// reg may be nil.
func NewManager(cfg ManagerConfig, notifiers map[string]Notifier, store *Store, reg prometheus.Registerer, log *slog.Logger) (*Manager, error) {
	cfg.setDefaults()
	if log == nil {
		log = slog.Default()
	}
	c, err := compileConfig(cfg, notifiers)
	if err != nil {
		return nil, err
	}
	met, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	m := &Manager{
		log: log, clock: cfg.Clock, metrics: met, store: store, updates: newUpdateLog(), cfg: cfg,
		sil: newSilences(cfg.TimeZone), queues: map[string]*receiverQueue{}, idle: make(chan struct{}, 1),
	}
	if err := m.sil.setConfig(cfg.Silences, cfg.TimeZone); err != nil {
		return nil, fmt.Errorf("alerting: %w", err)
	}
	m.eval = newEvaluator(cfg.Clock, cfg.ExternalURL, met, m.updates.add)
	m.eval.setRules(c.rules)
	m.disp = newDispatcher(c.root, c.inhib, cfg.SendResolved, cfg.ExternalURL)
	for name, n := range notifiers {
		m.queues[name] = newReceiverQueue(name, n, cfg.QueueSize)
		met.receiver(name)
	}
	if err := m.restore(); err != nil {
		return nil, err
	}
	return m, nil
}

// restore loads silences, the notification log and alert state.
func (m *Manager) restore() error {
	if m.store == nil {
		return nil
	}
	now := m.clock.Now()
	bad, err := each(m.store, bucketSilences, func(_ string, s Silence) {
		if err := m.sil.restore(s); err != nil {
			m.log.Warn("alerting: dropping a stored silence that no longer compiles", "silence", s.ID, "err", err)
		}
	})
	if err != nil {
		return fmt.Errorf("alerting: load silences: %w", err)
	}
	bad2, err := each(m.store, bucketNflog, func(k string, e nflogEntry) { m.disp.nflog[k] = e })
	if err != nil {
		return fmt.Errorf("alerting: load notification log: %w", err)
	}
	var resolved []Alert
	bad3, err := each(m.store, bucketResolved, func(_ string, a Alert) { resolved = append(resolved, a) })
	if err != nil {
		return fmt.Errorf("alerting: load resolved alerts: %w", err)
	}
	var restored, ended int
	bad4, err := each(m.store, bucketSeries, func(id string, st storedSeries) {
		if m.eval.restore(st, now) {
			restored++
			if st.Alert.State == StateFiring {
				m.updates.add(update{id: id, alert: st.Alert, instance: st.Instance, probe: st.Probe, item: st.Item, rule: st.Rule, identity: st.Identity})
			}
			return
		}
		// Its rule is gone or changed while vigia was down: resolve what was firing.
		ended++
		u := update{id: id, alert: st.Alert, persist: true, instance: st.Instance, probe: st.Probe, item: st.Item, rule: st.Rule, identity: st.Identity}
		if st.Alert.State == StateFiring {
			u.alert.State, u.alert.EndsAt = StateResolved, now
		} else {
			u.gone = true
		}
		m.updates.add(u)
	})
	if err != nil {
		return fmt.Errorf("alerting: load alert state: %w", err)
	}
	m.disp.mu.Lock()
	for _, a := range resolved {
		m.disp.ingest(a, now)
	}
	m.disp.mu.Unlock()
	if n := bad + bad2 + bad3 + bad4; n > 0 {
		m.log.Warn("alerting: skipped unreadable records in the state file", "count", n)
	}
	m.log.Info("alerting: state restored", "series", restored, "ended", ended, "resolved_pending", len(resolved),
		"notification_log", len(m.disp.nflog))
	return nil
}

func (m *Manager) opts() ManagerConfig {
	m.cfgMu.Lock()
	defer m.cfgMu.Unlock()
	return m.cfg
}

// HandleResult evaluates the rules that read r. It is cheap and never blocks on notification
// delivery: probe workers call it for every result.
func (m *Manager) HandleResult(r probe.Result) { m.eval.handle(&r) }

// SetInstances tells the manager the current fleet: alerts of instances not in names resolve,
// and late results from those instances are ignored until they are listed again.
func (m *Manager) SetInstances(names []string) { m.eval.setInstances(names) }

// Reload installs a new config. Alert state of rules whose name and labels did not change is
// kept; groups that still exist keep their timers; API silences are kept. notifiers replaces
// the receivers' notifiers when not nil.
func (m *Manager) Reload(cfg ManagerConfig, notifiers map[string]Notifier) error {
	old := m.opts()
	cfg.Clock = old.Clock
	cfg.setDefaults()
	if notifiers == nil {
		notifiers = m.notifiers()
	}
	c, err := compileConfig(cfg, notifiers)
	if err != nil {
		return err
	}
	if err := m.sil.setConfig(cfg.Silences, cfg.TimeZone); err != nil {
		return fmt.Errorf("alerting: %w", err)
	}
	m.eval.mu.Lock()
	m.eval.externalURL = cfg.ExternalURL
	m.eval.mu.Unlock()
	m.eval.reload(c.rules)
	now := m.clock.Now()
	m.disp.mu.Lock()
	m.disp.sendResolved = cfg.SendResolved
	m.disp.externalURL = cfg.ExternalURL
	m.disp.setInhibitor(c.inhib)
	m.disp.reroute(c.root, now)
	m.disp.mu.Unlock()
	m.setNotifiers(notifiers, cfg.QueueSize)
	m.cfgMu.Lock()
	m.cfg = cfg
	m.cfgMu.Unlock()
	m.log.Info("alerting: config reloaded", "rules", len(c.rules))
	return nil
}

func (m *Manager) notifiers() map[string]Notifier {
	m.qmu.Lock()
	defer m.qmu.Unlock()
	out := make(map[string]Notifier, len(m.queues))
	for name, q := range m.queues {
		out[name] = q.current()
	}
	return out
}

func (m *Manager) setNotifiers(notifiers map[string]Notifier, limit int) {
	m.qmu.Lock()
	defer m.qmu.Unlock()
	for name, q := range m.queues {
		if _, ok := notifiers[name]; !ok {
			if q.cancel != nil {
				q.cancel()
			}
			delete(m.queues, name)
		}
	}
	for name, n := range notifiers {
		if q := m.queues[name]; q != nil {
			q.mu.Lock()
			q.notifier, q.limit = n, limit
			q.mu.Unlock()
			continue
		}
		q := newReceiverQueue(name, n, limit)
		m.queues[name] = q
		m.metrics.receiver(name)
		if m.running != nil {
			m.startWorker(m.running, q)
		}
	}
}

func (m *Manager) startWorker(ctx context.Context, q *receiverQueue) {
	wctx, cancel := context.WithCancel(ctx)
	q.cancel, q.done = cancel, make(chan struct{})
	go m.work(wctx, q)
}

// minPassGap batches bursts of transitions into one store commit.
const minPassGap = 50 * time.Millisecond

// Run runs the dispatch loop and the receivers' delivery workers until ctx ends, then commits
// pending state and returns.
func (m *Manager) Run(ctx context.Context) {
	m.qmu.Lock()
	if m.running != nil {
		m.qmu.Unlock()
		m.log.Error("alerting: Run called twice")
		return
	}
	m.running = ctx
	for _, q := range m.queues {
		m.startWorker(ctx, q)
	}
	m.qmu.Unlock()

	m.maintain()
	lastGC := time.Now()
	for {
		next := m.pass()
		wait := time.Second
		if !next.IsZero() {
			if d := next.Sub(m.clock.Now()); d < wait {
				wait = max(d, 0)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			m.stop()
			return
		case <-m.updates.wake:
			t.Stop()
			// Let a burst of transitions accumulate so it costs one commit.
			g := time.NewTimer(minPassGap)
			select {
			case <-ctx.Done():
				g.Stop()
				m.stop()
				return
			case <-g.C:
			}
		case <-t.C:
		}
		if time.Since(lastGC) > time.Hour {
			m.maintain()
			lastGC = time.Now()
		}
	}
}

// stop ends the workers and commits what the evaluator changed since the last pass.
func (m *Manager) stop() {
	m.qmu.Lock()
	var dones []chan struct{}
	for _, q := range m.queues {
		if q.cancel != nil {
			q.cancel()
			dones = append(dones, q.done)
		}
	}
	m.running = nil
	m.qmu.Unlock()
	for _, d := range dones {
		<-d
	}
	m.passMu.Lock()
	defer m.passMu.Unlock()
	ups := m.updates.drain()
	if err := m.store.apply(m.persistOps(ups)); err != nil {
		m.log.Error("alerting: could not save alert state at shutdown", "err", err)
	}
	m.notifyChanges(ups)
}

func (m *Manager) notifyChanges(ups []update) {
	if cb := m.opts().OnChange; cb != nil {
		for _, u := range ups {
			if u.persist && !u.gone {
				cb(u.alert)
			}
		}
	}
}

// pass is one step of the dispatch loop: commit state changes, route them, flush due groups and
// queue their notifications. State is committed before anything is sent, so a crash never
// leaves a sent notification whose alert the next run does not know.
func (m *Manager) pass() time.Time {
	m.passMu.Lock()
	defer m.passMu.Unlock()
	now := m.clock.Now()
	ups := m.updates.drain()
	ops := m.persistOps(ups)
	d := m.disp
	d.mu.Lock()
	ops = append(ops, d.pendingOps...)
	d.pendingOps = nil
	d.mu.Unlock()
	if err := m.store.apply(ops); err != nil {
		m.log.Error("alerting: could not save alert state; retrying at the next pass", "err", err)
		d.mu.Lock()
		d.pendingOps = append(ops, d.pendingOps...)
		d.mu.Unlock()
	}
	m.notifyChanges(ups)
	active := m.sil.activeAt(now)
	d.mu.Lock()
	for _, u := range ups {
		if !u.gone {
			d.ingest(u.alert, now)
		}
	}
	jobs := d.flush(now, active)
	next := d.nextFlush()
	d.mu.Unlock()
	for _, j := range jobs {
		m.enqueue(j)
	}
	return next
}

func (m *Manager) persistOps(ups []update) []storeOp {
	var ops []storeOp
	for _, u := range ups {
		if !u.persist {
			continue
		}
		switch {
		case u.gone:
			ops = append(ops, storeOp{bucket: bucketSeries, key: u.id})
		case u.alert.State == StateResolved:
			ops = append(ops, storeOp{bucket: bucketSeries, key: u.id},
				storeOp{bucket: bucketResolved, key: resolvedKey(&u.alert), value: u.alert})
		default:
			ops = append(ops, storeOp{bucket: bucketSeries, key: u.id, value: storedSeries{
				Rule: u.rule, Identity: u.identity, Instance: u.instance, Probe: u.probe, Item: u.item, Alert: u.alert,
			}})
		}
	}
	return ops
}

func (m *Manager) enqueue(j *job) {
	m.qmu.Lock()
	q := m.queues[j.receiver]
	m.qmu.Unlock()
	if q == nil {
		m.log.Error("alerting: no notifier for receiver", "receiver", j.receiver)
		return
	}
	if q.push(j) {
		m.metrics.notifications.WithLabelValues(q.name, OutcomeDropped).Inc()
		m.log.Warn("alerting: receiver queue full, dropped its oldest group update", "receiver", q.name)
	}
	m.metrics.queueDepth.WithLabelValues(q.name).Set(float64(q.depth()))
}

// maintain forgets old notification-log entries and expired API silences.
func (m *Manager) maintain() {
	cutoff := m.clock.Now().Add(-m.opts().Retention)
	m.disp.mu.Lock()
	gone := m.disp.gcNflog(cutoff)
	m.disp.mu.Unlock()
	var ops []storeOp
	for _, id := range gone {
		ops = append(ops, storeOp{bucket: bucketNflog, key: id})
	}
	for _, id := range m.sil.gc(cutoff) {
		ops = append(ops, storeOp{bucket: bucketSilences, key: id})
	}
	if err := m.store.apply(ops); err != nil {
		m.log.Warn("alerting: state clean-up failed", "err", err)
	}
}

// ErrNotRunning is returned by Sync when Run is not running.
var ErrNotRunning = errors.New("alerting: the manager is not running")

// Sync runs one dispatch pass at the clock's current time and waits until every receiver has
// handled what it queued. Tests drive a manual clock with it; nothing needs it in production.
func (m *Manager) Sync(ctx context.Context) error {
	m.qmu.Lock()
	running := m.running != nil
	m.qmu.Unlock()
	if !running {
		return ErrNotRunning
	}
	m.pass()
	for {
		if m.allIdle() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-m.idle:
		}
	}
}

func (m *Manager) allIdle() bool {
	m.qmu.Lock()
	defer m.qmu.Unlock()
	for _, q := range m.queues {
		if !q.idle() {
			return false
		}
	}
	return true
}

// Alerts returns every pending and firing alert, with whether it is silenced or inhibited.
func (m *Manager) Alerts() []Alert {
	list := m.eval.snapshot()
	active := m.sil.activeAt(m.clock.Now())
	m.disp.mu.Lock()
	defer m.disp.mu.Unlock()
	for i := range list {
		a := &list[i]
		a.SilencedBy = silencedBy(active, a.Labels)
		a.Silenced = len(a.SilencedBy) > 0
		a.Inhibited = m.disp.inhib.inhibited(a.Fingerprint, a.Labels)
	}
	return list
}

// AddSilence validates and stores a silence (ID, Source and CreatedAt are set here) and returns
// its id. Validation errors wrap ErrInvalidSilence.
func (m *Manager) AddSilence(s Silence) (string, error) {
	c, err := m.sil.add(s, m.clock.Now())
	if err != nil {
		return "", err
	}
	if err := m.store.put(bucketSilences, c.ID, c.Silence); err != nil {
		return "", fmt.Errorf("alerting: save silence: %w", err)
	}
	m.log.Info("alerting: silence added", "silence", c.ID, "created_by", c.CreatedBy, "comment", c.Comment)
	return c.ID, nil
}

// ExpireSilence ends an API silence now. Config silences cannot be expired (ErrSilenceInConfig);
// an unknown id is ErrSilenceNotFound.
func (m *Manager) ExpireSilence(id string) error {
	c, err := m.sil.expire(id, m.clock.Now())
	if err != nil {
		return err
	}
	if err := m.store.put(bucketSilences, c.ID, c.Silence); err != nil {
		return fmt.Errorf("alerting: save silence: %w", err)
	}
	m.log.Info("alerting: silence expired", "silence", id)
	return nil
}

// Silences lists config and API silences with their current state.
func (m *Manager) Silences() []Silence { return m.sil.list(m.clock.Now()) }

// Silence returns one silence.
func (m *Manager) Silence(id string) (Silence, bool) { return m.sil.get(id, m.clock.Now()) }
