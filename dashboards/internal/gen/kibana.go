package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Saved object ids, stable so a re-import overwrites instead of duplicating.
const (
	KibanaProbeView  = "vigia-probe-events"
	KibanaAlertView  = "vigia-alert-events"
	KibanaLogView    = "vigia-log-events"
	KibanaDashboard  = "vigia-events"
	kibanaVersion    = "8.0.0"
	kibanaRefIndex   = "kibanaSavedObjectMeta.searchSourceJSON.index"
	failedProbeQuery = `event.outcome : "failure" and not event.action : "synthetic_step"`
)

// KibanaObject is one saved object of the NDJSON file.
type KibanaObject struct {
	Type       string         `json:"type"`
	ID         string         `json:"id"`
	Attributes map[string]any `json:"attributes"`
	References []KibanaRef    `json:"references"`
	// Kibana refuses an object whose migration version is newer than the last migration it knows
	// for the type, and migrates older ones on import. The versions below are ones every Kibana 8
	// knows (see migrationVersion), so 8.0 through 8.x import the file and bring it up to date.
	CoreMigrationVersion string            `json:"coreMigrationVersion"`
	MigrationVersion     map[string]string `json:"migrationVersion"`
}

// migrationVersion is, per type, a version whose shape the attributes of this file have and that
// no Kibana 8 considers newer than its own: 8.0.0 for data views (the version Kibana 8.0 itself
// exports them at), 7.9.3 (the last migration every one of these types had before 8.0) for the
// others, whose 8.x migrations then run on import.
var migrationVersion = map[string]string{"index-pattern": "8.0.0", "search": "7.9.3", "visualization": "7.9.3", "dashboard": "7.9.3"}

// KibanaRef points from one saved object to another.
type KibanaRef struct {
	Name string `json:"name"`
	Type string `json:"type"`
	ID   string `json:"id"`
}

func object(typ, id string, attrs map[string]any, refs ...KibanaRef) KibanaObject {
	if refs == nil {
		refs = []KibanaRef{}
	}
	return KibanaObject{Type: typ, ID: id, Attributes: attrs, References: refs,
		CoreMigrationVersion: kibanaVersion, MigrationVersion: map[string]string{typ: migrationVersion[typ]}}
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only constant maps of this file reach here
	}
	return string(b)
}

// Nanosecond fields shown as durations.
var durationFormat = map[string]any{"id": "duration", "params": map[string]any{"inputFormat": "nanoseconds", "outputFormat": "humanizePrecise", "outputPrecision": 2}}

func dataView(id, pattern, name string, formats map[string]any) KibanaObject {
	return object("index-pattern", id, map[string]any{
		"title":           pattern,
		"name":            name,
		"timeFieldName":   "@timestamp",
		"fields":          "[]",
		"fieldFormatMap":  jsonString(formats),
		"fieldAttrs":      "{}",
		"runtimeFieldMap": "{}",
		"sourceFilters":   "[]",
		"typeMeta":        "{}",
		"allowNoIndex":    true,
	})
}

func searchSource(kql string) string {
	return jsonString(map[string]any{
		"query":        map[string]any{"query": kql, "language": "kuery"},
		"filter":       []any{},
		"indexRefName": kibanaRefIndex,
	})
}

func savedSearch(id, title, desc, view, kql string, columns []string) KibanaObject {
	return object("search", id, map[string]any{
		"title":       title,
		"description": desc,
		"columns":     columns,
		"sort":        [][]string{{"@timestamp", "desc"}},
		"grid":        map[string]any{},
		"hideChart":   false,
		"kibanaSavedObjectMeta": map[string]any{
			"searchSourceJSON": searchSource(kql),
		},
	}, KibanaRef{Name: kibanaRefIndex, Type: "index-pattern", ID: view})
}

func termsAgg(id, field, schema string, size int) map[string]any {
	return map[string]any{"id": id, "enabled": true, "type": "terms", "schema": schema, "params": map[string]any{
		"field": field, "orderBy": "1", "order": "desc", "size": size,
		"otherBucket": false, "otherBucketLabel": "Outros", "missingBucket": false, "missingBucketLabel": "Ausente",
	}}
}

var countAgg = map[string]any{"id": "1", "enabled": true, "type": "count", "schema": "metric", "params": map[string]any{}}

func visualization(id, title, desc, view, kql string, visState map[string]any) KibanaObject {
	visState["title"] = title
	return object("visualization", id, map[string]any{
		"title":       title,
		"description": desc,
		"visState":    jsonString(visState),
		"uiStateJSON": "{}",
		"version":     1,
		"kibanaSavedObjectMeta": map[string]any{
			"searchSourceJSON": searchSource(kql),
		},
	}, KibanaRef{Name: kibanaRefIndex, Type: "index-pattern", ID: view})
}

func histogram(splitField string) map[string]any {
	return map[string]any{
		"type": "histogram",
		"aggs": []any{
			countAgg,
			map[string]any{"id": "2", "enabled": true, "type": "date_histogram", "schema": "segment", "params": map[string]any{
				"field": "@timestamp", "useNormalizedEsInterval": true, "scaleMetricValues": false, "interval": "auto",
				"drop_partials": false, "min_doc_count": 1, "extended_bounds": map[string]any{},
			}},
			termsAgg("3", splitField, "group", 10),
		},
		"params": map[string]any{
			"type": "histogram", "grid": map[string]any{"categoryLines": false},
			"categoryAxes": []any{map[string]any{"id": "CategoryAxis-1", "type": "category", "position": "bottom", "show": true,
				"style": map[string]any{}, "scale": map[string]any{"type": "linear"},
				"labels": map[string]any{"show": true, "filter": true, "truncate": 100}, "title": map[string]any{}}},
			"valueAxes": []any{map[string]any{"id": "ValueAxis-1", "name": "LeftAxis-1", "type": "value", "position": "left", "show": true,
				"style": map[string]any{}, "scale": map[string]any{"type": "linear", "mode": "normal"},
				"labels": map[string]any{"show": true, "rotate": 0, "filter": false, "truncate": 100}, "title": map[string]any{"text": "Eventos"}}},
			"seriesParams": []any{map[string]any{"show": true, "type": "histogram", "mode": "stacked",
				"data": map[string]any{"label": "Eventos", "id": "1"}, "valueAxis": "ValueAxis-1",
				"drawLinesBetweenPoints": true, "lineWidth": 2, "showCircles": true}},
			"addTooltip": true, "addLegend": true, "legendPosition": "right", "times": []any{}, "addTimeMarker": false,
			"labels": map[string]any{"show": false}, "detailedTooltip": true,
			"thresholdLine": map[string]any{"show": false, "value": 10, "width": 1, "style": "full", "color": "#E7664C"},
			"palette":       map[string]any{"type": "palette", "name": "default"}, "isVislibVis": true,
		},
	}
}

func tableVis(aggs ...any) map[string]any {
	return map[string]any{
		"type": "table",
		"aggs": append([]any{countAgg}, aggs...),
		"params": map[string]any{"perPage": 10, "showPartialRows": false, "showMetricsAtAllLevels": false,
			"showTotal": false, "totalFunc": "sum", "percentageCol": "", "row": true},
	}
}

// KibanaObjects are the saved objects: a data view per vigia data stream, the saved searches
// operators start from, a few visualizations and a dashboard that puts them together.
func KibanaObjects() []KibanaObject {
	probeColumns := []string{"sei.instance", "labels.owner", "service.environment", "sei.probe", "error.message",
		"http.response.status_code", "sei.evidence.url", "event.duration"}
	objs := []KibanaObject{
		dataView(KibanaProbeView, "logs-vigia.probe-*", "vigia: execuções das sondas",
			map[string]any{"event.duration": durationFormat, "sei.synthetic.step.duration": durationFormat}),
		dataView(KibanaAlertView, "logs-vigia.alert-*", "vigia: alertas", map[string]any{"event.duration": durationFormat}),
		dataView(KibanaLogView, "logs-vigia.log-*", "vigia: avisos e erros do vigia", map[string]any{}),

		savedSearch("vigia-failed-probes", "vigia: sondas com falha",
			"Execuções de sonda que falharam, com o motivo, o status HTTP e a URL da evidência.",
			KibanaProbeView, failedProbeQuery, probeColumns),
		savedSearch("vigia-synthetic-failures", "vigia: falhas da transação sintética (com evidência)",
			"Transações sintéticas que falharam: o passo, o motivo, a URL e o trecho da resposta que o vigia guardou como evidência.",
			KibanaProbeView, `event.action : "synthetic" and event.outcome : "failure"`,
			[]string{"sei.instance", "labels.owner", "service.environment", "sei.synthetic.step.failed", "error.message",
				"sei.evidence.step", "sei.evidence.status", "sei.evidence.url", "sei.evidence.excerpt"}),
		savedSearch("vigia-synthetic-failed-steps", "vigia: passos da transação sintética com falha",
			"Cada passo que falhou, com o status HTTP e a duração; sei.synthetic.run_id leva à execução completa.",
			KibanaProbeView, `event.action : "synthetic_step" and sei.synthetic.step.ok : false`,
			[]string{"sei.instance", "sei.synthetic.step.name", "sei.synthetic.step.status", "sei.synthetic.step.duration",
				"error.message", "url.full", "sei.synthetic.run_id"}),
		savedSearch("vigia-alert-history", "vigia: histórico de alertas",
			"Cada mudança de estado de alerta (pending, firing, resolved), com o resumo, a severidade e se estava silenciado ou inibido.",
			KibanaAlertView, `event.kind : "alert"`,
			[]string{"rule.name", "sei.alert.state", "sei.alert.severity", "sei.instance", "labels.owner", "service.environment",
				"sei.alert.annotations.summary", "sei.alert.silenced", "sei.alert.inhibited", "event.duration"}),
		savedSearch("vigia-log-warnings", "vigia: avisos e erros do vigia",
			"Avisos e erros do próprio vigia (fontes de descoberta ilegíveis, envio falhando, ...).",
			KibanaLogView, `log.level : ("warn" or "error")`,
			[]string{"log.level", "message", "error.message", "sei.instance"}),

		visualization("vigia-failures-over-time", "vigia: falhas por sonda ao longo do tempo",
			"Execuções de sonda com falha por intervalo, empilhadas por sonda.",
			KibanaProbeView, failedProbeQuery, histogram("sei.probe")),
		visualization("vigia-failures-by-instance", "vigia: instâncias com mais falhas",
			"As instâncias com mais execuções de sonda falhando no período, por sonda.",
			KibanaProbeView, failedProbeQuery, tableVis(termsAgg("2", "sei.instance", "bucket", 20), termsAgg("3", "sei.probe", "bucket", 5))),
		visualization("vigia-synthetic-failures-by-step", "vigia: falhas da transação sintética por passo",
			"Transações sintéticas com falha por passo em que falharam.",
			KibanaProbeView, `event.action : "synthetic" and event.outcome : "failure"`, histogram("sei.synthetic.step.failed")),
		visualization("vigia-alerts-by-rule", "vigia: alertas disparados por regra",
			"Alertas que passaram a firing no período, por regra e severidade.",
			KibanaAlertView, `sei.alert.state : "firing"`, tableVis(termsAgg("2", "rule.name", "bucket", 20), termsAgg("3", "sei.alert.severity", "bucket", 5))),
	}
	objs = append(objs, kibanaDashboard(objs))
	return objs
}

func kibanaDashboard(objs []KibanaObject) KibanaObject {
	type panel struct {
		id, typ string
		w, h    int
	}
	layout := []panel{
		{"vigia-failures-over-time", "visualization", 32, 14},
		{"vigia-failures-by-instance", "visualization", 16, 14},
		{"vigia-failed-probes", "search", 48, 15},
		{"vigia-synthetic-failures-by-step", "visualization", 24, 12},
		{"vigia-alerts-by-rule", "visualization", 24, 12},
		{"vigia-synthetic-failures", "search", 48, 15},
		{"vigia-alert-history", "search", 48, 15},
	}
	known := map[string]string{}
	for _, o := range objs {
		known[o.ID] = o.Type
	}
	var panels []any
	var refs []KibanaRef
	x, y, rowH := 0, 0, 0
	for i, p := range layout {
		if known[p.id] != p.typ {
			panic(fmt.Sprintf("kibana dashboard: panel %s is not a %s of this file", p.id, p.typ))
		}
		if x+p.w > 48 {
			x, y, rowH = 0, y+rowH, 0
		}
		idx := fmt.Sprint(i + 1)
		ref := "panel_" + idx
		panels = append(panels, map[string]any{
			"version": migrationVersion["dashboard"], "type": p.typ, "panelIndex": idx, "panelRefName": ref,
			"gridData":         map[string]any{"x": x, "y": y, "w": p.w, "h": p.h, "i": idx},
			"embeddableConfig": map[string]any{"enhancements": map[string]any{}},
		})
		refs = append(refs, KibanaRef{Name: ref, Type: p.typ, ID: p.id})
		x += p.w
		rowH = max(rowH, p.h)
	}
	return object("dashboard", KibanaDashboard, map[string]any{
		"title":       "vigia: sondas e alertas",
		"description": "Falhas das sondas do vigia, a evidência das transações sintéticas e o histórico de alertas.",
		"panelsJSON":  jsonString(panels),
		"optionsJSON": jsonString(map[string]any{"useMargins": true, "syncColors": false, "hidePanelTitles": false}),
		"version":     1,
		"timeRestore": true,
		"timeFrom":    "now-24h",
		"timeTo":      "now",
		"refreshInterval": map[string]any{
			"pause": false, "value": 60000,
		},
		"kibanaSavedObjectMeta": map[string]any{
			"searchSourceJSON": jsonString(map[string]any{"query": map[string]any{"query": "", "language": "kuery"}, "filter": []any{}}),
		},
	}, refs...)
}

// KibanaNDJSON encodes the saved objects one per line, as the import API takes them.
func KibanaNDJSON() ([]byte, error) {
	var buf bytes.Buffer
	for _, o := range KibanaObjects() {
		b, err := json.Marshal(o)
		if err != nil {
			return nil, fmt.Errorf("kibana object %s: %w", o.ID, err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}
