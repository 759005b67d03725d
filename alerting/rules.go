package alerting

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
)

// condKind is what a rule looks at in a Result.
type condKind int

const (
	condFailing condKind = iota
	condMaintenance
	condValue
	condDrift
	condModuleIncompatible
	condModuleDown
	condTLSExpiry
	condProductionModeOff
)

// Observation names the rules read.
const (
	valueTLSExpiry      = "tls_cert_expiry_timestamp_seconds"
	valueProductionMode = "production_mode"
)

// rule is a config.Rule compiled for evaluation.
type rule struct {
	name     string
	kind     condKind
	probe    string // "" applies to every probe's results; alerts then carry the producing probe
	value    string
	above    *float64
	below    *float64
	equal    *float64
	drift    map[string]bool
	item     string // component/module restriction for per-item rules
	tlsDays  float64
	forDur   time.Duration
	keepFor  time.Duration
	severity string
	labels   map[string]string
	// identity decides whether a reload keeps this rule's alert state: the name and the labels
	// its alerts carry, as Prometheus does (a changed threshold keeps what is firing).
	identity  string
	condition string
	annots    []annotation
}

type annotation struct {
	key      string
	tmpl     *template.Template
	fallback *template.Template // the default text, used if an operator's template fails at run time
}

// perItem reports whether the rule makes one alert per module or component.
func (r *rule) perItem() bool {
	return r.kind == condDrift || r.kind == condModuleIncompatible || r.kind == condModuleDown
}

// itemLabel is the label naming the item of a per-item rule.
func (r *rule) itemLabel() string {
	if r.kind == condDrift {
		return "component"
	}
	return "module"
}

func compileRules(cfgs []config.Rule) ([]*rule, error) {
	out := make([]*rule, 0, len(cfgs))
	seen := map[string]bool{}
	for i := range cfgs {
		r, err := compileRule(cfgs[i])
		if err != nil {
			return nil, fmt.Errorf("rules[%d] (%s): %w", i, cfgs[i].Alert, err)
		}
		if seen[r.name] {
			return nil, fmt.Errorf("rules[%d]: duplicate rule name %q", i, r.name)
		}
		seen[r.name] = true
		out = append(out, r)
	}
	return out, nil
}

func compileRule(c config.Rule) (*rule, error) {
	if c.Alert == "" {
		return nil, fmt.Errorf("rule without a name (alert)")
	}
	r := &rule{
		name: c.Alert, probe: c.Probe, value: c.Value, above: c.Above, below: c.Below, equal: c.Equal,
		item: c.Component, forDur: c.For, keepFor: c.KeepFiringFor, severity: c.Severity, labels: c.Labels,
	}
	if r.severity == "" {
		r.severity = "warning"
	}
	switch {
	case c.When != "":
		switch c.When {
		case "failing":
			r.kind = condFailing
		case "maintenance":
			r.kind = condMaintenance
		case "production_mode_off":
			r.kind = condProductionModeOff
		case "module_incompatible":
			r.kind = condModuleIncompatible
		case "module_down":
			r.kind = condModuleDown
		default:
			return nil, fmt.Errorf("unknown condition %q", c.When)
		}
	case c.Value != "":
		if c.Above == nil && c.Below == nil && c.Equal == nil {
			return nil, fmt.Errorf("value %q needs above, below or equal", c.Value)
		}
		r.kind = condValue
	case len(c.Drift) > 0:
		r.kind = condDrift
		r.drift = make(map[string]bool, len(c.Drift))
		for _, l := range c.Drift {
			r.drift[l] = true
		}
	case c.TLSExpiryDays != nil:
		r.kind = condTLSExpiry
		r.tlsDays = *c.TLSExpiryDays
	default:
		return nil, fmt.Errorf("no condition: set when, value, drift or tls_expiry_days")
	}
	if r.kind == condFailing && r.probe == "" {
		return nil, fmt.Errorf("when: failing needs probe")
	}
	r.condition = r.describe()
	r.identity = identity(r.name, r.severity, r.labels)

	keys := map[string]bool{"summary": true, "description": true}
	for k := range c.Annotations {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		def := defaultAnnotation(r, k)
		var fallback *template.Template
		if def != "" {
			fallback = template.Must(newTemplate(k).Parse(def))
		}
		text, ok := c.Annotations[k]
		if !ok {
			r.annots = append(r.annots, annotation{key: k, tmpl: fallback})
			continue
		}
		t, err := newTemplate(k).Parse(text)
		if err != nil {
			return nil, fmt.Errorf("annotation %s: %w", k, err)
		}
		r.annots = append(r.annots, annotation{key: k, tmpl: t, fallback: fallback})
	}
	return r, nil
}

func newTemplate(name string) *template.Template {
	return template.New(name).Option("missingkey=zero")
}

func identity(name, severity string, labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(name)
	b.WriteString("\x00")
	b.WriteString(severity)
	for _, k := range keys {
		b.WriteString("\x00" + k + "=" + labels[k])
	}
	return b.String()
}

// describe says the condition in Portuguese, for the default annotations.
func (r *rule) describe() string {
	switch r.kind {
	case condFailing:
		return "sonda " + r.probe + " falhando"
	case condMaintenance:
		return "instância em manutenção"
	case condValue:
		var parts []string
		if r.above != nil {
			parts = append(parts, "acima de "+formatValue(*r.above))
		}
		if r.below != nil {
			parts = append(parts, "abaixo de "+formatValue(*r.below))
		}
		if r.equal != nil {
			parts = append(parts, "igual a "+formatValue(*r.equal))
		}
		return r.value + " " + strings.Join(parts, " e ")
	case condDrift:
		levels := make([]string, 0, len(r.drift))
		for l := range r.drift {
			levels = append(levels, l)
		}
		sort.Strings(levels)
		return "defasagem de versão " + strings.Join(levels, "/")
	case condModuleIncompatible:
		return "módulo incompatível com a versão do SEI"
	case condModuleDown:
		return "módulo sem resposta"
	case condTLSExpiry:
		return "certificado TLS expira em menos de " + formatValue(r.tlsDays) + " dias"
	case condProductionModeOff:
		return "modo de produção desligado em instância de produção"
	}
	return ""
}

// formatValue prints a number the way an operator writes it: 5, 0.25, 1234.5.
func formatValue(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

func defaultAnnotation(r *rule, key string) string {
	var summary, description string
	switch r.kind {
	case condFailing:
		switch r.probe {
		case probe.Health, probe.HTTP:
			summary = `Instância SEI {{ .Labels.instance }} fora do ar`
		case probe.Synthetic:
			summary = `Transação sintética falhou na instância SEI {{ .Labels.instance }}`
		default:
			summary = `Sonda {{ .Labels.probe }} falhando na instância SEI {{ .Labels.instance }}`
		}
		description = `A sonda {{ .Labels.probe }} falhou em {{ .Labels.instance }}{{ with .Reason }}: {{ . }}{{ end }}.` +
			`{{ with .Evidence.Step }} Passo: {{ . }}.{{ end }}{{ with .Evidence.Status }} HTTP {{ . }}.{{ end }}` +
			`{{ with .Evidence.URL }} URL: {{ . }}{{ end }}`
	case condMaintenance:
		summary = `Instância SEI {{ .Labels.instance }} em manutenção`
		description = `A página de manutenção do SEI ("Sistema em Manutenção") está ativa em {{ .Labels.instance }}` +
			`{{ with .Instance.URL }} ({{ . }}){{ end }}.`
	case condValue:
		summary = `Instância SEI {{ .Labels.instance }}: {{ .Rule.Condition }} (valor atual {{ .ValueText }})`
		description = `A observação {{ .Rule.Condition }} vale {{ .ValueText }} na sonda {{ .Labels.probe }} de ` +
			`{{ .Labels.instance }}.{{ with .Reason }} Falha: {{ . }}.{{ end }}`
	case condDrift:
		summary = `Versão de {{ .Labels.component }} defasada ({{ .Drift.Level }}) na instância SEI {{ .Labels.instance }}`
		description = `{{ .Labels.component }} observado {{ or .Drift.Observed "desconhecido" }}` +
			`{{ with .Drift.Desired }}, desejado {{ . }}{{ end }}{{ with .Drift.Against }} (comparado com {{ . }}){{ end }}.`
	case condModuleIncompatible:
		summary = `Módulo {{ .Labels.module }} incompatível com o SEI da instância {{ .Labels.instance }}`
		description = `O módulo {{ .Labels.module }}{{ with .Module.Version }} {{ . }}{{ end }} não roda na versão do SEI ` +
			`observada, segundo a matriz de compatibilidade.{{ with .Module.Detail }} {{ . }}{{ end }}`
	case condModuleDown:
		summary = `Módulo {{ .Labels.module }} não responde na instância SEI {{ .Labels.instance }}`
		description = `A verificação do módulo {{ .Labels.module }}{{ with .Module.Version }} {{ . }}{{ end }} falhou.` +
			`{{ with .Module.Detail }} {{ . }}{{ end }}`
	case condTLSExpiry:
		summary = `Certificado TLS da instância SEI {{ .Labels.instance }} ` +
			`{{ if lt .Value 0.0 }}expirou{{ else }}expira em {{ .ValueText }} dias{{ end }}`
		description = `O certificado de {{ or .Instance.URL .Labels.instance }} ` +
			`{{ if lt .Value 0.0 }}já expirou{{ else }}expira em {{ .ValueText }} dias{{ end }}: renove-o antes que ` +
			`os usuários vejam erro de certificado.`
	case condProductionModeOff:
		summary = `Instância de produção {{ .Labels.instance }} com o SEI fora do modo de produção`
		description = `O SEI de {{ .Labels.instance }} (ambiente {{ .Labels.environment }}) roda com Producao=false ` +
			`em ConfiguracaoSEI.php: mensagens de depuração ficam visíveis e o desempenho piora.`
	}
	switch key {
	case "summary":
		return summary
	case "description":
		return description
	}
	return ""
}

// appliesTo says whether the rule reads the results of probe p. A TLS-expiry rule naming no probe
// reads the probes that do a full TLS handshake every run (health, http): the logged-in probes
// resume TLS sessions and see the certificate only now and then, so their series would keep
// whatever their last full handshake said, possibly for days after a renewal.
func (r *rule) appliesTo(p string) bool {
	if r.probe != "" {
		return r.probe == p
	}
	if r.kind == condTLSExpiry {
		return p == probe.Health || p == probe.HTTP
	}
	return true
}

// isProduction tells whether an environment name means production.
func isProduction(env string) bool {
	switch strings.ToLower(env) {
	case "prod", "production", "producao", "produção", "prd":
		return true
	}
	return false
}

// check is one evaluation outcome for one (rule, instance, probe, item) series.
type check struct {
	item     string
	holds    bool
	value    float64
	hasValue bool
	module   probe.Module
	drift    probe.Drift
}

// evalSingle evaluates a rule that makes one series per (instance, probe). known is false when
// the result says nothing about the condition (a failed probe that could not observe the
// value): the series then keeps its state rather than resolving during an outage.
func (r *rule) evalSingle(res *probe.Result, now time.Time) (c check, known bool) {
	switch r.kind {
	case condFailing:
		return check{holds: !res.OK}, true
	case condMaintenance:
		if res.State == "" {
			return c, false
		}
		return check{holds: res.State == probe.StateMaintenance}, true
	case condValue:
		v, ok := res.Value(r.value)
		if !ok {
			return c, res.OK
		}
		holds := true
		if r.above != nil && !(v > *r.above) {
			holds = false
		}
		if r.below != nil && !(v < *r.below) {
			holds = false
		}
		if r.equal != nil && v != *r.equal {
			holds = false
		}
		return check{holds: holds, value: v, hasValue: true}, true
	case condTLSExpiry:
		ts, ok := res.Values[valueTLSExpiry]
		if !ok {
			// Over HTTPS a run that resumed a TLS session saw no certificate, which says nothing
			// about its expiry; only an instance served over plain HTTP has none to expire.
			return c, res.OK && !strings.HasPrefix(strings.ToLower(res.Target.URL), "https:")
		}
		days := (ts - float64(now.UnixNano())/1e9) / 86400
		return check{holds: days < r.tlsDays, value: days, hasValue: true}, true
	case condProductionModeOff:
		if !isProduction(res.Target.Environment) {
			return check{}, true
		}
		v, ok := res.Values[valueProductionMode]
		if !ok {
			return c, res.OK
		}
		return check{holds: v == 0, value: v, hasValue: true}, true
	}
	return c, false
}

// evalItems evaluates a per-item rule, calling fn for each module/component the result reports.
// It returns whether items absent from the result are known to be fine (the probe answered)
// rather than unknown (the probe failed before it could list them).
func (r *rule) evalItems(res *probe.Result, fn func(check)) (absentKnown bool) {
	switch r.kind {
	case condDrift:
		for i := range res.Drift {
			d := res.Drift[i]
			if r.item != "" && d.Component != r.item {
				continue
			}
			fn(check{item: d.Component, holds: r.drift[d.Level], drift: d})
		}
		return res.OK || len(res.Drift) > 0
	case condModuleIncompatible, condModuleDown:
		for i := range res.Modules {
			m := res.Modules[i]
			if r.item != "" && m.Name != r.item {
				continue
			}
			var holds bool
			if r.kind == condModuleIncompatible {
				holds = m.Compatible != nil && !*m.Compatible
			} else {
				holds = m.Up != nil && !*m.Up
			}
			fn(check{item: m.Name, holds: holds, module: m})
		}
		return res.OK || len(res.Modules) > 0
	}
	return false
}

// alertLabels builds the label set of a series.
func (r *rule) alertLabels(t *probe.Target, probeName, item string) map[string]string {
	l := make(map[string]string, len(t.Labels)+len(r.labels)+7)
	for k, v := range t.Labels {
		l[k] = v
	}
	if t.Owner != "" {
		l["owner"] = t.Owner
	}
	if t.Environment != "" {
		l["environment"] = t.Environment
	}
	for k, v := range r.labels {
		l[k] = v
	}
	l["alertname"] = r.name
	l["instance"] = t.Name
	l["severity"] = r.severity
	l["probe"] = probeName
	if item != "" {
		l[r.itemLabel()] = item
	}
	return l
}

// render executes the rule's annotation templates.
func (r *rule) render(d *config.TemplateData) map[string]string {
	out := make(map[string]string, len(r.annots))
	var b strings.Builder
	for _, a := range r.annots {
		if a.tmpl == nil {
			continue
		}
		b.Reset()
		if err := a.tmpl.Execute(&b, d); err != nil {
			b.Reset()
			if a.fallback == nil || a.fallback.Execute(&b, d) != nil {
				b.Reset()
				b.WriteString("erro no template " + a.key + ": " + err.Error())
			}
		}
		out[a.key] = b.String()
	}
	return out
}
