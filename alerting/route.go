package alerting

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigia-sei/vigia/config"
)

// matchers is a conjunction of equality and fully anchored regular-expression matchers.
type matchers struct {
	eq map[string]string
	re map[string]*regexp.Regexp
}

func compileMatchers(eq, re map[string]string) (matchers, error) {
	m := matchers{eq: eq}
	if len(re) > 0 {
		m.re = make(map[string]*regexp.Regexp, len(re))
		for k, v := range re {
			x, err := regexp.Compile("^(?:" + v + ")$")
			if err != nil {
				return m, fmt.Errorf("match_re %s: %w", k, err)
			}
			m.re[k] = x
		}
	}
	return m, nil
}

func (m matchers) matches(l map[string]string) bool {
	for k, v := range m.eq {
		if l[k] != v {
			return false
		}
	}
	for k, x := range m.re {
		if !x.MatchString(l[k]) {
			return false
		}
	}
	return true
}

func (m matchers) empty() bool { return len(m.eq) == 0 && len(m.re) == 0 }

// String renders the matchers in a stable order, as in {environment="prod",severity=~"crit.*"}.
func (m matchers) String() string {
	var parts []string
	for k, v := range m.eq {
		parts = append(parts, k+"="+strconv.Quote(v))
	}
	for k, x := range m.re {
		s := strings.TrimSuffix(strings.TrimPrefix(x.String(), "^(?:"), ")$")
		parts = append(parts, k+"=~"+strconv.Quote(s))
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ",") + "}"
}

// route is a compiled routing node; unset settings are inherited from the parent.
type route struct {
	key            string
	match          matchers
	cont           bool
	receivers      []string
	groupBy        []string
	groupAll       bool
	groupWait      time.Duration
	groupInterval  time.Duration
	repeatInterval time.Duration
	children       []*route
}

// Route defaults when the config leaves them unset (config fills the root; these cover a
// ManagerConfig built by hand).
const (
	defaultGroupWait      = 30 * time.Second
	defaultGroupInterval  = 5 * time.Minute
	defaultRepeatInterval = 4 * time.Hour
)

func compileRoutes(c config.Route) (*route, error) {
	root := &route{groupWait: defaultGroupWait, groupInterval: defaultGroupInterval, repeatInterval: defaultRepeatInterval}
	return compileRoute(c, root, "", map[string]int{})
}

func compileRoute(c config.Route, parent *route, parentKey string, siblings map[string]int) (*route, error) {
	m, err := compileMatchers(c.Match, c.MatchRE)
	if err != nil {
		return nil, err
	}
	r := &route{
		match: m, cont: c.Continue, receivers: parent.receivers, groupBy: parent.groupBy, groupAll: parent.groupAll,
		groupWait: parent.groupWait, groupInterval: parent.groupInterval, repeatInterval: parent.repeatInterval,
	}
	if len(c.Receivers) > 0 {
		r.receivers = c.Receivers
	}
	if c.GroupBy != nil {
		r.groupBy, r.groupAll = nil, false
		for _, l := range c.GroupBy {
			switch l {
			case "...":
				r.groupAll = true
			case "alert":
				// The config's default group_by says "alert" for the rule name.
				r.groupBy = append(r.groupBy, "alertname")
			default:
				r.groupBy = append(r.groupBy, l)
			}
		}
		sort.Strings(r.groupBy)
	}
	if c.GroupWait > 0 {
		r.groupWait = c.GroupWait
	}
	if c.GroupInterval > 0 {
		r.groupInterval = c.GroupInterval
	}
	if c.RepeatInterval > 0 {
		r.repeatInterval = c.RepeatInterval
	}
	// The key names the node by its matchers path, so group keys (and the notification log
	// that dedups on them) survive a reload that adds or reorders unrelated routes.
	own := m.String()
	if n := siblings[own]; n > 0 {
		own += "#" + strconv.Itoa(n)
	}
	siblings[own]++
	if parentKey == "" {
		r.key = own
	} else {
		r.key = parentKey + "/" + own
	}
	kids := map[string]int{}
	for i, cc := range c.Routes {
		child, err := compileRoute(cc, r, r.key, kids)
		if err != nil {
			return nil, fmt.Errorf("routes[%d]: %w", i, err)
		}
		r.children = append(r.children, child)
	}
	return r, nil
}

// matchRoutes returns the nodes an alert goes to: the deepest matching nodes, first match wins
// among siblings unless a node says continue (Alertmanager's semantics).
func (r *route) matchRoutes(l map[string]string) []*route {
	if !r.match.matches(l) {
		return nil
	}
	var all []*route
	for _, c := range r.children {
		m := c.matchRoutes(l)
		all = append(all, m...)
		if m != nil && !c.cont {
			break
		}
	}
	if len(all) == 0 {
		all = append(all, r)
	}
	return all
}

// groupLabels picks the group_by labels of an alert.
func (r *route) groupLabels(l map[string]string) map[string]string {
	if r.groupAll {
		out := make(map[string]string, len(l))
		for k, v := range l {
			out[k] = v
		}
		return out
	}
	out := make(map[string]string, len(r.groupBy))
	for _, k := range r.groupBy {
		if v, ok := l[k]; ok {
			out[k] = v
		}
	}
	return out
}

func labelsString(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(l[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// receivers lists every receiver the tree uses.
func (r *route) allReceivers(into map[string]bool) {
	for _, n := range r.receivers {
		into[n] = true
	}
	for _, c := range r.children {
		c.allReceivers(into)
	}
}
