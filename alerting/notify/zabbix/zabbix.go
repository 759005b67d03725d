package zabbix

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/alerting/notify/templates"
	"github.com/vigia-sei/vigia/alerting/notify/webhook"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
)

// Defaults for what the config leaves out.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultQueueSize        = 100000
	DefaultBatchSize        = 1000
	DefaultCacheDelay       = 60 * time.Second
	DefaultHostGroupPrefix  = "SEI/"
	DefaultReprovisionEvery = 2 * time.Minute
	maxBackoff              = 30 * time.Second
)

// Options are what the Zabbix notifier needs besides its config.
type Options struct {
	// Name is the receiver's name, a constant label on the metrics.
	Name       string
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Templates overrides the trigger name/comment templates; nil uses the defaults plus the
	// config's trigger_name.
	Templates *templates.Set
	// ReprovisionEvery is the least time between provisioning runs that Run starts by itself,
	// when results show a new step, component or module (DefaultReprovisionEvery when 0).
	ReprovisionEvery time.Duration
	// FlushEvery is how often Run sends what is queued even without a wake-up (1s when 0).
	FlushEvery time.Duration
}

// Notifier provisions Zabbix and feeds it values and alert states.
type Notifier struct {
	cfg          config.ZabbixReceiver
	log          *slog.Logger
	tmpl         *templates.Set
	timeout      time.Duration
	batch        int
	cacheDelay   time.Duration
	reprovision  time.Duration
	flushEvery   time.Duration
	apiTransport *http.Transport
	snd          *sender
	met          metrics
	wakeC        chan struct{}
	provMu       sync.Mutex // one provisioning run at a time

	mu            sync.Mutex
	values        *queue
	alerts        *queue
	provisioned   map[string]map[string]bool // host -> keys that take values (nil: API not used)
	dynamic       map[string]map[string]itemSpec
	dirty         bool
	holdUntil     time.Time
	lastTargets   []probe.Target
	lastRules     []config.Rule
	lastProvision time.Time
	report        Report
	version       string
	up            bool
}

type metrics struct {
	sent, failed, dropped *prometheus.CounterVec
	sendErrors            prometheus.Counter
	provisions, changes   *prometheus.CounterVec
	depth, upGauge        prometheus.Collector
}

var hostPrefixRE = regexp.MustCompile(`^[A-Za-z0-9._-]*$`)

// New builds the notifier. It does not contact Zabbix: Provision and Run do.
func New(cfg config.ZabbixReceiver, o Options) (*Notifier, error) {
	if cfg.Server == "" && cfg.API == "" {
		return nil, fmt.Errorf("zabbix: needs server (trapper host:port) and/or api (JSON-RPC URL)")
	}
	if cfg.Server != "" {
		if _, _, err := net.SplitHostPort(cfg.Server); err != nil {
			return nil, fmt.Errorf("zabbix: server %q must be host:port", cfg.Server)
		}
	}
	if cfg.API != "" && cfg.Token == "" && (cfg.Username == "" || cfg.Password == "") {
		return nil, fmt.Errorf("zabbix: api needs token or username and password")
	}
	if !hostPrefixRE.MatchString(cfg.HostPrefix) {
		return nil, fmt.Errorf("zabbix: host_prefix %q may only hold letters, digits, '.', '_' and '-' (it is part of host names and trigger expressions)", cfg.HostPrefix)
	}
	if cfg.HostGroupPrefix == "" {
		cfg.HostGroupPrefix = DefaultHostGroupPrefix
	}
	n := &Notifier{
		cfg: cfg, log: o.Logger, tmpl: o.Templates,
		timeout: cfg.Timeout, batch: cfg.BatchSize, cacheDelay: cfg.CacheDelay,
		reprovision: o.ReprovisionEvery, flushEvery: o.FlushEvery,
		wakeC:   make(chan struct{}, 1),
		dynamic: map[string]map[string]itemSpec{},
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	if n.timeout <= 0 {
		n.timeout = DefaultTimeout
	}
	if n.batch <= 0 {
		n.batch = DefaultBatchSize
	}
	if n.cacheDelay <= 0 {
		n.cacheDelay = DefaultCacheDelay
	}
	if n.reprovision <= 0 {
		n.reprovision = DefaultReprovisionEvery
	}
	if n.flushEvery <= 0 {
		n.flushEvery = time.Second
	}
	size := cfg.QueueSize
	if size <= 0 {
		size = DefaultQueueSize
	}
	n.values = newQueue(size)
	n.alerts = newQueue(max(1000, size/10))
	if n.tmpl == nil {
		t, err := templates.New(map[string]string{templates.ZabbixTriggerName: cfg.TriggerName}, nil)
		if err != nil {
			return nil, fmt.Errorf("zabbix: %w", err)
		}
		n.tmpl = t
	}
	if cfg.API != "" {
		tc, err := webhook.TLSConfig(webhook.TLSOptions{CAFile: cfg.APICAFile})
		if err != nil {
			return nil, fmt.Errorf("zabbix: api: %w", err)
		}
		n.apiTransport = &http.Transport{
			Proxy: http.ProxyFromEnvironment, TLSClientConfig: tc,
			DialContext:         (&net.Dialer{Timeout: n.timeout}).DialContext,
			TLSHandshakeTimeout: n.timeout, ResponseHeaderTimeout: n.timeout, MaxIdleConnsPerHost: 2,
		}
	}
	if cfg.Server != "" {
		n.snd = &sender{addr: cfg.Server, timeout: n.timeout}
		if t := cfg.TLS; t != nil {
			host, _, _ := net.SplitHostPort(cfg.Server)
			sn := t.ServerName
			if sn == "" {
				sn = host
			}
			tc, err := webhook.TLSConfig(webhook.TLSOptions{CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile, ServerName: sn})
			if err != nil {
				return nil, fmt.Errorf("zabbix: tls: %w", err)
			}
			n.snd.tls = tc
		}
	}
	if err := n.initMetrics(o); err != nil {
		return nil, err
	}
	return n, nil
}

func (n *Notifier) initMetrics(o Options) error {
	cl := prometheus.Labels{"receiver": o.Name}
	m := metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigia_zabbix_values_sent_total", ConstLabels: cl,
			Help: "Values the Zabbix trapper reported as processed, by queue (values, alerts)."}, []string{"queue"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigia_zabbix_values_failed_total", ConstLabels: cl,
			Help: "Values the Zabbix trapper reported as failed (no such host or item, wrong type), by queue."}, []string{"queue"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigia_zabbix_values_dropped_total", ConstLabels: cl,
			Help: "Values dropped before sending: overflow (queue full) or unprovisioned (no item yet)."}, []string{"queue", "reason"}),
		sendErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigia_zabbix_send_errors_total", ConstLabels: cl,
			Help: "Sender exchanges that failed (connection, TLS, protocol); the batch stays queued."}),
		provisions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigia_zabbix_provision_runs_total", ConstLabels: cl,
			Help: "Provisioning runs by result (ok, error)."}, []string{"result"}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigia_zabbix_provision_changes_total", ConstLabels: cl,
			Help: "Zabbix objects provisioning created, updated or disabled."}, []string{"object", "action"}),
	}
	depth := prometheus.NewDesc("vigia_zabbix_queue_depth", "Values waiting to be sent to Zabbix, by queue.", []string{"queue"}, cl)
	m.depth = collectorFunc{desc: depth, collect: func(ch chan<- prometheus.Metric) {
		n.mu.Lock()
		v, a := n.values.len(), n.alerts.len()
		n.mu.Unlock()
		ch <- prometheus.MustNewConstMetric(depth, prometheus.GaugeValue, float64(v), "values")
		ch <- prometheus.MustNewConstMetric(depth, prometheus.GaugeValue, float64(a), "alerts")
	}}
	m.upGauge = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "vigia_zabbix_up", ConstLabels: cl,
		Help: "Whether the last exchange with the Zabbix trapper succeeded."}, func() float64 {
		n.mu.Lock()
		defer n.mu.Unlock()
		if n.up {
			return 1
		}
		return 0
	})
	for _, q := range []string{"values", "alerts"} {
		m.sent.WithLabelValues(q)
		m.failed.WithLabelValues(q)
		m.dropped.WithLabelValues(q, "overflow")
		m.dropped.WithLabelValues(q, "unprovisioned")
	}
	m.provisions.WithLabelValues("ok")
	m.provisions.WithLabelValues("error")
	n.met = m
	if o.Registerer != nil {
		for _, c := range []prometheus.Collector{m.sent, m.failed, m.dropped, m.sendErrors, m.provisions, m.changes, m.depth, m.upGauge} {
			if err := o.Registerer.Register(c); err != nil {
				return fmt.Errorf("zabbix: register metrics: %w", err)
			}
		}
	}
	return nil
}

type collectorFunc struct {
	desc    *prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

func (c collectorFunc) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }
func (c collectorFunc) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }

// Version is the Zabbix API version seen by the last provisioning run ("" before).
func (n *Notifier) Version() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.version
}

// HandleResult queues the observations of one probe result. It never blocks; with an API, values
// for hosts or items not provisioned yet are dropped (and a new step, component or module is
// scheduled for provisioning).
func (n *Notifier) HandleResult(r probe.Result) {
	if n.snd == nil || r.Target.Name == "" {
		return
	}
	host := n.hostName(r.Target.Name)
	vals := observations(host, r, time.Now())
	n.mu.Lock()
	var unprov, dropped int
	for _, v := range vals {
		if n.cfg.API != "" && !n.acceptsLocked(v) {
			unprov++
			continue
		}
		if n.values.push(v) {
			dropped++
		}
	}
	n.mu.Unlock()
	if unprov > 0 {
		n.met.dropped.WithLabelValues("values", "unprovisioned").Add(float64(unprov))
	}
	if dropped > 0 {
		n.met.dropped.WithLabelValues("values", "overflow").Add(float64(dropped))
	}
}

// acceptsLocked says whether Zabbix has an item for v, noting new dynamic keys to provision.
func (n *Notifier) acceptsLocked(v value) bool {
	keys, ok := n.provisioned[v.Host]
	if !ok {
		return false
	}
	if keys[v.Key] {
		return true
	}
	if v.dynBase != "" {
		d := n.dynamic[v.Host]
		if d == nil {
			d = map[string]itemSpec{}
			n.dynamic[v.Host] = d
		}
		if _, seen := d[v.Key]; !seen {
			d[v.Key] = dynamicItem(v.dynBase, v.dynParam)
			n.dirty = true
		}
	}
	return false
}

func (n *Notifier) dynamicFor(host string) []itemSpec {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]itemSpec, 0, len(n.dynamic[host]))
	for _, it := range n.dynamic[host] {
		out = append(out, it)
	}
	return out
}

// Notify queues the state of each alert of the group as a value of vigia.alert[<rule>] on the
// instance's host (1 firing, 0 resolved) and wakes the sender. Delivery to Zabbix is the
// sender's job, through the bounded queue, so an unreachable Zabbix does not make the dispatcher
// retry (it would only queue duplicates); it shows in vigia_zabbix_queue_depth instead.
func (n *Notifier) Notify(_ context.Context, g *alerting.Group) (bool, error) {
	if n.snd == nil {
		return false, errors.New("zabbix: no server configured to send alert states to")
	}
	now := time.Now()
	var skipped []string
	dropped := 0
	n.mu.Lock()
	for _, a := range g.Alerts {
		inst, rule := a.Labels["instance"], a.Name()
		if inst == "" || rule == "" {
			continue
		}
		v := value{Host: n.hostName(inst), Key: key(KeyAlert, rule), Value: boolNum(!a.Resolved()), Clock: now.Unix(), NS: int64(now.Nanosecond())}
		if n.cfg.API != "" && n.provisioned != nil && !n.provisioned[v.Host][v.Key] {
			skipped = append(skipped, v.Host+" "+v.Key)
			continue
		}
		if n.alerts.push(v) {
			dropped++
		}
	}
	n.mu.Unlock()
	n.wake()
	if dropped > 0 {
		n.met.dropped.WithLabelValues("alerts", "overflow").Add(float64(dropped))
	}
	if len(skipped) > 0 {
		n.met.dropped.WithLabelValues("alerts", "unprovisioned").Add(float64(len(skipped)))
		return false, fmt.Errorf("zabbix: no item for %d alert(s) (%s...): the instance or rule is not provisioned", len(skipped), skipped[0])
	}
	return false, nil
}

func (n *Notifier) wake() {
	select {
	case n.wakeC <- struct{}{}:
	default:
	}
}

// Run sends queued values until ctx ends: alert states first, in batches; on failure it keeps the
// batch and backs off (up to 30s). It also re-runs provisioning when results brought new keys.
func (n *Notifier) Run(ctx context.Context) {
	if n.snd == nil {
		<-ctx.Done()
		return
	}
	tick := time.NewTicker(n.flushEvery)
	defer tick.Stop()
	backoff := time.Duration(0)
	var retryAt time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-n.wakeC:
		}
		n.maybeReprovision(ctx)
		if time.Now().Before(retryAt) {
			continue
		}
		for {
			sent, err := n.Flush(ctx)
			if err != nil {
				backoff = min(max(2*backoff, time.Second), maxBackoff)
				retryAt = time.Now().Add(backoff)
				n.log.Warn("zabbix trapper unreachable: values stay queued", "server", n.cfg.Server, "retry_in", backoff, "err", err)
				break
			}
			backoff, retryAt = 0, time.Time{}
			if sent == 0 || ctx.Err() != nil {
				break
			}
		}
	}
}

func (n *Notifier) maybeReprovision(ctx context.Context) {
	n.mu.Lock()
	due := n.dirty && n.cfg.API != "" && n.lastTargets != nil && time.Since(n.lastProvision) >= n.reprovision
	targets, rules := n.lastTargets, n.lastRules
	n.mu.Unlock()
	if !due {
		return
	}
	if err := n.Provision(ctx, targets, rules); err != nil {
		n.mu.Lock()
		n.lastProvision = time.Now() // do not hammer a failing API
		n.mu.Unlock()
	}
}

// Flush sends one batch (alert states first) and returns how many values it took off the queue.
// While freshly provisioned items wait for Zabbix's configuration cache, it sends nothing.
func (n *Notifier) Flush(ctx context.Context) (int, error) {
	n.mu.Lock()
	if time.Now().Before(n.holdUntil) {
		n.mu.Unlock()
		return 0, nil
	}
	q, name := n.alerts, "alerts"
	if q.len() == 0 {
		q, name = n.values, "values"
	}
	batch, seq := q.peek(n.batch)
	n.mu.Unlock()
	if len(batch) == 0 {
		return 0, nil
	}
	ans, err := n.snd.send(ctx, batch)
	n.mu.Lock()
	n.up = err == nil
	if err == nil {
		q.ack(seq + uint64(len(batch)))
		if ans.Failed > 0 {
			n.dirty = true
		}
	}
	n.mu.Unlock()
	if err != nil {
		n.met.sendErrors.Inc()
		return 0, err
	}
	n.met.sent.WithLabelValues(name).Add(float64(ans.Processed))
	n.met.failed.WithLabelValues(name).Add(float64(ans.Failed))
	if ans.Failed > 0 {
		n.log.Warn("zabbix rejected values (missing host or item, disabled host, or wrong type)", "queue", name, "failed", ans.Failed, "processed", ans.Processed, "first", batch[0].String())
	}
	return len(batch), nil
}
