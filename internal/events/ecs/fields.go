package ecs

// Field is one documented field of vigia's events. The list below is the single source of the
// index template's mapping and of the field table in docs/events.md.
type Field struct {
	// Name is the dotted path; a name ending in ".*" stands for any key under that object and
	// becomes a dynamic template.
	Name string
	// Type is the Elasticsearch mapping type.
	Type string
	// In lists the event types that carry the field: probe, step, alert, log.
	In          string
	Description string
	Example     string
}

// Dynamic reports whether the field is a pattern (name ending in ".*").
func (f Field) Dynamic() bool { return len(f.Name) > 2 && f.Name[len(f.Name)-2:] == ".*" }

const (
	all          = "probe, step, alert, log"
	probeAndStep = "probe, step"
)

// Fields lists every field vigia writes. Keep it in the order of docs/events.md.
var Fields = []Field{
	{"@timestamp", "date", all, "When it happened: a probe run's start, a step's start, an alert's state change, a log record's time.", "2026-11-23T14:05:00.123Z"},
	{"message", "match_only_text", all, "One line for humans (Portuguese).", "sonda health em mgi-prod: falha: HTTP status 503"},
	{"ecs.version", "keyword", all, "ECS version the document follows.", "8.11.0"},
	{"data_stream.type", "constant_keyword", all, "Always logs.", "logs"},
	{"data_stream.dataset", "constant_keyword", all, "vigia.probe, vigia.alert or vigia.log.", "vigia.probe"},
	{"data_stream.namespace", "constant_keyword", all, "outputs.elasticsearch.namespace.", "prod"},

	{"event.id", "keyword", all, "Unique id of the event, also the document _id: the probe run id (its steps add -s0, -s1, ...), the alert's fingerprint-state-timestamp, a random id for log records.", "9f2c4e0b7d1a4c3e8b6f5a2d1c0e9f8a"},
	{"event.kind", "keyword", all, "event for probe runs, steps and log records; alert for alert state changes.", "event"},
	{"event.category", "keyword", "probe, step, alert", "Always [web]: SEI is a web application.", "[web]"},
	{"event.type", "keyword", all, "info for a passing run, error for a failing one or an error log; start/end/info for an alert firing/resolving/pending.", "[error]"},
	{"event.outcome", "keyword", probeAndStep, "success or failure of the run or step.", "failure"},
	{"event.action", "keyword", all, "The probe name (version, health, modules, synthetic, http), synthetic_step, the alert state (pending, firing, resolved) or log.", "health"},
	{"event.dataset", "keyword", all, "Same as data_stream.dataset.", "vigia.probe"},
	{"event.module", "keyword", all, "Always vigia.", "vigia"},
	{"event.duration", "long", "probe, step, alert", "Nanoseconds: the run, the step, or how long a resolved alert fired.", "184000000"},
	{"event.start", "date", "probe, step, alert", "Start of the run or step; when the alert started firing (or became pending).", "2026-11-23T14:05:00.123Z"},
	{"event.end", "date", "probe, step, alert", "End of the run or step; when the alert resolved.", "2026-11-23T14:05:00.307Z"},

	{"service.name", "keyword", "probe, step, alert", "The SEI instance name.", "mgi-prod"},
	{"service.type", "keyword", "probe, step, alert", "Always sei.", "sei"},
	{"service.environment", "keyword", "probe, step, alert", "The instance's environment.", "prod"},
	{"service.version", "keyword", "probe", "The SEI version observed by this run, when it saw one.", "4.0.12"},

	{"url.full", "keyword", probeAndStep, "The instance URL, without credentials or secret query parameters.", "https://sei.exemplo.gov.br/"},
	{"url.scheme", "keyword", probeAndStep, "Scheme of url.full.", "https"},
	{"url.domain", "keyword", probeAndStep, "Host of url.full.", "sei.exemplo.gov.br"},
	{"url.port", "long", probeAndStep, "Port of url.full, when the URL names one.", "8443"},
	{"url.path", "keyword", probeAndStep, "Path of url.full.", "/"},
	{"http.response.status_code", "long", probeAndStep, "HTTP status of the run's main request or of the step.", "503"},
	{"tls.server.not_after", "date", "probe", "Expiry of the instance's TLS certificate.", "2027-03-01T00:00:00Z"},
	{"error.message", "match_only_text", all, "Why the run or step failed (free of secrets), or the error of a log record.", "HTTP status 503"},
	{"error.type", "keyword", probeAndStep, "timeout when the run hit its deadline.", "timeout"},
	{"rule.name", "keyword", "alert", "The alert rule's name.", "SEIDown"},
	{"log.level", "keyword", "log", "warn or error.", "warn"},
	{"log.logger", "keyword", "log", "Always vigia.", "vigia"},

	{"labels.*", "keyword", "probe, step, alert", "The instance's custom labels; on alerts, every alert label.", "labels.cloud: a"},
	{"labels.owner", "keyword", "probe, step, alert", "Who owns the instance.", "MGI"},
	{"labels.environment", "keyword", "probe, step, alert", "The instance's environment.", "prod"},

	{"observer.hostname", "keyword", all, "Host name of the machine running vigia.", "vigia-0"},
	{"observer.name", "keyword", all, "Same as observer.hostname.", "vigia-0"},
	{"observer.type", "keyword", all, "Always synthetic-monitor.", "synthetic-monitor"},
	{"observer.vendor", "keyword", all, "Always vigia.", "vigia"},
	{"observer.product", "keyword", all, "Always vigia.", "vigia"},
	{"observer.version", "keyword", all, "vigia's version.", "1.0.0"},

	{"sei.instance", "keyword", "probe, step, alert, log", "The SEI instance name (on log records, when the record names one).", "mgi-prod"},
	{"sei.probe", "keyword", "probe, step, alert", "The probe: version, health, modules, synthetic, http.", "health"},
	{"sei.state", "keyword", "probe", "Health state where the probe knows it: up, down, maintenance.", "down"},
	{"sei.source", "keyword", "probe", "Where the instance came from: static or a discovery source.", "static"},

	{"sei.version.sei", "keyword", "probe", "Observed SEI version.", "4.0.12"},
	{"sei.version.sip", "keyword", "probe", "Observed SIP version.", "3.0.2"},
	{"sei.version.infra", "keyword", "probe", "Observed Infra (framework) version.", "2.0.15"},
	{"sei.version.source", "keyword", "probe", "Which surface stated the SEI version: wssei_api, page_title, asset_suffix, ...", "asset_suffix"},
	{"sei.version.confidence", "keyword", "probe", "exact, line (inferred) or low.", "exact"},
	{"sei.version.items.component", "keyword", "probe", "Every observed component (sei, sip, infra, module names): name.", "mod-wssei"},
	{"sei.version.items.version", "keyword", "probe", "Every observed component: version.", "3.0.1"},
	{"sei.version.items.source", "keyword", "probe", "Every observed component: surface.", "wssei_api"},
	{"sei.version.items.confidence", "keyword", "probe", "Every observed component: confidence.", "exact"},

	{"sei.drift.level", "keyword", "probe", "Worst drift of the run: major, minor, patch, ahead, unknown or none.", "minor"},
	{"sei.drift.components", "keyword", "probe", "Components whose drift is not none.", "[sei, mod-sei-pen]"},
	{"sei.drift.items.component", "keyword", "probe", "Each compared component: name.", "sei"},
	{"sei.drift.items.observed", "keyword", "probe", "Each compared component: observed version.", "4.0.12"},
	{"sei.drift.items.desired", "keyword", "probe", "Each compared component: desired version.", "4.1.0"},
	{"sei.drift.items.level", "keyword", "probe", "Each compared component: drift level.", "minor"},
	{"sei.drift.items.against", "keyword", "probe", "Each compared component: desired (from Git) or latest.", "desired"},

	{"sei.module.count", "long", "probe", "Number of installed modules found.", "4"},
	{"sei.module.names", "keyword", "probe", "Installed modules.", "[mod-sei-pen, mod-wssei]"},
	{"sei.module.down", "keyword", "probe", "Modules whose own surface did not answer.", "[mod-sei-pen]"},
	{"sei.module.incompatible", "keyword", "probe", "Modules whose version does not run on the observed SEI version.", "[mod-wssei]"},
	{"sei.module.items.name", "keyword", "probe", "Each module: name.", "mod-wssei"},
	{"sei.module.items.version", "keyword", "probe", "Each module: observed version.", "3.0.1"},
	{"sei.module.items.desired", "keyword", "probe", "Each module: desired version.", "3.0.2"},
	{"sei.module.items.up", "boolean", "probe", "Each module: whether its surface answered (absent when it has none).", "true"},
	{"sei.module.items.compatible", "boolean", "probe", "Each module: compatible with the SEI version (absent when unknown).", "false"},
	{"sei.module.items.detail", "keyword", "probe", "Each module: what the check saw.", "HTTP 500 em /sei/modulos/wssei/"},

	{"sei.synthetic.run_id", "keyword", "step", "event.id of the synthetic run the step belongs to.", "9f2c4e0b7d1a4c3e8b6f5a2d1c0e9f8a"},
	{"sei.synthetic.step.count", "long", "probe", "Steps the synthetic run executed.", "5"},
	{"sei.synthetic.step.failed", "keyword", "probe", "Name of the failing step.", "login"},
	{"sei.synthetic.step.names", "keyword", "probe", "Steps executed, in order.", "[entry, login, process_list, search, logout]"},
	{"sei.synthetic.step.name", "keyword", "step", "The step.", "login"},
	{"sei.synthetic.step.index", "long", "step", "Position of the step in the run, from 0.", "1"},
	{"sei.synthetic.step.ok", "boolean", "step", "Whether the step passed.", "false"},
	{"sei.synthetic.step.duration", "long", "step", "Nanoseconds the step took.", "412000000"},
	{"sei.synthetic.step.status", "long", "step", "HTTP status the step got.", "200"},

	{"sei.values.*", "double", "probe", "Every numeric observation of the run by name (http_status_code, tls_cert_expiry_timestamp_seconds, production_mode, timeout, ...); the names alert rules use.", "sei.values.http_status_code: 503"},
	{"sei.phase.*", "long", "probe", "Latency split of the main request in nanoseconds (dns, connect, tls, first_byte, processing, transfer).", "sei.phase.first_byte: 98000000"},
	{"sei.evidence.step", "keyword", "probe, alert", "Step whose request failed.", "login"},
	{"sei.evidence.url", "keyword", "probe, alert", "URL of the failing request, without secrets.", "https://sei.exemplo.gov.br/sip/login.php"},
	{"sei.evidence.status", "long", "probe, alert", "HTTP status of the failing request.", "500"},
	{"sei.evidence.excerpt", "match_only_text", "probe, alert", "What the failing response said, shortened.", "Erro ao conectar ao banco de dados"},

	{"sei.alert.fingerprint", "keyword", "alert", "Identifies the alert series (hash of its labels).", "3fa2c1d0e9b8a7f6"},
	{"sei.alert.name", "keyword", "alert", "Alert name, as rule.name.", "SEIDown"},
	{"sei.alert.state", "keyword", "alert", "pending, firing or resolved.", "firing"},
	{"sei.alert.severity", "keyword", "alert", "The rule's severity.", "critical"},
	{"sei.alert.active_at", "date", "alert", "When the condition first held.", "2026-11-23T14:03:00Z"},
	{"sei.alert.starts_at", "date", "alert", "When the alert fired.", "2026-11-23T14:05:00Z"},
	{"sei.alert.ends_at", "date", "alert", "When the alert resolved.", "2026-11-23T14:20:00Z"},
	{"sei.alert.value", "double", "alert", "The observation that crossed the threshold, when the rule has one.", "7.2"},
	{"sei.alert.silenced", "boolean", "alert", "Whether a silence kept it from being sent.", "false"},
	{"sei.alert.inhibited", "boolean", "alert", "Whether an inhibition rule kept it from being sent.", "false"},
	{"sei.alert.generator_url", "keyword", "alert", "Link to the evidence in vigia.", "https://vigia.exemplo/instances/mgi-prod"},
	{"sei.alert.annotations.*", "match_only_text", "alert", "The alert's annotations (summary, description, ...).", "sei.alert.annotations.summary: SEI mgi-prod fora do ar"},

	{"sei.log.attrs.*", "keyword", "log", "The log record's attributes, as text.", "sei.log.attrs.receiver: owner-mail"},
}
