package gen

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Query is one PromQL expression shipped in a dashboard or a rules file.
type Query struct {
	// Where names it: "file / panel title / refId" or "file / group / rule".
	Where string
	// Raw is the expression as stored; PromQL is it with Grafana's variables replaced by what
	// Grafana sends when every value is selected, so Prometheus's parser can read it.
	Raw    string
	PromQL string
}

// grafanaVar matches Grafana's variable references: $name, ${name} and ${name:format}.
var grafanaVar = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)(?::[a-z]+)?\}|\$([A-Za-z0-9_]+)`)

// GrafanaExpr replaces Grafana's variables: interval variables by durations, every other
// variable by ".*" (the regex Grafana sends for "All").
func GrafanaExpr(expr string) string {
	return grafanaVar.ReplaceAllStringFunc(expr, func(m string) string {
		name := strings.SplitN(strings.Trim(strings.TrimPrefix(m, "$"), "{}"), ":", 2)[0]
		switch name {
		case "__rate_interval", "__interval":
			return "1m"
		case "__range":
			return "6h"
		}
		return ".*"
	})
}

type panel struct {
	Type, Title string
	Targets     []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	}
	Panels []panel
}

// DashboardQueries lists every query of the Grafana dashboards (file name → JSON), sorted.
func DashboardQueries(files map[string][]byte) ([]Query, error) {
	var out []Query
	var walk func(file string, ps []panel)
	walk = func(file string, ps []panel) {
		for _, p := range ps {
			for _, t := range p.Targets {
				out = append(out, Query{Where: file + " / " + p.Title + " / " + t.RefID, Raw: t.Expr, PromQL: GrafanaExpr(t.Expr)})
			}
			walk(file, p.Panels)
		}
	}
	for name, b := range files {
		var d struct{ Panels []panel }
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		walk(name, d.Panels)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Where < out[j].Where })
	return out, nil
}

// RuleQueries lists the expressions of a Prometheus rules file.
func RuleQueries(file string, b []byte) ([]Query, error) {
	var rf struct {
		Groups []struct {
			Name  string
			Rules []struct{ Alert, Record, Expr string }
		}
	}
	if err := yaml.Unmarshal(b, &rf); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var out []Query
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			out = append(out, Query{Where: file + " / " + g.Name + " / " + r.Alert + r.Record, Raw: r.Expr, PromQL: r.Expr})
		}
	}
	return out, nil
}

// LabelValues is a dashboard variable filled by Grafana's label_values(selector, label).
type LabelValues struct {
	Where string
	// Selector is the series selector as PromQL (variables replaced); Label the label listed.
	Selector, Label string
}

var labelValuesRE = regexp.MustCompile(`^label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\)$`)

// DashboardVariables lists the label_values variables of the Grafana dashboards, sorted.
func DashboardVariables(files map[string][]byte) ([]LabelValues, error) {
	var out []LabelValues
	for name, b := range files {
		var d struct {
			Templating struct {
				List []struct {
					Name, Type string
					Query      any
				}
			}
		}
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, v := range d.Templating.List {
			q, _ := v.Query.(string)
			if v.Type != "query" {
				continue
			}
			m := labelValuesRE.FindStringSubmatch(strings.TrimSpace(q))
			if m == nil {
				return nil, fmt.Errorf("%s: variable %s: query %q is not label_values(selector, label)", name, v.Name, q)
			}
			out = append(out, LabelValues{Where: name + " / $" + v.Name, Selector: GrafanaExpr(m[1]), Label: m[2]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Where < out[j].Where })
	return out, nil
}
