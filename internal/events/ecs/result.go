package ecs

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// Probe runs are most of the events: at 10,000 instances, 660 results a second, each one to ten
// documents. So Result writes them straight from the probe result, with no intermediate structs
// and maps, and the parts shared by a run and its steps are written once and copied. The output
// is byte for byte what the document structs gave through encoding/json: testdata/results.golden
// and the former encoder kept in oracle_test.go pin it.

// Result appends the events of one probe run to dst: one for the run and, for a synthetic
// transaction, one per step, so Kibana can chart each step's latency on its own.
func (e *Encoder) Result(dst []Event, r probe.Result) ([]Event, error) {
	bp := e.getScratch()
	n := len(dst)
	b, dst, err := e.AppendResult((*bp)[:0], dst, r)
	if len(dst) > n {
		// One exact-size copy for all the documents of the run.
		dst = realias(bytes.Clone(b), 0, dst, n)
	}
	e.putScratch(bp, b)
	return dst, err
}

// AppendResult is Result for a caller that hands the documents on before it reuses buf: they are
// appended to buf back to back, and each event's Doc is a slice of the returned buffer. On an
// error, the events and bytes of the document that failed are not added.
func (e *Encoder) AppendResult(buf []byte, dst []Event, r probe.Result) ([]byte, []Event, error) {
	start := r.Start
	if start.IsZero() {
		start = time.Now()
	}
	n0, base := len(dst), len(buf)
	t := &r.Target

	// One pass over the values finds the three the document names and the ones it lists.
	var code, expiry, timeout float64
	var hasCode, hasExpiry bool
	var valBuf [32]keyed[float64]
	vals := valBuf[:0]
	for k, v := range r.Values {
		switch k {
		case "http_status_code":
			code, hasCode = v, true
		case "tls_cert_expiry_timestamp_seconds":
			expiry, hasExpiry = v, true
		case "timeout":
			timeout = v
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue // JSON has no NaN; a rule sees the value, the event does not.
		}
		vals = append(vals, keyed[float64]{fieldKey(k), v})
	}
	var seiVersion string
	for i := range r.Versions {
		if r.Versions[i].Component == "sei" {
			seiVersion = r.Versions[i].Version
		}
	}

	w := jw{b: buf}
	ts := start.UTC()
	w.b = append(w.b, `{"@timestamp":`...)
	stamp := len(w.b)
	w.time(ts)
	stampEnd := len(w.b)
	// Every piece of a message meets ASCII text, so escaping them one by one is escaping the
	// message (see esc).
	w.b = append(w.b, `,"message":"sonda `...)
	w.esc(r.Probe)
	w.b = append(w.b, " em "...)
	w.esc(t.Name)
	w.verdict(r.OK, r.Duration, r.Error)
	w.b = append(w.b, e.probeHead...)
	w.str(r.ID)
	w.outcome(r.OK)
	if r.Probe != "" {
		w.b = append(w.b, `,"action":`...)
		w.str(r.Probe)
	}
	w.span(start, r.Duration, stamp, stampEnd)

	// service and url, then labels and observer, are the same in the run and its steps.
	shared := len(w.b)
	w.b = append(w.b, `,"service":`...)
	so := w.open()
	so.strOmit("name", t.Name)
	so.str("type", "sei")
	so.strOmit("environment", t.Environment)
	so.strOmit("version", seiVersion)
	so.close()
	w.url(t.URL)
	sharedEnd := len(w.b)

	if hasCode && code > 0 {
		w.httpStatus(int64(int(code)))
	}
	if hasExpiry && expiry > 0 && !math.IsInf(expiry, 0) {
		w.b = append(w.b, `,"tls":{"server":{"not_after":`...)
		w.time(time.Unix(int64(expiry), 0).UTC())
		w.b = append(w.b, "}}"...)
	}
	if !r.OK {
		w.errorObj(r.Error, timeout == 1)
	}
	tail := len(w.b)
	w.labels(t)
	w.b = append(w.b, e.observer...)
	tailEnd := len(w.b)

	w.b = append(w.b, `,"sei":`...)
	o := w.open()
	o.strOmit("instance", t.Name)
	o.strOmit("probe", r.Probe)
	o.strOmit("state", r.State)
	o.strOmit("source", t.Source)
	if len(r.Versions) > 0 {
		o.versions(r.Versions)
	}
	if len(r.Drift) > 0 {
		o.drift(r.Drift)
	}
	if len(r.Modules) > 0 || r.Probe == probe.Modules {
		o.modules(r.Modules)
	}
	if len(r.Steps) > 0 {
		o.stepSummary(r.Steps)
	}
	if len(vals) > 0 {
		writeSorted(o.key("values"), vals)
	}
	if len(r.Phases) > 0 {
		var phaseBuf [16]keyed[int64]
		phases := phaseBuf[:0]
		for k, v := range r.Phases {
			phases = append(phases, keyed[int64]{fieldKey(k), int64(v)})
		}
		writeSorted(o.key("phase"), phases)
	}
	if ev := r.Evidence; ev != nil {
		eo := o.key("evidence").open()
		eo.strOmit("step", ev.Step)
		if ev.URL != "" {
			eo.strOmit("url", probe.SafeURL(ev.URL))
		}
		eo.intOmit("status", int64(ev.Status))
		eo.strOmit("excerpt", ev.Excerpt)
		eo.close()
	}
	o.close()
	w.b = append(w.b, '}')
	if w.err != nil {
		return w.b[:base], dst, fmt.Errorf("encode %s event %s: %w", DatasetProbe, r.ID, w.err)
	}
	dst = append(dst, Event{ID: r.ID, Dataset: DatasetProbe, Time: ts, Doc: w.b[base:]})

	if len(r.Steps) > 0 {
		ids := stepIDs(r.ID, len(r.Steps))
		at := start
		for i, st := range r.Steps {
			id := ids[:len(r.ID)+2+digits(i)]
			ids = ids[len(id):]
			docStart := len(w.b)
			ats := at.UTC()
			w.b = append(w.b, `{"@timestamp":`...)
			stamp := len(w.b)
			w.time(ats)
			stampEnd := len(w.b)
			w.b = append(w.b, `,"message":"passo `...)
			w.esc(st.Name)
			w.b = append(w.b, " da transação sintética em "...)
			w.esc(t.Name)
			w.verdict(st.OK, st.Duration, st.Error)
			w.b = append(w.b, e.probeHead...)
			w.str(id)
			w.outcome(st.OK)
			w.b = append(w.b, `,"action":"synthetic_step"`...)
			w.span(at, st.Duration, stamp, stampEnd)
			w.b = append(w.b, w.b[shared:sharedEnd]...)
			if st.Status > 0 {
				w.httpStatus(int64(st.Status))
			}
			if !st.OK {
				w.errorObj(st.Error, false)
			}
			w.b = append(w.b, w.b[tail:tailEnd]...)
			w.b = append(w.b, `,"sei":`...)
			so := w.open()
			so.strOmit("instance", t.Name)
			so.strOmit("probe", r.Probe)
			so.strOmit("source", t.Source)
			sy := so.key("synthetic").open()
			sy.strOmit("run_id", r.ID)
			po := sy.key("step").open()
			po.strOmit("name", st.Name)
			po.key("index").int(int64(i))
			po.key("ok").bool(st.OK)
			po.intOmit("duration", int64(st.Duration))
			po.intOmit("status", int64(st.Status))
			po.close()
			sy.close()
			so.close()
			w.b = append(w.b, '}')
			if w.err != nil {
				w.b = w.b[:docStart]
				err := fmt.Errorf("encode %s event %s: %w", DatasetProbe, id, w.err)
				return w.b, realias(w.b, base, dst, n0), err
			}
			dst = append(dst, Event{ID: id, Dataset: DatasetProbe, Time: ats, Doc: w.b[docStart:]})
			at = at.Add(st.Duration)
		}
	}
	return w.b, realias(w.b, base, dst, n0), nil
}

// realias points the documents of dst[n0:], written back to back from b[base:], into b itself:
// b may have moved since the first of them was written.
func realias(b []byte, base int, dst []Event, n0 int) []Event {
	off := base
	for i := n0; i < len(dst); i++ {
		end := off + len(dst[i].Doc)
		dst[i].Doc = b[off:end:end]
		off = end
	}
	return dst
}

// stepIDs returns the ids of n steps of run id (id-s0, id-s1, ...) joined in one string: one
// allocation for all of them.
func stepIDs(id string, n int) string {
	size := 0
	for i := range n {
		size += len(id) + 2 + digits(i)
	}
	var sb strings.Builder
	sb.Grow(size)
	var num [20]byte
	for i := range n {
		sb.WriteString(id)
		sb.WriteString("-s")
		sb.Write(strconv.AppendInt(num[:0], int64(i), 10))
	}
	return sb.String()
}

// digits is the length of i (≥ 0) in decimal.
func digits(i int) int {
	n := 1
	for ; i >= 10; i /= 10 {
		n++
	}
	return n
}

// verdict ends a run's or step's message: ": sucesso em N ms" or ": falha: <error>".
func (w *jw) verdict(ok bool, d time.Duration, errText string) {
	if ok {
		w.b = append(w.b, ": sucesso em "...)
		w.b = strconv.AppendInt(w.b, d.Milliseconds(), 10)
		w.b = append(w.b, ` ms"`...)
		return
	}
	w.b = append(w.b, ": falha: "...)
	w.esc(errText)
	w.b = append(w.b, '"')
}

// errorObj writes the error object of a failed run or step.
func (w *jw) errorObj(msg string, timeout bool) {
	w.b = append(w.b, `,"error":`...)
	eo := w.open()
	eo.strOmit("message", msg)
	if timeout {
		eo.str("type", "timeout")
	}
	eo.close()
}

// outcome writes the event members that follow the id.
func (w *jw) outcome(ok bool) {
	if ok {
		w.b = append(w.b, `,"kind":"event","category":["web"],"type":["info"],"outcome":"success"`...)
	} else {
		w.b = append(w.b, `,"kind":"event","category":["web"],"type":["error"],"outcome":"failure"`...)
	}
}

// span writes the event members that follow the action, and closes the event. The document's
// @timestamp is start, written at w.b[stamp:stampEnd]: event.start copies it.
func (w *jw) span(start time.Time, d time.Duration, stamp, stampEnd int) {
	w.b = append(w.b, `,"dataset":"vigia.probe","module":"vigia"`...)
	if d != 0 {
		w.b = append(w.b, `,"duration":`...)
		w.int(int64(d))
	}
	if !start.IsZero() {
		w.b = append(w.b, `,"start":`...)
		w.b = append(w.b, w.b[stamp:stampEnd]...)
	}
	if end := start.Add(d).UTC(); !end.IsZero() {
		w.b = append(w.b, `,"end":`...)
		w.time(end)
	}
	w.b = append(w.b, '}')
}

func (w *jw) httpStatus(code int64) {
	w.b = append(w.b, `,"http":{"response":{"status_code":`...)
	w.int(code)
	w.b = append(w.b, "}}"...)
}

// url writes the url object of a target URL, when there is one.
func (w *jw) url(raw string) {
	if raw == "" {
		return
	}
	w.b = append(w.b, `,"url":`...)
	o := w.open()
	if scheme, host, port, path, ok := plainURL(raw); ok {
		o.str("full", raw)
		o.str("scheme", scheme)
		o.str("domain", host)
		o.intOmit("port", int64(port))
		o.strOmit("path", path)
	} else {
		safe := probe.SafeURL(raw)
		o.str("full", safe)
		if u, err := url.Parse(safe); err == nil {
			o.strOmit("scheme", u.Scheme)
			o.strOmit("domain", u.Hostname())
			if p := u.Port(); p != "" {
				port, _ := strconv.Atoi(p)
				o.intOmit("port", int64(port))
			}
			o.strOmit("path", u.Path)
		}
	}
	o.close()
}

// plainURL splits the URL most targets have, http(s)://host[:port][/path] with nothing to
// escape, no user and no query, without net/url: for it probe.SafeURL is the URL itself and
// url.Parse gives these parts. Anything else is not ok and goes through them.
func plainURL(raw string) (scheme, host string, port int, path string, ok bool) {
	var rest string
	switch {
	case strings.HasPrefix(raw, "https://"):
		scheme, rest = "https", raw[len("https://"):]
	case strings.HasPrefix(raw, "http://"):
		scheme, rest = "http", raw[len("http://"):]
	default:
		return "", "", 0, "", false
	}
	i := 0
	for i < len(rest) && hostByte(rest[i]) {
		i++
	}
	if i == 0 {
		return "", "", 0, "", false
	}
	host, rest = rest[:i], rest[i:]
	if rest != "" && rest[0] == ':' {
		j := 1
		for j < len(rest) && j <= 5 && '0' <= rest[j] && rest[j] <= '9' {
			port = port*10 + int(rest[j]-'0')
			j++
		}
		if j == 1 {
			return "", "", 0, "", false
		}
		rest = rest[j:]
	}
	if rest != "" && rest[0] != '/' {
		return "", "", 0, "", false
	}
	for i := 0; i < len(rest); i++ {
		if !pathByte(rest[i]) {
			return "", "", 0, "", false
		}
	}
	return scheme, host, port, rest, true
}

func hostByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-'
}

// pathByte: the unreserved characters and the slash, which no URL encoder changes.
func pathByte(c byte) bool {
	return hostByte(c) || c == '_' || c == '~' || c == '/'
}

// labels writes the target's labels: its own under field-safe names, and owner and environment,
// which win over own labels of those names.
func (w *jw) labels(t *probe.Target) {
	var buf [16]keyed[string]
	ls := buf[:0]
	for k, v := range t.Labels {
		k = fieldKey(k)
		if k == "" || k == "owner" && t.Owner != "" || k == "environment" && t.Environment != "" {
			continue
		}
		ls = append(ls, keyed[string]{k, v})
	}
	if t.Owner != "" {
		ls = append(ls, keyed[string]{"owner", t.Owner})
	}
	if t.Environment != "" {
		ls = append(ls, keyed[string]{"environment", t.Environment})
	}
	if len(ls) > 0 {
		w.b = append(w.b, `,"labels":`...)
		writeSorted(w, ls)
	}
}

// keyed is one member of an object written from a map.
type keyed[V float64 | int64 | string] struct {
	k string
	v V
}

// writeSorted writes kvs as an object with sorted keys, as encoding/json writes a map. Two
// map keys can become one field name (a.b and a_b); then the smallest value is kept, where the
// map encoding/json got kept whichever Go's map order set last.
func writeSorted[V float64 | int64 | string](w *jw, kvs []keyed[V]) {
	slices.SortFunc(kvs, func(a, b keyed[V]) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return cmp.Compare(a.v, b.v)
	})
	o := w.open()
	for i, kv := range kvs {
		if i > 0 && kv.k == kvs[i-1].k {
			continue
		}
		// A type switch, not a func parameter: calling a func value would move w to the heap.
		switch v := any(kv.v).(type) {
		case float64:
			o.mapKey(kv.k).float(v)
		case int64:
			o.mapKey(kv.k).int(v)
		case string:
			o.mapKey(kv.k).str(v)
		}
	}
	o.close()
}

func (o *obj) versions(vs []probe.ComponentVersion) {
	var sei, sip, infra, source, confidence string
	for i := range vs {
		switch v := &vs[i]; v.Component {
		case "sei":
			sei, source, confidence = v.Version, v.Source, v.Confidence
		case "sip":
			sip = v.Version
		case "infra":
			infra = v.Version
		}
	}
	vo := o.key("version").open()
	vo.strOmit("sei", sei)
	vo.strOmit("sip", sip)
	vo.strOmit("infra", infra)
	vo.strOmit("source", source)
	vo.strOmit("confidence", confidence)
	w := vo.key("items")
	w.b = append(w.b, '[')
	for i := range vs {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		v := &vs[i]
		io := w.open()
		io.str("component", v.Component)
		io.str("version", v.Version)
		io.strOmit("source", v.Source)
		io.strOmit("confidence", v.Confidence)
		io.close()
	}
	w.b = append(w.b, ']')
	vo.close()
}

func driftRank(level string) int {
	switch level {
	case "unknown":
		return 1
	case "ahead":
		return 2
	case "patch":
		return 3
	case "minor":
		return 4
	case "major":
		return 5
	}
	return 0
}

func (o *obj) drift(ds []probe.Drift) {
	level, components := "none", false
	for i := range ds {
		if driftRank(ds[i].Level) > driftRank(level) {
			level = ds[i].Level
		}
		components = components || ds[i].Level != "none"
	}
	do := o.key("drift").open()
	do.str("level", level)
	if components {
		w := do.key("components")
		w.b = append(w.b, '[')
		n := 0
		for i := range ds {
			if ds[i].Level != "none" {
				if n > 0 {
					w.b = append(w.b, ',')
				}
				n++
				w.str(ds[i].Component)
			}
		}
		w.b = append(w.b, ']')
	}
	w := do.key("items")
	w.b = append(w.b, '[')
	for i := range ds {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		d := &ds[i]
		io := w.open()
		io.str("component", d.Component)
		io.strOmit("observed", d.Observed)
		io.strOmit("desired", d.Desired)
		io.str("level", d.Level)
		io.strOmit("against", d.Against)
		io.close()
	}
	w.b = append(w.b, ']')
	do.close()
}

func (o *obj) modules(ms []probe.Module) {
	mo := o.key("module").open()
	mo.key("count").int(int64(len(ms)))
	if len(ms) > 0 {
		var buf [16]string
		names := buf[:0]
		for i := range ms {
			names = append(names, ms[i].Name)
		}
		slices.Sort(names)
		mo.key("names").strs(names)
		mo.moduleNames("down", ms, func(m *probe.Module) bool { return m.Up != nil && !*m.Up })
		mo.moduleNames("incompatible", ms, func(m *probe.Module) bool { return m.Compatible != nil && !*m.Compatible })
		w := mo.key("items")
		w.b = append(w.b, '[')
		for i := range ms {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			m := &ms[i]
			io := w.open()
			io.str("name", m.Name)
			io.strOmit("version", m.Version)
			io.strOmit("desired", m.Desired)
			io.boolPtrOmit("up", m.Up)
			io.boolPtrOmit("compatible", m.Compatible)
			io.strOmit("detail", m.Detail)
			io.close()
		}
		w.b = append(w.b, ']')
	}
	mo.close()
}

// moduleNames writes the names of the modules that match, in their order, unless none does.
func (o *obj) moduleNames(k string, ms []probe.Module, match func(*probe.Module) bool) {
	var w *jw
	for i := range ms {
		if !match(&ms[i]) {
			continue
		}
		if w == nil {
			w = o.key(k)
			w.b = append(w.b, '[')
		} else {
			w.b = append(w.b, ',')
		}
		w.str(ms[i].Name)
	}
	if w != nil {
		w.b = append(w.b, ']')
	}
}

func (o *obj) stepSummary(steps []probe.Step) {
	failed := ""
	for i := range steps {
		if !steps[i].OK && failed == "" {
			failed = steps[i].Name
		}
	}
	so := o.key("synthetic").open()
	po := so.key("step").open()
	po.key("count").int(int64(len(steps)))
	po.strOmit("failed", failed)
	w := po.key("names")
	w.b = append(w.b, '[')
	for i := range steps {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.str(steps[i].Name)
	}
	w.b = append(w.b, ']')
	po.close()
	so.close()
}
