package collectors

import (
	"cmp"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// Names of Result.Values the SEI probers record (VALUES.md lists them with their probes). Rules
// refer to them by these names; duration_seconds is always available from Result.Duration.
const (
	ValueHTTPStatusCode   = "http_status_code"                  // status of the main request's last response
	ValueTimeToFirstByte  = "time_to_first_byte_seconds"        // main request, start → first byte of the last response
	ValueRedirects        = "redirects"                         // redirects followed by the main request
	ValueContentLength    = "content_length_bytes"              // bytes read of the main response (capped)
	ValueTLSCertExpiry    = "tls_cert_expiry_timestamp_seconds" // leaf certificate NotAfter, Unix seconds
	ValueMaintenance      = "maintenance"                       // 1 when the maintenance page is served
	ValueProductionMode   = "production_mode"                   // 1 Producao=true, 0 false (random asset suffix)
	ValueSIPLoginRedirect = "sip_login_redirect"                // 1 when the entry ended on SIP's login.php
	ValueWSDLUp           = "wsdl_up"                           // SOAP WSDL (servico=sei) answered a WSDL
	ValueWSSEIUp          = "wssei_up"                          // mod-wssei /orgao/listar answered (absent: not installed)
	ValueExternalUp       = "external_page_up"                  // external users' login page answered
	ValueLoginSuccess     = "login_success"                     // the probe's SIP login worked (version, modules)
	ValueLoggedInPageAge  = "logged_in_page_age_seconds"        // version: age of the logged-in page another probe saw, read instead of a login
	ValueEntryAge         = "entry_age_seconds"                 // version: age of the entry the health probe opened, read instead of opening it
	ValueSessionResumed   = "session_resumed"                   // modules: 1 when the run resumed the SIP session its previous run kept
	ValueVersionConflict  = "version_conflict"                  // exact SEI version sources disagree
	ValueModulesInstalled = "modules_installed"
	ValueModulesDown      = "modules_down"
	ValueModulesIncompat  = "modules_incompatible"
	ValueModulesMissing   = "modules_missing" // desired in Git but not observed
	ValueSyntheticSteps   = "synthetic_steps" // steps run
	ValueSyntheticCaptcha = "synthetic_captcha"
)

// ResultMetrics turns Results into the sei_* Prometheus series, in one place. Every per-instance
// series carries the instance, owner and environment labels; none carries a URL or an error text.
// Series that a newer Result no longer supports (an old version, a removed module, a renamed
// step) are dropped, so an info metric never shows two versions of one component at once.
//
// With client_golang's per-series objects (a Gauge, its label pairs and hash entries for each of
// ~50 series per instance) an instance cost 34-49 KB of heap, too much for 10,000 instances. So,
// as kube-state-metrics does for its object metrics, ResultMetrics keeps compact per-instance
// state instead: the escaped base labels once, and per family a short slice of (label set, value)
// samples whose label sets are interned and shared across the fleet (about 1.5 KB an instance,
// BenchmarkResultMetricsMemory). The exposition is rendered at scrape time, either straight to
// text by WriteText (the /metrics fast path) or as gauges by Collect (protobuf scrapes, tests,
// other registries).
//
// An instance's state is copy-on-write: Observe publishes a new state and never changes a
// published one, so a scrape renders without holding the lock that Observe takes.
type ResultMetrics struct {
	fams []family // immutable after NewResultMetrics

	mu    sync.Mutex
	slots map[string]*slot
	// order is slots sorted by instance name; nil after an instance came or went.
	order []*slot
	// labels interns the rendered extra-label text of samples, with a reference count.
	labels     map[string]*labelSet
	fleetCount map[[2]string]int
	// scratch space for Observe, guarded by mu.
	text   []byte
	points []point

	bufs  sync.Pool // *[]byte, WriteText's output buffer
	snaps sync.Pool // *[]*instState, a scrape's snapshot
}

// slot is an instance's place in the fleet; it outlives owner changes.
type slot struct {
	name string
	st   *instState // guarded by ResultMetrics.mu; the pointee is immutable
	// best is the preferred version per component of the latest version result, for
	// sei_fleet_instances.
	best []compVersion
}

type compVersion struct{ component, version string }

// instState is one instance's series. Published states are never modified: Observe copies.
type instState struct {
	name, owner, env string
	// base is `instance="…",owner="…",environment="…"`, escaped.
	base   string
	has    uint8 // bit i: scalar[i] is set
	scalar [nScalars]float64
	sets   [nSets][]point // each sorted by label text, without duplicates
}

// point is one series of a family beyond the base labels.
type point struct {
	l *labelSet
	v float64
}

// labelSet is the extra labels of a series, shared by every instance that has them.
type labelSet struct {
	text   string   // escaped, e.g. `probe="health",phase="dns"`
	values []string // raw values in the family's label order, for Collect
	refs   int      // samples of current states that use it; guarded by ResultMetrics.mu
}

// Per-instance families without labels of their own.
const (
	scUp = iota
	scMaintenance
	scTLSExpiry
	scProdMode
	scSynthSuccess
	nScalars
)

// Sample sets. Two sets can feed one family (drift from the version and the modules probes),
// each replaced by its own probe.
const (
	setSuccess = iota
	setDuration
	setVersionInfo
	setDriftVersion
	setDriftModules
	setModuleInfo
	setModuleUp
	setModuleCompat
	setStepDuration
	setFailedStep
	nSets
)

// family is one exported family and where its samples live.
type family struct {
	name      string
	desc      *prometheus.Desc
	textHead  string // # HELP and # TYPE lines, Prometheus text format
	omHead    string // the same, OpenMetrics
	scalar    int    // index into instState.scalar, or -1
	sets      []int  // point sets rendered under this family, first wins on duplicates
	fleet     bool   // sei_fleet_instances: no base labels
	extraKeys []string
	// sorted lists the positions in base labels + extraKeys in label name order.
	sorted []int
}

type familyDef struct {
	name, help string
	extra      []string
	scalar     int
	sets       []int
	fleet      bool
}

var (
	baseLabels   = []string{"instance", "owner", "environment"}
	probeLabels  = []string{"probe"}
	phaseLabels  = []string{"probe", "phase"}
	moduleLabels = []string{"module"}
	stepLabels   = []string{"step"}
)

// familyDefs lists the families in name order, the order a registry gathers them in.
func familyDefs() []familyDef {
	none := -1
	return []familyDef{
		{name: "sei_fleet_instances", help: "Number of instances whose latest version probe observed this version of the component.",
			extra: []string{"component", "version"}, scalar: none, fleet: true},
		{name: "sei_maintenance", help: "1 when the instance serves its maintenance page.", scalar: scMaintenance},
		{name: "sei_module_compatible", help: "1 when the module version runs on the observed SEI version per the compatibility matrix, 0 when it does not; absent when unknown.",
			extra: moduleLabels, scalar: none, sets: []int{setModuleCompat}},
		{name: "sei_module_info", help: "Installed SEI module and its observed version (empty when no surface tells it).",
			extra: []string{"module", "version"}, scalar: none, sets: []int{setModuleInfo}},
		{name: "sei_module_up", help: "1 when the module's own surface answered, 0 when it failed; absent for modules without a surface.",
			extra: moduleLabels, scalar: none, sets: []int{setModuleUp}},
		{name: "sei_probe_duration_seconds", help: "Duration of the last run of the probe; phase total, or one phase of its main request (dns, connect, tls, processing, transfer).",
			extra: phaseLabels, scalar: none, sets: []int{setDuration}},
		{name: "sei_probe_success", help: "1 when the last run of the probe succeeded.",
			extra: probeLabels, scalar: none, sets: []int{setSuccess}},
		{name: "sei_production_mode", help: "1 when the instance runs with Producao=true, 0 when its assets carry the non-production random suffix.", scalar: scProdMode},
		{name: "sei_synthetic_failed_step", help: "1 for the step at which the last synthetic transaction failed, 0 for the other steps that ran.",
			extra: stepLabels, scalar: none, sets: []int{setFailedStep}},
		{name: "sei_synthetic_step_duration_seconds", help: "Duration of a step of the last synthetic transaction.",
			extra: stepLabels, scalar: none, sets: []int{setStepDuration}},
		{name: "sei_synthetic_success", help: "1 when the last synthetic transaction completed every step.", scalar: scSynthSuccess},
		{name: "sei_tls_cert_expiry_timestamp_seconds", help: "Expiry of the instance's TLS leaf certificate, Unix seconds.", scalar: scTLSExpiry},
		{name: "sei_up", help: "1 when the instance serves its login page (health probe state up), 0 when down or in maintenance.", scalar: scUp},
		{name: "sei_version_drift", help: "1 for the current drift level of a component (sei, sip or a module) against desired state in Git (against=desired) or the fleet-wide latest (against=latest); level is none, patch, minor, major, ahead or unknown.",
			extra: []string{"component", "against", "level"}, scalar: none, sets: []int{setDriftVersion, setDriftModules}},
		{name: "sei_version_info", help: "Observed version of a component (sei, sip, infra), one series per source that told it.",
			extra: []string{"component", "version", "source"}, scalar: none, sets: []int{setVersionInfo}},
	}
}

var (
	versionLabels = []string{"component", "version", "source"}
	driftLabels   = []string{"component", "against", "level"}
	modInfoLabels = []string{"module", "version"}
)

// NewResultMetrics builds the sei_* families and registers them on reg (when not nil) as one
// collector. The daemon leaves reg nil and serves them through WriteText instead.
func NewResultMetrics(reg prometheus.Registerer) *ResultMetrics {
	defs := familyDefs()
	m := &ResultMetrics{
		fams:       make([]family, len(defs)),
		slots:      map[string]*slot{},
		labels:     map[string]*labelSet{},
		fleetCount: map[[2]string]int{},
	}
	m.bufs.New = func() any { b := make([]byte, 0, writeChunk+4096); return &b }
	m.snaps.New = func() any { s := []*instState(nil); return &s }
	for i, d := range defs {
		names := d.extra
		if !d.fleet {
			names = append(append([]string(nil), baseLabels...), d.extra...)
		}
		m.fams[i] = family{
			name:      d.name,
			desc:      prometheus.NewDesc(d.name, d.help, names, nil),
			textHead:  "# HELP " + d.name + " " + helpEscaper.Replace(d.help) + "\n# TYPE " + d.name + " gauge\n",
			omHead:    "# HELP " + d.name + " " + omHelpEscaper.Replace(d.help) + "\n# TYPE " + d.name + " gauge\n",
			scalar:    d.scalar,
			sets:      d.sets,
			fleet:     d.fleet,
			extraKeys: d.extra,
			sorted:    make([]int, len(names)),
		}
		for k := range names {
			m.fams[i].sorted[k] = k
		}
		slices.SortFunc(m.fams[i].sorted, func(a, b int) int { return strings.Compare(names[a], names[b]) })
	}
	if reg != nil {
		reg.MustRegister(m)
	}
	return m
}

// The escapers of expfmt: HELP text escapes backslash and newline (OpenMetrics also the double
// quote); label values escape all three.
var (
	helpEscaper   = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	omHelpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

// Collectors returns the sei_* families as collectors, for registering on another registry or
// linting. It is one collector describing every family.
func (m *ResultMetrics) Collectors() []prometheus.Collector { return []prometheus.Collector{m} }

// Observe records one Result. Safe for concurrent use.
func (m *ResultMetrics) Observe(r probe.Result) {
	t := r.Target
	if t.Name == "" {
		return
	}
	owner, env := validUTF8(t.Owner), validUTF8(t.Environment)
	m.mu.Lock()
	defer m.mu.Unlock()
	sl := m.slots[t.Name]
	if sl == nil {
		sl = &slot{name: strings.Clone(t.Name)}
		m.slots[sl.name] = sl
		m.order = nil
	}
	var next instState
	switch cur := sl.st; {
	case cur != nil && cur.owner == owner && cur.env == env:
		next = *cur
	default:
		// New instance, or its owner or environment changed: the old series go with their labels.
		if cur != nil {
			m.release(cur)
		}
		next = instState{name: validUTF8(sl.name), owner: strings.Clone(owner), env: strings.Clone(env)}
		b := appendLabel(nil, "instance", next.name)
		b = appendLabel(append(b, ','), "owner", next.owner)
		next.base = string(appendLabel(append(b, ','), "environment", next.env))
	}

	// sei_probe_success: one series per probe, each kept until the instance goes.
	ss := m.points[:0]
	for _, s := range next.sets[setSuccess] {
		if s.l.values[0] != r.Probe {
			ss = append(ss, s)
		}
	}
	ss = append(ss, point{m.intern(probeLabels, r.Probe), b2f(r.OK)})
	m.replace(&next, setSuccess, ss)

	// sei_probe_duration_seconds: the probe's phases replace its previous ones.
	ss = m.points[:0]
	for _, s := range next.sets[setDuration] {
		if s.l.values[0] != r.Probe {
			ss = append(ss, s)
		}
	}
	ss = append(ss, point{m.intern(phaseLabels, r.Probe, "total"), r.Duration.Seconds()})
	for ph, d := range r.Phases {
		ss = append(ss, point{m.intern(phaseLabels, r.Probe, ph), d.Seconds()})
	}
	m.replace(&next, setDuration, ss)

	if v, ok := r.Values[ValueTLSCertExpiry]; ok {
		next.set(scTLSExpiry, v)
	}
	if v, ok := r.Values[ValueProductionMode]; ok {
		next.set(scProdMode, v)
	}
	switch r.Probe {
	case probe.Health:
		next.set(scUp, b2f(r.State == probe.StateUp))
		next.set(scMaintenance, b2f(r.State == probe.StateMaintenance))
	case probe.Version:
		m.observeVersion(sl, &next, r)
	case probe.Modules:
		m.observeModules(&next, r)
	case probe.Synthetic:
		m.observeSynthetic(&next, r)
	}
	sl.st = &next
}

func (st *instState) set(i int, v float64) {
	st.scalar[i] = v
	st.has |= 1 << i
}

func (m *ResultMetrics) observeVersion(sl *slot, st *instState, r probe.Result) {
	if !r.OK && len(r.Versions) == 0 {
		// An unreachable instance keeps its last known versions rather than vanishing from the
		// version dashboards; its sei_probe_success says the information is stale.
		return
	}
	ss := m.points[:0]
	var best []compVersion
	for _, v := range r.Versions {
		ss = append(ss, point{m.intern(versionLabels, v.Component, v.Version, v.Source), 1})
		// Versions come ordered by preference: the first per component is the best one.
		if !slices.ContainsFunc(best, func(b compVersion) bool { return b.component == v.Component }) {
			best = append(best, compVersion{v.Component, v.Version})
		}
	}
	m.replace(st, setVersionInfo, ss)
	m.replaceDrift(st, setDriftVersion, r.Drift)
	m.setFleet(sl, best)
}

func (m *ResultMetrics) observeModules(st *instState, r probe.Result) {
	if !r.OK && len(r.Modules) == 0 {
		return
	}
	// Three sets built one after the other in the shared scratch slice.
	for _, set := range []int{setModuleInfo, setModuleUp, setModuleCompat} {
		ss := m.points[:0]
		for _, mod := range r.Modules {
			if mod.Detail == ModuleMissing {
				continue // desired but absent: drift says it, it has no version to show
			}
			switch {
			case set == setModuleInfo:
				ss = append(ss, point{m.intern(modInfoLabels, mod.Name, mod.Version), 1})
			case set == setModuleUp && mod.Up != nil:
				ss = append(ss, point{m.intern(moduleLabels, mod.Name), b2f(*mod.Up)})
			case set == setModuleCompat && mod.Compatible != nil:
				ss = append(ss, point{m.intern(moduleLabels, mod.Name), b2f(*mod.Compatible)})
			}
		}
		m.replace(st, set, ss)
	}
	m.replaceDrift(st, setDriftModules, r.Drift)
}

func (m *ResultMetrics) observeSynthetic(st *instState, r probe.Result) {
	st.set(scSynthSuccess, b2f(r.OK))
	firstFail := ""
	ss := m.points[:0]
	for _, s := range r.Steps {
		ss = append(ss, point{m.intern(stepLabels, s.Name), s.Duration.Seconds()})
		if !s.OK && firstFail == "" {
			firstFail = s.Name
		}
	}
	m.replace(st, setStepDuration, ss)
	ss = m.points[:0]
	for _, s := range r.Steps {
		ss = append(ss, point{m.intern(stepLabels, s.Name), b2f(s.Name == firstFail)})
	}
	m.replace(st, setFailedStep, ss)
}

func (m *ResultMetrics) replaceDrift(st *instState, set int, drift []probe.Drift) {
	ss := m.points[:0]
	for _, d := range drift {
		against := d.Against
		if against == "" {
			against = "desired"
		}
		ss = append(ss, point{m.intern(driftLabels, d.Component, against, d.Level), 1})
	}
	m.replace(st, set, ss)
}

// replace installs ss (scratch, possibly unsorted, with duplicates: the last one wins, as it
// would in a map) as set i of st. Published slices are never written: the new one is fresh.
func (m *ResultMetrics) replace(st *instState, i int, ss []point) {
	m.points = ss[:0] // keep the grown scratch
	slices.SortStableFunc(ss, func(a, b point) int { return strings.Compare(a.l.text, b.l.text) })
	n := 0
	for j := range ss {
		if n > 0 && ss[n-1].l == ss[j].l {
			ss[n-1] = ss[j]
			continue
		}
		ss[n] = ss[j]
		n++
	}
	var next []point
	if n > 0 {
		next = append(make([]point, 0, n), ss[:n]...)
	}
	for _, s := range next {
		s.l.refs++
	}
	m.unref(st.sets[i])
	st.sets[i] = next
}

// release drops the references of every point of a state leaving the fleet.
func (m *ResultMetrics) release(st *instState) {
	for _, set := range st.sets {
		m.unref(set)
	}
}

func (m *ResultMetrics) unref(set []point) {
	for _, s := range set {
		if s.l.refs--; s.l.refs <= 0 {
			delete(m.labels, s.l.text)
		}
	}
}

// intern returns the shared label set for values under names. A new one starts with no
// references: replace takes them when it installs the points that use it.
func (m *ResultMetrics) intern(names []string, values ...string) *labelSet {
	b := m.text[:0]
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendLabel(b, n, validUTF8(values[i]))
	}
	m.text = b
	if l, ok := m.labels[string(b)]; ok {
		return l
	}
	// Cloned: a value may point into a whole response body the prober parsed.
	l := &labelSet{text: string(b), values: make([]string, len(values))}
	for i, v := range values {
		l.values[i] = strings.Clone(validUTF8(v))
	}
	m.labels[l.text] = l
	return l
}

func (m *ResultMetrics) setFleet(sl *slot, best []compVersion) {
	for i, c := range best {
		c = compVersion{validUTF8(c.component), validUTF8(c.version)}
		if j := slices.Index(sl.best, c); j >= 0 {
			best[i] = sl.best[j] // already counted, and already a copy
			continue
		}
		best[i] = compVersion{strings.Clone(c.component), strings.Clone(c.version)}
		m.fleetAdd(best[i], 1)
	}
	for _, c := range sl.best {
		if !slices.Contains(best, c) {
			m.fleetAdd(c, -1)
		}
	}
	sl.best = best
}

func (m *ResultMetrics) fleetAdd(c compVersion, d int) {
	k := [2]string{c.component, c.version}
	m.fleetCount[k] += d
	if m.fleetCount[k] <= 0 {
		delete(m.fleetCount, k)
	}
}

// Forget deletes every series of an instance removed from the fleet. Safe for concurrent use.
func (m *ResultMetrics) Forget(instance string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sl := m.slots[instance]
	if sl == nil {
		return
	}
	if sl.st != nil {
		m.release(sl.st)
		sl.st = nil
	}
	for _, c := range sl.best {
		m.fleetAdd(c, -1)
	}
	delete(m.slots, instance)
	m.order = nil
}

// FleetVersions returns the fleet distribution sei_fleet_instances exports, for the status page.
func (m *ResultMetrics) FleetVersions() map[string]map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]map[string]int{}
	for k, n := range m.fleetCount {
		if out[k[0]] == nil {
			out[k[0]] = map[string]int{}
		}
		out[k[0]][k[1]] = n
	}
	return out
}

type fleetEntry struct {
	component, version string
	n                  int
}

// snapshot appends the current state of every instance, in name order, to dst, and returns the
// fleet distribution sorted by component and version. The states are immutable.
func (m *ResultMetrics) snapshot(dst []*instState) ([]*instState, []fleetEntry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.order == nil {
		m.order = make([]*slot, 0, len(m.slots))
		for _, sl := range m.slots {
			m.order = append(m.order, sl)
		}
		slices.SortFunc(m.order, func(a, b *slot) int { return strings.Compare(a.name, b.name) })
	}
	for _, sl := range m.order {
		if sl.st != nil {
			dst = append(dst, sl.st)
		}
	}
	fleet := make([]fleetEntry, 0, len(m.fleetCount))
	for k, n := range m.fleetCount {
		fleet = append(fleet, fleetEntry{k[0], k[1], n})
	}
	slices.SortFunc(fleet, func(a, b fleetEntry) int {
		return cmp.Or(strings.Compare(a.component, b.component), strings.Compare(a.version, b.version))
	})
	return dst, fleet
}

// each calls fn for every point of family f in st; a label set already seen in an earlier set of
// the family is skipped (one series per label set).
func (f *family) each(st *instState, fn func(l *labelSet, v float64)) {
	if f.scalar >= 0 {
		if st.has&(1<<f.scalar) != 0 {
			fn(nil, st.scalar[f.scalar])
		}
		return
	}
	for k, set := range f.sets {
	next:
		for _, s := range st.sets[set] {
			for _, prev := range f.sets[:k] {
				if containsLabel(st.sets[prev], s.l) {
					continue next
				}
			}
			fn(s.l, s.v)
		}
	}
}

func containsLabel(set []point, l *labelSet) bool {
	for _, s := range set {
		if s.l == l {
			return true
		}
	}
	return false
}

// Describe sends the descriptor of every sei_* family.
func (m *ResultMetrics) Describe(ch chan<- *prometheus.Desc) {
	for i := range m.fams {
		ch <- m.fams[i].desc
	}
}

// Collect sends every sei_* series as a gauge. The /metrics text path uses WriteText instead;
// Collect serves protobuf scrapes and registries that register ResultMetrics. Rather than
// prometheus.NewConstMetric, which builds every label pair of every series (about 20 allocations
// a series), a scrape builds each instance's base pairs and each label set's pairs once and
// shares them between the series that carry them.
func (m *ResultMetrics) Collect(ch chan<- prometheus.Metric) {
	states, fleet := m.snapshot(nil)
	pair := func(name, value string) *dto.LabelPair { return &dto.LabelPair{Name: &name, Value: &value} }
	extras := map[*labelSet][]*dto.LabelPair{}
	bases := make([][]*dto.LabelPair, len(states))
	var all [8]*dto.LabelPair
	for i := range m.fams {
		f := &m.fams[i]
		if f.fleet {
			for _, e := range fleet {
				ch <- &gaugeMetric{desc: f.desc, v: float64(e.n),
					labels: []*dto.LabelPair{pair(f.extraKeys[0], e.component), pair(f.extraKeys[1], e.version)}}
			}
			continue
		}
		for j, st := range states {
			if bases[j] == nil {
				bases[j] = []*dto.LabelPair{pair("instance", st.name), pair("owner", st.owner), pair("environment", st.env)}
			}
			f.each(st, func(l *labelSet, v float64) {
				n := copy(all[:], bases[j])
				if l != nil {
					ep, ok := extras[l]
					if !ok {
						ep = make([]*dto.LabelPair, len(l.values))
						for k, val := range l.values {
							ep[k] = pair(f.extraKeys[k], val)
						}
						extras[l] = ep
					}
					n += copy(all[n:], ep)
				}
				// In name order, as registries keep label pairs.
				labels := make([]*dto.LabelPair, n)
				for k, idx := range f.sorted {
					labels[k] = all[idx]
				}
				ch <- &gaugeMetric{desc: f.desc, labels: labels, v: v}
			})
		}
	}
}

// gaugeMetric is one collected series; its label pairs may be shared with other series and are
// never modified.
type gaugeMetric struct {
	desc   *prometheus.Desc
	labels []*dto.LabelPair
	v      float64
}

func (g *gaugeMetric) Desc() *prometheus.Desc { return g.desc }

func (g *gaugeMetric) Write(out *dto.Metric) error {
	out.Label = g.labels
	out.Gauge = &dto.Gauge{Value: &g.v}
	return nil
}

// writeChunk is how much WriteText buffers before writing to its writer.
const writeChunk = 32 << 10

// WriteText writes every sei_* family with series in the Prometheus text format (version 0.0.4),
// or in the OpenMetrics 1.0 form when openMetrics is set, without the closing "# EOF" line:
// the caller appends it after its other families. Families come in name order, each with its
// HELP and TYPE lines once and its series by instance name. Safe for concurrent use; the lock
// Observe takes is held only to snapshot the instances, not while writing to w.
func (m *ResultMetrics) WriteText(w io.Writer, openMetrics bool) error {
	sp := m.snaps.Get().(*[]*instState)
	states, fleet := m.snapshot((*sp)[:0])
	defer func() {
		clear(states) // the pool must not keep old states alive
		*sp = states[:0]
		m.snaps.Put(sp)
	}()
	bp := m.bufs.Get().(*[]byte)
	buf := (*bp)[:0]
	defer func() { *bp = buf[:0]; m.bufs.Put(bp) }()

	var err error
	flush := func() {
		if err == nil && len(buf) > 0 {
			_, err = w.Write(buf)
		}
		buf = buf[:0]
	}
	for i := range m.fams {
		f := &m.fams[i]
		head := f.textHead
		if openMetrics {
			head = f.omHead
		}
		if f.fleet {
			if len(fleet) > 0 {
				buf = append(buf, head...)
			}
			for _, e := range fleet {
				buf = append(buf, f.name...)
				buf = append(buf, '{')
				buf = appendLabel(buf, f.extraKeys[0], e.component)
				buf = append(buf, ',')
				buf = appendLabel(buf, f.extraKeys[1], e.version)
				buf = append(buf, '}', ' ')
				buf = appendValue(buf, float64(e.n), openMetrics)
				buf = append(buf, '\n')
			}
			continue
		}
		wrote := false
		for _, st := range states {
			if f.scalar >= 0 {
				if st.has&(1<<f.scalar) == 0 {
					continue
				}
				if !wrote {
					buf, wrote = append(buf, head...), true
				}
				buf = appendSample(buf, f.name, st.base, "", st.scalar[f.scalar], openMetrics)
			} else {
				f.each(st, func(l *labelSet, v float64) {
					if !wrote {
						buf, wrote = append(buf, head...), true
					}
					buf = appendSample(buf, f.name, st.base, l.text, v, openMetrics)
				})
			}
			if len(buf) >= writeChunk {
				if flush(); err != nil {
					return err
				}
			}
		}
	}
	flush()
	return err
}

func appendSample(b []byte, name, base, extra string, v float64, om bool) []byte {
	b = append(b, name...)
	b = append(b, '{')
	b = append(b, base...)
	if extra != "" {
		b = append(b, ',')
		b = append(b, extra...)
	}
	b = append(b, '}', ' ')
	b = appendValue(b, v, om)
	return append(b, '\n')
}

// appendValue formats v as expfmt does: strconv's shortest 'g' form, +Inf, -Inf, NaN; OpenMetrics
// also marks integral values as floats ("1.0").
func appendValue(b []byte, v float64, om bool) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case v == 0: // also -0, which expfmt writes as 0
		if om {
			return append(b, "0.0"...)
		}
		return append(b, '0')
	}
	start := len(b)
	b = strconv.AppendFloat(b, v, 'g', -1, 64)
	if om && !slices.ContainsFunc(b[start:], func(c byte) bool { return c == 'e' || c == '.' }) {
		b = append(b, '.', '0')
	}
	return b
}

// appendLabel appends name="value" with the value escaped as the text formats require.
func appendLabel(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, '=', '"')
	for i := 0; i < len(value); i++ {
		switch c := value[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '\\', '"')
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// validUTF8 replaces invalid UTF-8, which a label value must not carry, instead of failing the
// whole scrape over one odd version string.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
