package ecs

import (
	"bytes"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/collectors/probe"
)

// encoders returns the hand encoder and the encoding/json one it must match.
func encoders() (hand, std *Encoder) {
	hand = NewEncoder(Observer{Hostname: "vigia-0", Version: "1.0.0"}, "prod")
	std = NewEncoder(Observer{Hostname: "vigia-0", Version: "1.0.0"}, "prod")
	std.stdJSON = true
	return hand, std
}

func sameEvents(t *testing.T, what string, hand, std []Event, herr, serr error) {
	t.Helper()
	if (herr == nil) != (serr == nil) {
		t.Fatalf("%s: hand encoder error %v, encoding/json error %v", what, herr, serr)
	}
	if len(hand) != len(std) {
		t.Fatalf("%s: %d events, encoding/json %d", what, len(hand), len(std))
	}
	for i := range hand {
		if !bytes.Equal(hand[i].Doc, std[i].Doc) {
			t.Fatalf("%s: event %d differs from encoding/json\nhand: %s\nstd:  %s", what, i, hand[i].Doc, std[i].Doc)
		}
	}
}

// Awkward text for every string field: markup, quotes, control characters, invalid UTF-8, the
// line separators JavaScript chokes on, accents.
var awkward = []string{"", "Usuário <b>&amp;</b> \"x\" \\ /", "a\x00b\x01\x1f\b\f\n\r\t", "bad \xff\xfe utf8 \xe1",
	"sep \u2028 \u2029", "ação çÇ ñ 😀"}

func TestHandJSONMatches(t *testing.T) {
	hand, std := encoders()
	results := []probe.Result{fullResult(), {ID: "empty", Start: t0}}
	for i, s := range awkward {
		r := fullResult()
		r.ID = "awk" + string(rune('a'+i))
		r.Error, r.State, r.Target.Name, r.Target.Environment = s, s, s, s
		r.Target.Labels = map[string]string{s: s, "k." + s: s}
		r.Versions[0].Version, r.Modules[0].Detail, r.Modules[1].Name = s, s, s
		r.Drift[0].Observed, r.Steps[1].Error, r.Evidence.Excerpt = s, s, s
		r.Values = map[string]float64{s: 1, "z": math.Copysign(0, -1), "tiny": 1e-7, "big": 1e21, "frac": 123.456, "neg": -2.5e-9, "int": 1803859200}
		r.OK = i%2 == 0
		results = append(results, r)
	}
	noModules := fullResult()
	noModules.Modules, noModules.Probe = nil, probe.Modules
	results = append(results, noModules)
	for _, r := range results {
		sameAsOracle(t, hand, "result "+r.ID, r)
	}

	alerts := []alerting.Alert{fullAlert(), {Fingerprint: "f", State: alerting.StateFiring, ActiveAt: t0}}
	for _, s := range awkward {
		a := fullAlert()
		a.Annotations = map[string]string{"summary": s, s: s}
		a.Labels["alertname"], a.GeneratorURL = s, s
		alerts = append(alerts, a)
	}
	for _, a := range alerts {
		h, herr := hand.Alert(a)
		s, serr := std.Alert(a)
		sameEvents(t, "alert "+a.Fingerprint, []Event{h}, []Event{s}, herr, serr)
	}

	attrs := []slog.Attr{slog.String("receiver", "owner-mail"), slog.String("instance", awkward[1]),
		slog.Any("err", "dial tcp: refused"), slog.Group("smtp", slog.Int("code", 451), slog.String("x", awkward[3]))}
	h, herr := hand.Log(t0, slog.LevelError, awkward[2], attrs)
	h.Doc = idless(h.Doc)
	s, serr := std.Log(t0, slog.LevelError, awkward[2], attrs)
	s.Doc = idless(s.Doc)
	sameEvents(t, "log", []Event{h}, []Event{s}, herr, serr)
}

// idless blanks a log event's random id.
func idless(doc []byte) []byte {
	i := bytes.Index(doc, []byte(`"event":{"id":"`))
	if i < 0 {
		return doc
	}
	i += len(`"event":{"id":"`)
	return append(append(bytes.Clone(doc[:i]), "ID"...), doc[i+32:]...)
}

// What json.Marshal refuses, the hand encoder refuses too: no document with garbage in it.
func TestHandJSONRefusesWhatEncodingJSONRefuses(t *testing.T) {
	hand, std := encoders()
	for _, tc := range []struct {
		name string
		mod  func(*alerting.Alert)
	}{
		{"year 10000", func(a *alerting.Alert) { a.StartsAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"negative year", func(a *alerting.Alert) { a.EndsAt = time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC) }},
	} {
		a := fullAlert()
		tc.mod(&a)
		_, herr := hand.Alert(a)
		_, serr := std.Alert(a)
		if herr == nil || serr == nil {
			t.Errorf("%s: hand error %v, encoding/json error %v: both must refuse", tc.name, herr, serr)
		}
	}
}

func FuzzHandJSON(f *testing.F) {
	for _, s := range awkward {
		f.Add(s, 1.5, int64(7))
	}
	f.Add("x", math.SmallestNonzeroFloat64, int64(-1))
	f.Add("y", math.MaxFloat64, int64(math.MaxInt64))
	f.Add("z", 1e-6, int64(0))
	hand, _ := encoders()
	f.Fuzz(func(t *testing.T, s string, v float64, n int64) {
		switch oracleFieldKey(s) {
		case "n", "http_status_code", "tls_cert_expiry_timestamp_seconds":
			t.Skip("two values under one key: the former encoder's pick depends on map order")
		}
		r := fullResult()
		r.Error, r.Target.Name, r.Modules[0].Detail, r.Steps[0].Name = s, s, s, s
		r.Target.Labels = map[string]string{s: s}
		r.Values = map[string]float64{s: v, "n": float64(n), "http_status_code": v, "tls_cert_expiry_timestamp_seconds": v}
		r.Phases = map[string]time.Duration{s: time.Duration(n)}
		r.Duration = time.Duration(n)
		r.Steps[1].Duration, r.Steps[1].Status, r.Steps[1].Error = time.Duration(n), int(n%1000), s
		r.Target.URL, r.Evidence.URL = s, s
		r.ID, r.Probe, r.State = s, s, s
		r.Versions[1].Component, r.Drift[1].Level, r.Modules[1].Name = s, s, s
		r.OK = n%2 == 0
		sameAsOracle(t, hand, "fuzzed result", r)
	})
}
