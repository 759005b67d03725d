package config

import (
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// Rule is one alerting rule evaluated per instance over probe Results.
type Rule struct {
	Alert string `yaml:"alert"`
	Probe string `yaml:"probe"`
	// When is a condition keyword: failing, maintenance, production_mode_off, module_incompatible,
	// module_down.
	When string `yaml:"when"`
	// Value names an observation (Result.Value) compared with Above/Below/Equal.
	Value string   `yaml:"value"`
	Above *float64 `yaml:"above"`
	Below *float64 `yaml:"below"`
	Equal *float64 `yaml:"equal"`
	// Drift fires when a component's drift level is one of these.
	Drift []string `yaml:"drift"`
	// Component restricts drift rules to one component (sei, sip, or a module).
	Component string `yaml:"component"`
	// TLSExpiryDays fires when the certificate expires within this many days.
	TLSExpiryDays *float64 `yaml:"tls_expiry_days"`

	For           time.Duration     `yaml:"for"`
	KeepFiringFor time.Duration     `yaml:"keep_firing_for"`
	Severity      string            `yaml:"severity"`
	Labels        map[string]string `yaml:"labels"`
	// Annotations are Go templates over TemplateData (summary, description, runbook_url, ...);
	// summary and description default to Portuguese texts per condition.
	Annotations map[string]string `yaml:"annotations"`
}

// TemplateData is what annotation templates see: {{ .Labels.instance }}, {{ .ValueText }},
// {{ .Evidence.Status }}, ... It is part of the rule schema, so it lives here: validation executes
// every template against a sample so that a misspelt field is a config error with its line, not a
// broken alert at 3 a.m.
type TemplateData struct {
	Labels map[string]string
	// Value is the observation that made the condition hold (days left for tls_expiry_days);
	// HasValue is false for rules without one, and ValueText is Value formatted for people.
	Value     float64
	HasValue  bool
	ValueText string
	// Reason is the probe's operator-facing failure reason (Result.Error).
	Reason   string
	Evidence probe.Evidence
	// Module is the module a module_down/module_incompatible alert is about; Drift the component
	// a drift alert is about.
	Module   probe.Module
	Drift    probe.Drift
	Instance TemplateInstance
	Rule     TemplateRule
	// State is pending, firing or resolved; ActiveAt when the condition first held, StartsAt when
	// the alert fired.
	State       string
	ActiveAt    time.Time
	StartsAt    time.Time
	ExternalURL string
}

// TemplateInstance describes the alert's instance to templates.
type TemplateInstance struct {
	Name        string
	URL         string // without credentials or secret query parameters
	Owner       string
	Environment string
	Labels      map[string]string
}

// TemplateRule describes the alert's rule to templates.
type TemplateRule struct {
	Alert    string
	Probe    string
	Severity string
	// Condition is the rule's condition in words, e.g. "duration_seconds acima de 5".
	Condition string
	For       time.Duration
}

// SampleTemplateData is what rule validation executes annotation templates against.
func SampleTemplateData() TemplateData {
	labels := map[string]string{"alertname": "SEIDown", "instance": "exemplo-prod", "severity": "critical",
		"probe": "health", "owner": "MGI", "environment": "prod"}
	return TemplateData{
		Labels: labels, Value: 1, HasValue: true, ValueText: "1", Reason: "HTTP status 500",
		Evidence: probe.Evidence{URL: "https://sei.exemplo.gov.br/sei/", Status: 500},
		Instance: TemplateInstance{Name: "exemplo-prod", URL: "https://sei.exemplo.gov.br", Owner: "MGI", Environment: "prod"},
		Rule:     TemplateRule{Alert: "SEIDown", Probe: "health", Severity: "critical", Condition: "sonda falhando"},
		State:    "firing", ActiveAt: time.Unix(0, 0), StartsAt: time.Unix(0, 0),
	}
}

// Route is a node of the routing tree.
type Route struct {
	Receivers      []string          `yaml:"receivers"`
	Match          map[string]string `yaml:"match"`
	MatchRE        map[string]string `yaml:"match_re"`
	Continue       bool              `yaml:"continue"`
	GroupBy        []string          `yaml:"group_by"`
	GroupWait      time.Duration     `yaml:"group_wait"`
	GroupInterval  time.Duration     `yaml:"group_interval"`
	RepeatInterval time.Duration     `yaml:"repeat_interval"`
	Routes         []Route           `yaml:"routes"`
}

// InhibitRule mutes target alerts while a matching source alert fires. Equality and regular
// expression matchers combine (all must hold); Equal lists labels whose values source and target
// must share (usually instance). With no inhibit rules in the config, vigia applies defaults: an
// instance's failing health/http rule inhibits that instance's synthetic, modules and version
// alerts, and its maintenance rule inhibits its failing health/http alerts (see
// alerting.DefaultInhibitRules).
type InhibitRule struct {
	SourceMatch   map[string]string `yaml:"source_match"`
	SourceMatchRE map[string]string `yaml:"source_match_re"`
	TargetMatch   map[string]string `yaml:"target_match"`
	TargetMatchRE map[string]string `yaml:"target_match_re"`
	Equal         []string          `yaml:"equal"`
}

// Silence mutes matching alerts for a time or on a recurring maintenance window.
type Silence struct {
	Match   map[string]string `yaml:"match"`
	MatchRE map[string]string `yaml:"match_re"`
	// Either a fixed window...
	StartsAt *time.Time `yaml:"starts_at"`
	EndsAt   *time.Time `yaml:"ends_at"`
	// ...or a recurring one: a cron spec for the start and a duration.
	Cron     string        `yaml:"cron"`
	Duration time.Duration `yaml:"duration"`
	TimeZone string        `yaml:"time_zone"`
	Comment  string        `yaml:"comment"`
}

// Receiver is one named destination; exactly one of its integrations is set.
type Receiver struct {
	Zabbix       *ZabbixReceiver       `yaml:"zabbix"`
	Email        *EmailReceiver        `yaml:"email"`
	Slack        *SlackReceiver        `yaml:"slack"`
	Webhook      *WebhookReceiver      `yaml:"webhook"`
	Teams        *WebhookReceiver      `yaml:"teams"`
	Alertmanager *AlertmanagerReceiver `yaml:"alertmanager"`
	Log          *LogReceiver          `yaml:"log"`
	SendResolved *bool                 `yaml:"send_resolved"`
}

// ZabbixReceiver provisions hosts and sends values to Zabbix.
type ZabbixReceiver struct {
	// Server is the trapper address (host:port) of the Zabbix server or proxy values go to.
	Server string `yaml:"server"`
	// API is the JSON-RPC URL (.../api_jsonrpc.php); without it vigia only sends values and
	// expects the hosts, items and triggers to exist.
	API string `yaml:"api"`
	// Token is an API token (Zabbix 5.4+); otherwise Username/Password log in.
	Token    probe.Secret `yaml:"token"`
	Username string       `yaml:"username"`
	Password probe.Secret `yaml:"password"`
	// APICAFile trusts a private CA for the API's HTTPS.
	APICAFile string `yaml:"api_ca_file"`
	// HostPrefix is prepended to instance names to form Zabbix host names.
	HostPrefix string `yaml:"host_prefix"`
	// HostGroupPrefix is prepended to the owner to name each owner's host group ("SEI/" by default).
	HostGroupPrefix string `yaml:"host_group_prefix"`
	// Proxy names the Zabbix proxy that monitors the hosts, when values go to a proxy.
	Proxy string `yaml:"proxy"`
	// Severities maps vigia severities (critical, warning, info) to Zabbix ones (not_classified,
	// information, warning, average, high, disaster).
	Severities map[string]string `yaml:"severities"`
	// TLS for the sender connection (Zabbix certificate-based TLS); PSK is not supported.
	TLS *ZabbixTLS `yaml:"tls"`
	// Timeout bounds one API call or one sender exchange (10s by default).
	Timeout time.Duration `yaml:"timeout"`
	// QueueSize bounds the values held while Zabbix is unreachable (100000 by default).
	QueueSize int `yaml:"queue_size"`
	// BatchSize is the number of values per sender request (1000 by default).
	BatchSize int `yaml:"batch_size"`
	// CacheDelay is how long new items take to accept values: the server's CacheUpdateFrequency
	// (60s by default in Zabbix). Values wait that long after provisioning creates items.
	CacheDelay time.Duration `yaml:"cache_delay"`
	// TriggerName overrides the trigger name template (default "{{ .Alert }} em {HOST.NAME}").
	TriggerName string `yaml:"trigger_name"`
}

// ZabbixTLS configures certificate-based TLS to the Zabbix trapper.
type ZabbixTLS struct {
	CAFile     string `yaml:"ca_file"`
	CertFile   string `yaml:"cert_file"`
	KeyFile    string `yaml:"key_file"`
	ServerName string `yaml:"server_name"`
	// Issuer and Subject are written to each host so Zabbix accepts only vigia's certificate.
	Issuer  string `yaml:"issuer"`
	Subject string `yaml:"subject"`
}

// EmailReceiver sends one mail per alert group.
type EmailReceiver struct {
	Smarthost string       `yaml:"smarthost"`
	From      string       `yaml:"from"`
	To        string       `yaml:"to"`
	Username  string       `yaml:"username"`
	Password  probe.Secret `yaml:"password"`
	// TLS is "starttls" (default), "tls" (implicit) or "none".
	TLS        string `yaml:"tls"`
	CAFile     string `yaml:"ca_file"`
	Subject    string `yaml:"subject"`
	HTMLFile   string `yaml:"html_template_file"`
	TextFile   string `yaml:"text_template_file"`
	FallbackTo string `yaml:"fallback_to"`
	// Hello is the name sent in EHLO (the local host name by default).
	Hello string `yaml:"hello"`
	// Timeout bounds one delivery: connect, TLS, AUTH and DATA (30s by default).
	Timeout time.Duration `yaml:"timeout"`
	// Headers are added to every message (templates allowed).
	Headers map[string]string `yaml:"headers"`
}

// SlackReceiver posts to Slack's Web API or to a Slack-compatible incoming webhook.
type SlackReceiver struct {
	Token      probe.Secret `yaml:"token"`
	Channel    string       `yaml:"channel"`
	WebhookURL probe.Secret `yaml:"webhook_url"`
	// Flavor is slack (default), rocketchat or mattermost.
	Flavor string `yaml:"flavor"`
	APIURL string `yaml:"api_url"`
	// Title and Text override the chat.title and chat.alert templates.
	Title     string `yaml:"title"`
	Text      string `yaml:"text"`
	Username  string `yaml:"username"`
	IconEmoji string `yaml:"icon_emoji"`
	IconURL   string `yaml:"icon_url"`
	// Timeout bounds one request (10s by default).
	Timeout time.Duration `yaml:"timeout"`
}

// WebhookReceiver posts JSON in Alertmanager's webhook format (webhook) or an adaptive card (teams).
type WebhookReceiver struct {
	URL        probe.Secret `yaml:"url"`
	HMACSecret probe.Secret `yaml:"hmac_secret"`
	// InsecureSkipVerify, CAFile, CertFile and KeyFile are the TLS options (client certificate for
	// mutual TLS).
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	// Timeout bounds one request (10s by default).
	Timeout time.Duration `yaml:"timeout"`
	// MaxAlerts caps the alerts in one payload (0: all); the rest are counted in truncatedAlerts.
	MaxAlerts int `yaml:"max_alerts"`
	// Title and Text override the chat.title and chat.alert templates (teams only).
	Title string `yaml:"title"`
	Text  string `yaml:"text"`
}

// AlertmanagerReceiver posts alerts to one or more Alertmanagers.
type AlertmanagerReceiver struct {
	URLs []string `yaml:"urls"`
	// ResendInterval is how often firing alerts are posted again so Alertmanager keeps them
	// active (1m by default); each post says they end after four intervals unless renewed.
	ResendInterval time.Duration `yaml:"resend_interval"`
	// Timeout bounds one request (10s by default).
	Timeout            time.Duration `yaml:"timeout"`
	CAFile             string        `yaml:"ca_file"`
	InsecureSkipVerify bool          `yaml:"insecure_skip_verify"`
	// Username and Password for basic auth, when Alertmanager sits behind a proxy that wants it.
	Username string       `yaml:"username"`
	Password probe.Secret `yaml:"password"`
}

// LogReceiver writes notifications to vigia's log.
type LogReceiver struct {
	Level string `yaml:"level"`
}
