// The SDK marks the v1 dashboard model deprecated in favour of dashboardv2, which only Grafana 12's
// new dashboard API reads; POST /api/dashboards/db and every Grafana in use (9 to 12) take v1.
//lint:file-ignore SA1019 the classic dashboard model is the one /api/dashboards/db accepts

package gen

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Dashboard is one generated Grafana dashboard.
type Dashboard struct {
	// File is the name under grafana/.
	File string
	UID  string
	// Title is the Grafana title; Summary says what it shows (for docs/dashboards.md).
	Title   string
	Summary string
	build   func() *dashboard.DashboardBuilder
}

// Dashboards lists the Grafana dashboards in the order docs/dashboards.md describes them.
func Dashboards() []Dashboard {
	return []Dashboard{
		{File: "vigia-fleet.json", UID: "vigia-fleet", Title: "vigia · Frota SEI: visão geral",
			Summary: "Instances up, down and in maintenance by owner and environment; state timeline per instance; failing probes now; TLS certificates that expire first.",
			build:   fleetDashboard},
		{File: "vigia-version-drift.json", UID: "vigia-version-drift", Title: "vigia · Defasagem de versões",
			Summary: "Matrix instance × component coloured by drift level (against Git or the fleet's latest); components per drift level; fleet version distribution over time; observed, desired and latest versions.",
			build:   driftDashboard},
		{File: "vigia-modules.json", UID: "vigia-modules", Title: "vigia · Módulos do SEI",
			Summary: "Per module: installed versions, installations, whether each module's surface answers (matrix instance × module), compatibility with the SEI version.",
			build:   modulesDashboard},
		{File: "vigia-synthetic.json", UID: "vigia-synthetic", Title: "vigia · Transação sintética",
			Summary: "Per step latency percentiles across the fleet and over the time range, failures by step now and over time, instances failing now with their step, runs by outcome.",
			build:   syntheticDashboard},
		{File: "vigia-self.json", UID: "vigia-self", Title: "vigia · O próprio vigia",
			Summary: "vigia's own health: probe start lag and run time, runs by outcome, scheduler queue and workers, notification queues, failures and latency, event shipping backlog (Elasticsearch disk buffer) and losses, Zabbix backlog, rule evaluation time, discovery, desired-state and event store status, memory and CPU.",
			build:   selfDashboard},
	}
}

// JSON builds the dashboard and encodes it as Grafana stores it (indented, stable key order).
func (d Dashboard) JSON() ([]byte, error) {
	built, err := d.build().Build()
	if err != nil {
		return nil, fmt.Errorf("dashboard %s: %w", d.UID, err)
	}
	b, err := json.MarshalIndent(built, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("dashboard %s: %w", d.UID, err)
	}
	return append(b, '\n'), nil
}

// Filters every sei_* query carries: the owner, environment and instance variables.
const seiFilter = `owner=~"$owner", environment=~"$environment", instance=~"$instance"`

// sel is a selector of an sei_* metric with the dashboard filters and extra matchers.
func sel(metric string, extra ...string) string {
	return metric + "{" + strings.Join(append(extra, seiFilter), ", ") + "}"
}

// vsel is a selector of a vigia_* metric filtered by the vigia replica variable (instance, the
// scrape target's address: vigia's own series carry no instance label of their own).
func vsel(metric string, extra ...string) string {
	return metric + "{" + strings.Join(append(extra, `instance=~"$instance"`), ", ") + "}"
}

func ds() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}
}

// query is a range query with a legend.
func query(ref, expr, legend string) *prometheus.DataqueryBuilder {
	q := prometheus.NewDataqueryBuilder().RefId(ref).Expr(expr).Datasource(ds()).Range().EditorMode(prometheus.QueryEditorModeCode)
	if legend != "" {
		q = q.LegendFormat(legend)
	}
	return q
}

// instant is an instant query returned as a table (one row per series).
func instant(ref, expr string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().RefId(ref).Expr(expr).Datasource(ds()).Instant().
		Format(prometheus.PromQueryFormatTable).EditorMode(prometheus.QueryEditorModeCode)
}

func thresholds(base string, steps ...any) *dashboard.ThresholdsConfigBuilder {
	list := []dashboard.Threshold{{Color: base}}
	for i := 0; i+1 < len(steps); i += 2 {
		v := toFloat(steps[i])
		list = append(list, dashboard.Threshold{Value: &v, Color: steps[i+1].(string)})
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(list)
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	panic(fmt.Sprintf("threshold value %v", v))
}

// valueText maps exact values to a text and colour.
func valueText(pairs ...[3]string) dashboard.ValueMapping {
	opts := map[string]dashboard.ValueMappingResult{}
	for i, p := range pairs {
		opts[p[0]] = dashboard.ValueMappingResult{Text: cog.ToPtr(p[1]), Color: cog.ToPtr(p[2]), Index: cog.ToPtr(int32(i))}
	}
	return dashboard.ValueMapping{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: opts}}
}

func lastValue() *common.ReduceDataOptionsBuilder {
	return common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false)
}

func statPanel(title, desc, expr, unit string, th *dashboard.ThresholdsConfigBuilder) *stat.PanelBuilder {
	return stat.NewPanelBuilder().Title(title).Description(desc).Datasource(ds()).
		WithTarget(instant("A", expr).Format(prometheus.PromQueryFormatTimeSeries)).
		Unit(unit).Thresholds(th).ColorMode(common.BigValueColorModeBackground).
		GraphMode(common.BigValueGraphModeNone).ReduceOptions(lastValue()).Orientation(common.VizOrientationAuto).Height(4).Span(4)
}

func tsPanel(title, desc, unit string, targets ...*prometheus.DataqueryBuilder) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().Title(title).Description(desc).Datasource(ds()).Unit(unit).
		Legend(common.NewVizLegendOptionsBuilder().DisplayMode(common.LegendDisplayModeTable).
			Placement(common.LegendPlacementBottom).ShowLegend(true).Calcs([]string{"lastNotNull", "max"})).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending)).
		FillOpacity(10).Height(8).Span(12)
	for _, t := range targets {
		p = p.WithTarget(t)
	}
	return p
}

func tablePanel(title, desc string, targets ...*prometheus.DataqueryBuilder) *table.PanelBuilder {
	p := table.NewPanelBuilder().Title(title).Description(desc).Datasource(ds()).
		Filterable(true).Height(9).Span(12).
		// Grafana always stores a reducer; without one the dashboard fails strict decoding.
		Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{"sum"}).CountRows(false))
	for _, t := range targets {
		p = p.WithTarget(t)
	}
	return p
}

// organize hides label columns nobody needs (the scrape job, the metric name, the time) and
// renames the rest.
func organize(rename map[string]string, hide ...string) dashboard.DataTransformerConfig {
	ex := map[string]bool{"Time": true, "__name__": true, "job": true}
	for _, h := range hide {
		ex[h] = true
	}
	if rename == nil {
		rename = map[string]string{}
	}
	return dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
		"excludeByName": ex, "renameByName": rename, "indexByName": map[string]int{},
	}}
}

func merge() dashboard.DataTransformerConfig {
	return dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}}
}

// matrix turns (row, column, Value) rows into a grid, Grafana's "grouping to matrix".
func matrix(row, column string) dashboard.DataTransformerConfig {
	return dashboard.DataTransformerConfig{Id: "groupingToMatrix", Options: map[string]any{
		"rowField": row, "columnField": column, "valueField": "Value", "emptyValue": "null",
	}}
}

func colorBackground() common.TableCellOptions {
	return common.TableCellOptions{TableColoredBackgroundCellOptions: &common.TableColoredBackgroundCellOptions{
		Type: common.TableCellDisplayModeColorBackground,
		Mode: cog.ToPtr(common.TableCellBackgroundDisplayModeBasic),
	}}
}

// seiVariables are the variables of the dashboards about SEI instances: the Prometheus data
// source, then owner, environment and instance, each narrowing the next.
func seiVariables(b *dashboard.DashboardBuilder) *dashboard.DashboardBuilder {
	return b.WithVariable(datasourceVariable()).
		WithVariable(labelVariable("owner", "Responsável", "label_values(sei_up, owner)")).
		WithVariable(labelVariable("environment", "Ambiente", `label_values(sei_up{owner=~"$owner"}, environment)`)).
		WithVariable(labelVariable("instance", "Instância", `label_values(sei_up{owner=~"$owner", environment=~"$environment"}, instance)`))
}

func datasourceVariable() *dashboard.DatasourceVariableBuilder {
	return dashboard.NewDatasourceVariableBuilder("datasource").Label("Fonte de dados").Type("prometheus")
}

func labelVariable(name, label, q string) *dashboard.QueryVariableBuilder {
	return dashboard.NewQueryVariableBuilder(name).Label(label).
		Query(dashboard.StringOrMap{String: cog.ToPtr(q)}).Definition(q).
		Datasource(ds()).Multi(true).IncludeAll(true).AllValue(".*").
		Current(dashboard.VariableOption{
			Selected: cog.ToPtr(true),
			Text:     dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
			Value:    dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}},
		}).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).Sort(dashboard.VariableSortAlphabeticalCaseInsensitiveAsc)
}

func base(uid, title, desc string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).Uid(uid).Description(desc).
		Tags([]string{"vigia", "sei"}).Editable().Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Refresh("1m").Time("now-6h", "now").Timezone(common.TimeZoneBrowser).
		Link(dashboard.NewDashboardLinkBuilder("Painéis do vigia").Type(dashboard.DashboardLinkTypeDashboards).
			Icon("external link").Tooltip("Os outros painéis do vigia").
			Tags([]string{"vigia"}).AsDropdown(true).IncludeVars(true).KeepTime(true))
}

func fleetDashboard() *dashboard.DashboardBuilder {
	down := fmt.Sprintf("(%s == 0) unless on (instance) (%s == 1)", sel("sei_up"), sel("sei_maintenance"))
	b := seiVariables(base("vigia-fleet", "vigia · Frota SEI: visão geral",
		"Disponibilidade da frota SEI observada pelo vigia: instâncias no ar, fora do ar e em manutenção por responsável e ambiente, e os certificados TLS que expiram primeiro."))
	return b.
		WithRow(dashboard.NewRowBuilder("Agora")).
		WithPanel(statPanel("Instâncias", "Instâncias SEI com resultado da sonda health.",
			"count("+sel("sei_up")+")", "none", thresholds("blue"))).
		WithPanel(statPanel("No ar", "Instâncias cuja página de entrada respondeu com o formulário de login (sei_up = 1).",
			"sum("+sel("sei_up")+")", "none", thresholds("green"))).
		WithPanel(statPanel("Fora do ar", "Instâncias com sei_up = 0 que não estão em manutenção.",
			"count("+down+") or vector(0)", "none", thresholds("green", 1, "red"))).
		WithPanel(statPanel("Em manutenção", "Instâncias que servem a página de manutenção do SEI.",
			"sum("+sel("sei_maintenance")+") or vector(0)", "none", thresholds("green", 1, "blue"))).
		WithPanel(statPanel("Disponibilidade", "Fração das instâncias no ar agora.",
			"avg("+sel("sei_up")+")", "percentunit", thresholds("red", 0.9, "orange", 0.99, "green"))).
		WithPanel(statPanel("Certificado TLS mais próximo de expirar", "Dias até a expiração do certificado TLS mais próximo de vencer.",
			"min(("+sel("sei_tls_cert_expiry_timestamp_seconds")+" - time()) / 86400)", "d", thresholds("red", 14, "orange", 30, "green"))).
		WithRow(dashboard.NewRowBuilder("Por responsável e ambiente")).
		WithPanel(tablePanel("Disponibilidade por responsável e ambiente", "Instâncias por responsável (órgão) e ambiente: total, no ar, fora do ar e em manutenção.",
			instant("A", "count by (owner, environment) ("+sel("sei_up")+")"),
			instant("B", "sum by (owner, environment) ("+sel("sei_up")+")"),
			instant("C", "count by (owner, environment) ("+down+")"),
			instant("D", "sum by (owner, environment) ("+sel("sei_maintenance")+")"),
		).WithTransformation(merge()).
			WithTransformation(organize(map[string]string{"owner": "Responsável", "environment": "Ambiente",
				"Value #A": "Instâncias", "Value #B": "No ar", "Value #C": "Fora do ar", "Value #D": "Em manutenção"})).
			OverrideByName("Fora do ar", []dashboard.DynamicConfigValue{
				{Id: "custom.cellOptions", Value: colorBackground()},
				{Id: "thresholds", Value: mustBuild(thresholds("green", 1, "red"))},
			}).
			SortBy([]cog.Builder[common.TableSortByFieldState]{common.NewTableSortByFieldStateBuilder().DisplayName("Fora do ar").Desc(true)})).
		WithPanel(bargauge.NewPanelBuilder().Title("Disponibilidade por responsável").
			Description("Fração das instâncias de cada responsável que está no ar agora.").Datasource(ds()).
			WithTarget(query("A", "avg by (owner) ("+sel("sei_up")+")", "{{owner}}").Instant()).
			Unit("percentunit").Min(0).Max(1).Thresholds(thresholds("red", 0.9, "orange", 0.99, "green")).
			DisplayMode(common.BarGaugeDisplayModeGradient).Orientation(common.VizOrientationHorizontal).
			ReduceOptions(lastValue()).Height(9).Span(12)).
		WithRow(dashboard.NewRowBuilder("Ao longo do tempo")).
		WithPanel(statetimeline.NewPanelBuilder().Title("Estado por instância").
			Description("no ar, fora do ar ou em manutenção, segundo a sonda health.").Datasource(ds()).
			WithTarget(query("A", sel("sei_up")+" + 2 * "+sel("sei_maintenance"), "{{instance}}")).
			Mappings([]dashboard.ValueMapping{valueText(
				[3]string{"0", "fora do ar", "red"}, [3]string{"1", "no ar", "green"}, [3]string{"2", "manutenção", "blue"})}).
			Thresholds(thresholds("red", 1, "green", 2, "blue")).
			ShowValue(common.VisibilityModeNever).MergeValues(true).RowHeight(0.8).
			Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeSingle).Sort(common.SortOrderNone)).Height(12).Span(24)).
		WithPanel(tsPanel("Instâncias fora do ar por responsável", "Instâncias com sei_up = 0 (manutenção incluída), por responsável.", "none",
			query("A", "count by (owner) ("+sel("sei_up")+" == 0)", "{{owner}}"))).
		WithPanel(tsPanel("Sondas falhando por tipo", "Instâncias cuja última execução de cada sonda falhou.", "none",
			query("A", "count by (probe) ("+sel("sei_probe_success")+" == 0)", "{{probe}}"))).
		WithRow(dashboard.NewRowBuilder("Problemas agora e certificados")).
		WithPanel(tablePanel("Sondas falhando agora", "Cada instância e sonda cuja última execução falhou; a evidência está no Kibana (busca \"vigia: sondas com falha\").",
			instant("A", sel("sei_probe_success")+" == 0")).
			WithTransformation(organize(map[string]string{"instance": "Instância", "owner": "Responsável", "environment": "Ambiente", "probe": "Sonda"}, "Value"))).
		WithPanel(tablePanel("Certificados TLS que expiram primeiro", "As 20 instâncias cujo certificado TLS vence primeiro, em dias.",
			instant("A", "sort(bottomk(20, ("+sel("sei_tls_cert_expiry_timestamp_seconds")+" - time()) / 86400))")).
			WithTransformation(organize(map[string]string{"instance": "Instância", "owner": "Responsável", "environment": "Ambiente", "Value": "Dias até expirar"})).
			Unit("d").Decimals(1).Thresholds(thresholds("red", 14, "orange", 30, "green")).
			OverrideByName("Dias até expirar", []dashboard.DynamicConfigValue{{Id: "custom.cellOptions", Value: colorBackground()}}))
}

// driftLevel turns the one-hot sei_version_drift into a number per (instance, component): the
// same scale as the Zabbix item vigia.drift[...] (major 3, minor 2, patch 1, none 0, ahead -1,
// unknown -2); max keeps the worst when both comparisons (desired, latest) are selected.
func driftLevel() string {
	levels := []struct {
		name string
		n    int
	}{{"major", 3}, {"minor", 2}, {"patch", 1}, {"none", 0}, {"ahead", -1}, {"unknown", -2}}
	parts := make([]string, 0, len(levels))
	for _, l := range levels {
		parts = append(parts, fmt.Sprintf("(%s * %d)", sel("sei_version_drift", `against=~"$against"`, fmt.Sprintf("level=%q", l.name)), l.n))
	}
	return "max by (instance, component) (\n  " + strings.Join(parts, "\n  or ") + "\n)"
}

func driftMappings() []dashboard.ValueMapping {
	return []dashboard.ValueMapping{valueText(
		[3]string{"3", "major", "red"}, [3]string{"2", "minor", "orange"}, [3]string{"1", "patch", "yellow"},
		[3]string{"0", "em dia", "green"}, [3]string{"-1", "à frente", "blue"}, [3]string{"-2", "desconhecido", "text"})}
}

func driftDashboard() *dashboard.DashboardBuilder {
	b := seiVariables(base("vigia-version-drift", "vigia · Defasagem de versões",
		"Versões do SEI, do SIP e dos módulos observadas em cada instância, comparadas com o estado desejado no Git e com a última versão da frota."))
	b = b.WithVariable(dashboard.NewCustomVariableBuilder("against").Label("Comparar com").
		Values(dashboard.StringOrMap{String: cog.ToPtr("desired,latest")}).
		Multi(true).IncludeAll(true).AllValue(".*").
		Current(dashboard.VariableOption{Selected: cog.ToPtr(true),
			Text: dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}}, Value: dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}}}).
		Description("desired: o estado desejado no Git; latest: a última versão da frota (desired.latest na configuração)."))
	b = b.WithVariable(labelVariable("component", "Componente", "label_values(sei_fleet_instances, component)"))
	return b.
		WithRow(dashboard.NewRowBuilder("Agora")).
		WithPanel(statPanel("Componentes com defasagem major", "Pares (instância, componente) atrás em versão major.",
			"count("+sel("sei_version_drift", `against=~"$against"`, `level="major"`)+" == 1) or vector(0)", "none", thresholds("green", 1, "red"))).
		WithPanel(statPanel("Componentes com defasagem minor", "Pares (instância, componente) atrás em versão minor (mudança de banco de dados no SEI).",
			"count("+sel("sei_version_drift", `against=~"$against"`, `level="minor"`)+" == 1) or vector(0)", "none", thresholds("green", 1, "orange"))).
		WithPanel(statPanel("Componentes com defasagem patch", "Pares (instância, componente) atrás só em correções.",
			"count("+sel("sei_version_drift", `against=~"$against"`, `level="patch"`)+" == 1) or vector(0)", "none", thresholds("green", 1, "yellow"))).
		WithPanel(statPanel("Instâncias em dia", "Instâncias cujos componentes comparados estão todos na versão esperada.",
			"count(max by (instance) ("+driftLevel()+") == 0) or vector(0)", "none", thresholds("blue"))).
		WithPanel(bargauge.NewPanelBuilder().Title("Componentes por nível de defasagem").
			Description("Quantos pares (instância, componente) estão em cada nível.").Datasource(ds()).
			WithTarget(query("A", "sum by (level) ("+sel("sei_version_drift", `against=~"$against"`)+")", "{{level}}").Instant()).
			DisplayMode(common.BarGaugeDisplayModeBasic).Orientation(common.VizOrientationVertical).
			ReduceOptions(lastValue()).Thresholds(thresholds("blue")).Height(4).Span(8)).
		WithRow(dashboard.NewRowBuilder("Matriz de defasagem")).
		WithPanel(tablePanel("Defasagem por instância e componente",
			"Cada célula é o pior nível de defasagem do componente na instância: major (vermelho), minor (laranja), patch (amarelo), em dia (verde), à frente (azul), desconhecido.",
			instant("A", driftLevel())).
			WithTransformation(matrix("instance", "component")).
			Mappings(driftMappings()).
			Thresholds(thresholds("text", -1, "blue", 0, "green", 1, "yellow", 2, "orange", 3, "red")).
			CellOptions(colorBackground()).Height(14).Span(24)).
		WithRow(dashboard.NewRowBuilder("Versões")).
		WithPanel(tsPanel("Distribuição de versões na frota", "Instâncias por versão observada de cada componente (sei_fleet_instances: toda a frota, sem filtro de responsável).", "none",
			query("A", `sei_fleet_instances{component=~"$component"}`, "{{component}} {{version}}")).
			Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal)).FillOpacity(60).Span(24)).
		WithPanel(tablePanel("Versões observadas por instância", "Cada versão observada, com a superfície que a informou (source).",
			instant("A", sel("sei_version_info", `component=~"$component"`))).
			WithTransformation(organize(map[string]string{"instance": "Instância", "owner": "Responsável", "environment": "Ambiente",
				"component": "Componente", "version": "Versão", "source": "Fonte"}, "Value"))).
		WithPanel(tablePanel("Estado desejado (Git) e última versão", "Versões que o repositório GitOps pede para cada instância e a última versão da frota.",
			instant("A", `sei_desired_version_info{instance=~"$instance", component=~"$component"}`),
			instant("B", `sei_latest_version_info{component=~"$component"}`)).
			WithTransformation(organize(map[string]string{"instance": "Instância", "component": "Componente", "version": "Versão"}, "Value #A", "Value #B"))).
		WithPanel(tsPanel("Defasagem ao longo do tempo", "Pares (instância, componente) em cada nível de defasagem.", "none",
			query("A", "sum by (level) ("+sel("sei_version_drift", `against=~"$against"`, `level=~"major|minor|patch"`)+")", "{{level}}")).
			Span(24))
}

func modulesDashboard() *dashboard.DashboardBuilder {
	mod := `module=~"$module"`
	b := seiVariables(base("vigia-modules", "vigia · Módulos do SEI",
		"Módulos instalados em cada instância SEI (mod-sei-pen, mod-wssei, peticionamento, ...), suas versões, se respondem e se são compatíveis com a versão do SEI."))
	b = b.WithVariable(labelVariable("module", "Módulo", `label_values(sei_module_info{owner=~"$owner", environment=~"$environment", instance=~"$instance"}, module)`))
	return b.
		WithRow(dashboard.NewRowBuilder("Agora")).
		WithPanel(statPanel("Instalações", "Módulos instalados somados em todas as instâncias filtradas.",
			"count("+sel("sei_module_info", mod)+")", "none", thresholds("blue"))).
		WithPanel(statPanel("Sem resposta", "Módulos cuja superfície própria (API, WSDL, página) falhou.",
			"count("+sel("sei_module_up", mod)+" == 0) or vector(0)", "none", thresholds("green", 1, "red"))).
		WithPanel(statPanel("Incompatíveis", "Módulos cuja versão não roda na versão do SEI observada, segundo a matriz de compatibilidade.",
			"count("+sel("sei_module_compatible", mod)+" == 0) or vector(0)", "none", thresholds("green", 1, "orange"))).
		WithPanel(statPanel("Módulos distintos", "Módulos diferentes encontrados na frota filtrada.",
			"count(count by (module) ("+sel("sei_module_info", mod)+"))", "none", thresholds("blue"))).
		WithPanel(bargauge.NewPanelBuilder().Title("Instalações por módulo").Description("Em quantas instâncias cada módulo está instalado.").
			Datasource(ds()).WithTarget(query("A", "count by (module) ("+sel("sei_module_info", mod)+")", "{{module}}").Instant()).
			DisplayMode(common.BarGaugeDisplayModeBasic).Orientation(common.VizOrientationHorizontal).
			ReduceOptions(lastValue()).Thresholds(thresholds("blue")).Height(8).Span(8)).
		WithRow(dashboard.NewRowBuilder("Por módulo")).
		WithPanel(tablePanel("Versões por módulo", "Instâncias por módulo e versão observada (vazia quando nenhuma superfície informa a versão).",
			instant("A", "count by (module, version) ("+sel("sei_module_info", mod)+")")).
			WithTransformation(organize(map[string]string{"module": "Módulo", "version": "Versão", "Value": "Instâncias"})).
			SortBy([]cog.Builder[common.TableSortByFieldState]{common.NewTableSortByFieldStateBuilder().DisplayName("Módulo")})).
		WithPanel(tablePanel("Módulos incompatíveis com o SEI", "Módulos cuja versão não roda na versão do SEI da instância.",
			instant("A", "("+sel("sei_module_compatible", mod)+" == 0) * on (instance, module) group_left (version) "+sel("sei_module_info", mod))).
			WithTransformation(organize(map[string]string{"instance": "Instância", "owner": "Responsável", "environment": "Ambiente",
				"module": "Módulo", "version": "Versão"}, "Value"))).
		WithPanel(tablePanel("Módulo respondendo por instância", "1 (verde) quando a superfície do módulo respondeu, 0 (vermelho) quando falhou; vazio para módulos sem superfície própria.",
			instant("A", sel("sei_module_up", mod))).
			WithTransformation(matrix("instance", "module")).
			Mappings([]dashboard.ValueMapping{valueText([3]string{"1", "ok", "green"}, [3]string{"0", "falha", "red"})}).
			Thresholds(thresholds("red", 1, "green")).CellOptions(colorBackground()).Height(12).Span(24)).
		WithPanel(tsPanel("Módulos respondendo por módulo", "Fração das instalações de cada módulo que respondeu.", "percentunit",
			query("A", "avg by (module) ("+sel("sei_module_up", mod)+")", "{{module}}")).Min(0).Max(1)).
		WithPanel(tsPanel("Módulos incompatíveis ao longo do tempo", "Instalações incompatíveis com o SEI, por módulo.", "none",
			query("A", "count by (module) ("+sel("sei_module_compatible", mod)+" == 0)", "{{module}}")))
}

func syntheticDashboard() *dashboard.DashboardBuilder {
	step := `step=~"$step"`
	b := seiVariables(base("vigia-synthetic", "vigia · Transação sintética",
		"A jornada de usuário que o vigia executa em cada instância (entrada, login no SIP, lista de processos, pesquisa, logout): latência por passo e falhas por passo."))
	b = b.WithVariable(labelVariable("step", "Passo", `label_values(sei_synthetic_step_duration_seconds{owner=~"$owner", environment=~"$environment", instance=~"$instance"}, step)`))
	quant := func(ref, q string) *prometheus.DataqueryBuilder {
		return query(ref, "quantile by (step) ("+q+", "+sel("sei_synthetic_step_duration_seconds", step)+")", "p"+strings.TrimPrefix(q, "0.")+" {{step}}")
	}
	return b.
		WithRow(dashboard.NewRowBuilder("Agora")).
		WithPanel(statPanel("Transações completas", "Fração das instâncias cuja última transação sintética passou em todos os passos.",
			"avg("+sel("sei_synthetic_success")+")", "percentunit", thresholds("red", 0.9, "orange", 0.99, "green"))).
		WithPanel(statPanel("Instâncias falhando", "Instâncias cuja última transação sintética falhou.",
			"count("+sel("sei_synthetic_success")+" == 0) or vector(0)", "none", thresholds("green", 1, "red"))).
		WithPanel(statPanel("Duração mediana da transação", "Mediana, entre as instâncias, da duração da última transação completa.",
			"quantile(0.5, "+sel("sei_probe_duration_seconds", `probe="synthetic"`, `phase="total"`)+")", "s", thresholds("green", 2, "orange", 5, "red"))).
		WithPanel(statPanel("Duração p90 da transação", "Percentil 90, entre as instâncias, da duração da última transação.",
			"quantile(0.9, "+sel("sei_probe_duration_seconds", `probe="synthetic"`, `phase="total"`)+")", "s", thresholds("green", 2, "orange", 5, "red"))).
		WithPanel(bargauge.NewPanelBuilder().Title("Falhas por passo agora").
			Description("Instâncias cuja última transação falhou em cada passo.").Datasource(ds()).
			WithTarget(query("A", "sum by (step) ("+sel("sei_synthetic_failed_step", step)+")", "{{step}}").Instant()).
			DisplayMode(common.BarGaugeDisplayModeBasic).Orientation(common.VizOrientationVertical).
			ReduceOptions(lastValue()).Thresholds(thresholds("green", 1, "red")).Height(4).Span(8)).
		WithRow(dashboard.NewRowBuilder("Latência por passo")).
		WithPanel(tsPanel("Latência por passo: p50, p90 e p99 entre as instâncias", "Percentis, entre as instâncias filtradas, da duração de cada passo na última transação.", "s",
			quant("A", "0.5"), quant("B", "0.9"), quant("C", "0.99")).Span(24)).
		WithPanel(tablePanel("p95 no período por instância e passo", "Percentil 95 da duração de cada passo em cada instância ao longo do período escolhido.",
			instant("A", "quantile_over_time(0.95, "+sel("sei_synthetic_step_duration_seconds", step)+"[$__range])")).
			WithTransformation(matrix("instance", "step")).
			Unit("s").Thresholds(thresholds("green", 1, "orange", 3, "red")).CellOptions(colorBackground()).Height(12).Span(24)).
		WithRow(dashboard.NewRowBuilder("Falhas por passo")).
		WithPanel(tsPanel("Falhas por passo ao longo do tempo", "Instâncias cuja última transação falhou em cada passo.", "none",
			query("A", "sum by (step) ("+sel("sei_synthetic_failed_step", step)+")", "{{step}}")).
			DrawStyle(common.GraphDrawStyleBars).Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal)).FillOpacity(80)).
		WithPanel(tsPanel("Execuções da sonda synthetic por resultado", "Execuções por segundo em toda a frota (vigia_probe_runs_total não tem filtro de responsável).", "ops",
			query("A", `sum by (outcome) (rate(vigia_probe_runs_total{probe="synthetic"}[$__rate_interval]))`, "{{outcome}}"))).
		WithPanel(tablePanel("Instâncias falhando agora", "O passo em que a última transação de cada instância falhou; a evidência (URL, status, trecho da resposta) está no Kibana, busca \"vigia: falhas da transação sintética\".",
			instant("A", sel("sei_synthetic_failed_step", step)+" == 1")).
			WithTransformation(organize(map[string]string{"instance": "Instância", "owner": "Responsável", "environment": "Ambiente", "step": "Passo"}, "Value")).
			Span(24))
}

func selfDashboard() *dashboard.DashboardBuilder {
	b := base("vigia-self", "vigia · O próprio vigia",
		"Saúde do próprio vigia: atraso e duração das sondas, filas, notificações, Zabbix, avaliação de regras e fontes de alvos e de estado desejado.").
		WithVariable(datasourceVariable()).
		WithVariable(labelVariable("instance", "Réplica do vigia", "label_values(vigia_build_info, instance)").
			Description("Endereço de cada réplica (shard) do vigia, como o Prometheus a coleta."))
	hq := func(ref, q, metric, by, legend string) *prometheus.DataqueryBuilder {
		return query(ref, fmt.Sprintf("histogram_quantile(%s, sum by (le, %s) (rate(%s[$__rate_interval])))", q, by, vsel(metric+"_bucket")), legend)
	}
	return b.
		WithRow(dashboard.NewRowBuilder("Agora")).
		WithPanel(statPanel("Réplicas", "Processos vigia coletados pelo Prometheus.",
			"count("+vsel("vigia_build_info")+")", "none", thresholds("blue"))).
		WithPanel(statPanel("Instâncias vigiadas", "Instâncias SEI que as réplicas vigiam (depois do sharding).",
			"sum("+vsel("vigia_instances")+")", "none", thresholds("blue"))).
		WithPanel(statPanel("Configuração carregada", "0 quando a última recarga da configuração foi rejeitada (a anterior continua valendo).",
			"min("+vsel("vigia_config_last_reload_successful")+")", "none", thresholds("red", 1, "green"))).
		WithPanel(statPanel("Alertas disparando", "Alertas no estado firing, silenciados e inibidos incluídos.",
			"sum("+vsel("vigia_alerts", `state="firing"`)+")", "none", thresholds("green", 1, "orange"))).
		WithPanel(statPanel("Atraso p99 de início das sondas", "Atraso entre a hora marcada e o início de uma execução, nos últimos 5 minutos.",
			"histogram_quantile(0.99, sum by (le) (rate("+vsel("vigia_probe_start_lag_seconds_bucket")+"[5m])))", "s", thresholds("green", 0.5, "orange", 1, "red"))).
		WithPanel(statPanel("Falhas de notificação (1h)", "Notificações desistidas ou descartadas na última hora, todos os receptores.",
			`sum(increase(`+vsel("vigia_notifications_total", `outcome=~"failed|dropped"`)+`[1h])) or vector(0)`, "none", thresholds("green", 1, "red"))).
		WithRow(dashboard.NewRowBuilder("Sondas")).
		WithPanel(tsPanel("Atraso de início das sondas (p99)", "Quanto cada execução começou depois da hora marcada; acima de 1 s o vigia não está dando conta da frota.", "s",
			hq("A", "0.99", "vigia_probe_start_lag_seconds", "probe", "{{probe}}"))).
		WithPanel(tsPanel("Duração das sondas (p95)", "Tempo de parede das execuções, por sonda.", "s",
			hq("A", "0.95", "vigia_probe_run_duration_seconds", "probe", "{{probe}}"))).
		WithPanel(tsPanel("Execuções por sonda e resultado", "Execuções por segundo: success, failure, timeout.", "ops",
			query("A", "sum by (probe, outcome) (rate("+vsel("vigia_probe_runs_total")+"[$__rate_interval]))", "{{probe}} {{outcome}}"))).
		WithPanel(tsPanel("Fila do agendador e execuções em andamento", "Execuções devidas esperando um worker livre, execuções em andamento e o limite de concorrência.", "none",
			query("A", "sum("+vsel("vigia_scheduler_queue_depth")+")", "na fila"),
			query("B", "sum("+vsel("vigia_probes_in_flight")+")", "em andamento"),
			query("C", "sum("+vsel("vigia_scheduler_concurrency")+")", "limite"),
			query("D", "sum by (probe) ("+vsel("vigia_scheduled_jobs")+")", "agendados {{probe}}"))).
		WithPanel(tsPanel("Sessões SIP mantidas e conexões repassadas", "Sessões SIP que a sonda de módulos mantém entre execuções (no máximo uma por instância; caem a zero ao desligar), e execuções que aproveitaram a conexão deixada pela execução anterior no mesmo servidor (taken) ou abriram a sua (none).", "none",
			query("A", "sum("+vsel("vigia_kept_sessions")+")", "sessões SIP mantidas"),
			query("B", "sum by (result) (rate("+vsel("vigia_connection_handovers_total")+"[$__rate_interval]))", "conexões {{result}}/s"))).
		WithRow(dashboard.NewRowBuilder("Notificações e envio")).
		WithPanel(tsPanel("Falhas de notificação por receptor", "Tentativas repetidas (retried), desistidas (failed) e descartadas por fila cheia (dropped).", "none",
			query("A", "sum by (receiver, outcome) (increase("+vsel("vigia_notifications_total", `outcome=~"failed|dropped|retried"`)+"[$__rate_interval]))", "{{receiver}} {{outcome}}")).
			DrawStyle(common.GraphDrawStyleBars)).
		WithPanel(tsPanel("Notificações enviadas por receptor", "Notificações entregues.", "none",
			query("A", "sum by (receiver) (increase("+vsel("vigia_notifications_total", `outcome="sent"`)+"[$__rate_interval]))", "{{receiver}}")).
			DrawStyle(common.GraphDrawStyleBars)).
		WithPanel(tsPanel("Fila de notificações por receptor", "Atualizações de grupos esperando cada receptor.", "none",
			query("A", "sum by (receiver) ("+vsel("vigia_notification_queue_depth")+")", "{{receiver}}"))).
		WithPanel(tsPanel("Latência de entrega (p95)", "Duração de cada tentativa de entrega, por receptor.", "s",
			hq("A", "0.95", "vigia_notification_duration_seconds", "receiver", "{{receiver}}"))).
		WithPanel(tsPanel("Backlog do Zabbix", "Valores e estados de alerta esperando envio ao trapper do Zabbix; cresce enquanto o Zabbix está fora.", "none",
			query("A", "sum by (receiver, queue) ("+vsel("vigia_zabbix_queue_depth")+")", "{{receiver}} {{queue}}"),
			query("B", "min by (receiver) ("+vsel("vigia_zabbix_up")+")", "{{receiver}} no ar"))).
		WithPanel(tsPanel("Eventos esperando envio ao Elasticsearch", "Eventos no buffer em disco e a idade do mais antigo: cresce enquanto o Elasticsearch está fora (nada se perde até o limite do buffer).", "none",
			query("A", "sum by (instance) ("+vsel("vigia_events_queue_events")+")", "eventos na fila {{instance}}"),
			query("B", "max by (instance) ("+vsel("vigia_events_queue_oldest_age_seconds")+") / 60", "idade do mais antigo (min) {{instance}}"))).
		WithPanel(tsPanel("Eventos produzidos, entregues e perdidos", "Eventos por segundo: produzidos por dataset, entregues por saída (elasticsearch, file) e perdidos por motivo.", "ops",
			query("A", "sum by (dataset) (rate("+vsel("vigia_events_total")+"[$__rate_interval]))", "produzidos {{dataset}}"),
			query("B", "sum by (output) (rate("+vsel("vigia_events_shipped_total")+"[$__rate_interval]))", "entregues {{output}}"),
			query("C", "sum by (reason) (rate("+vsel("vigia_events_dropped_total")+"[$__rate_interval]))", "perdidos {{reason}}"))).
		WithPanel(tsPanel("Valores do Zabbix descartados e rejeitados", "Valores descartados antes do envio (fila cheia, item não provisionado) e rejeitados pelo trapper.", "none",
			query("A", "sum by (receiver, reason) (increase("+vsel("vigia_zabbix_values_dropped_total")+"[$__rate_interval]))", "{{receiver}} descartado {{reason}}"),
			query("B", "sum by (receiver) (increase("+vsel("vigia_zabbix_values_failed_total")+"[$__rate_interval]))", "{{receiver}} rejeitado"))).
		WithRow(dashboard.NewRowBuilder("Alertas, fontes e processo")).
		WithPanel(tsPanel("Alertas por estado e severidade", "Alertas pending e firing, por severidade.", "none",
			query("A", "sum by (state, severity) ("+vsel("vigia_alerts")+")", "{{state}} {{severity}}"))).
		WithPanel(tsPanel("Avaliação de regras (p99)", "Tempo para avaliar todas as regras que leem um resultado.", "s",
			query("A", "histogram_quantile(0.99, sum by (le) (rate("+vsel("vigia_rule_evaluation_duration_seconds_bucket")+"[$__rate_interval])))", "p99"))).
		WithPanel(tsPanel("Fontes e destinos no ar", "1 quando a última leitura da fonte ou o último envio ao destino deu certo.", "none",
			query("A", "min by (source) ("+vsel("vigia_discovery_source_up")+")", "descoberta {{source}}"),
			query("B", "min("+vsel("vigia_desired_refresh_success")+")", "estado desejado (Git)"),
			// Without Elasticsearch the gauge is 0 and the buffer metrics are absent: show it only where shipping is on.
			query("C", "min("+vsel("vigia_events_store_up")+" and on (instance) "+vsel("vigia_events_queue_limit_bytes")+")", "Elasticsearch")).Min(0).Max(1)).
		WithPanel(tsPanel("Idade do estado desejado", "Tempo desde a última leitura completa do repositório GitOps.", "s",
			query("A", "time() - max("+vsel("vigia_desired_last_success_timestamp_seconds")+")", "idade"))).
		WithPanel(tsPanel("Memória residente", "Memória residente de cada réplica.", "bytes",
			query("A", vsel("process_resident_memory_bytes")+" and on (instance) "+vsel("vigia_build_info"), "{{instance}}"))).
		WithPanel(tsPanel("CPU", "Núcleos de CPU usados por cada réplica.", "none",
			query("A", "rate("+vsel("process_cpu_seconds_total")+"[$__rate_interval]) and on (instance) "+vsel("vigia_build_info"), "{{instance}}")))
}

// mustBuild builds a nested builder whose input is a constant of this file.
func mustBuild[T any](b cog.Builder[T]) T {
	v, err := b.Build()
	if err != nil {
		panic(err)
	}
	return v
}
