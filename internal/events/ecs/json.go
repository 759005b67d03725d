package ecs

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// json.go writes documents without reflection. Every probe run becomes one to ten documents, and
// at 10,000 instances encoding/json's reflection and map sorting were 5% of vigia's CPU. The
// output is byte for byte what encoding/json writes for the same document (field order, omitempty
// and omitzero, sorted map keys, HTML-safe string escaping, float format): TestHandJSONMatches and
// FuzzHandJSON compare the two.

var errUnsupported = errors.New("json: unsupported value (NaN, ±Inf, or a year outside 0–9999)")

// jw appends one JSON value; err keeps the first unsupported value met.
type jw struct {
	b   []byte
	err error
}

// obj writes the members of one object, commas included.
type obj struct {
	w *jw
	n int
}

func (w *jw) open() obj { w.b = append(w.b, '{'); return obj{w: w} }

func (o *obj) close() { o.w.b = append(o.w.b, '}') }

// key starts a member; k is a constant field name (nothing to escape).
func (o *obj) key(k string) *jw {
	if o.n > 0 {
		o.w.b = append(o.w.b, ',')
	}
	o.n++
	o.w.b = append(o.w.b, '"')
	o.w.b = append(o.w.b, k...)
	o.w.b = append(o.w.b, '"', ':')
	return o.w
}

func (o *obj) str(k, v string) { o.key(k).str(v) }

func (o *obj) strOmit(k, v string) {
	if v != "" {
		o.key(k).str(v)
	}
}

func (o *obj) intOmit(k string, v int64) {
	if v != 0 {
		o.key(k).int(v)
	}
}

func (o *obj) timeOmit(k string, t time.Time) {
	if !t.IsZero() {
		o.key(k).time(t)
	}
}

func (o *obj) strsOmit(k string, v []string) {
	if len(v) > 0 {
		o.key(k).strs(v)
	}
}

func (o *obj) boolPtrOmit(k string, v *bool) {
	if v != nil {
		o.key(k).bool(*v)
	}
}

func (w *jw) int(v int64) { w.b = strconv.AppendInt(w.b, v, 10) }

func (w *jw) bool(v bool) { w.b = strconv.AppendBool(w.b, v) }

func (w *jw) time(t time.Time) {
	if y := t.Year(); y < 0 || y >= 10000 {
		w.fail()
		return
	}
	w.b = append(w.b, '"')
	w.b = t.AppendFormat(w.b, time.RFC3339Nano)
	w.b = append(w.b, '"')
}

func (w *jw) fail() {
	if w.err == nil {
		w.err = errUnsupported
	}
	w.b = append(w.b, "null"...)
}

// float writes f as encoding/json does: the shortest representation, exponent form only for
// very small or large magnitudes, and a one-digit exponent without its leading zero.
func (w *jw) float(f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		w.fail()
		return
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(w.b, f, format, -1, 64)
	if format == 'e' {
		// e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	w.b = b
}

func (w *jw) strs(v []string) {
	if v == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, '[')
	for i, s := range v {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.str(s)
	}
	w.b = append(w.b, ']')
}

// sortedKeys returns m's keys in order, in buf when they fit.
func sortedKeys[V any](buf []string, m map[string]V) []string {
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// mapOmit writes m, keys sorted, unless it is empty.
func mapOmit[V any](o *obj, k string, m map[string]V, val func(*jw, V)) {
	if len(m) == 0 {
		return
	}
	var buf [32]string
	mo := o.key(k).open()
	for _, key := range sortedKeys(buf[:], m) {
		val(mo.mapKey(key), m[key])
	}
	mo.close()
}

func (o *obj) strMapOmit(k string, m map[string]string) { mapOmit(o, k, m, (*jw).str) }

// mapKey starts a member whose name is data (escaped).
func (o *obj) mapKey(k string) *jw {
	if o.n > 0 {
		o.w.b = append(o.w.b, ',')
	}
	o.n++
	o.w.str(k)
	o.w.b = append(o.w.b, ':')
	return o.w
}

const hexDigits = "0123456789abcdef"

// str writes s as encoding/json does by default: <, > and & escaped for HTML, invalid UTF-8 as
// U+FFFD, U+2028 and U+2029 escaped.
func (w *jw) str(s string) {
	w.b = append(w.b, '"')
	w.esc(s)
	w.b = append(w.b, '"')
}

// plain marks the ASCII bytes a JSON string carries as they are.
var plain = func() (t [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// esc writes the inside of str(s). Escaping works rune by rune and an ASCII byte never belongs
// to another rune's encoding, so pieces that meet at an ASCII byte (or at the ends) can be
// escaped one by one: the result is that of escaping them joined.
func (w *jw) esc(s string) {
	b := w.b
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	w.b = append(b, s[start:]...)
}

// appendJSON writes the document as encoding/json would marshal it.
func (d *document) appendJSON(w *jw) {
	o := w.open()
	o.key("@timestamp").time(d.Timestamp)
	o.strOmit("message", d.Message)
	e := o.key("ecs").open()
	e.str("version", d.ECS.Version)
	e.close()
	d.DataStream.appendJSON(o.key("data_stream"))
	d.Event.appendJSON(o.key("event"))
	if s := d.Service; s != nil {
		so := o.key("service").open()
		so.strOmit("name", s.Name)
		so.str("type", s.Type)
		so.strOmit("environment", s.Environment)
		so.strOmit("version", s.Version)
		so.close()
	}
	if er := d.Error; er != nil {
		eo := o.key("error").open()
		eo.strOmit("message", er.Message)
		eo.strOmit("type", er.Type)
		eo.close()
	}
	if r := d.Rule; r != nil {
		ro := o.key("rule").open()
		ro.str("name", r.Name)
		ro.close()
	}
	if l := d.Log; l != nil {
		lo := o.key("log").open()
		lo.str("level", l.Level)
		lo.str("logger", l.Logger)
		lo.close()
	}
	o.strMapOmit("labels", d.Labels)
	ow := o.key("observer")
	if ob := d.Observer; ob != nil {
		ob.appendJSON(ow)
	} else {
		ow.b = append(ow.b, "null"...)
	}
	if s := d.SEI; s != nil {
		s.appendJSON(o.key("sei"))
	}
	o.close()
}

func (ob *observerDoc) appendJSON(w *jw) {
	o := w.open()
	o.strOmit("hostname", ob.Hostname)
	o.strOmit("name", ob.Name)
	o.str("type", ob.Type)
	o.str("vendor", ob.Vendor)
	o.str("product", ob.Product)
	o.strOmit("version", ob.Version)
	o.close()
}

func (d dataStreamDoc) appendJSON(w *jw) {
	o := w.open()
	o.str("type", d.Type)
	o.str("dataset", d.Dataset)
	o.str("namespace", d.Namespace)
	o.close()
}

func (e *eventDoc) appendJSON(w *jw) {
	o := w.open()
	o.str("id", e.ID)
	o.str("kind", e.Kind)
	o.strsOmit("category", e.Category)
	o.strsOmit("type", e.Type)
	o.strOmit("outcome", e.Outcome)
	o.strOmit("action", e.Action)
	o.str("dataset", e.Dataset)
	o.str("module", e.Module)
	o.intOmit("duration", e.Duration)
	o.timeOmit("start", e.Start)
	o.timeOmit("end", e.End)
	o.close()
}

func (s *seiDoc) appendJSON(w *jw) {
	o := w.open()
	o.strOmit("instance", s.Instance)
	o.strOmit("probe", s.Probe)
	if ev := s.Evidence; ev != nil {
		eo := o.key("evidence").open()
		eo.strOmit("step", ev.Step)
		eo.strOmit("url", ev.URL)
		eo.intOmit("status", int64(ev.Status))
		eo.strOmit("excerpt", ev.Excerpt)
		eo.close()
	}
	if a := s.Alert; a != nil {
		ao := o.key("alert").open()
		ao.str("fingerprint", a.Fingerprint)
		ao.strOmit("name", a.Name)
		ao.str("state", a.State)
		ao.strOmit("severity", a.Severity)
		ao.timeOmit("active_at", a.ActiveAt)
		ao.timeOmit("starts_at", a.StartsAt)
		ao.timeOmit("ends_at", a.EndsAt)
		if a.Value != nil {
			ao.key("value").float(*a.Value)
		}
		ao.key("silenced").bool(a.Silenced)
		ao.key("inhibited").bool(a.Inhibited)
		ao.strOmit("generator_url", a.GeneratorURL)
		ao.strMapOmit("annotations", a.Annotations)
		ao.close()
	}
	if l := s.Log; l != nil {
		lo := o.key("log").open()
		lo.strMapOmit("attrs", l.Attrs)
		lo.close()
	}
	o.close()
}
