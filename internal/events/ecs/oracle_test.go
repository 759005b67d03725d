package ecs

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// The oracle: how Result built a probe run's documents before it wrote straight from the probe
// result (intermediate structs and maps, fmt.Sprintf, encoding/json), kept verbatim so the tests
// and the fuzzer can compare the two on any result, not only the golden table.

type oracleDoc struct {
	Timestamp  time.Time         `json:"@timestamp"`
	Message    string            `json:"message,omitempty"`
	ECS        ecsDoc            `json:"ecs"`
	DataStream dataStreamDoc     `json:"data_stream"`
	Event      eventDoc          `json:"event"`
	Service    *serviceDoc       `json:"service,omitempty"`
	URL        *oracleURL        `json:"url,omitempty"`
	HTTP       *oracleHTTP       `json:"http,omitempty"`
	TLS        *oracleTLS        `json:"tls,omitempty"`
	Error      *errorDoc         `json:"error,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	Observer   *observerDoc      `json:"observer"`
	SEI        *oracleSEI        `json:"sei,omitempty"`
}

type oracleURL struct {
	Full   string `json:"full"`
	Scheme string `json:"scheme,omitempty"`
	Domain string `json:"domain,omitempty"`
	Port   int    `json:"port,omitempty"`
	Path   string `json:"path,omitempty"`
}

type oracleHTTP struct {
	Response struct {
		StatusCode int `json:"status_code"`
	} `json:"response"`
}

type oracleTLS struct {
	Server struct {
		NotAfter time.Time `json:"not_after"`
	} `json:"server"`
}

type oracleSEI struct {
	Instance  string             `json:"instance,omitempty"`
	Probe     string             `json:"probe,omitempty"`
	State     string             `json:"state,omitempty"`
	Source    string             `json:"source,omitempty"`
	Version   *oracleVersion     `json:"version,omitempty"`
	Drift     *oracleDrift       `json:"drift,omitempty"`
	Module    *oracleModule      `json:"module,omitempty"`
	Synthetic *oracleSynthetic   `json:"synthetic,omitempty"`
	Values    map[string]float64 `json:"values,omitempty"`
	Phase     map[string]int64   `json:"phase,omitempty"`
	Evidence  *evidenceDoc       `json:"evidence,omitempty"`
}

type oracleVersion struct {
	SEI        string              `json:"sei,omitempty"`
	SIP        string              `json:"sip,omitempty"`
	Infra      string              `json:"infra,omitempty"`
	Source     string              `json:"source,omitempty"`
	Confidence string              `json:"confidence,omitempty"`
	Items      []oracleVersionItem `json:"items,omitempty"`
}

type oracleVersionItem struct {
	Component  string `json:"component"`
	Version    string `json:"version"`
	Source     string `json:"source,omitempty"`
	Confidence string `json:"confidence,omitempty"`
}

type oracleDrift struct {
	Level      string        `json:"level"`
	Components []string      `json:"components,omitempty"`
	Items      []probe.Drift `json:"items"`
}

type oracleModule struct {
	Count        int                `json:"count"`
	Names        []string           `json:"names,omitempty"`
	Down         []string           `json:"down,omitempty"`
	Incompatible []string           `json:"incompatible,omitempty"`
	Items        []oracleModuleItem `json:"items,omitempty"`
}

type oracleModuleItem struct {
	Name       string `json:"name"`
	Version    string `json:"version,omitempty"`
	Desired    string `json:"desired,omitempty"`
	Up         *bool  `json:"up,omitempty"`
	Compatible *bool  `json:"compatible,omitempty"`
	Detail     string `json:"detail,omitempty"`
}

type oracleSynthetic struct {
	RunID string     `json:"run_id,omitempty"`
	Step  oracleStep `json:"step"`
}

type oracleStep struct {
	Count    int      `json:"count,omitempty"`
	Failed   string   `json:"failed,omitempty"`
	Names    []string `json:"names,omitempty"`
	Name     string   `json:"name,omitempty"`
	Index    *int     `json:"index,omitempty"`
	OK       *bool    `json:"ok,omitempty"`
	Duration int64    `json:"duration,omitempty"`
	Status   int      `json:"status,omitempty"`
}

func oracleBase(e *Encoder, id string, ts time.Time) oracleDoc {
	d := DatasetProbe
	return oracleDoc{
		Timestamp:  ts.UTC(),
		ECS:        ecsDoc{Version: Version},
		DataStream: dataStreamDoc{Type: "logs", Dataset: d.String(), Namespace: e.namespace},
		Event:      eventDoc{ID: id, Dataset: d.String(), Module: "vigia"},
		Observer:   &e.obs,
	}
}

func oracleEncode(doc *oracleDoc) (Event, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return Event{}, fmt.Errorf("encode %s event %s: %w", DatasetProbe, doc.Event.ID, err)
	}
	return Event{ID: doc.Event.ID, Dataset: DatasetProbe, Time: doc.Timestamp, Doc: b}, nil
}

// oracleResult is the former Encoder.Result.
func oracleResult(e *Encoder, dst []Event, r probe.Result) ([]Event, error) {
	start := r.Start
	if start.IsZero() {
		start = time.Now()
	}
	doc := oracleBase(e, r.ID, start)
	doc.Event.Kind = "event"
	doc.Event.Category = web
	doc.Event.Action = r.Probe
	doc.Event.Duration = int64(r.Duration)
	doc.Event.Start = start.UTC()
	doc.Event.End = start.Add(r.Duration).UTC()
	t := r.Target
	doc.Service = &serviceDoc{Name: t.Name, Type: "sei", Environment: t.Environment}
	doc.URL = oracleParseURL(t.URL)
	doc.Labels = oracleTargetLabels(t)
	s := &oracleSEI{Instance: t.Name, Probe: r.Probe, State: r.State, Source: t.Source}
	doc.SEI = s
	if r.OK {
		doc.Event.Outcome, doc.Event.Type = "success", []string{"info"}
		doc.Message = fmt.Sprintf("sonda %s em %s: sucesso em %d ms", r.Probe, t.Name, r.Duration.Milliseconds())
	} else {
		doc.Event.Outcome, doc.Event.Type = "failure", []string{"error"}
		doc.Error = &errorDoc{Message: r.Error}
		if r.Values["timeout"] == 1 {
			doc.Error.Type = "timeout"
		}
		doc.Message = fmt.Sprintf("sonda %s em %s: falha: %s", r.Probe, t.Name, r.Error)
	}
	if code, ok := r.Values["http_status_code"]; ok && code > 0 {
		doc.HTTP = &oracleHTTP{}
		doc.HTTP.Response.StatusCode = int(code)
	}
	if exp, ok := r.Values["tls_cert_expiry_timestamp_seconds"]; ok && exp > 0 && !math.IsInf(exp, 0) {
		doc.TLS = &oracleTLS{}
		doc.TLS.Server.NotAfter = time.Unix(int64(exp), 0).UTC()
	}
	for k, v := range r.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		if s.Values == nil {
			s.Values = make(map[string]float64, len(r.Values))
		}
		s.Values[oracleFieldKey(k)] = v
	}
	if len(r.Phases) > 0 {
		s.Phase = make(map[string]int64, len(r.Phases))
		for k, v := range r.Phases {
			s.Phase[oracleFieldKey(k)] = int64(v)
		}
	}
	s.Version = oracleVersions(r.Versions)
	if s.Version != nil && s.Version.SEI != "" {
		doc.Service.Version = s.Version.SEI
	}
	s.Drift = oracleDriftOf(r.Drift)
	if len(r.Modules) > 0 || r.Probe == probe.Modules {
		s.Module = oracleModules(r.Modules)
	}
	if r.Evidence != nil {
		s.Evidence = oracleEvidence(r.Evidence)
	}
	if len(r.Steps) > 0 {
		sum := &oracleSynthetic{Step: oracleStep{Count: len(r.Steps)}}
		for _, st := range r.Steps {
			sum.Step.Names = append(sum.Step.Names, st.Name)
			if !st.OK && sum.Step.Failed == "" {
				sum.Step.Failed = st.Name
			}
		}
		s.Synthetic = sum
	}
	ev, err := oracleEncode(&doc)
	if err != nil {
		return dst, err
	}
	dst = append(dst, ev)

	at := start
	for i, st := range r.Steps {
		sd := oracleBase(e, r.ID+"-s"+strconv.Itoa(i), at)
		sd.Event.Kind = "event"
		sd.Event.Category = web
		sd.Event.Action = "synthetic_step"
		sd.Event.Duration = int64(st.Duration)
		sd.Event.Start = at.UTC()
		sd.Event.End = at.Add(st.Duration).UTC()
		sd.Service, sd.URL, sd.Labels = doc.Service, doc.URL, doc.Labels
		idx, ok := i, st.OK
		sd.SEI = &oracleSEI{Instance: t.Name, Probe: r.Probe, Source: t.Source, Synthetic: &oracleSynthetic{
			RunID: r.ID, Step: oracleStep{Name: st.Name, Index: &idx, OK: &ok, Duration: int64(st.Duration), Status: st.Status}}}
		if st.OK {
			sd.Event.Outcome, sd.Event.Type = "success", []string{"info"}
			sd.Message = fmt.Sprintf("passo %s da transação sintética em %s: sucesso em %d ms", st.Name, t.Name, st.Duration.Milliseconds())
		} else {
			sd.Event.Outcome, sd.Event.Type = "failure", []string{"error"}
			sd.Error = &errorDoc{Message: st.Error}
			sd.Message = fmt.Sprintf("passo %s da transação sintética em %s: falha: %s", st.Name, t.Name, st.Error)
		}
		if st.Status > 0 {
			sd.HTTP = &oracleHTTP{}
			sd.HTTP.Response.StatusCode = st.Status
		}
		ev, err := oracleEncode(&sd)
		if err != nil {
			return dst, err
		}
		dst = append(dst, ev)
		at = at.Add(st.Duration)
	}
	return dst, nil
}

func oracleFieldKey(k string) string {
	k = strings.TrimSpace(k)
	if !strings.ContainsAny(k, ". ") {
		return k
	}
	return strings.NewReplacer(".", "_", " ", "_").Replace(k)
}

func oracleTargetLabels(t probe.Target) map[string]string {
	if len(t.Labels) == 0 && t.Owner == "" && t.Environment == "" {
		return nil
	}
	m := make(map[string]string, len(t.Labels)+2)
	for k, v := range t.Labels {
		if k = oracleFieldKey(k); k != "" {
			m[k] = v
		}
	}
	if t.Owner != "" {
		m["owner"] = t.Owner
	}
	if t.Environment != "" {
		m["environment"] = t.Environment
	}
	return m
}

func oracleParseURL(raw string) *oracleURL {
	if raw == "" {
		return nil
	}
	safe := probe.SafeURL(raw)
	u, err := url.Parse(safe)
	if err != nil {
		return &oracleURL{Full: safe}
	}
	d := &oracleURL{Full: safe, Scheme: u.Scheme, Domain: u.Hostname(), Path: u.Path}
	if p := u.Port(); p != "" {
		d.Port, _ = strconv.Atoi(p)
	}
	return d
}

func oracleVersions(vs []probe.ComponentVersion) *oracleVersion {
	if len(vs) == 0 {
		return nil
	}
	d := &oracleVersion{Items: make([]oracleVersionItem, 0, len(vs))}
	for _, v := range vs {
		d.Items = append(d.Items, oracleVersionItem(v))
		switch v.Component {
		case "sei":
			d.SEI, d.Source, d.Confidence = v.Version, v.Source, v.Confidence
		case "sip":
			d.SIP = v.Version
		case "infra":
			d.Infra = v.Version
		}
	}
	return d
}

var oracleDriftRank = map[string]int{"none": 0, "unknown": 1, "ahead": 2, "patch": 3, "minor": 4, "major": 5}

func oracleDriftOf(ds []probe.Drift) *oracleDrift {
	if len(ds) == 0 {
		return nil
	}
	d := &oracleDrift{Level: "none", Items: ds}
	for _, x := range ds {
		if oracleDriftRank[x.Level] > oracleDriftRank[d.Level] {
			d.Level = x.Level
		}
		if x.Level != "none" {
			d.Components = append(d.Components, x.Component)
		}
	}
	return d
}

func oracleModules(ms []probe.Module) *oracleModule {
	d := &oracleModule{Count: len(ms)}
	for _, m := range ms {
		d.Names = append(d.Names, m.Name)
		if m.Up != nil && !*m.Up {
			d.Down = append(d.Down, m.Name)
		}
		if m.Compatible != nil && !*m.Compatible {
			d.Incompatible = append(d.Incompatible, m.Name)
		}
		d.Items = append(d.Items, oracleModuleItem{Name: m.Name, Version: m.Version, Desired: m.Desired,
			Up: m.Up, Compatible: m.Compatible, Detail: m.Detail})
	}
	sort.Strings(d.Names)
	return d
}

func oracleEvidence(ev *probe.Evidence) *evidenceDoc {
	d := &evidenceDoc{Step: ev.Step, Status: ev.Status, Excerpt: ev.Excerpt}
	if ev.URL != "" {
		d.URL = probe.SafeURL(ev.URL)
	}
	return d
}
