package check

import (
	"context"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/vigia-sei/vigia/dashboards"
	"github.com/vigia-sei/vigia/dashboards/internal/demo"
	"github.com/vigia-sei/vigia/dashboards/internal/gen"
)

// Labels Prometheus attaches at scrape time (vigia's own series carry no instance label; sei_*
// series keep vigia's instance label with honor_labels: true).
var targetLabels = map[string]bool{"job": true, "instance": true}

func queries(t *testing.T) []gen.Query {
	t.Helper()
	files, err := dashboards.GrafanaDashboards()
	if err != nil {
		t.Fatal(err)
	}
	qs, err := gen.DashboardQueries(files)
	if err != nil {
		t.Fatal(err)
	}
	b, err := dashboards.Read("prometheus/vigia.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	rq, err := gen.RuleQueries("vigia.rules.yml", b)
	if err != nil {
		t.Fatal(err)
	}
	qs = append(qs, rq...)
	// Variables: label_values(selector, label) reads the selector's series and lists the label;
	// the label must exist on them, checked by grouping on it.
	vars, err := gen.DashboardVariables(files)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vars {
		qs = append(qs, gen.Query{Where: v.Where, Raw: v.Selector, PromQL: "count by (" + v.Label + ") (" + v.Selector + ")"})
	}
	if len(vars) < 15 {
		t.Fatalf("only %d label_values variables found", len(vars))
	}
	if len(qs) < 80 {
		t.Fatalf("only %d expressions found", len(qs))
	}
	return qs
}

// recordedBy lists the series names the rules file records, which its own expressions may use.
func recordedBy(qs []gen.Query) map[string]bool {
	out := map[string]bool{}
	for _, q := range qs {
		if i := strings.LastIndex(q.Where, " / "); i >= 0 && strings.Contains(q.Where[i+3:], ":") {
			out[q.Where[i+3:]] = true
		}
	}
	return out
}

type selector struct {
	where, metric string
	matchers      map[string]string // label → value as written
}

type grouping struct {
	where  string
	labels []string
	under  []string // metrics selected beneath the aggregation
}

func parseAll(t *testing.T, qs []gen.Query) ([]selector, []grouping) {
	t.Helper()
	p := parser.NewParser(parser.Options{})
	var sels []selector
	var groups []grouping
	for _, q := range qs {
		expr, err := p.ParseExpr(q.PromQL)
		if err != nil {
			t.Errorf("%s: %v\n%s", q.Where, err, q.PromQL)
			continue
		}
		parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
			switch v := n.(type) {
			case *parser.VectorSelector:
				s := selector{where: q.Where, metric: v.Name, matchers: map[string]string{}}
				for _, m := range v.LabelMatchers {
					if m.Name == "__name__" {
						s.metric = m.Value
						continue
					}
					s.matchers[m.Name] = m.Value
				}
				sels = append(sels, s)
			case *parser.AggregateExpr:
				if v.Without || len(v.Grouping) == 0 {
					return nil
				}
				g := grouping{where: q.Where, labels: v.Grouping}
				parser.Inspect(v.Expr, func(n parser.Node, _ []parser.Node) error {
					if vs, ok := n.(*parser.VectorSelector); ok {
						g.under = append(g.under, vs.Name)
					}
					return nil
				})
				groups = append(groups, g)
			}
			return nil
		})
	}
	return sels, groups
}

// family finds the family a series name belongs to: itself, or a histogram's or summary's
// _bucket, _sum and _count series.
func family(fams map[string]*dto.MetricFamily, name string) (*dto.MetricFamily, bool) {
	if f, ok := fams[name]; ok {
		return f, true
	}
	for _, suf := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suf); ok {
			if f, ok := fams[base]; ok && (f.GetType() == dto.MetricType_HISTOGRAM || f.GetType() == dto.MetricType_SUMMARY) {
				return f, true
			}
		}
	}
	return nil, false
}

func labelNames(f *dto.MetricFamily, series string) map[string]bool {
	out := map[string]bool{}
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			out[l.GetName()] = true
		}
	}
	if strings.HasSuffix(series, "_bucket") && f.GetType() == dto.MetricType_HISTOGRAM {
		out["le"] = true
	}
	if f.GetType() == dto.MetricType_SUMMARY && series == f.GetName() {
		out["quantile"] = true
	}
	return out
}

func TestEveryExpressionParses(t *testing.T) {
	parseAll(t, queries(t))
}

// The heart of the dashboards' honesty: after a real run of vigia's probers, scheduler, alerting
// and notifiers against a simulated fleet, the registry exports every metric every dashboard
// and rule names, with every label they match or group on.
func TestEveryMetricAndLabelIsExportedByADemoRun(t *testing.T) {
	qs := queries(t)
	sels, groups := parseAll(t, qs)
	recorded := recordedBy(qs)
	run, err := demo.Execute(context.Background(), demo.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	missing := map[string][]string{}
	used := map[string]bool{}
	for _, s := range sels {
		if recorded[s.metric] {
			continue
		}
		f, ok := family(run.Families, s.metric)
		if !ok {
			missing[s.metric] = append(missing[s.metric], s.where)
			continue
		}
		used[s.metric] = true
		have := labelNames(f, s.metric)
		for l := range s.matchers {
			if !have[l] && !targetLabels[l] {
				t.Errorf("%s: %s has no label %q (it has %v)", s.where, s.metric, l, keys(have))
			}
		}
		// Dashboards filter every SEI series by the owner, environment and instance variables.
		if strings.Contains(s.where, ".json / ") && !strings.Contains(s.where, " / $") && have["owner"] {
			for _, v := range []string{"owner", "environment", "instance"} {
				if s.matchers[v] != ".*" {
					t.Errorf("%s: %s is not filtered by the %s variable", s.where, s.metric, v)
				}
			}
		}
	}
	for _, g := range groups {
		for _, l := range g.labels {
			found := targetLabels[l]
			for _, m := range g.under {
				if f, ok := family(run.Families, m); ok && labelNames(f, m)[l] {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: groups by %q, which none of %v has", g.where, l, g.under)
			}
		}
	}
	for _, m := range keys(missing) {
		t.Errorf("%s is not exported after a demo run; used by %v", m, missing[m])
	}
	t.Logf("%d selectors over %d metrics checked against %d exported families", len(sels), len(used), len(run.Families))
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
