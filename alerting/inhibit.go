package alerting

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
)

// DefaultInhibitRules is what applies when the config has no inhibit rules:
//   - while an instance's failing health (or plain http) rule fires, that instance's synthetic,
//     modules and version alerts are not sent: they are consequences of the instance being down;
//   - while an instance's maintenance rule fires, its failing health/http alerts are not sent:
//     the maintenance page is announced work, not an outage.
//
// Rules are recognised by their condition, not by their names. It returns nothing when no such
// rules exist.
func DefaultInhibitRules(rules []config.Rule) []config.InhibitRule {
	var down, maintenance []string
	for _, r := range rules {
		switch {
		case r.When == "failing" && (r.Probe == probe.Health || r.Probe == probe.HTTP):
			down = append(down, regexp.QuoteMeta(r.Alert))
		case r.When == "maintenance":
			maintenance = append(maintenance, regexp.QuoteMeta(r.Alert))
		}
	}
	sort.Strings(down)
	sort.Strings(maintenance)
	var out []config.InhibitRule
	if len(down) > 0 {
		out = append(out, config.InhibitRule{
			SourceMatchRE: map[string]string{"alertname": strings.Join(down, "|")},
			TargetMatchRE: map[string]string{"probe": strings.Join([]string{probe.Synthetic, probe.Modules, probe.Version}, "|")},
			Equal:         []string{"instance"},
		})
	}
	if len(down) > 0 && len(maintenance) > 0 {
		out = append(out, config.InhibitRule{
			SourceMatchRE: map[string]string{"alertname": strings.Join(maintenance, "|")},
			TargetMatchRE: map[string]string{"alertname": strings.Join(down, "|")},
			Equal:         []string{"instance"},
		})
	}
	return out
}

type inhibitRule struct {
	source, target matchers
	equal          []string
	// sources indexes the firing source alerts by their values of the equal labels.
	sources map[string]map[string]struct{}
}

type inhibitor struct {
	rules []*inhibitRule
}

func newInhibitor(cfgs []config.InhibitRule) (*inhibitor, error) {
	in := &inhibitor{}
	for i, c := range cfgs {
		src, err := compileMatchers(c.SourceMatch, c.SourceMatchRE)
		if err != nil {
			return nil, fmt.Errorf("inhibit[%d] source: %w", i, err)
		}
		tgt, err := compileMatchers(c.TargetMatch, c.TargetMatchRE)
		if err != nil {
			return nil, fmt.Errorf("inhibit[%d] target: %w", i, err)
		}
		if src.empty() || tgt.empty() {
			return nil, fmt.Errorf("inhibit[%d]: needs source and target matchers", i)
		}
		in.rules = append(in.rules, &inhibitRule{source: src, target: tgt, equal: c.Equal, sources: map[string]map[string]struct{}{}})
	}
	return in, nil
}

func (r *inhibitRule) equalKey(l map[string]string) string {
	var b strings.Builder
	for _, k := range r.equal {
		b.WriteString(l[k])
		b.WriteByte(0)
	}
	return b.String()
}

// observe records a firing alert as a source, or forgets a resolved one.
func (in *inhibitor) observe(a *Alert) {
	for _, r := range in.rules {
		if !r.source.matches(a.Labels) {
			continue
		}
		k := r.equalKey(a.Labels)
		if a.State == StateFiring {
			set := r.sources[k]
			if set == nil {
				set = map[string]struct{}{}
				r.sources[k] = set
			}
			set[a.Fingerprint] = struct{}{}
		} else if set := r.sources[k]; set != nil {
			delete(set, a.Fingerprint)
			if len(set) == 0 {
				delete(r.sources, k)
			}
		}
	}
}

// forget drops an alert that left the dispatcher.
func (in *inhibitor) forget(a *Alert) {
	for _, r := range in.rules {
		k := r.equalKey(a.Labels)
		if set := r.sources[k]; set != nil {
			delete(set, a.Fingerprint)
			if len(set) == 0 {
				delete(r.sources, k)
			}
		}
	}
}

// inhibited reports whether some other firing alert inhibits labels (an alert never inhibits
// itself, even if it matches both sides of a rule).
func (in *inhibitor) inhibited(fp string, l map[string]string) bool {
	for _, r := range in.rules {
		if !r.target.matches(l) {
			continue
		}
		for src := range r.sources[r.equalKey(l)] {
			if src != fp {
				return true
			}
		}
	}
	return false
}
