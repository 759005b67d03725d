package statuspage

import (
	"cmp"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/internal/latest"
)

// State keys, as used in the estado= filter and as CSS classes.
const (
	stFail    = "falha"
	stWarn    = "atencao"
	stMaint   = "manutencao"
	stNoData  = "sem-dados"
	stOK      = "ok"
	stAlerted = "com-alerta" // filter only: instances with a firing alert
)

type stateDef struct {
	Key, Label, Icon string
	// Order sorts the worst first.
	Order int
}

var states = map[string]stateDef{
	stFail:   {stFail, "Falha", "i-falha", 0},
	stWarn:   {stWarn, "Atenção", "i-atencao", 1},
	stMaint:  {stMaint, "Manutenção", "i-manutencao", 2},
	stNoData: {stNoData, "Sem dados", "i-sem-dados", 3},
	stOK:     {stOK, "Operando", "i-ok", 4},
}

// stateList is the order states appear in the summary and the filter.
var stateList = []string{stFail, stWarn, stMaint, stNoData, stOK}

// driftAlertLevels are the SEI drift levels that make an instance need attention; patch drift
// is shown but is no reason to look.
var driftAlertLevels = map[string]bool{"major": true, "minor": true}

// tlsWarnWithin makes an instance need attention when its certificate expires this soon.
const tlsWarnWithin = 14 * 24 * time.Hour

// alertSummary counts one instance's alerts.
type alertSummary struct {
	Firing, Critical, Warning, Other, Pending, Silenced, Inhibited int
}

// Active reports whether there is anything to show.
func (a alertSummary) Active() bool { return a.Firing+a.Pending > 0 }

// row is one instance as the fleet table shows it.
type row struct {
	Name, Owner, Env, URL string
	State                 stateDef
	Reasons               []string
	SEI                   string // observed SEI version
	Drift                 *probe.Drift
	DriftAlert            bool
	Modules               *moduleSummary
	Synthetic             *latest.ResultView
	FailedStep            string
	Alerts                alertSummary
	Last                  time.Time
}

type moduleSummary struct {
	Installed int
	Problems  []string
	Failed    string // the modules probe's own failure reason
}

// classify computes the row of one instance. alerts are the instance's alerts.
func classify(iv *latest.InstanceView, alerts []alerting.Alert, now time.Time) row {
	r := row{Name: iv.Name, Owner: iv.Owner, Env: iv.Environment, URL: iv.URL}
	for _, a := range alerts {
		switch {
		case a.State == alerting.StatePending:
			r.Alerts.Pending++
			continue
		case a.State != alerting.StateFiring:
			continue
		}
		r.Alerts.Firing++
		switch {
		case a.Silenced:
			r.Alerts.Silenced++
		case a.Inhibited:
			r.Alerts.Inhibited++
		}
		switch a.Labels["severity"] {
		case "critical":
			r.Alerts.Critical++
		case "warning":
			r.Alerts.Warning++
		default:
			r.Alerts.Other++
		}
	}
	fail, warn, maint := false, false, false
	for _, rv := range iv.Probes {
		if rv.Time.After(r.Last) {
			r.Last = rv.Time
		}
	}
	// Health decides up/down; the plain http probe stands in where health does not run.
	avail, haveAvail := iv.Probes[probe.Health]
	if !haveAvail {
		avail, haveAvail = iv.Probes[probe.HTTP]
	}
	if haveAvail {
		switch {
		case avail.State == probe.StateMaintenance:
			maint = true
			r.Reasons = append(r.Reasons, "Página de manutenção ativa")
		case !avail.OK:
			fail = true
			r.Reasons = append(r.Reasons, "Fora do ar: "+orDefault(avail.Error, "a verificação falhou"))
		}
		if exp, ok := avail.Values["tls_cert_expiry_timestamp_seconds"]; ok && exp > 0 {
			left := time.Unix(int64(exp), 0).Sub(now)
			if left < tlsWarnWithin {
				warn = true
				r.Reasons = append(r.Reasons, "Certificado TLS vence em "+daysText(left))
			}
		}
	}
	if v, ok := iv.Probes[probe.Version]; ok {
		r.SEI = seiVersion(v.Versions)
		r.Drift = seiDrift(v.Drift)
		if r.Drift != nil && driftAlertLevels[r.Drift.Level] {
			r.DriftAlert, warn = true, true
			r.Reasons = append(r.Reasons, "Versão do SEI defasada ("+r.Drift.Level+")")
		}
		if !v.OK && !fail && !maint {
			warn = true
			r.Reasons = append(r.Reasons, "Versão não verificada: "+orDefault(v.Error, "falhou"))
		}
	}
	if m, ok := iv.Probes[probe.Modules]; ok {
		ms := &moduleSummary{Installed: len(m.Modules)}
		if n, ok := m.Values["modules_installed"]; ok {
			ms.Installed = int(n)
		}
		for _, mod := range m.Modules {
			if p := moduleProblem(mod); p != "" {
				ms.Problems = append(ms.Problems, p)
			}
		}
		if !m.OK && len(ms.Problems) == 0 {
			ms.Failed = orDefault(m.Error, "a verificação falhou")
		}
		if len(ms.Problems) > 0 || (ms.Failed != "" && !fail && !maint) {
			warn = true
			if len(ms.Problems) > 0 {
				r.Reasons = append(r.Reasons, "Módulos: "+strings.Join(ms.Problems, ", "))
			} else {
				r.Reasons = append(r.Reasons, "Módulos não verificados: "+ms.Failed)
			}
		}
		r.Modules = ms
	}
	if s, ok := iv.Probes[probe.Synthetic]; ok {
		sv := s
		r.Synthetic = &sv
		if !s.OK {
			for _, st := range s.Steps {
				if !st.OK {
					r.FailedStep = st.Name
					break
				}
			}
			if !maint {
				fail = true
				msg := "Transação sintética falhou"
				if r.FailedStep != "" {
					msg += " no passo " + r.FailedStep
				}
				r.Reasons = append(r.Reasons, msg)
			}
		}
	}
	unsilenced := func(sev string) bool {
		for _, a := range alerts {
			if a.State == alerting.StateFiring && !a.Silenced && !a.Inhibited && a.Labels["severity"] == sev {
				return true
			}
		}
		return false
	}
	if unsilenced("critical") && !fail {
		fail = true
		r.Reasons = append(r.Reasons, "Alerta crítico ativo")
	}
	if unsilenced("warning") && !warn {
		warn = true
		r.Reasons = append(r.Reasons, "Alerta de aviso ativo")
	}
	switch {
	case fail:
		r.State = states[stFail]
	case maint:
		r.State = states[stMaint]
	case warn:
		r.State = states[stWarn]
	case len(iv.Probes) == 0:
		r.State = states[stNoData]
		r.Reasons = append(r.Reasons, "Nenhuma verificação concluída ainda")
	default:
		r.State = states[stOK]
	}
	return r
}

func moduleProblem(m probe.Module) string {
	switch {
	case m.Compatible != nil && !*m.Compatible:
		return m.Name + " incompatível"
	case m.Up != nil && !*m.Up:
		return m.Name + " fora do ar"
	case m.Detail == "missing":
		return m.Name + " ausente"
	}
	return ""
}

// seiVersion picks the observed SEI version (the prober lists the best source first).
func seiVersion(vs []probe.ComponentVersion) string {
	for _, v := range vs {
		if v.Component == "sei" {
			return v.Version
		}
	}
	return ""
}

// seiDrift picks the SEI drift against desired state (Git), else against the fleet's latest.
func seiDrift(ds []probe.Drift) *probe.Drift {
	var best *probe.Drift
	for i := range ds {
		d := &ds[i]
		if d.Component != "sei" {
			continue
		}
		if best == nil || (d.Against == "desired" && best.Against != "desired") {
			best = d
		}
	}
	return best
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// filter is what the query string asks for.
type filter struct {
	Q, Owner, Env, State, Sort string
	Page, PerPage              int
}

var perPageChoices = []int{25, 50, 100, 200, 500}

func parseFilter(q url.Values, defPer int) filter {
	f := filter{
		Q: strings.TrimSpace(q.Get("q")), Owner: q.Get("orgao"), Env: q.Get("ambiente"),
		State: q.Get("estado"), Sort: q.Get("ordem"),
	}
	if len(f.Q) > 200 {
		f.Q = f.Q[:200]
	}
	if _, ok := states[f.State]; !ok && f.State != stAlerted {
		f.State = ""
	}
	if f.Sort != "estado" && f.Sort != "nome" {
		f.Sort = ""
	}
	f.Page, _ = strconv.Atoi(q.Get("pagina"))
	f.Page = max(f.Page, 1)
	f.PerPage, _ = strconv.Atoi(q.Get("por"))
	if !slices.Contains(perPageChoices, f.PerPage) {
		f.PerPage = defPer
	}
	return f
}

// query renders the filter as a query string with some fields replaced ("" removes one).
func (f filter) query(set ...string) string {
	v := url.Values{}
	add := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	add("q", f.Q)
	add("orgao", f.Owner)
	add("ambiente", f.Env)
	add("estado", f.State)
	add("ordem", f.Sort)
	if f.Page > 1 {
		v.Set("pagina", strconv.Itoa(f.Page))
	}
	if f.PerPage != 0 && f.PerPage != defaultPageSize {
		v.Set("por", strconv.Itoa(f.PerPage))
	}
	for i := 0; i+1 < len(set); i += 2 {
		if set[i+1] == "" {
			v.Del(set[i])
		} else {
			v.Set(set[i], set[i+1])
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// Active reports whether any filter narrows the fleet.
func (f filter) Active() bool { return f.Q != "" || f.Owner != "" || f.Env != "" || f.State != "" }

// containsFold is strings.Contains ignoring case.
func containsFold(s, sub string) bool {
	if len(sub) > len(s) {
		return false
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// envLess puts the usual environments first.
func envLess(a, b string) int {
	rank := func(s string) int {
		switch s {
		case "prod", "producao", "produção":
			return 0
		case "homolog", "homologacao", "homologação":
			return 1
		case "dev", "desenvolvimento":
			return 2
		}
		return 3
	}
	if c := cmp.Compare(rank(a), rank(b)); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

// gridCell counts one (owner, environment) pair.
type gridCell struct {
	Owner, Env string
	Total      int
	Counts     map[string]int
	Worst      stateDef
}

type gridRow struct {
	Owner string
	Cells []*gridCell // one per environment, nil where the owner has none
	worst int
}

// maxGridOwners bounds the owner × environment overview; owners with problems come first.
const maxGridOwners = 60

func buildGrid(owners map[string]map[string]*gridCell, envs []string) (rows []gridRow, total int) {
	for owner, byEnv := range owners {
		gr := gridRow{Owner: owner, worst: len(states)}
		for _, e := range envs {
			c := byEnv[e]
			gr.Cells = append(gr.Cells, c)
			if c != nil {
				gr.worst = min(gr.worst, c.Worst.Order)
			}
		}
		rows = append(rows, gr)
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].worst != rows[j].worst {
			return rows[i].worst < rows[j].worst
		}
		return rows[i].Owner < rows[j].Owner
	})
	total = len(rows)
	if len(rows) > maxGridOwners {
		rows = rows[:maxGridOwners]
	}
	return rows, total
}

func (c *gridCell) add(state string) {
	c.Total++
	c.Counts[state]++
	if c.Worst.Key == "" || states[state].Order < c.Worst.Order {
		c.Worst = states[state]
	}
}

// Breakdown says how many instances of the cell are in each state that is not "operating":
// "1 falha, 2 atenção", or "operando" when all are.
func (c *gridCell) Breakdown() string {
	var parts []string
	for _, k := range stateList {
		if k == stOK || c.Counts[k] == 0 {
			continue
		}
		parts = append(parts, strconv.Itoa(c.Counts[k])+" "+strings.ToLower(states[k].Label))
	}
	if len(parts) == 0 {
		return "operando"
	}
	return strings.Join(parts, ", ")
}

// silenceRelevant reports whether a silence can mute alerts of an instance with these labels:
// matchers on labels the instance has must match; matchers on alert-level labels (alertname,
// severity, probe, ...) cannot be decided here and do not exclude it.
func silenceRelevant(s alerting.Silence, inst map[string]string) bool {
	for k, v := range s.Match {
		if got, ok := inst[k]; ok && got != v {
			return false
		}
	}
	for k, re := range s.MatchRE {
		got, ok := inst[k]
		if !ok {
			continue
		}
		x, err := regexp.Compile("^(?:" + re + ")$")
		if err != nil || !x.MatchString(got) {
			return false
		}
	}
	return true
}

// instanceLabels are the labels every alert of the instance carries.
func instanceLabels(iv *latest.InstanceView) map[string]string {
	l := make(map[string]string, len(iv.Labels)+3)
	for k, v := range iv.Labels {
		l[k] = v
	}
	l["instance"] = iv.Name
	if iv.Owner != "" {
		l["owner"] = iv.Owner
	}
	if iv.Environment != "" {
		l["environment"] = iv.Environment
	}
	return l
}

// matcherText renders a silence's matchers as operators write them.
func matcherText(s alerting.Silence) string {
	var parts []string
	for k, v := range s.Match {
		parts = append(parts, k+"="+strconv.Quote(v))
	}
	for k, v := range s.MatchRE {
		parts = append(parts, k+"=~"+strconv.Quote(v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// severityRank orders alerts: critical first.
func severityRank(s string) int {
	switch s {
	case "critical":
		return 0
	case "warning":
		return 1
	}
	return 2
}
