package latest

import (
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/internal/server"
)

// Latest keeps the most recent Result per (instance, probe) for the API and the status page.
type Latest struct {
	mu      sync.RWMutex
	targets map[string]probe.Target
	order   []string
	// results keeps what a view shows of each instance's last result per probe: not the Target
	// (targets has it) nor the latency phases, and no map per instance. At 10,000 instances a
	// map[string]probe.Result per instance cost 2.5 KB in map slots alone.
	results map[string]*probeViews
}

// probeViews holds an instance's last result of each probe, by probeSlot.
type probeViews [len(probeNames)]*storedView

// storedView is a ResultView with its values in a slice: a map per stored result was 17 MB of the
// heap at 10,000 instances. view() gives the map back.
type storedView struct {
	ResultView
	values []namedValue
}

type namedValue struct {
	name string
	v    float64
}

func store(r probe.Result) *storedView {
	sv := &storedView{ResultView: ViewResult(r)}
	sv.Values = nil
	if len(r.Values) > 0 {
		sv.values = make([]namedValue, 0, len(r.Values))
		for k, v := range r.Values {
			sv.values = append(sv.values, namedValue{k, v})
		}
	}
	return sv
}

func (sv *storedView) view() ResultView {
	v := sv.ResultView
	if len(sv.values) > 0 {
		v.Values = make(map[string]float64, len(sv.values))
		for _, nv := range sv.values {
			v.Values[nv.name] = nv.v
		}
	}
	return v
}

// probeNames are the probes in the order a view lists them.
var probeNames = [...]string{probe.HTTP, probe.Health, probe.Version, probe.Modules, probe.Synthetic}

func probeSlot(name string) int {
	for i, n := range probeNames {
		if n == name {
			return i
		}
	}
	return -1
}

// NewLatest returns an empty store.
func New() *Latest {
	return &Latest{targets: map[string]probe.Target{}, results: map[string]*probeViews{}}
}

// HandleResult implements collectors.ResultHandler.
func (l *Latest) HandleResult(r probe.Result) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.targets[r.Target.Name]; !ok {
		return // a result that raced a reload removing its instance
	}
	slot := probeSlot(r.Probe)
	if slot < 0 {
		return // not a probe vigia runs
	}
	m := l.results[r.Target.Name]
	if m == nil {
		m = &probeViews{}
		l.results[r.Target.Name] = m
	}
	m[slot] = store(r)
}

// SetTargets replaces the fleet; results of removed instances are forgotten.
func (l *Latest) SetTargets(ts []probe.Target) {
	l.mu.Lock()
	defer l.mu.Unlock()
	next := make(map[string]probe.Target, len(ts))
	order := make([]string, 0, len(ts))
	for _, t := range ts {
		next[t.Name] = t
		order = append(order, t.Name)
	}
	sort.Strings(order)
	for name := range l.results {
		if _, ok := next[name]; !ok {
			delete(l.results, name)
		}
	}
	l.targets, l.order = next, order
}

// InstanceView is one instance as the API shows it.
type InstanceView struct {
	Name        string                `json:"name"`
	URL         string                `json:"url"`
	Owner       string                `json:"owner,omitempty"`
	Environment string                `json:"environment,omitempty"`
	Labels      map[string]string     `json:"labels,omitempty"`
	Source      string                `json:"source,omitempty"`
	Up          *bool                 `json:"up,omitempty"`
	State       string                `json:"state,omitempty"`
	Probes      map[string]ResultView `json:"probes"`
}

// ResultView is a Result as the API shows it: durations in seconds, no credentials.
type ResultView struct {
	OK              bool                     `json:"ok"`
	State           string                   `json:"state,omitempty"`
	Error           string                   `json:"error,omitempty"`
	Time            time.Time                `json:"time"`
	DurationSeconds float64                  `json:"duration_seconds"`
	Values          map[string]float64       `json:"values,omitempty"`
	Versions        []probe.ComponentVersion `json:"versions,omitempty"`
	Drift           []probe.Drift            `json:"drift,omitempty"`
	Modules         []probe.Module           `json:"modules,omitempty"`
	Steps           []StepView               `json:"steps,omitempty"`
	Evidence        *probe.Evidence          `json:"evidence,omitempty"`
}

// StepView is a synthetic step with its duration in seconds.
type StepView struct {
	Name            string  `json:"name"`
	OK              bool    `json:"ok"`
	DurationSeconds float64 `json:"duration_seconds"`
	Status          int     `json:"status,omitempty"`
	Error           string  `json:"error,omitempty"`
}

func ViewResult(r probe.Result) ResultView {
	v := ResultView{OK: r.OK, State: r.State, Error: r.Error, Time: r.Start, DurationSeconds: r.Duration.Seconds(),
		Values: r.Values, Versions: r.Versions, Drift: r.Drift, Modules: r.Modules, Evidence: r.Evidence}
	for _, s := range r.Steps {
		v.Steps = append(v.Steps, StepView{Name: s.Name, OK: s.OK, DurationSeconds: s.Duration.Seconds(), Status: s.Status, Error: s.Error})
	}
	return v
}

func (l *Latest) view(name string) InstanceView {
	t := l.targets[name]
	iv := InstanceView{Name: t.Name, URL: probe.SafeURL(t.URL), Owner: t.Owner, Environment: t.Environment,
		Labels: t.Labels, Source: t.Source, Probes: map[string]ResultView{}}
	m := l.results[name]
	if m == nil {
		return iv
	}
	for i, v := range m {
		if v != nil {
			iv.Probes[probeNames[i]] = v.view()
		}
	}
	// Health decides up/down; the plain http probe stands in where health is not run.
	for _, p := range []string{probe.Health, probe.HTTP} {
		if v := m[probeSlot(p)]; v != nil {
			up := v.OK
			iv.Up, iv.State = &up, v.State
			break
		}
	}
	return iv
}

// Snapshot returns views of the instances that match the filter, sorted by name.
func (l *Latest) Snapshot(match func(probe.Target) bool) []InstanceView {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]InstanceView, 0, len(l.order))
	for _, name := range l.order {
		if match != nil && !match(l.targets[name]) {
			continue
		}
		out = append(out, l.view(name))
	}
	return out
}

// Names returns the names of the instances in the fleet, sorted.
func (l *Latest) Names() []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return append([]string(nil), l.order...)
}

// Watches reports whether the instance is in the current fleet.
func (l *Latest) Watches(name string) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	_, ok := l.targets[name]
	return ok
}

// Get returns one instance.
func (l *Latest) Get(name string) (InstanceView, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if _, ok := l.targets[name]; !ok {
		return InstanceView{}, false
	}
	return l.view(name), true
}

// Mount adds /api/v1/instances and /api/v1/instances/{name}.
func (l *Latest) Mount(s *server.Server) {
	s.Handle("GET /api/v1/instances", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		owner, env := q.Get("owner"), q.Get("environment")
		all := l.Snapshot(func(t probe.Target) bool {
			return (owner == "" || t.Owner == owner) && (env == "" || t.Environment == env)
		})
		offset, _ := strconv.Atoi(q.Get("offset"))
		limit, err := strconv.Atoi(q.Get("limit"))
		if err != nil || limit <= 0 {
			limit = len(all)
		}
		offset = min(max(offset, 0), len(all))
		end := min(offset+limit, len(all))
		server.WriteJSON(w, http.StatusOK, map[string]any{"total": len(all), "offset": offset, "instances": all[offset:end]})
	}))
	s.Handle("GET /api/v1/instances/{name}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		iv, ok := l.Get(r.PathValue("name"))
		if !ok {
			server.WriteJSON(w, http.StatusNotFound, map[string]string{"status": "error", "error": "no such instance"})
			return
		}
		server.WriteJSON(w, http.StatusOK, iv)
	}))
}
