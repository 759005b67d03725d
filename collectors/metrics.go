package collectors

import (
	"sort"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

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
	ValueVersionConflict  = "version_conflict"                  // exact SEI version sources disagree
	ValueModulesInstalled = "modules_installed"
	ValueModulesDown      = "modules_down"
	ValueModulesIncompat  = "modules_incompatible"
	ValueModulesMissing   = "modules_missing" // desired in Git but not observed
	ValueSyntheticSteps   = "synthetic_steps" // steps run
	ValueSyntheticCaptcha = "synthetic_captcha"
)

// ResultMetrics turns Results into Prometheus series, in one place. Every series carries the
// instance, owner and environment labels; none carries a URL or an error text. Series that a newer
// Result no longer supports (an old version, a removed module, a renamed step) are deleted, so an
// info metric never shows two versions of one component at once.
type ResultMetrics struct {
	up            *prometheus.GaugeVec
	success       *prometheus.GaugeVec
	duration      *prometheus.GaugeVec
	tlsExpiry     *prometheus.GaugeVec
	maintenance   *prometheus.GaugeVec
	versionInfo   *prometheus.GaugeVec
	prodMode      *prometheus.GaugeVec
	drift         *prometheus.GaugeVec
	moduleInfo    *prometheus.GaugeVec
	moduleUp      *prometheus.GaugeVec
	moduleCompat  *prometheus.GaugeVec
	synthSuccess  *prometheus.GaugeVec
	stepDuration  *prometheus.GaugeVec
	failedStep    *prometheus.GaugeVec
	fleet         *prometheus.GaugeVec
	vecsByFamily  map[family]*prometheus.GaugeVec
	allInstanceMV []*prometheus.GaugeVec

	mu sync.Mutex
	// owners remembers each instance's owner/environment so a change clears the old series.
	owners map[string][2]string
	// sets remembers, per instance and family, the label tuples last written.
	sets map[setKey]map[string][]string
	// fleetVersions is the best version per component of each instance, for sei_fleet_instances.
	fleetVersions map[string]map[string]string
	fleetCount    map[[2]string]int
}

type family int

const (
	famDuration family = iota
	famVersionInfo
	famDriftVersion
	famDriftModules
	famModuleInfo
	famModuleUp
	famModuleCompat
	famStepDuration
	famFailedStep
)

type setKey struct {
	instance string
	fam      family
}

var baseLabels = []string{"instance", "owner", "environment"}

func labels(extra ...string) []string { return append(append([]string(nil), baseLabels...), extra...) }

// NewResultMetrics registers the sei_* families on reg.
func NewResultMetrics(reg prometheus.Registerer) *ResultMetrics {
	g := func(name, help string, extra ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels(extra...))
	}
	m := &ResultMetrics{
		up:           g("sei_up", "1 when the instance serves its login page (health probe state up), 0 when down or in maintenance."),
		success:      g("sei_probe_success", "1 when the last run of the probe succeeded.", "probe"),
		duration:     g("sei_probe_duration_seconds", "Duration of the last run of the probe; phase total, or one phase of its main request (dns, connect, tls, processing, transfer).", "probe", "phase"),
		tlsExpiry:    g("sei_tls_cert_expiry_timestamp_seconds", "Expiry of the instance's TLS leaf certificate, Unix seconds."),
		maintenance:  g("sei_maintenance", "1 when the instance serves its maintenance page."),
		versionInfo:  g("sei_version_info", "Observed version of a component (sei, sip, infra), one series per source that told it.", "component", "version", "source"),
		prodMode:     g("sei_production_mode", "1 when the instance runs with Producao=true, 0 when its assets carry the non-production random suffix."),
		drift:        g("sei_version_drift", "1 for the current drift level of a component (sei, sip or a module) against desired state in Git (against=desired) or the fleet-wide latest (against=latest); level is none, patch, minor, major, ahead or unknown.", "component", "against", "level"),
		moduleInfo:   g("sei_module_info", "Installed SEI module and its observed version (empty when no surface tells it).", "module", "version"),
		moduleUp:     g("sei_module_up", "1 when the module's own surface answered, 0 when it failed; absent for modules without a surface.", "module"),
		moduleCompat: g("sei_module_compatible", "1 when the module version runs on the observed SEI version per the compatibility matrix, 0 when it does not; absent when unknown.", "module"),
		synthSuccess: g("sei_synthetic_success", "1 when the last synthetic transaction completed every step."),
		stepDuration: g("sei_synthetic_step_duration_seconds", "Duration of a step of the last synthetic transaction.", "step"),
		failedStep:   g("sei_synthetic_failed_step", "1 for the step at which the last synthetic transaction failed, 0 for the other steps that ran.", "step"),
		fleet: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sei_fleet_instances",
			Help: "Number of instances whose latest version probe observed this version of the component.",
		}, []string{"component", "version"}),
		owners:        map[string][2]string{},
		sets:          map[setKey]map[string][]string{},
		fleetVersions: map[string]map[string]string{},
		fleetCount:    map[[2]string]int{},
	}
	m.vecsByFamily = map[family]*prometheus.GaugeVec{
		famDuration: m.duration, famVersionInfo: m.versionInfo, famDriftVersion: m.drift, famDriftModules: m.drift,
		famModuleInfo: m.moduleInfo, famModuleUp: m.moduleUp, famModuleCompat: m.moduleCompat,
		famStepDuration: m.stepDuration, famFailedStep: m.failedStep,
	}
	m.allInstanceMV = []*prometheus.GaugeVec{m.up, m.success, m.duration, m.tlsExpiry, m.maintenance, m.versionInfo,
		m.prodMode, m.drift, m.moduleInfo, m.moduleUp, m.moduleCompat, m.synthSuccess, m.stepDuration, m.failedStep}
	if reg != nil {
		for _, c := range append(append([]*prometheus.GaugeVec(nil), m.allInstanceMV...), m.fleet) {
			reg.MustRegister(c)
		}
	}
	return m
}

// Collectors returns every family, for registering on another registry or linting.
func (m *ResultMetrics) Collectors() []prometheus.Collector {
	out := make([]prometheus.Collector, 0, len(m.allInstanceMV)+1)
	for _, v := range m.allInstanceMV {
		out = append(out, v)
	}
	return append(out, m.fleet)
}

// Observe records one Result. Safe for concurrent use.
func (m *ResultMetrics) Observe(r probe.Result) {
	t := r.Target
	if t.Name == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if prev, ok := m.owners[t.Name]; ok && prev != [2]string{t.Owner, t.Environment} {
		m.deleteInstance(t.Name)
	}
	m.owners[t.Name] = [2]string{t.Owner, t.Environment}
	base := []string{t.Name, t.Owner, t.Environment}
	with := func(extra ...string) []string { return append(append(make([]string, 0, 6), base...), extra...) }

	m.success.WithLabelValues(with(r.Probe)...).Set(b2f(r.OK))
	dur := map[string]float64{"total": r.Duration.Seconds()}
	for ph, d := range r.Phases {
		dur[ph] = d.Seconds()
	}
	m.replace(t.Name, famDuration, r.Probe, base, dur, func(k string) []string { return []string{r.Probe, k} })
	if v, ok := r.Values[ValueTLSCertExpiry]; ok {
		m.tlsExpiry.WithLabelValues(base...).Set(v)
	}
	if v, ok := r.Values[ValueProductionMode]; ok {
		m.prodMode.WithLabelValues(base...).Set(v)
	}

	switch r.Probe {
	case probe.Health:
		m.up.WithLabelValues(base...).Set(b2f(r.State == probe.StateUp))
		m.maintenance.WithLabelValues(base...).Set(b2f(r.State == probe.StateMaintenance))
	case probe.Version:
		m.observeVersion(t.Name, base, r)
	case probe.Modules:
		m.observeModules(t.Name, base, r)
	case probe.Synthetic:
		m.observeSynthetic(t.Name, base, r)
	}
}

func (m *ResultMetrics) observeVersion(name string, base []string, r probe.Result) {
	info := map[string]float64{}
	tuples := map[string][]string{}
	best := map[string]string{}
	for _, v := range r.Versions {
		k := v.Component + "\x00" + v.Version + "\x00" + v.Source
		info[k] = 1
		tuples[k] = []string{v.Component, v.Version, v.Source}
		// Versions come ordered by preference: the first per component is the best one.
		if _, ok := best[v.Component]; !ok {
			best[v.Component] = v.Version
		}
	}
	if !r.OK && len(r.Versions) == 0 {
		// An unreachable instance keeps its last known versions rather than vanishing from the
		// version dashboards; its sei_probe_success says the information is stale.
		return
	}
	m.replace(name, famVersionInfo, "", base, info, func(k string) []string { return tuples[k] })
	m.replaceDrift(name, famDriftVersion, base, r.Drift)
	m.setFleet(name, best)
}

func (m *ResultMetrics) observeModules(name string, base []string, r probe.Result) {
	if !r.OK && len(r.Modules) == 0 {
		return
	}
	info, up, compat := map[string]float64{}, map[string]float64{}, map[string]float64{}
	tuples := map[string][]string{}
	for _, mod := range r.Modules {
		if mod.Detail == ModuleMissing {
			continue // desired but absent: drift says it, it has no version to show
		}
		k := mod.Name + "\x00" + mod.Version
		info[k] = 1
		tuples[k] = []string{mod.Name, mod.Version}
		if mod.Up != nil {
			up[mod.Name] = b2f(*mod.Up)
		}
		if mod.Compatible != nil {
			compat[mod.Name] = b2f(*mod.Compatible)
		}
	}
	m.replace(name, famModuleInfo, "", base, info, func(k string) []string { return tuples[k] })
	m.replace(name, famModuleUp, "", base, up, func(k string) []string { return []string{k} })
	m.replace(name, famModuleCompat, "", base, compat, func(k string) []string { return []string{k} })
	m.replaceDrift(name, famDriftModules, base, r.Drift)
}

func (m *ResultMetrics) observeSynthetic(name string, base []string, r probe.Result) {
	m.synthSuccess.WithLabelValues(base...).Set(b2f(r.OK))
	durs, failed := map[string]float64{}, map[string]float64{}
	firstFail := ""
	for _, s := range r.Steps {
		durs[s.Name] = s.Duration.Seconds()
		if !s.OK && firstFail == "" {
			firstFail = s.Name
		}
	}
	for _, s := range r.Steps {
		failed[s.Name] = b2f(s.Name == firstFail)
	}
	m.replace(name, famStepDuration, "", base, durs, func(k string) []string { return []string{k} })
	m.replace(name, famFailedStep, "", base, failed, func(k string) []string { return []string{k} })
}

func (m *ResultMetrics) replaceDrift(name string, fam family, base []string, drift []probe.Drift) {
	vals := map[string]float64{}
	tuples := map[string][]string{}
	for _, d := range drift {
		against := d.Against
		if against == "" {
			against = "desired"
		}
		k := d.Component + "\x00" + against + "\x00" + d.Level
		vals[k] = 1
		tuples[k] = []string{d.Component, against, d.Level}
	}
	m.replace(name, fam, "", base, vals, func(k string) []string { return tuples[k] })
}

// replace sets a family's series for an instance and deletes the ones the previous call set that
// are not set now. scope separates callers sharing a family (sei_probe_duration_seconds per probe).
func (m *ResultMetrics) replace(name string, fam family, scope string, base []string, vals map[string]float64, extra func(string) []string) {
	vec := m.vecsByFamily[fam]
	key := setKey{instance: name + "\x00" + scope, fam: fam}
	prev := m.sets[key]
	next := make(map[string][]string, len(vals))
	for k, v := range vals {
		lv := append(append(make([]string, 0, len(base)+3), base...), extra(k)...)
		vec.WithLabelValues(lv...).Set(v)
		next[k] = lv
	}
	for k, lv := range prev {
		if _, ok := next[k]; !ok {
			vec.DeleteLabelValues(lv...)
		}
	}
	m.sets[key] = next
}

func (m *ResultMetrics) setFleet(name string, best map[string]string) {
	old := m.fleetVersions[name]
	for comp, v := range old {
		if best[comp] != v {
			m.fleetAdd(comp, v, -1)
		}
	}
	for comp, v := range best {
		if old[comp] != v {
			m.fleetAdd(comp, v, 1)
		}
	}
	m.fleetVersions[name] = best
}

func (m *ResultMetrics) fleetAdd(comp, version string, d int) {
	k := [2]string{comp, version}
	m.fleetCount[k] += d
	if n := m.fleetCount[k]; n <= 0 {
		delete(m.fleetCount, k)
		m.fleet.DeleteLabelValues(comp, version)
		return
	}
	m.fleet.WithLabelValues(comp, version).Set(float64(m.fleetCount[k]))
}

// Forget deletes every series of an instance removed from the fleet. Safe for concurrent use.
func (m *ResultMetrics) Forget(instance string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.deleteInstance(instance)
	delete(m.owners, instance)
	for comp, v := range m.fleetVersions[instance] {
		m.fleetAdd(comp, v, -1)
	}
	delete(m.fleetVersions, instance)
}

func (m *ResultMetrics) deleteInstance(instance string) {
	for _, v := range m.allInstanceMV {
		v.DeletePartialMatch(prometheus.Labels{"instance": instance})
	}
	for k := range m.sets {
		if k.instance == instance || len(k.instance) > len(instance) && k.instance[:len(instance)+1] == instance+"\x00" {
			delete(m.sets, k)
		}
	}
}

// FleetVersions returns the fleet distribution sei_fleet_instances exports, for the status page.
func (m *ResultMetrics) FleetVersions() map[string]map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]map[string]int{}
	keys := make([][2]string, 0, len(m.fleetCount))
	for k := range m.fleetCount {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	for _, k := range keys {
		if out[k[0]] == nil {
			out[k[0]] = map[string]int{}
		}
		out[k[0]][k[1]] = m.fleetCount[k]
	}
	return out
}
