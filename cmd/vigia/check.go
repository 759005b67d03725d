package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/collectors"
	"github.com/vigia-sei/vigia/collectors/desired"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
	"github.com/vigia-sei/vigia/internal/daemon"
	"github.com/vigia-sei/vigia/internal/latest"
)

// Nagios plugin return codes.
const (
	nagOK = iota
	nagWarning
	nagCritical
	nagUnknown
)

var nagNames = [...]string{"OK", "WARNING", "CRITICAL", "UNKNOWN"}

// nagRank orders states for aggregation: CRITICAL > WARNING > UNKNOWN > OK (the monitoring
// plugins' max_state_alt), so one unreadable detail never hides an outage.
func nagRank(s int) int {
	return [...]int{nagOK: 0, nagUnknown: 1, nagWarning: 2, nagCritical: 3}[s]
}

// finding is one reason for a state.
type finding struct {
	state int
	text  string
	// secondary marks a failure that follows from the instance being down (a version or
	// modules probe that could not read anything); it is left out when the outage is reported.
	secondary bool
}

// perfDatum is one Nagios performance value: 'label'=value[UOM];[warn];[crit];[min];[max].
type perfDatum struct {
	label      string
	value      float64
	uom        string // "", s, B, %, c
	warn, crit string
	min, max   string
}

func (p perfDatum) String() string {
	return fmt.Sprintf("'%s'=%s%s;%s;%s;%s;%s", p.label, perfNumber(p.value), p.uom, p.warn, p.crit, p.min, p.max)
}

// perfNumber writes a value with a dot and at most 6 decimals, as plugins must.
func perfNumber(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "U"
	}
	return strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', -1, 64)
}

// perfLabel keeps labels to characters every parser accepts.
func perfLabel(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// checkReport collects what the check found about one instance.
type checkReport struct {
	name     string
	down     bool
	findings []finding
	notes    []string
	perf     []perfDatum
}

func (r *checkReport) add(state int, format string, args ...any) {
	r.findings = append(r.findings, finding{state: state, text: fmt.Sprintf(format, args...)})
}

func (r *checkReport) secondary(state int, format string, args ...any) {
	r.findings = append(r.findings, finding{state, fmt.Sprintf(format, args...), true})
}

func (r *checkReport) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

func (r *checkReport) state() int {
	s := nagOK
	for _, f := range r.findings {
		if nagRank(f.state) > nagRank(s) {
			s = f.state
		}
	}
	return s
}

// maxFindings keeps the status line readable; the worst come first.
const maxFindings = 4

// line renders the plugin output: one line, "SEI STATE - text | perfdata".
func (r *checkReport) line() string {
	state := r.state()
	var parts []string
	if state == nagOK {
		parts = r.notes
	} else {
		fs := append([]finding(nil), r.findings...)
		sort.SliceStable(fs, func(i, j int) bool { return nagRank(fs[i].state) > nagRank(fs[j].state) })
		var shown []finding
		for _, f := range fs {
			if f.state != nagOK && !(f.secondary && r.down) {
				shown = append(shown, f)
			}
		}
		for i, f := range shown {
			if i == maxFindings {
				parts = append(parts, fmt.Sprintf("e mais %d", len(shown)-maxFindings))
				break
			}
			parts = append(parts, f.text)
		}
	}
	text := strings.Join(parts, "; ")
	if r.name != "" {
		if text == "" {
			text = r.name
		} else {
			text = r.name + ": " + text
		}
	}
	out := "SEI " + nagNames[state] + " - " + pluginText(text)
	if len(r.perf) > 0 {
		ps := make([]string, len(r.perf))
		for i, p := range r.perf {
			ps[i] = p.String()
		}
		out += " | " + strings.Join(ps, " ")
	}
	return out
}

// pluginText keeps the status text on one line and free of the perfdata separator.
func pluginText(s string) string {
	s = strings.NewReplacer("|", "/", "\n", " ", "\r", " ").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// nagRange is a Nagios threshold range: "10" (alert outside 0..10), "10:" (below 10), "~:10"
// (above 10), "10:20" (outside 10..20), "@10:20" (inside 10..20).
type nagRange struct {
	raw                  string
	start, end           float64
	startInf, endInf, in bool
}

func parseRange(s string) (*nagRange, error) {
	r := &nagRange{raw: s}
	body := s
	if strings.HasPrefix(body, "@") {
		r.in, body = true, body[1:]
	}
	lo, hi, colon := strings.Cut(body, ":")
	if !colon {
		lo, hi = "0", body
	}
	var err error
	switch lo {
	case "~":
		r.startInf = true
	case "":
		r.start = 0
	default:
		if r.start, err = strconv.ParseFloat(lo, 64); err != nil {
			return nil, fmt.Errorf("threshold %q: %q is not a number", s, lo)
		}
	}
	if hi == "" {
		if !colon {
			return nil, fmt.Errorf("threshold %q is empty", s)
		}
		r.endInf = true
	} else if r.end, err = strconv.ParseFloat(hi, 64); err != nil {
		return nil, fmt.Errorf("threshold %q: %q is not a number", s, hi)
	}
	if !r.startInf && !r.endInf && r.start > r.end {
		return nil, fmt.Errorf("threshold %q: start is greater than end", s)
	}
	return r, nil
}

// alert reports whether v breaks the threshold.
func (r *nagRange) alert(v float64) bool {
	inside := (r.startInf || v >= r.start) && (r.endInf || v <= r.end)
	if r.in {
		return inside
	}
	return !inside
}

func (r *nagRange) String() string {
	if r == nil {
		return ""
	}
	return r.raw
}

// checker judges Results the same way for both modes.
type checker struct {
	warn, crit *nagRange
	drift      map[string]bool
	rules      []config.Rule
	now        time.Time
	maxAge     time.Duration
}

var probePT = map[string]string{
	probe.Health: "saúde", probe.HTTP: "http", probe.Version: "versão", probe.Modules: "módulos",
	probe.Synthetic: "transação sintética",
}

// secondsPT writes seconds the Brazilian way for the status text.
func secondsPT(s float64) string {
	if s < 1 {
		return strconv.Itoa(int(math.Round(s*1000))) + " ms"
	}
	return strings.Replace(strconv.FormatFloat(s, 'f', 2, 64), ".", ",", 1) + " s"
}

// durationThresholds are the warn/crit ranges for a probe's duration: flags first, else the
// config's `value: duration_seconds, above: X` rules for that probe.
func (c *checker) durationThresholds(name string) (warn, crit *nagRange) {
	warn, crit = c.warn, c.crit
	for _, r := range c.rules {
		if r.Value != "duration_seconds" || r.Above == nil || (r.Probe != "" && r.Probe != name) {
			continue
		}
		rg := &nagRange{raw: perfNumber(*r.Above), end: *r.Above}
		if r.Severity == "critical" {
			if crit == nil {
				crit = rg
			}
		} else if warn == nil {
			warn = rg
		}
	}
	return warn, crit
}

func severityState(sev string) int {
	switch sev {
	case "critical":
		return nagCritical
	case "warning":
		return nagWarning
	}
	return nagOK
}

// judge adds what one probe's latest Result says.
func (c *checker) judge(rep *checkReport, name string, rv latest.ResultView) {
	label := probePT[name]
	if label == "" {
		label = name
	}
	if c.maxAge > 0 && !rv.Time.IsZero() && c.now.Sub(rv.Time) > c.maxAge {
		rep.add(nagUnknown, "resultado de %s tem %s (mais que --max-age %s)", label, c.now.Sub(rv.Time).Round(time.Second), c.maxAge)
	}
	warn, crit := c.durationThresholds(name)
	rep.perf = append(rep.perf, perfDatum{label: perfLabel(name + "_time"), value: rv.DurationSeconds, uom: "s",
		warn: warn.String(), crit: crit.String(), min: "0"})
	switch {
	case crit != nil && crit.alert(rv.DurationSeconds):
		rep.add(nagCritical, "%s levou %s (crítico %s s)", label, secondsPT(rv.DurationSeconds), crit.raw)
	case warn != nil && warn.alert(rv.DurationSeconds):
		rep.add(nagWarning, "%s levou %s (aviso %s s)", label, secondsPT(rv.DurationSeconds), warn.raw)
	}

	switch name {
	case probe.Health, probe.HTTP:
		switch {
		case rv.State == probe.StateMaintenance:
			rep.add(nagWarning, "em manutenção")
		case !rv.OK:
			rep.add(nagCritical, "fora do ar (%s): %s", label, orDash(rv.Error))
			rep.down = true
		default:
			rep.note("no ar em %s", secondsPT(rv.DurationSeconds))
		}
		if n, ok := rv.Values["content_length_bytes"]; ok {
			rep.perf = append(rep.perf, perfDatum{label: perfLabel(name + "_size"), value: n, uom: "B", min: "0"})
		} else if n, ok := rv.Values["http_content_length"]; ok {
			rep.perf = append(rep.perf, perfDatum{label: perfLabel(name + "_size"), value: n, uom: "B", min: "0"})
		}
		if exp, ok := rv.Values["tls_cert_expiry_timestamp_seconds"]; ok && exp > 0 {
			left := exp - float64(c.now.Unix())
			rep.perf = append(rep.perf, perfDatum{label: "tls_cert_remaining", value: math.Max(left, 0), uom: "s", min: "0"})
		}
	case probe.Synthetic:
		if !rv.OK {
			step := ""
			for _, s := range rv.Steps {
				if !s.OK {
					step = s.Name
					break
				}
			}
			if step != "" {
				reason := strings.TrimPrefix(rv.Error, "step "+step+": ")
				rep.add(nagCritical, "transação sintética falhou no passo %s: %s", step, orDash(reason))
			} else {
				rep.add(nagCritical, "transação sintética falhou: %s", orDash(rv.Error))
			}
		} else {
			rep.note("transação sintética OK em %s", secondsPT(rv.DurationSeconds))
		}
		for _, s := range rv.Steps {
			rep.perf = append(rep.perf, perfDatum{label: perfLabel("step_" + s.Name + "_time"), value: s.DurationSeconds, uom: "s", min: "0"})
		}
	case probe.Version:
		if !rv.OK {
			rep.secondary(nagWarning, "versão não verificada: %s", orDash(rv.Error))
		}
		for _, v := range rv.Versions {
			if v.Component == "sei" {
				rep.note("SEI %s", v.Version)
				break
			}
		}
		for _, d := range rv.Drift {
			if !c.drift[d.Level] {
				continue
			}
			rep.add(nagWarning, "%s %s defasado (%s; esperado %s)", d.Component, orDash(d.Observed), d.Level, orDash(d.Desired))
		}
	case probe.Modules:
		problems := 0
		for _, m := range rv.Modules {
			switch {
			case m.Compatible != nil && !*m.Compatible:
				rep.add(nagWarning, "módulo %s %s incompatível", m.Name, m.Version)
			case m.Up != nil && !*m.Up:
				rep.add(nagWarning, "módulo %s fora do ar", m.Name)
			case m.Detail == collectors.ModuleMissing:
				rep.add(nagWarning, "módulo %s ausente", m.Name)
			default:
				continue
			}
			problems++
		}
		if !rv.OK && problems == 0 {
			rep.secondary(nagWarning, "módulos não verificados: %s", orDash(rv.Error))
		}
		if rv.OK {
			if len(rv.Modules) == 1 {
				rep.note("1 módulo")
			} else {
				rep.note("%d módulos", len(rv.Modules))
			}
		}
		for _, k := range []string{"modules_installed", "modules_down", "modules_incompatible"} {
			if v, ok := rv.Values[k]; ok {
				rep.perf = append(rep.perf, perfDatum{label: k, value: v, min: "0"})
			}
		}
	}
	c.judgeRules(rep, name, rv)
}

// judgeRules applies the config's value and TLS-expiry rules that read this probe.
func (c *checker) judgeRules(rep *checkReport, name string, rv latest.ResultView) {
	for _, r := range c.rules {
		if r.Probe != "" && r.Probe != name {
			continue
		}
		switch {
		case r.Value != "" && r.Value != "duration_seconds":
			v, ok := rv.Values[r.Value]
			if !ok {
				continue
			}
			var cond string
			switch {
			case r.Above != nil && v > *r.Above:
				cond = "> " + perfNumber(*r.Above)
			case r.Below != nil && v < *r.Below:
				cond = "< " + perfNumber(*r.Below)
			case r.Equal != nil && v == *r.Equal:
				cond = "= " + perfNumber(*r.Equal)
			default:
				continue
			}
			rep.add(severityState(r.Severity), "%s: %s = %s %s", r.Alert, r.Value, perfNumber(v), cond)
		case r.TLSExpiryDays != nil:
			exp, ok := rv.Values["tls_cert_expiry_timestamp_seconds"]
			if !ok || exp <= 0 {
				continue
			}
			days := (exp - float64(c.now.Unix())) / 86400
			if days < *r.TLSExpiryDays {
				rep.add(severityState(r.Severity), "%s: certificado TLS vence em %.0f dias", r.Alert, math.Max(days, 0))
			}
		}
	}
}

// probeList parses --probe.
func probeList(s string, def []string) ([]string, error) {
	if s == "" {
		return def, nil
	}
	if s == "all" {
		return nil, nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		switch p {
		case probe.Health, probe.HTTP, probe.Version, probe.Modules, probe.Synthetic:
			out = append(out, p)
		default:
			return nil, fmt.Errorf("--probe %q: want health, http, version, modules, synthetic or all (comma-separated)", p)
		}
	}
	return out, nil
}

// staticDesired is desired state given on the command line or in the config's desired.latest:
// every instance should run the fleet's latest versions.
type staticDesired struct{ v desired.Versions }

func (s staticDesired) Desired(string) (desired.Versions, bool) { return desired.Versions{}, false }
func (s staticDesired) Latest() desired.Versions                { return s.v }

func checkCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var api apiFlags
	api.register(fs)
	instance := fs.String("instance", "", "check this instance with the latest results and alerts of the running vigia (--addr)")
	rawURL := fs.String("url", "", "probe this SEI instance now, e.g. https://sei.exemplo.gov.br (no daemon needed)")
	name := fs.String("name", "", "instance name shown in the output with --url (default: the URL's host and path)")
	probes := fs.String("probe", "", "probes to judge: health, http, version, modules, synthetic or all, comma-separated (default: all with --instance, health with --url)")
	var warnS, critS string
	for _, n := range []string{"w", "warning"} {
		fs.StringVar(&warnS, n, "", "WARNING threshold for each probe's duration in seconds, a Nagios range (e.g. 2, or @0:1)")
	}
	for _, n := range []string{"c", "critical"} {
		fs.StringVar(&critS, n, "", "CRITICAL threshold for each probe's duration in seconds, a Nagios range (e.g. 5)")
	}
	driftS := fs.String("drift", "major,minor", "drift levels that make a WARNING (none to disable)")
	maxAge := fs.Duration("max-age", 0, "with --instance: results older than this are UNKNOWN (0: no limit)")
	cfgFile := fs.String("config", "", "vigia config whose rules (value and tls_expiry_days), desired.latest, TLS and synthetic settings apply")
	user := fs.String("user", "", "with --url: monitoring account for the logged-in probes (version, modules, synthetic)")
	passEnv := fs.String("password-env", "", "with --url: name of the environment variable holding the account's password")
	orgao := fs.String("orgao", "", "with --url: the account's órgão (SIP selOrgao)")
	search := fs.String("search", "", "with --url: protocol number the synthetic transaction searches")
	desiredSEI := fs.String("desired-sei", "", "with --url: SEI version the instance should run (drift is measured against it)")
	insecure := fs.Bool("insecure", false, "with --url: accept any TLS certificate (its expiry is still reported)")
	timeout := fs.Duration("timeout", 10*time.Second, "with --url: deadline of each probe")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: vigia check --instance NAME [flags]     (asks the running vigia)
       vigia check --url URL [--probe ...] [flags]  (probes now)

A Nagios/Icinga plugin: prints one status line with performance data and exits
0 OK, 1 WARNING, 2 CRITICAL or 3 UNKNOWN. Zabbix can run it as an external check.

Flags:`)
		fs.PrintDefaults()
	}
	unknown := func(format string, a ...any) int {
		fmt.Fprintln(stdout, "SEI UNKNOWN - "+pluginText(fmt.Sprintf(format, a...)))
		return nagUnknown
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nagUnknown
		}
		return unknown("argumentos inválidos: %v", err)
	}
	if fs.NArg() > 0 {
		return unknown("argumento inesperado %q", fs.Arg(0))
	}
	if (*instance == "") == (*rawURL == "") {
		return unknown("use --instance NAME (resultados do vigia) ou --url URL (verificação direta), um dos dois")
	}
	c := &checker{now: time.Now(), maxAge: *maxAge, drift: map[string]bool{}}
	var err error
	if warnS != "" {
		if c.warn, err = parseRange(warnS); err != nil {
			return unknown("-w: %v", err)
		}
	}
	if critS != "" {
		if c.crit, err = parseRange(critS); err != nil {
			return unknown("-c: %v", err)
		}
	}
	for _, l := range strings.Split(*driftS, ",") {
		switch l = strings.TrimSpace(l); l {
		case "none", "":
		case "major", "minor", "patch", "ahead", "unknown":
			c.drift[l] = true
		default:
			return unknown("--drift %q: want major, minor, patch, ahead, unknown or none", l)
		}
	}
	var cfg *config.Config
	if *cfgFile != "" {
		if cfg, err = config.Load(*cfgFile); err != nil {
			var cerr *config.Error
			if errors.As(err, &cerr) {
				return unknown("config %s tem %d problema(s); rode vigia validate %s", *cfgFile, len(cerr.Problems), *cfgFile)
			}
			return unknown("config: %v", err)
		}
		c.rules = cfg.Rules
	}

	if *instance != "" {
		list, err := probeList(*probes, nil)
		if err != nil {
			return unknown("%v", err)
		}
		return emit(stdout, checkInstance(&api, c, *instance, list))
	}

	list, err := probeList(*probes, []string{probe.Health})
	if err != nil {
		return unknown("%v", err)
	}
	u, err := url.Parse(*rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return unknown("--url %q: want http(s)://host[/path]", probe.SafeURL(*rawURL))
	}
	if u.User != nil {
		return unknown("--url must not carry credentials; use --user and --password-env")
	}
	t := probe.Target{Name: *name, URL: strings.TrimRight(*rawURL, "/")}
	if t.Name == "" {
		t.Name = strings.TrimRight(u.Host+u.Path, "/")
	}
	if *user != "" {
		if *passEnv == "" {
			return unknown("--user needs --password-env VAR (the password never goes on the command line)")
		}
		pw, ok := os.LookupEnv(*passEnv)
		if !ok || pw == "" {
			return unknown("a variável de ambiente %s (--password-env) está vazia", *passEnv)
		}
		t.Credentials = probe.Credentials{Username: *user, Password: probe.Secret(pw), Orgao: *orgao}
	}
	if list == nil {
		list = []string{probe.Health, probe.Version, probe.Modules}
		if !t.Credentials.Empty() {
			list = append(list, probe.Synthetic)
		}
	}
	probers, err := buildCheckProbers(list, cfg, t, *search, *desiredSEI, *insecure)
	if err != nil {
		return unknown("%v", err)
	}
	rep := &checkReport{name: t.Name}
	results := make([]probe.Result, len(probers))
	var wg sync.WaitGroup
	for i, p := range probers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = collectors.RunProbe(context.Background(), p, t, *timeout)
		}()
	}
	wg.Wait()
	for _, r := range results {
		c.judge(rep, r.Probe, latest.ViewResult(r))
	}
	return emit(stdout, rep)
}

func emit(w io.Writer, rep *checkReport) int {
	fmt.Fprintln(w, rep.line())
	return rep.state()
}

// buildCheckProbers makes the probers --url runs, built as the daemon builds them
// (daemon.NewProber) from the given config or the defaults, with the flags on top.
func buildCheckProbers(names []string, cfg *config.Config, t probe.Target, search, desiredSEI string, insecure bool) ([]collectors.Prober, error) {
	if cfg == nil {
		var err error
		if cfg, err = oneShotConfig(""); err != nil {
			return nil, err
		}
		cfg.Global.UserAgent = "vigia/" + version + " (+check)"
	}
	c := *cfg
	c.Global.TLS.InsecureSkipVerify = c.Global.TLS.InsecureSkipVerify || insecure
	if search != "" {
		c.Probes.Synthetic.Search = search
	}
	var want *staticDesired
	if l := c.Desired.Latest; l.SEI != "" || l.SIP != "" || len(l.Modules) > 0 {
		want = &staticDesired{desired.Versions{SEI: l.SEI, SIP: l.SIP, Modules: l.Modules}}
	}
	if desiredSEI != "" {
		if want == nil {
			want = &staticDesired{}
		}
		want.v.SEI = desiredSEI
	}
	var src collectors.DesiredStateSource
	if want != nil {
		src = *want
	}
	var out []collectors.Prober
	for _, n := range names {
		if n == probe.Synthetic && t.Credentials.Empty() {
			return nil, errors.New("a transação sintética precisa de --user e --password-env")
		}
		p, err := daemon.NewProber(&c, n, src, daemon.ProberShared{})
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// checkInstance judges an instance from the daemon's latest results and firing alerts; only
// restricts the probes (nil: every probe with a result).
func checkInstance(api *apiFlags, c *checker, name string, only []string) *checkReport {
	rep := &checkReport{name: name}
	cl, err := api.client()
	if err != nil {
		rep.add(nagUnknown, "%v", err)
		return rep
	}
	ctx, cancel := context.WithTimeout(context.Background(), api.timeout)
	defer cancel()
	var iv latest.InstanceView
	if err := cl.do(ctx, http.MethodGet, "/api/v1/instances/"+url.PathEscape(name), nil, &iv); err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			rep.add(nagUnknown, "o vigia em %s não monitora a instância %s", probe.SafeURL(cl.base), name)
		} else {
			rep.add(nagUnknown, "%s", apiErrorPT(err))
		}
		return rep
	}
	names := only
	if names == nil {
		for p := range iv.Probes {
			names = append(names, p)
		}
		order := map[string]int{probe.Health: 0, probe.HTTP: 1, probe.Synthetic: 2, probe.Version: 3, probe.Modules: 4}
		sort.Slice(names, func(i, j int) bool {
			oi, iok := order[names[i]]
			oj, jok := order[names[j]]
			if iok != jok {
				return iok
			}
			if oi != oj {
				return oi < oj
			}
			return names[i] < names[j]
		})
	}
	if len(names) == 0 {
		rep.add(nagUnknown, "nenhum resultado ainda (o vigia acabou de começar ou as verificações estão desligadas)")
	}
	for _, p := range names {
		rv, ok := iv.Probes[p]
		if !ok {
			rep.add(nagUnknown, "sem resultado de %s", lookupPT(probePT, p))
			continue
		}
		c.judge(rep, p, rv)
	}

	q := url.Values{"instance": {name}, "state": {alerting.StateFiring}}
	alerts, err := cl.alerts(ctx, q)
	var ae *apiError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		// This vigia has no alerting configured: the results alone decide.
		return rep
	case err != nil:
		rep.add(nagUnknown, "alertas: %s", apiErrorPT(err))
		return rep
	}
	active := 0
	for _, a := range alerts {
		summary := a.Annotations["summary"]
		if summary == "" {
			summary = a.Labels["alertname"]
		}
		if a.Silenced || a.Inhibited {
			rep.note("alerta %s silenciado", a.Labels["alertname"])
			continue
		}
		active++
		if s := severityState(a.Labels["severity"]); s != nagOK {
			rep.add(s, "alerta %s: %s", a.Labels["alertname"], summary)
		} else {
			rep.note("alerta %s", a.Labels["alertname"])
		}
	}
	rep.perf = append(rep.perf, perfDatum{label: "alerts_firing", value: float64(active), min: "0"})
	return rep
}

// apiErrorPT says in Portuguese, for the status line, why the daemon could not be asked.
func apiErrorPT(err error) string {
	var ue *unreachableError
	var ae *apiError
	switch {
	case errors.As(err, &ue):
		return fmt.Sprintf("o vigia em %s não respondeu: %s", ue.Addr, ue.Reason)
	case errors.As(err, &ae) && ae.Status == http.StatusUnauthorized:
		return "o vigia recusou o token (VIGIA_API_TOKEN)"
	case errors.As(err, &ae):
		return fmt.Sprintf("o vigia respondeu HTTP %d: %s", ae.Status, orDash(ae.Msg))
	}
	return err.Error()
}
