package ecs

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/collectors/probe"
)

// Version is the ECS version the documents follow.
const Version = "8.11.0"

// Dataset says which data stream an event belongs to.
type Dataset uint8

// Datasets. The numbers are stored in the disk buffer: never renumber.
const (
	DatasetProbe Dataset = 1
	DatasetAlert Dataset = 2
	DatasetLog   Dataset = 3
)

// Datasets lists every dataset, in the order above.
var Datasets = []Dataset{DatasetProbe, DatasetAlert, DatasetLog}

// String returns the ECS dataset name (vigia.probe, ...).
func (d Dataset) String() string {
	switch d {
	case DatasetProbe:
		return "vigia.probe"
	case DatasetAlert:
		return "vigia.alert"
	case DatasetLog:
		return "vigia.log"
	}
	return "vigia.unknown"
}

// Short is the dataset without the vigia. prefix, for metric labels.
func (d Dataset) Short() string { return strings.TrimPrefix(d.String(), "vigia.") }

// Valid reports whether d is a known dataset.
func (d Dataset) Valid() bool { return d >= DatasetProbe && d <= DatasetLog }

// DataStream is the data stream an event of dataset d is written to.
func DataStream(d Dataset, namespace string) string {
	return "logs-" + d.String() + "-" + namespace
}

// Event is one encoded document.
type Event struct {
	ID      string
	Dataset Dataset
	Time    time.Time
	Doc     []byte
}

// Observer describes the vigia process that produced the events.
type Observer struct {
	Hostname string
	Version  string
}

// Encoder builds documents. It is safe for concurrent use.
type Encoder struct {
	obs        observerDoc
	namespace  string
	dataStream map[Dataset]dataStreamDoc
	// stdJSON encodes with encoding/json instead of json.go: the reference the tests compare with.
	stdJSON bool
	// scratch holds the buffers documents are written into before the exact-size copy an Event
	// keeps: growing a fresh buffer to a 3 KB document allocated 7 KB on the way.
	scratch sync.Pool // of *[]byte
	// probeHead and observer are the parts of every probe document that depend only on the
	// encoder, written once: probeHead runs from ,"ecs" to the event id's name, observer is
	// ,"observer":{...}.
	probeHead, observer []byte
}

// NewEncoder returns an encoder for documents of the given namespace.
func NewEncoder(obs Observer, namespace string) *Encoder {
	e := &Encoder{
		obs: observerDoc{Hostname: obs.Hostname, Name: obs.Hostname, Type: "synthetic-monitor",
			Vendor: "vigia", Product: "vigia", Version: obs.Version},
		namespace:  namespace,
		dataStream: map[Dataset]dataStreamDoc{},
	}
	for _, d := range Datasets {
		e.dataStream[d] = dataStreamDoc{Type: "logs", Dataset: d.String(), Namespace: namespace}
	}
	w := jw{b: []byte(`,"ecs":{"version":"` + Version + `"},"data_stream":`)}
	e.dataStream[DatasetProbe].appendJSON(&w)
	e.probeHead = append(w.b, `,"event":{"id":`...)
	w = jw{b: []byte(`,"observer":`)}
	e.obs.appendJSON(&w)
	e.observer = w.b
	return e
}

type document struct {
	Timestamp  time.Time         `json:"@timestamp"`
	Message    string            `json:"message,omitempty"`
	ECS        ecsDoc            `json:"ecs"`
	DataStream dataStreamDoc     `json:"data_stream"`
	Event      eventDoc          `json:"event"`
	Service    *serviceDoc       `json:"service,omitempty"`
	Error      *errorDoc         `json:"error,omitempty"`
	Rule       *ruleDoc          `json:"rule,omitempty"`
	Log        *logDoc           `json:"log,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	Observer   *observerDoc      `json:"observer"`
	SEI        *seiDoc           `json:"sei,omitempty"`
}

type ecsDoc struct {
	Version string `json:"version"`
}

type dataStreamDoc struct {
	Type      string `json:"type"`
	Dataset   string `json:"dataset"`
	Namespace string `json:"namespace"`
}

type eventDoc struct {
	ID       string    `json:"id"`
	Kind     string    `json:"kind"`
	Category []string  `json:"category,omitempty"`
	Type     []string  `json:"type,omitempty"`
	Outcome  string    `json:"outcome,omitempty"`
	Action   string    `json:"action,omitempty"`
	Dataset  string    `json:"dataset"`
	Module   string    `json:"module"`
	Duration int64     `json:"duration,omitempty"`
	Start    time.Time `json:"start,omitzero"`
	End      time.Time `json:"end,omitzero"`
}

type serviceDoc struct {
	Name        string `json:"name,omitempty"`
	Type        string `json:"type"`
	Environment string `json:"environment,omitempty"`
	Version     string `json:"version,omitempty"`
}

type errorDoc struct {
	Message string `json:"message,omitempty"`
	Type    string `json:"type,omitempty"`
}

type ruleDoc struct {
	Name string `json:"name"`
}

type logDoc struct {
	Level  string `json:"level"`
	Logger string `json:"logger"`
}

type observerDoc struct {
	Hostname string `json:"hostname,omitempty"`
	Name     string `json:"name,omitempty"`
	Type     string `json:"type"`
	Vendor   string `json:"vendor"`
	Product  string `json:"product"`
	Version  string `json:"version,omitempty"`
}

type seiDoc struct {
	Instance string       `json:"instance,omitempty"`
	Probe    string       `json:"probe,omitempty"`
	Evidence *evidenceDoc `json:"evidence,omitempty"`
	Alert    *alertDoc    `json:"alert,omitempty"`
	Log      *seiLogDoc   `json:"log,omitempty"`
}

type evidenceDoc struct {
	Step    string `json:"step,omitempty"`
	URL     string `json:"url,omitempty"`
	Status  int    `json:"status,omitempty"`
	Excerpt string `json:"excerpt,omitempty"`
}

type alertDoc struct {
	Fingerprint  string            `json:"fingerprint"`
	Name         string            `json:"name,omitempty"`
	State        string            `json:"state"`
	Severity     string            `json:"severity,omitempty"`
	ActiveAt     time.Time         `json:"active_at,omitzero"`
	StartsAt     time.Time         `json:"starts_at,omitzero"`
	EndsAt       time.Time         `json:"ends_at,omitzero"`
	Value        *float64          `json:"value,omitempty"`
	Silenced     bool              `json:"silenced"`
	Inhibited    bool              `json:"inhibited"`
	GeneratorURL string            `json:"generator_url,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

type seiLogDoc struct {
	Attrs map[string]string `json:"attrs,omitempty"`
}

func (e *Encoder) base(d Dataset, id string, ts time.Time) document {
	return document{
		Timestamp:  ts.UTC(),
		ECS:        ecsDoc{Version: Version},
		DataStream: e.dataStream[d],
		Event:      eventDoc{ID: id, Dataset: d.String(), Module: "vigia"},
		Observer:   &e.obs,
	}
}

// getScratch and putScratch lend the buffers documents are written into before their copy.
func (e *Encoder) getScratch() *[]byte {
	if bp, _ := e.scratch.Get().(*[]byte); bp != nil {
		return bp
	}
	return new([]byte)
}

func (e *Encoder) putScratch(bp *[]byte, b []byte) {
	if cap(b) <= 64<<10 {
		*bp = b
		e.scratch.Put(bp)
	}
}

func (e *Encoder) encode(d Dataset, doc *document) (Event, error) {
	var b []byte
	var err error
	if e.stdJSON {
		b, err = json.Marshal(doc)
	} else {
		bp := e.getScratch()
		w := jw{b: (*bp)[:0]}
		doc.appendJSON(&w)
		b, err = bytes.Clone(w.b), w.err
		e.putScratch(bp, w.b)
	}
	if err != nil {
		return Event{}, fmt.Errorf("encode %s event %s: %w", d, doc.Event.ID, err)
	}
	return Event{ID: doc.Event.ID, Dataset: d, Time: doc.Timestamp, Doc: b}, nil
}

var web = []string{"web"}

// AlertID is the deterministic id of an alert state change: the same change reported twice (a
// replay, a repeat notification) is the same document.
func AlertID(a alerting.Alert) string {
	return a.Fingerprint + "-" + a.State + "-" + strconv.FormatInt(alertTime(a).UnixNano(), 10)
}

func alertTime(a alerting.Alert) time.Time {
	var t time.Time
	switch a.State {
	case alerting.StateFiring:
		t = a.StartsAt
	case alerting.StateResolved:
		t = a.EndsAt
	}
	if t.IsZero() {
		t = a.ActiveAt
	}
	return t
}

// Alert encodes one alert state change.
func (e *Encoder) Alert(a alerting.Alert) (Event, error) {
	ts := alertTime(a)
	if ts.IsZero() {
		return Event{}, fmt.Errorf("encode alert %s (%s): it has no timestamp, so it cannot get a stable id", a.Name(), a.Fingerprint)
	}
	doc := e.base(DatasetAlert, AlertID(a), ts)
	doc.Event.Kind = "alert"
	doc.Event.Category = web
	doc.Event.Action = a.State
	switch a.State {
	case alerting.StateFiring:
		doc.Event.Type = []string{"start"}
	case alerting.StateResolved:
		doc.Event.Type = []string{"end"}
	default:
		doc.Event.Type = []string{"info"}
	}
	begin := a.StartsAt
	if begin.IsZero() {
		begin = a.ActiveAt
	}
	if !begin.IsZero() {
		doc.Event.Start = begin.UTC()
	}
	if a.State == alerting.StateResolved && !a.EndsAt.IsZero() {
		doc.Event.End = a.EndsAt.UTC()
		if !a.StartsAt.IsZero() && a.EndsAt.After(a.StartsAt) {
			doc.Event.Duration = int64(a.EndsAt.Sub(a.StartsAt))
		}
	}
	name, instance := a.Labels["alertname"], a.Labels["instance"]
	doc.Rule = &ruleDoc{Name: name}
	if instance != "" {
		doc.Service = &serviceDoc{Name: instance, Type: "sei", Environment: a.Labels["environment"]}
	}
	if len(a.Labels) > 0 {
		doc.Labels = make(map[string]string, len(a.Labels))
		for k, v := range a.Labels {
			if k = fieldKey(k); k != "" {
				doc.Labels[k] = v
			}
		}
	}
	al := &alertDoc{Fingerprint: a.Fingerprint, Name: name, State: a.State, Severity: a.Labels["severity"],
		ActiveAt: utc(a.ActiveAt), StartsAt: utc(a.StartsAt), EndsAt: utc(a.EndsAt),
		Silenced: a.Silenced, Inhibited: a.Inhibited, GeneratorURL: a.GeneratorURL}
	if a.Value != nil && !math.IsNaN(*a.Value) && !math.IsInf(*a.Value, 0) {
		v := *a.Value
		al.Value = &v
	}
	if len(a.Annotations) > 0 {
		al.Annotations = make(map[string]string, len(a.Annotations))
		for k, v := range a.Annotations {
			if k = fieldKey(k); k != "" {
				al.Annotations[k] = v
			}
		}
	}
	doc.SEI = &seiDoc{Instance: instance, Probe: a.Labels["probe"], Alert: al}
	if a.Evidence != nil {
		doc.SEI.Evidence = evidence(a.Evidence)
	}
	doc.Message = a.Annotations["summary"]
	if doc.Message == "" {
		doc.Message = fmt.Sprintf("alerta %s %s em %s", name, stateWord(a.State), instance)
	}
	return e.encode(DatasetAlert, &doc)
}

func stateWord(s string) string {
	switch s {
	case alerting.StateFiring:
		return "disparado"
	case alerting.StateResolved:
		return "resolvido"
	case alerting.StatePending:
		return "pendente"
	}
	return s
}

// Log encodes one of vigia's own log records. Attributes become sei.log.attrs.*; an attribute
// named err or error becomes error.message and one named instance becomes sei.instance.
func (e *Encoder) Log(t time.Time, level slog.Level, msg string, attrs []slog.Attr) (Event, error) {
	var rnd [16]byte
	_, _ = rand.Read(rnd[:])
	doc := e.base(DatasetLog, hex.EncodeToString(rnd[:]), t)
	doc.Event.Kind = "event"
	doc.Event.Action = "log"
	lv := "warn"
	doc.Event.Type = []string{"info"}
	if level >= slog.LevelError {
		lv = "error"
		doc.Event.Type = []string{"error"}
	}
	doc.Log = &logDoc{Level: lv, Logger: "vigia"}
	doc.Message = msg
	s := &seiDoc{}
	for _, a := range attrs {
		flattenAttr(&s.Log, "", a)
	}
	if s.Log != nil {
		for _, k := range []string{"err", "error"} {
			if v, ok := s.Log.Attrs[k]; ok {
				doc.Error = &errorDoc{Message: v}
				break
			}
		}
		s.Instance = s.Log.Attrs["instance"]
		doc.SEI = s
	}
	return e.encode(DatasetLog, &doc)
}

func flattenAttr(dst **seiLogDoc, prefix string, a slog.Attr) {
	v := a.Value.Resolve()
	key := a.Key
	if prefix != "" {
		key = prefix + "_" + key
	}
	if v.Kind() == slog.KindGroup {
		for _, g := range v.Group() {
			flattenAttr(dst, key, g)
		}
		return
	}
	if key = fieldKey(key); key == "" {
		return
	}
	if *dst == nil {
		*dst = &seiLogDoc{Attrs: map[string]string{}}
	}
	(*dst).Attrs[key] = v.String()
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// fieldKey makes a map key safe as one level of an Elasticsearch field name: a dot would turn
// it into an object path and collide with a sibling keyword.
func fieldKey(k string) string {
	k = strings.TrimSpace(k)
	for i := 0; i < len(k); i++ {
		if k[i] == '.' || k[i] == ' ' {
			return keyReplacer.Replace(k)
		}
	}
	return k
}

var keyReplacer = strings.NewReplacer(".", "_", " ", "_")

func evidence(ev *probe.Evidence) *evidenceDoc {
	d := &evidenceDoc{Step: ev.Step, Status: ev.Status, Excerpt: ev.Excerpt}
	if ev.URL != "" {
		d.URL = probe.SafeURL(ev.URL)
	}
	return d
}
