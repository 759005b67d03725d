package zabbix

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// Zabbix item value types.
const (
	typeFloat    = 0
	typeChar     = 1
	typeUnsigned = 3
)

// Item keys vigia provisions and feeds. Keys with a parameter take the probe, step, component,
// module or rule name.
const (
	KeyUp             = "vigia.up"
	KeyLatency        = "vigia.latency"
	KeyProbeOK        = "vigia.probe.ok"
	KeyProbeDuration  = "vigia.probe.duration"
	KeyStepDuration   = "vigia.synthetic.step.duration"
	KeyDrift          = "vigia.drift"
	KeyModuleUp       = "vigia.module.up"
	KeyVersion        = "vigia.version"
	KeyTLSDaysLeft    = "vigia.tls.days_left"
	KeyAlert          = "vigia.alert"
	driftValueMapName = "vigia: nível de desvio de versão"
)

// DriftValue maps drift levels to the numbers vigia.drift[...] carries: higher is further behind,
// negative is not behind (ahead) or not known, so a trigger can say >=2 for "minor or worse".
var DriftValue = map[string]float64{"none": 0, "patch": 1, "minor": 2, "major": 3, "ahead": -1, "unknown": -2}

var driftText = map[string]string{"none": "em dia", "patch": "patch", "minor": "minor", "major": "major", "ahead": "à frente", "unknown": "desconhecido"}

// itemSpec is one trapper item as vigia wants it.
type itemSpec struct {
	Key       string
	Name      string
	ValueType int
	Units     string
	// Tags are the item's tags (component: ...), compared as a set.
	Tags     map[string]string
	ValueMap string // name of a host value map, or ""
}

func key(base string, params ...string) string {
	if len(params) == 0 {
		return base
	}
	q := make([]string, len(params))
	for i, p := range params {
		q[i] = quoteParam(p)
	}
	return base + "[" + strings.Join(q, ",") + "]"
}

var bareParam = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)

// quoteParam quotes a key parameter when Zabbix's key syntax needs it (spaces, commas, brackets,
// quotes).
func quoteParam(p string) string {
	if bareParam.MatchString(p) {
		return p
	}
	return `"` + strings.ReplaceAll(p, `"`, `\"`) + `"`
}

// staticItems are the items every host gets, whatever its results say.
func staticItems(probes []string, rules []string) []itemSpec {
	items := []itemSpec{
		{Key: KeyUp, Name: "SEI disponível (página de entrada respondeu)", ValueType: typeUnsigned, Tags: map[string]string{"component": "availability"}},
		{Key: KeyLatency, Name: "Latência da página de entrada", ValueType: typeFloat, Units: "s", Tags: map[string]string{"component": "availability"}},
		{Key: KeyTLSDaysLeft, Name: "Dias até o certificado TLS expirar", ValueType: typeFloat, Units: "d", Tags: map[string]string{"component": "tls"}},
	}
	for _, p := range probes {
		items = append(items,
			itemSpec{Key: key(KeyProbeOK, p), Name: "Sonda " + p + " bem-sucedida", ValueType: typeUnsigned, Tags: map[string]string{"component": "probe", "probe": p}},
			itemSpec{Key: key(KeyProbeDuration, p), Name: "Duração da sonda " + p, ValueType: typeFloat, Units: "s", Tags: map[string]string{"component": "probe", "probe": p}},
		)
	}
	for _, r := range rules {
		items = append(items, alertItem(r))
	}
	return items
}

func alertItem(rule string) itemSpec {
	return itemSpec{Key: key(KeyAlert, rule), Name: "Alerta do vigia " + rule + " ativo", ValueType: typeUnsigned, Tags: map[string]string{"component": "alert", "vigia.rule": rule}}
}

// dynamicItem is the spec for a key first seen in a result (a step, a component, a module).
func dynamicItem(base, param string) itemSpec {
	switch base {
	case KeyStepDuration:
		return itemSpec{Key: key(base, param), Name: "Duração do passo " + param + " da transação sintética", ValueType: typeFloat, Units: "s", Tags: map[string]string{"component": "synthetic", "step": param}}
	case KeyDrift:
		return itemSpec{Key: key(base, param), Name: "Desvio de versão de " + param, ValueType: typeFloat, ValueMap: driftValueMapName, Tags: map[string]string{"component": "version", "sei.component": param}}
	case KeyModuleUp:
		return itemSpec{Key: key(base, param), Name: "Módulo " + param + " respondendo", ValueType: typeUnsigned, Tags: map[string]string{"component": "module", "module": param}}
	case KeyVersion:
		return itemSpec{Key: key(base, param), Name: "Versão de " + param, ValueType: typeChar, Tags: map[string]string{"component": "version", "sei.component": param}}
	}
	panic("zabbix: unknown dynamic item " + base)
}

// value is one sender-protocol value.
type value struct {
	Host  string `json:"host"`
	Key   string `json:"key"`
	Value string `json:"value"`
	Clock int64  `json:"clock"`
	NS    int64  `json:"ns"`
	// dyn names the dynamic item this value needs provisioned (base key and parameter).
	dynBase, dynParam string
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func boolNum(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// observations turns one probe result into values; now is used for relative quantities (days
// left) and the clock is the result's start, when vigia saw it.
func observations(host string, r probe.Result, now time.Time) []value {
	clock := r.Start
	if clock.IsZero() {
		clock = now
	}
	mk := func(k, v string) value {
		return value{Host: host, Key: k, Value: v, Clock: clock.Unix(), NS: int64(clock.Nanosecond())}
	}
	var out []value
	if r.Probe != "" {
		out = append(out, mk(key(KeyProbeOK, r.Probe), boolNum(r.OK)), mk(key(KeyProbeDuration, r.Probe), num(r.Duration.Seconds())))
	}
	if r.Probe == probe.Health || r.Probe == probe.HTTP {
		out = append(out, mk(KeyUp, boolNum(r.OK)), mk(KeyLatency, num(r.Duration.Seconds())))
	}
	if exp, ok := r.Values["tls_cert_expiry_timestamp_seconds"]; ok && exp > 0 {
		days := (exp - float64(now.Unix())) / 86400
		out = append(out, mk(KeyTLSDaysLeft, strconv.FormatFloat(days, 'f', 2, 64)))
	}
	for _, s := range r.Steps {
		if s.Name == "" {
			continue
		}
		v := mk(key(KeyStepDuration, s.Name), num(s.Duration.Seconds()))
		v.dynBase, v.dynParam = KeyStepDuration, s.Name
		out = append(out, v)
	}
	for _, d := range r.Drift {
		lv, ok := DriftValue[d.Level]
		if d.Component == "" || !ok {
			continue
		}
		v := mk(key(KeyDrift, d.Component), num(lv))
		v.dynBase, v.dynParam = KeyDrift, d.Component
		out = append(out, v)
	}
	for _, m := range r.Modules {
		if m.Name == "" || m.Up == nil {
			continue
		}
		v := mk(key(KeyModuleUp, m.Name), boolNum(*m.Up))
		v.dynBase, v.dynParam = KeyModuleUp, m.Name
		out = append(out, v)
	}
	for _, cv := range r.Versions {
		if cv.Component == "" || cv.Version == "" {
			continue
		}
		v := mk(key(KeyVersion, cv.Component), cv.Version)
		v.dynBase, v.dynParam = KeyVersion, cv.Component
		out = append(out, v)
	}
	return out
}

func (v value) String() string { return fmt.Sprintf("%s %s=%s", v.Host, v.Key, v.Value) }
