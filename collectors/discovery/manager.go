package discovery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
)

// Manager merges static instances with every discovery source.
type Manager struct {
	log    *slog.Logger
	client *http.Client
	poll   time.Duration

	// refreshMu serialises Refresh: a reload refreshes synchronously while Run polls.
	refreshMu sync.Mutex
	mu        sync.Mutex
	sources   []config.Discovery
	static    []probe.Target
	files     map[string]*fileState // by path
	https     map[string]*httpState // by URL
	m         metrics
}

type fileState struct {
	mod     time.Time
	size    int64
	targets []probe.Target
	err     string
}

type httpState struct {
	next    time.Time
	targets []probe.Target
	err     string
}

type metrics struct {
	targets *prometheus.GaugeVec
	errors  *prometheus.CounterVec
	ok      *prometheus.GaugeVec
}

// Options configure a Manager.
type Options struct {
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Client     *http.Client
	// PollInterval is how often file globs are checked for changes.
	PollInterval time.Duration
}

// New builds a manager; call Update with the config's sources, then Refresh or Run.
func New(o Options) *Manager {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 5 * time.Second
	}
	m := &Manager{log: o.Logger, client: o.Client, poll: o.PollInterval,
		files: map[string]*fileState{}, https: map[string]*httpState{}}
	m.m = metrics{
		targets: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigia_discovery_targets",
			Help: "Targets currently known from each discovery source (the last good read)."}, []string{"source"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigia_discovery_errors_total",
			Help: "Failed reads of a discovery source; its last good targets were kept."}, []string{"source"}),
		ok: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigia_discovery_source_up",
			Help: "Whether the last read of a discovery source succeeded."}, []string{"source"}),
	}
	if o.Registerer != nil {
		o.Registerer.MustRegister(m.m.targets, m.m.errors, m.m.ok)
	}
	return m
}

// Update installs the static fleet and the discovery sources of a (re)loaded config. State of
// sources that stay is kept, so a reload does not re-read or drop them.
func (m *Manager) Update(static []probe.Target, sources []config.Discovery) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.static, m.sources = static, sources
	wantHTTP := map[string]bool{}
	for _, s := range sources {
		if s.HTTP != "" {
			wantHTTP[s.HTTP] = true
		}
	}
	for u := range m.https {
		if !wantHTTP[u] {
			delete(m.https, u)
			m.m.targets.DeleteLabelValues(probe.SafeURL(u))
		}
	}
}

// Refresh reads every source that is due and reports whether the merged list changed.
func (m *Manager) Refresh(ctx context.Context) bool {
	m.refreshMu.Lock()
	defer m.refreshMu.Unlock()
	m.mu.Lock()
	sources := m.sources
	m.mu.Unlock()
	changed := false
	seenFiles := map[string]bool{}
	for _, s := range sources {
		switch {
		case s.File != "":
			paths, err := filepath.Glob(s.File)
			if err != nil {
				m.log.Error("discovery: bad file glob", "glob", s.File, "err", err)
				continue
			}
			for _, p := range paths {
				seenFiles[p] = true
				if m.refreshFile(p) {
					changed = true
				}
			}
		case s.HTTP != "":
			if m.refreshHTTP(ctx, s) {
				changed = true
			}
		}
	}
	m.mu.Lock()
	for p := range m.files {
		if !seenFiles[p] {
			delete(m.files, p)
			m.m.targets.DeleteLabelValues(p)
			m.m.ok.DeleteLabelValues(p)
			m.log.Info("discovery: file gone, its targets removed", "file", p)
			changed = true
		}
	}
	m.mu.Unlock()
	return changed
}

func (m *Manager) refreshFile(path string) bool {
	st, err := os.Stat(path)
	m.mu.Lock()
	fs := m.files[path]
	if fs == nil {
		fs = &fileState{}
		m.files[path] = fs
	}
	m.mu.Unlock()
	if err != nil {
		return m.fail(path, &fs.err, err)
	}
	if st.ModTime().Equal(fs.mod) && st.Size() == fs.size && fs.err == "" {
		return false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return m.fail(path, &fs.err, err)
	}
	ts, err := parseGroups(path, data)
	// A failed read is retried on the next poll only when the file changes again.
	fs.mod, fs.size = st.ModTime(), st.Size()
	if err != nil {
		return m.fail(path, &fs.err, err)
	}
	m.mu.Lock()
	fs.targets, fs.err = ts, ""
	m.mu.Unlock()
	m.m.ok.WithLabelValues(path).Set(1)
	m.m.targets.WithLabelValues(path).Set(float64(len(ts)))
	m.log.Info("discovery: file read", "file", path, "targets", len(ts))
	return true
}

func (m *Manager) refreshHTTP(ctx context.Context, s config.Discovery) bool {
	label := probe.SafeURL(s.HTTP)
	m.mu.Lock()
	hs := m.https[s.HTTP]
	if hs == nil {
		hs = &httpState{}
		m.https[s.HTTP] = hs
	}
	due := !time.Now().Before(hs.next)
	m.mu.Unlock()
	if !due {
		return false
	}
	interval := s.Interval
	if interval <= 0 {
		interval = time.Minute
	}
	hs.next = time.Now().Add(interval)
	ts, err := m.fetch(ctx, s, label)
	if err != nil {
		return m.fail(label, &hs.err, err)
	}
	m.mu.Lock()
	changed := !sameTargets(hs.targets, ts)
	hs.targets, hs.err = ts, ""
	m.mu.Unlock()
	m.m.ok.WithLabelValues(label).Set(1)
	m.m.targets.WithLabelValues(label).Set(float64(len(ts)))
	return changed
}

func (m *Manager) fetch(ctx context.Context, s config.Discovery, label string) ([]probe.Target, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.HTTP, nil)
	if err != nil {
		return nil, fmt.Errorf("bad URL")
	}
	req.Header.Set("Accept", "application/json")
	if s.BearerToken != "" {
		req.Header.Set("Authorization", "Bearer "+s.BearerToken.Reveal())
	}
	resp, err := m.client.Do(req)
	if err != nil {
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) {
			err = ue.Unwrap() // drop the URL net/http prefixes: it may carry a token
		}
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP status %d", label, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	return parseGroups(label, data)
}

// fail records a failed read: the source keeps its last good targets; the error is logged once
// per distinct error, not on every poll.
func (m *Manager) fail(source string, last *string, err error) bool {
	m.m.errors.WithLabelValues(source).Inc()
	m.m.ok.WithLabelValues(source).Set(0)
	msg := err.Error()
	m.mu.Lock()
	repeat := *last == msg
	*last = msg
	m.mu.Unlock()
	if !repeat {
		m.log.Error("discovery: source unreadable, keeping its last good targets", "source", source, "err", msg)
	}
	return false
}

// Targets is the merged fleet: static instances first; a discovered instance whose name is
// already taken is dropped with a warning.
func (m *Manager) Targets() []probe.Target {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := append([]probe.Target(nil), m.static...)
	taken := make(map[string]string, len(out))
	for _, t := range out {
		taken[t.Name] = "static config"
	}
	var discovered []probe.Target
	for _, fs := range m.files {
		discovered = append(discovered, fs.targets...)
	}
	for _, hs := range m.https {
		discovered = append(discovered, hs.targets...)
	}
	sort.SliceStable(discovered, func(i, j int) bool {
		if discovered[i].Source != discovered[j].Source {
			return discovered[i].Source < discovered[j].Source
		}
		return discovered[i].Name < discovered[j].Name
	})
	for _, t := range discovered {
		if by, dup := taken[t.Name]; dup {
			m.log.Warn("discovery: instance name already taken, ignoring the later one", "instance", t.Name, "kept_from", by, "ignored_from", t.Source)
			continue
		}
		taken[t.Name] = t.Source
		out = append(out, t)
	}
	return out
}

// Run polls the sources until ctx ends and calls onChange with the merged list when it changes.
func (m *Manager) Run(ctx context.Context, onChange func([]probe.Target)) {
	t := time.NewTicker(m.poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if m.Refresh(ctx) {
				onChange(m.Targets())
			}
		}
	}
}

func sameTargets(a, b []probe.Target) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Name != y.Name || x.URL != y.URL || x.Owner != y.Owner || x.Environment != y.Environment || len(x.Labels) != len(y.Labels) {
			return false
		}
		for k, v := range x.Labels {
			if y.Labels[k] != v {
				return false
			}
		}
	}
	return true
}
