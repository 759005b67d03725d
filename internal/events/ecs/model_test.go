package ecs

import (
	"encoding/json"
	"flag"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/collectors/probe"
)

var update = flag.Bool("update", false, "rewrite the field table in docs/events.md")

const secret = "s3nh@-secreta"

var t0 = time.Date(2026, 11, 23, 14, 5, 0, 123000000, time.UTC)

func fullResult() probe.Result {
	return probe.Result{
		ID: "9f2c4e0b7d1a4c3e8b6f5a2d1c0e9f8a",
		Target: probe.Target{Name: "mgi-prod", URL: "https://monitor:" + secret + "@sei.exemplo.gov.br:8443/?token=" + secret,
			Owner: "MGI", Environment: "prod", Labels: map[string]string{"cloud": "a", "team.name": "sei"},
			Credentials: probe.Credentials{Username: "monitor", Password: secret}, Source: "static"},
		Probe: probe.Synthetic, Start: t0, Duration: 900 * time.Millisecond, Error: "login falhou: HTTP status 500",
		State: probe.StateDown,
		Values: map[string]float64{"http_status_code": 500, "tls_cert_expiry_timestamp_seconds": 1803859200,
			"timeout": 1, "production_mode": math.NaN()},
		Phases: map[string]time.Duration{"dns": time.Millisecond, "first_byte": 98 * time.Millisecond},
		Versions: []probe.ComponentVersion{{Component: "sei", Version: "4.0.12", Source: "asset_suffix", Confidence: "exact"},
			{Component: "sip", Version: "3.0.2", Source: "page_title"}, {Component: "infra", Version: "2.0.15", Source: "asset_suffix"},
			{Component: "mod-wssei", Version: "3.0.1", Source: "wssei_api", Confidence: "exact"}},
		Drift: []probe.Drift{{Component: "sei", Observed: "4.0.12", Desired: "4.1.0", Level: "minor", Against: "desired"},
			{Component: "mod-wssei", Observed: "3.0.1", Desired: "3.0.1", Level: "none", Against: "latest"}},
		Modules: []probe.Module{{Name: "mod-wssei", Version: "3.0.1", Desired: "3.0.2", Up: probe.BoolPtr(false), Compatible: probe.BoolPtr(false), Detail: "HTTP 500"},
			{Name: "mod-sei-pen", Version: "4.0.3"}},
		Steps: []probe.Step{{Name: "entry", Duration: 200 * time.Millisecond, OK: true, Status: 200},
			{Name: "login", Duration: 700 * time.Millisecond, Status: 500, Error: "HTTP status 500"}},
		Evidence: &probe.Evidence{Step: "login", URL: "https://sei.exemplo.gov.br/sip/login.php?infra_hash=" + secret, Status: 500, Excerpt: "Erro"},
	}
}

func fullAlert() alerting.Alert {
	v := 7.2
	return alerting.Alert{
		Fingerprint: "3fa2c1d0e9b8a7f6",
		Labels: map[string]string{"alertname": "SEIDown", "instance": "mgi-prod", "severity": "critical", "probe": "health",
			"owner": "MGI", "environment": "prod", "cloud": "a"},
		Annotations: map[string]string{"summary": "SEI mgi-prod fora do ar", "description": "HTTP 503"},
		State:       alerting.StateResolved, ActiveAt: t0, StartsAt: t0.Add(2 * time.Minute), EndsAt: t0.Add(17 * time.Minute),
		Value: &v, Evidence: &probe.Evidence{URL: "https://u:" + secret + "@sei.exemplo.gov.br/sei/", Status: 503, Step: "entry", Excerpt: "x"},
		Silenced: true, GeneratorURL: "https://vigia.exemplo/instances/mgi-prod",
	}
}

func samples(t *testing.T) []Event {
	t.Helper()
	enc := NewEncoder(Observer{Hostname: "vigia-0", Version: "1.0.0"}, "prod")
	evs, err := enc.Result(nil, fullResult())
	if err != nil {
		t.Fatal(err)
	}
	ok := probe.Result{ID: "ok1", Target: probe.Target{Name: "x", URL: "http://x/"}, Probe: probe.Modules, Start: t0, Duration: time.Second, OK: true}
	if evs, err = enc.Result(evs, ok); err != nil {
		t.Fatal(err)
	}
	al, err := enc.Alert(fullAlert())
	if err != nil {
		t.Fatal(err)
	}
	lg, err := enc.Log(t0, slog.LevelError, "notificação falhou", []slog.Attr{slog.String("receiver", "owner-mail"),
		slog.String("instance", "mgi-prod"), slog.Any("err", "dial tcp: refused"), slog.Group("smtp", slog.Int("code", 451))})
	if err != nil {
		t.Fatal(err)
	}
	return append(evs, al, lg)
}

// leaves flattens a document into dotted paths of its leaf values (array elements share their
// array's path, as Elasticsearch maps them).
func leaves(prefix string, v any, out map[string][]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			leaves(p, c, out)
		}
	case []any:
		for _, c := range x {
			leaves(prefix, c, out)
		}
	default:
		out[prefix] = append(out[prefix], x)
	}
}

func docLeaves(t *testing.T, ev Event) map[string][]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(ev.Doc, &m); err != nil {
		t.Fatalf("event %s is not JSON: %v", ev.ID, err)
	}
	out := map[string][]any{}
	leaves("", m, out)
	return out
}

func jsonTypeFits(typ string, v any) bool {
	switch v := v.(type) {
	case string:
		switch typ {
		case "keyword", "constant_keyword", "match_only_text", "text":
			return true
		case "date":
			_, err := time.Parse(time.RFC3339Nano, v)
			return err == nil
		}
	case float64:
		return typ == "long" || typ == "double"
	case bool:
		return typ == "boolean"
	}
	return false
}

// The Kibana objects of a later issue rely on this: every field an event carries is in the
// template's mapping with a type that fits its value.
func TestEveryEmittedFieldIsMapped(t *testing.T) {
	for _, ev := range samples(t) {
		for path, vals := range docLeaves(t, ev) {
			f, ok := Lookup(path)
			if !ok {
				t.Errorf("%s event %s: field %s is not in ecs.Fields (nor docs/events.md, nor the mapping)", ev.Dataset, ev.ID, path)
				continue
			}
			for _, v := range vals {
				if !jsonTypeFits(f.Type, v) {
					t.Errorf("field %s: value %#v does not fit mapping type %s", path, v, f.Type)
				}
			}
		}
	}
}

// And the other way round: no documented field is stale.
func TestEveryDocumentedFieldIsEmitted(t *testing.T) {
	seen := map[string]bool{}
	for _, ev := range samples(t) {
		for path := range docLeaves(t, ev) {
			seen[path] = true
			if f, ok := Lookup(path); ok {
				seen[f.Name] = true
			}
		}
	}
	for _, f := range Fields {
		if !seen[f.Name] {
			t.Errorf("documented field %s is never emitted by the sample events", f.Name)
		}
	}
}

func TestMappingHasEveryFieldWithItsType(t *testing.T) {
	m := Mappings()
	for _, f := range Fields {
		if f.Dynamic() {
			continue
		}
		node := m
		for _, part := range strings.Split(f.Name, ".") {
			props, ok := node["properties"].(map[string]any)
			if !ok {
				t.Fatalf("%s: no properties above %s", f.Name, part)
			}
			if node, ok = props[part].(map[string]any); !ok {
				t.Fatalf("%s: %s missing from the mapping", f.Name, part)
			}
		}
		if node["type"] != f.Type {
			t.Errorf("%s mapped as %v, want %s", f.Name, node["type"], f.Type)
		}
	}
	var patterns []string
	for _, d := range m["dynamic_templates"].([]any) {
		for _, body := range d.(map[string]any) {
			patterns = append(patterns, body.(map[string]any)["path_match"].(string))
		}
	}
	sort.Strings(patterns)
	want := []string{"labels.*", "sei.alert.annotations.*", "sei.log.attrs.*", "sei.phase.*", "sei.values.*"}
	if strings.Join(patterns, " ") != strings.Join(want, " ") {
		t.Errorf("dynamic templates %v, want %v", patterns, want)
	}
}

func TestProbeRunDocument(t *testing.T) {
	evs := samples(t)
	run := docLeaves(t, evs[0])
	want := map[string]any{
		"@timestamp":                "2026-11-23T14:05:00.123Z",
		"event.id":                  "9f2c4e0b7d1a4c3e8b6f5a2d1c0e9f8a",
		"event.kind":                "event",
		"event.outcome":             "failure",
		"event.duration":            float64(900 * time.Millisecond),
		"event.dataset":             "vigia.probe",
		"data_stream.namespace":     "prod",
		"service.name":              "mgi-prod",
		"service.version":           "4.0.12",
		"url.full":                  "https://sei.exemplo.gov.br:8443/?token=xxxxx",
		"url.port":                  float64(8443),
		"http.response.status_code": float64(500),
		"tls.server.not_after":      "2027-03-01T00:00:00Z",
		"error.type":                "timeout",
		"labels.owner":              "MGI",
		"labels.environment":        "prod",
		"labels.cloud":              "a",
		"labels.team_name":          "sei",
		"sei.instance":              "mgi-prod",
		"sei.version.sei":           "4.0.12",
		"sei.drift.level":           "minor",
		"sei.module.count":          float64(2),
		"sei.module.down":           "mod-wssei",
		"sei.synthetic.step.failed": "login",
		"sei.phase.first_byte":      float64(98 * time.Millisecond),
		"observer.version":          "1.0.0",
	}
	for k, w := range want {
		if got := run[k]; len(got) != 1 || got[0] != w {
			t.Errorf("%s = %v, want %v", k, got, w)
		}
	}
	if _, ok := run["sei.values.production_mode"]; ok {
		t.Error("NaN value emitted")
	}
	// One event per step, with ids that replays reproduce.
	if len(evs) < 3 || evs[1].ID != evs[0].ID+"-s0" || evs[2].ID != evs[0].ID+"-s1" {
		t.Fatalf("step events: %d events, ids %v %v", len(evs), evs[1].ID, evs[2].ID)
	}
	step := docLeaves(t, evs[2])
	if step["sei.synthetic.step.name"][0] != "login" || step["event.outcome"][0] != "failure" ||
		step["@timestamp"][0] != "2026-11-23T14:05:00.323Z" || step["sei.synthetic.run_id"][0] != evs[0].ID {
		t.Errorf("step event: %v", step)
	}
}

func TestNoSecretInAnyEvent(t *testing.T) {
	for _, ev := range samples(t) {
		if strings.Contains(string(ev.Doc), secret) || strings.Contains(string(ev.Doc), "monitor:") {
			t.Errorf("%s event leaks a credential: %s", ev.Dataset, ev.Doc)
		}
	}
}

func TestAlertIDIsDeterministicPerStateChange(t *testing.T) {
	enc := NewEncoder(Observer{}, "default")
	a := fullAlert()
	e1, _ := enc.Alert(a)
	e2, _ := enc.Alert(a)
	if e1.ID != e2.ID || e1.ID != "3fa2c1d0e9b8a7f6-resolved-"+itoa(a.EndsAt.UnixNano()) {
		t.Errorf("ids %s %s", e1.ID, e2.ID)
	}
	a.State = alerting.StateFiring
	e3, _ := enc.Alert(a)
	if e3.ID == e1.ID || !e3.Time.Equal(a.StartsAt) {
		t.Errorf("firing id %s time %v", e3.ID, e3.Time)
	}
	doc := docLeaves(t, e1)
	if doc["event.duration"][0] != float64(15*time.Minute) || doc["rule.name"][0] != "SEIDown" ||
		doc["message"][0] != "SEI mgi-prod fora do ar" || doc["event.kind"][0] != "alert" {
		t.Errorf("alert doc %v", doc)
	}
	if _, err := enc.Alert(alerting.Alert{Fingerprint: "x", State: alerting.StatePending}); err == nil {
		t.Error("alert without any timestamp encoded")
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestRecordRoundTrip(t *testing.T) {
	ev := Event{ID: "abc", Dataset: DatasetAlert, Doc: []byte(`{"a":1}`)}
	b, err := AppendRecord([]byte("prefix"), ev)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseRecord(b[len("prefix"):])
	if err != nil || got.ID != "abc" || got.Dataset != DatasetAlert || string(got.Doc) != `{"a":1}` {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for _, bad := range [][]byte{nil, {9, 1, 'x', '{', '}'}, {1, 10, 'x'}} {
		if _, err := ParseRecord(bad); err == nil {
			t.Errorf("malformed record %v accepted", bad)
		}
	}
	if _, err := AppendRecord(nil, Event{ID: strings.Repeat("x", 256), Dataset: DatasetProbe}); err == nil {
		t.Error("overlong id accepted")
	}
}

// docs/events.md carries the rendered field table; go test ./internal/events/ecs -update rewrites it.
func TestDocsFieldTableIsCurrent(t *testing.T) {
	path := filepath.Join("..", "..", "..", "docs", "events.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	const begin, end = "<!-- fields:begin -->\n", "<!-- fields:end -->"
	doc := string(b)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the %q ... %q markers", path, begin, end)
	}
	table := MarkdownTable()
	if doc[i+len(begin):j] == table {
		return
	}
	if !*update {
		t.Fatalf("the field table in %s is out of date: run go test ./internal/events/ecs -update", path)
	}
	doc = doc[:i+len(begin)] + table + doc[j:]
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
}
