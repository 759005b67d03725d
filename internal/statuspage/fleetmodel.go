package statuspage

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vigia-sei/vigia/alerting"
)

// fleetModel is the whole fleet classified once: every page request filters, pages and renders
// from it. It is immutable once built, so concurrent requests share it.
type fleetModel struct {
	at   time.Time
	rows []row    // in name order, as Snapshot returns them
	hay  []string // per row, the lower-cased text the search box looks in
	// Row indexes in each sort order; name order is the identity.
	byOwnerEnv, byState []int32
	counts              map[string]int
	owners, envs        []string
	grid                []gridRow
	gridOwners          int
	// alerts are sorted as the alerts page lists them: firing first, then by severity and age.
	alerts    []alerting.Alert
	byInst    map[string][]alerting.Alert
	alertSum  alertSummary // fleet-wide, for the summary card
	firing    int          // firing and neither silenced nor inhibited, for the menu badge
	silences  []alerting.Silence
	alertsOn  bool
	alertOwns []string // owners that have alerts, for the alerts page filter
}

// model returns a fleet model at most CacheTTL old. One request builds it while the others that
// arrive meanwhile wait and share it, so a wall of auto-refreshing screens costs one build per
// TTL, not one per screen.
func (p *Page) model() *fleetModel {
	if p.ttl <= 0 {
		return p.build(p.now())
	}
	p.mmu.Lock()
	defer p.mmu.Unlock()
	now := p.now()
	if m := p.cached; m != nil && now.Sub(m.at) < p.ttl && !now.Before(m.at) {
		return m
	}
	p.cached = p.build(now)
	return p.cached
}

func (p *Page) build(now time.Time) *fleetModel {
	all := p.fleet.Snapshot(nil)
	m := &fleetModel{at: now, rows: make([]row, len(all)), hay: make([]string, len(all)),
		counts: map[string]int{}, alertsOn: p.alerts != nil}
	if p.alerts != nil {
		m.alerts = p.alerts.Alerts()
		m.silences = p.alerts.Silences()
	}
	m.byInst = make(map[string][]alerting.Alert, len(m.alerts))
	ownerSet := map[string]bool{}
	for _, a := range m.alerts {
		m.byInst[a.Labels["instance"]] = append(m.byInst[a.Labels["instance"]], a)
		if o := a.Labels["owner"]; o != "" {
			ownerSet[o] = true
		}
		switch {
		case a.State == alerting.StatePending:
			m.alertSum.Pending++
		case a.State != alerting.StateFiring:
		case a.Silenced:
			m.alertSum.Silenced++
		case a.Inhibited:
			m.alertSum.Inhibited++
		default:
			m.firing++
			switch a.Labels["severity"] {
			case "critical":
				m.alertSum.Critical++
			case "warning":
				m.alertSum.Warning++
			default:
				m.alertSum.Other++
			}
		}
	}
	for o := range ownerSet {
		m.alertOwns = append(m.alertOwns, o)
	}
	sort.Strings(m.alertOwns)
	sort.SliceStable(m.alerts, func(i, j int) bool {
		a, b := &m.alerts[i], &m.alerts[j]
		if (a.State == alerting.StateFiring) != (b.State == alerting.StateFiring) {
			return a.State == alerting.StateFiring
		}
		if x, y := severityRank(a.Labels["severity"]), severityRank(b.Labels["severity"]); x != y {
			return x < y
		}
		if !a.ActiveAt.Equal(b.ActiveAt) {
			return a.ActiveAt.Before(b.ActiveAt)
		}
		return a.Fingerprint < b.Fingerprint
	})

	owners := map[string]map[string]*gridCell{}
	envSet := map[string]bool{}
	var hay strings.Builder
	for i := range all {
		iv := &all[i]
		m.rows[i] = classify(iv, m.byInst[iv.Name], now)
		state := m.rows[i].State.Key
		m.counts[state]++
		envSet[iv.Environment] = true
		byEnv := owners[iv.Owner]
		if byEnv == nil {
			byEnv = map[string]*gridCell{}
			owners[iv.Owner] = byEnv
		}
		c := byEnv[iv.Environment]
		if c == nil {
			c = &gridCell{Owner: iv.Owner, Env: iv.Environment, Counts: map[string]int{}}
			byEnv[iv.Environment] = c
		}
		c.add(state)

		hay.Reset()
		for _, s := range []string{iv.Name, iv.Owner, iv.Environment, iv.URL, m.rows[i].SEI} {
			hay.WriteString(s)
			hay.WriteByte(0)
		}
		for _, v := range iv.Labels {
			hay.WriteString(v)
			hay.WriteByte(0)
		}
		m.hay[i] = strings.ToLower(hay.String())
	}
	for o := range owners {
		m.owners = append(m.owners, o)
	}
	sort.Strings(m.owners)
	for e := range envSet {
		m.envs = append(m.envs, e)
	}
	slices.SortFunc(m.envs, envLess)
	m.grid, m.gridOwners = buildGrid(owners, m.envs)

	// Both sorts are stable over name order, so the name breaks every tie.
	m.byOwnerEnv = identity(len(all))
	slices.SortStableFunc(m.byOwnerEnv, func(i, j int32) int {
		a, b := &m.rows[i], &m.rows[j]
		if c := cmp.Compare(a.Owner, b.Owner); c != 0 {
			return c
		}
		return envLess(a.Env, b.Env)
	})
	m.byState = identity(len(all))
	slices.SortStableFunc(m.byState, func(i, j int32) int {
		return cmp.Compare(m.rows[i].State.Order, m.rows[j].State.Order)
	})
	return m
}

func identity(n int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(i)
	}
	return out
}

// order returns the row indexes in the order the filter asks for.
func (m *fleetModel) order(sortBy string) []int32 {
	switch sortBy {
	case "estado":
		return m.byState
	case "nome":
		return nil // identity
	}
	return m.byOwnerEnv
}

// match reports whether row i passes the filter; needle is the lower-cased search text.
func (m *fleetModel) match(i int, f *filter, needle string) bool {
	r := &m.rows[i]
	if f.Owner != "" && r.Owner != f.Owner || f.Env != "" && r.Env != f.Env {
		return false
	}
	switch {
	case f.State == stAlerted && r.Alerts.Firing == 0:
		return false
	case f.State != "" && f.State != stAlerted && r.State.Key != f.State:
		return false
	}
	return needle == "" || strings.Contains(m.hay[i], needle)
}

// instanceAlerts returns an instance's alerts, worst first.
func (m *fleetModel) instanceAlerts(name string) []alerting.Alert {
	list := slices.Clone(m.byInst[name])
	sort.SliceStable(list, func(i, j int) bool {
		if a, b := severityRank(list[i].Labels["severity"]), severityRank(list[j].Labels["severity"]); a != b {
			return a < b
		}
		return list[i].ActiveAt.Before(list[j].ActiveAt)
	})
	return list
}
