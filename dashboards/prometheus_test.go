package dashboards_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vigia-sei/vigia/config"
	"github.com/vigia-sei/vigia/dashboards"
	"github.com/vigia-sei/vigia/dashboards/internal/gen"
	"github.com/vigia-sei/vigia/internal/testenv"
)

func promtool(t *testing.T, dir string, args ...string) string {
	t.Helper()
	bin := testenv.Promtool(t)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func exported(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := dashboards.Export(dir); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, dashboards.DirPrometheus)
}

func TestPromtoolCheckRules(t *testing.T) {
	out := promtool(t, exported(t), "check", "rules", "vigia.rules.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool check rules:\n%s", out)
	}
}

func TestPromtoolTestRules(t *testing.T) {
	out := promtool(t, exported(t), "test", "rules", "vigia.rules.test.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules:\n%s", out)
	}
}

type rulesFile struct {
	Groups []struct {
		Name  string
		Rules []struct {
			Alert, Record, Expr, For string
			Labels                   map[string]string
			Annotations              map[string]string
		}
	}
}

func readRules(t *testing.T) rulesFile {
	t.Helper()
	b, err := dashboards.Read("prometheus/vigia.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rf rulesFile
	if err := yaml.Unmarshal(b, &rf); err != nil {
		t.Fatal(err)
	}
	return rf
}

// Every alerting rule has a promtool test that expects it to fire: an untested rule could have a
// typo in its metric name and never fire.
func TestEveryAlertingRuleIsExercisedByTheRulesTest(t *testing.T) {
	b, err := dashboards.Read("prometheus/vigia.rules.test.yml")
	if err != nil {
		t.Fatal(err)
	}
	var tf struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		}
	}
	if err := yaml.Unmarshal(b, &tf); err != nil {
		t.Fatal(err)
	}
	fired := map[string]bool{}
	for _, tc := range tf.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fired[a.Alertname] = true
			}
		}
	}
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			if r.Alert != "" && !fired[r.Alert] {
				t.Errorf("alerting rule %s has no test case in which it fires", r.Alert)
			}
		}
	}
}

// demoRules reads the rules section of scripts/demo.sh, the defaults an operator sees first.
func demoRules(t *testing.T) []config.Rule {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "scripts", "demo.sh"))
	if err != nil {
		t.Fatal(err)
	}
	var block []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case line == "rules:":
			in = true
		case in && strings.HasPrefix(line, "  - "):
			block = append(block, strings.TrimPrefix(line, "  "))
		case in:
			in = false
		}
	}
	if len(block) == 0 {
		t.Fatal("no rules: section in scripts/demo.sh")
	}
	rules, err := gen.ParseRules([]byte(strings.Join(block, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

// The rules the generated files mirror are the demo's, and the Prometheus alerting rules carry
// their names, severities and for durations.
func TestRulesMirrorVigiaDefaultRules(t *testing.T) {
	demo := demoRules(t)
	def, err := gen.DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(demo)
	b, _ := json.Marshal(def)
	if string(a) != string(b) {
		t.Fatalf("gen.DefaultRulesYAML differs from the rules of scripts/demo.sh:\n%s\n%s", a, b)
	}
	prom := map[string]struct {
		For      string
		Severity string
	}{}
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				prom[r.Alert] = struct{ For, Severity string }{r.For, r.Labels["severity"]}
			}
		}
	}
	for _, r := range demo {
		p, ok := prom[r.Alert]
		if !ok {
			t.Errorf("no Prometheus alerting rule %s", r.Alert)
			continue
		}
		var pf time.Duration
		if p.For != "" {
			if pf, err = time.ParseDuration(p.For); err != nil {
				t.Errorf("%s: for %q: %v", r.Alert, p.For, err)
			}
		}
		if pf != r.For || p.Severity != r.Severity {
			t.Errorf("%s: Prometheus for %v severity %q, vigia for %v severity %q", r.Alert, pf, p.Severity, r.For, r.Severity)
		}
	}
}

// dashboardExprs lists every query of every Grafana dashboard as plain PromQL.
func dashboardExprs(t *testing.T) map[string]string {
	t.Helper()
	files, err := dashboards.GrafanaDashboards()
	if err != nil {
		t.Fatal(err)
	}
	qs, err := gen.DashboardQueries(files)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, q := range qs {
		out[q.Where] = q.PromQL
	}
	return out
}

// Prometheus's own parser, through promtool: every dashboard query becomes a recording rule.
func TestDashboardQueriesParseAsPromQL(t *testing.T) {
	exprs := dashboardExprs(t)
	keys := sortedKeys(exprs)
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []rule
	for i, k := range keys {
		rules = append(rules, rule{Record: fmt.Sprintf("dashboard:query:%d", i), Expr: exprs[k]})
	}
	doc := map[string]any{"groups": []any{map[string]any{"name": "dashboards", "rules": rules}}}
	b, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "queries.yml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := testenv.Promtool(t)
	cmd := exec.Command(bin, "check", "rules", "queries.yml")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		// Name the dashboard and panel of each rule promtool refused.
		var named []string
		for i, k := range keys {
			if strings.Contains(string(out), fmt.Sprintf("dashboard:query:%d\"", i)) || strings.Contains(string(out), fmt.Sprintf("dashboard:query:%d ", i)) {
				named = append(named, k)
			}
		}
		sort.Strings(named)
		t.Fatalf("promtool refused dashboard queries %v: %v\n%s", named, err, out)
	}
	if len(keys) < 60 {
		t.Errorf("only %d dashboard queries found", len(keys))
	}
}

func TestGrafanaExprReplacesEveryVariable(t *testing.T) {
	for in, want := range map[string]string{
		`rate(x{a=~"$owner"}[$__rate_interval])`:                 `rate(x{a=~".*"}[1m])`,
		`quantile_over_time(0.9, x{b=~"${instance}"}[$__range])`: `quantile_over_time(0.9, x{b=~".*"}[6h])`,
		`x{c=~"${env:regex}"}`:                                   `x{c=~".*"}`,
	} {
		if got := gen.GrafanaExpr(in); got != want {
			t.Errorf("GrafanaExpr(%q) = %q, want %q", in, got, want)
		}
	}
}
