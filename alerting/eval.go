package alerting

import (
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
)

// seriesKey identifies a series within one instance. probe is the producing probe (rules without
// a probe make one series per probe that reports what they read); item is the module or
// component of per-item rules.
type seriesKey struct {
	rule, probe, item string
}

// series is one (rule, instance, probe, item) in the pending or firing state. Inactive series
// hold no memory, which is what keeps a pass over 100,000 mostly healthy series cheap.
type series struct {
	id       string
	rule     *rule
	alert    Alert
	lastTrue time.Time
	// What templates see, from the latest result that held.
	check    check
	evidence probe.Evidence
	instance config.TemplateInstance
}

type instState struct {
	mu      sync.Mutex
	removed bool
	series  map[seriesKey]*series
}

// evaluator runs the state machine inactive → pending → firing → resolved per series, after
// every Result. It never blocks on the dispatcher: transitions go to the update log, which the
// dispatch loop drains.
type evaluator struct {
	clock       Clock
	externalURL string
	emit        func(update)
	m           *metrics

	// mu is held for reading while a Result is evaluated and for writing by Reload and
	// SetInstances, so that neither races with a half-evaluated Result.
	mu       sync.RWMutex
	rules    []*rule
	byProbe  map[string][]*rule
	anyProbe []*rule

	instMu sync.RWMutex
	insts  map[string]*instState
	// tomb holds instances removed from the fleet: their late results are ignored until they
	// come back, so an in-flight probe cannot resurrect an alert that was just resolved.
	tomb map[string]bool
}

// update is one change for the dispatcher and the store.
type update struct {
	id       string // series id
	alert    Alert
	persist  bool // a state change the store must record (value refreshes are not)
	gone     bool // a pending series went back to inactive: forget it
	instance string
	probe    string
	item     string
	rule     string
	identity string
}

func newEvaluator(clock Clock, externalURL string, m *metrics, emit func(update)) *evaluator {
	return &evaluator{
		clock: clock, externalURL: externalURL, m: m, emit: emit,
		byProbe: map[string][]*rule{}, insts: map[string]*instState{}, tomb: map[string]bool{},
	}
}

// setRules installs compiled rules. The caller holds e.mu for writing (or is the constructor).
func (e *evaluator) setRules(rules []*rule) {
	e.rules = rules
	e.anyProbe = nil
	e.byProbe = map[string][]*rule{}
	for _, r := range rules {
		if r.probe == "" {
			e.anyProbe = append(e.anyProbe, r)
		}
	}
	for _, p := range config.ProbeNames {
		var list []*rule
		for _, r := range rules {
			if r.appliesTo(p) {
				list = append(list, r)
			}
		}
		e.byProbe[p] = list
	}
}

func seriesID(instance string, k seriesKey) string {
	return k.rule + "\x00" + instance + "\x00" + k.probe + "\x00" + k.item
}

// instance returns the state of a live instance, creating it, or nil for a removed one.
func (e *evaluator) instance(name string) *instState {
	e.instMu.RLock()
	in := e.insts[name]
	e.instMu.RUnlock()
	if in != nil {
		return in
	}
	e.instMu.Lock()
	defer e.instMu.Unlock()
	if e.tomb[name] {
		return nil
	}
	if in = e.insts[name]; in == nil {
		in = &instState{}
		e.insts[name] = in
	}
	return in
}

// handle evaluates every rule that reads this result's probe.
func (e *evaluator) handle(res *probe.Result) {
	start := time.Now()
	e.mu.RLock()
	defer e.mu.RUnlock()
	rules, known := e.byProbe[res.Probe]
	if !known {
		rules = e.anyProbe
	}
	if len(rules) == 0 || res.Target.Name == "" {
		return
	}
	in := e.instance(res.Target.Name)
	if in == nil {
		return
	}
	now := e.clock.Now()
	in.mu.Lock()
	if !in.removed {
		for _, r := range rules {
			e.evalRule(in, r, res, now)
		}
	}
	in.mu.Unlock()
	e.m.evalDuration.Observe(time.Since(start).Seconds())
}

func (e *evaluator) evalRule(in *instState, r *rule, res *probe.Result, now time.Time) {
	if !r.perItem() {
		c, known := r.evalSingle(res, now)
		if !known {
			return
		}
		k := seriesKey{rule: r.name, probe: res.Probe}
		var s *series
		if in.series != nil {
			s = in.series[k]
		}
		if s == nil && !c.holds {
			return
		}
		e.step(in, s, k, r, res, c, now)
		return
	}
	absentKnown := r.evalItems(res, func(c check) {
		k := seriesKey{rule: r.name, probe: res.Probe, item: c.item}
		var s *series
		if in.series != nil {
			s = in.series[k]
		}
		if s == nil && !c.holds {
			return
		}
		e.step(in, s, k, r, res, c, now)
	})
	if !absentKnown || len(in.series) == 0 {
		return
	}
	for k, s := range in.series {
		if k.rule == r.name && k.probe == res.Probe && k.item != "" && !reportsItem(r, res, k.item) {
			e.step(in, s, k, r, res, check{item: k.item}, now)
		}
	}
}

// reportsItem tells whether the result lists the module/component.
func reportsItem(r *rule, res *probe.Result, item string) bool {
	if r.kind == condDrift {
		for i := range res.Drift {
			if res.Drift[i].Component == item {
				return true
			}
		}
		return false
	}
	for i := range res.Modules {
		if res.Modules[i].Name == item {
			return true
		}
	}
	return false
}

// step moves one series through the state machine.
func (e *evaluator) step(in *instState, s *series, k seriesKey, r *rule, res *probe.Result, c check, now time.Time) {
	if c.holds {
		if s == nil {
			labels := r.alertLabels(&res.Target, res.Probe, c.item)
			s = &series{
				id: seriesID(res.Target.Name, k), rule: r, lastTrue: now,
				alert: Alert{Fingerprint: Fingerprint(labels), Labels: labels, State: StatePending, ActiveAt: now},
			}
			if in.series == nil {
				in.series = make(map[seriesKey]*series, 2)
			}
			in.series[k] = s
			s.observe(res, c)
			if r.forDur <= 0 {
				e.fire(s, now)
				return
			}
			e.m.alertState(StatePending, r.severity, 1)
			s.render(e.externalURL)
			e.emit(s.update(true))
			return
		}
		s.lastTrue = now
		changed := s.observe(res, c)
		switch s.alert.State {
		case StatePending:
			if now.Sub(s.alert.ActiveAt) >= r.forDur {
				e.m.alertState(StatePending, r.severity, -1)
				e.fire(s, now)
			} else if changed {
				s.render(e.externalURL)
			}
		case StateFiring:
			if changed {
				s.render(e.externalURL)
				e.emit(s.update(false))
			}
		}
		return
	}
	switch s.alert.State {
	case StatePending:
		e.drop(in, s, k)
	case StateFiring:
		// keep_firing_for damps flapping: a condition that stops holding for less than this
		// does not resolve (and so does not notify resolved and then firing again).
		if r.keepFor > 0 && now.Sub(s.lastTrue) < r.keepFor {
			return
		}
		e.resolve(in, s, k, now)
	}
}

func (e *evaluator) fire(s *series, now time.Time) {
	s.alert.State = StateFiring
	s.alert.StartsAt = now
	s.lastTrue = now
	e.m.alertState(StateFiring, s.rule.severity, 1)
	s.render(e.externalURL)
	e.emit(s.update(true))
}

// drop forgets a pending series whose condition stopped holding.
func (e *evaluator) drop(in *instState, s *series, k seriesKey) {
	delete(in.series, k)
	e.m.alertState(StatePending, s.rule.severity, -1)
	u := s.update(true)
	u.gone = true
	e.emit(u)
}

// resolve ends a firing series (or drops a pending one).
func (e *evaluator) resolve(in *instState, s *series, k seriesKey, now time.Time) {
	if s.alert.State != StateFiring {
		e.drop(in, s, k)
		return
	}
	delete(in.series, k)
	e.m.alertState(StateFiring, s.rule.severity, -1)
	s.alert.State = StateResolved
	s.alert.EndsAt = now
	s.render(e.externalURL)
	e.emit(s.update(true))
}

func (s *series) update(persist bool) update {
	inst, probeName, item := s.alert.Labels["instance"], s.alert.Labels["probe"], ""
	if s.rule.perItem() {
		item = s.alert.Labels[s.rule.itemLabel()]
	}
	return update{
		id: s.id, alert: s.alert, persist: persist, instance: inst, probe: probeName, item: item,
		rule: s.rule.name, identity: s.rule.identity,
	}
}

// observe records what the result says about the series and reports whether anything an
// annotation shows has changed.
func (s *series) observe(res *probe.Result, c check) bool {
	changed := false
	a := &s.alert
	if c.hasValue {
		if a.Value == nil || *a.Value != c.value {
			v := c.value
			a.Value = &v
			changed = true
		}
	} else if a.Value != nil {
		a.Value = nil
		changed = true
	}
	reason := ""
	if !res.OK {
		reason = res.Error
	}
	if reason != a.Reason {
		a.Reason = reason
		changed = true
	}
	var ev probe.Evidence
	if res.Evidence != nil {
		ev = *res.Evidence
	}
	if ev != s.evidence {
		s.evidence = ev
		if res.Evidence != nil {
			cp := ev
			a.Evidence = &cp
		} else {
			a.Evidence = nil
		}
		changed = true
	}
	if c.module.Name != s.check.module.Name || c.module.Version != s.check.module.Version ||
		c.module.Detail != s.check.module.Detail || c.drift != s.check.drift {
		changed = true
	}
	s.check = c
	if s.instance.Name == "" || s.instance.Owner != res.Target.Owner || s.instance.Environment != res.Target.Environment {
		s.instance = config.TemplateInstance{
			Name: res.Target.Name, URL: probe.SafeURL(res.Target.URL), Owner: res.Target.Owner,
			Environment: res.Target.Environment, Labels: res.Target.Labels,
		}
		changed = true
	}
	return changed
}

func (s *series) render(externalURL string) {
	d := config.TemplateData{
		Labels: s.alert.Labels, Reason: s.alert.Reason, Evidence: s.evidence,
		Module: s.check.module, Drift: s.check.drift, Instance: s.instance,
		Rule: config.TemplateRule{
			Alert: s.rule.name, Probe: s.alert.Labels["probe"], Severity: s.rule.severity,
			Condition: s.rule.condition, For: s.rule.forDur,
		},
		State: s.alert.State, ActiveAt: s.alert.ActiveAt, StartsAt: s.alert.StartsAt, ExternalURL: externalURL,
	}
	if s.alert.Value != nil {
		d.Value, d.HasValue, d.ValueText = *s.alert.Value, true, formatValue(*s.alert.Value)
	}
	s.alert.Annotations = s.rule.render(&d)
	s.alert.GeneratorURL = generatorURL(externalURL, s.alert.Fingerprint)
}

func generatorURL(externalURL, fp string) string {
	if externalURL == "" {
		return ""
	}
	return externalURL + "/api/v1/alerts?fingerprint=" + url.QueryEscape(fp)
}

// setInstances resolves every series of instances absent from names.
func (e *evaluator) setInstances(names []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	keep := make(map[string]bool, len(names))
	for _, n := range names {
		keep[n] = true
	}
	now := e.clock.Now()
	e.instMu.Lock()
	defer e.instMu.Unlock()
	for name, in := range e.insts {
		if keep[name] {
			continue
		}
		in.mu.Lock()
		in.removed = true
		for k, s := range in.series {
			e.resolve(in, s, k, now)
		}
		in.mu.Unlock()
		delete(e.insts, name)
		e.tomb[name] = true
	}
	for n := range keep {
		delete(e.tomb, n)
	}
}

// reload installs new rules: series of rules whose name and labels are unchanged keep their
// state; the others resolve (firing) or are forgotten (pending).
func (e *evaluator) reload(rules []*rule) {
	e.mu.Lock()
	defer e.mu.Unlock()
	byName := make(map[string]*rule, len(rules))
	for _, r := range rules {
		byName[r.name] = r
	}
	now := e.clock.Now()
	e.instMu.RLock()
	for _, in := range e.insts {
		in.mu.Lock()
		for k, s := range in.series {
			nr := byName[k.rule]
			if nr == nil || nr.identity != s.rule.identity || !nr.appliesTo(k.probe) || nr.perItem() != s.rule.perItem() {
				e.resolve(in, s, k, now)
				continue
			}
			s.rule = nr
		}
		in.mu.Unlock()
	}
	e.instMu.RUnlock()
	e.setRules(rules)
}

// restore puts a persisted pending or firing series back. It reports false when the series'
// rule is gone or changed, so the caller resolves it instead.
func (e *evaluator) restore(st storedSeries, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	var r *rule
	for _, x := range e.rules {
		if x.name == st.Rule {
			r = x
		}
	}
	if r == nil || r.identity != st.Identity || !r.appliesTo(st.Probe) {
		return false
	}
	if st.Alert.State != StatePending && st.Alert.State != StateFiring {
		return false
	}
	in := e.instance(st.Instance)
	if in == nil {
		return false
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.series == nil {
		in.series = map[seriesKey]*series{}
	}
	k := seriesKey{rule: st.Rule, probe: st.Probe, item: st.Item}
	s := &series{id: seriesID(st.Instance, k), rule: r, alert: st.Alert, lastTrue: now}
	if s.alert.Evidence != nil {
		s.evidence = *s.alert.Evidence
	}
	s.instance = config.TemplateInstance{Name: st.Instance, Owner: st.Alert.Labels["owner"], Environment: st.Alert.Labels["environment"]}
	in.series[k] = s
	e.m.alertState(s.alert.State, r.severity, 1)
	return true
}

// snapshot returns every pending and firing alert.
func (e *evaluator) snapshot() []Alert {
	e.instMu.RLock()
	defer e.instMu.RUnlock()
	var out []Alert
	for _, in := range e.insts {
		in.mu.Lock()
		for _, s := range in.series {
			out = append(out, s.alert)
		}
		in.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Labels, out[j].Labels
		if a["alertname"] != b["alertname"] {
			return a["alertname"] < b["alertname"]
		}
		if a["instance"] != b["instance"] {
			return a["instance"] < b["instance"]
		}
		return labelsString(a) < labelsString(b)
	})
	return out
}
