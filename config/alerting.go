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
	Annotations   map[string]string `yaml:"annotations"`
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

// InhibitRule mutes target alerts while a matching source alert fires.
type InhibitRule struct {
	SourceMatch map[string]string `yaml:"source_match"`
	TargetMatch map[string]string `yaml:"target_match"`
	Equal       []string          `yaml:"equal"`
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
	Server   string       `yaml:"server"`
	API      string       `yaml:"api"`
	Token    probe.Secret `yaml:"token"`
	Username string       `yaml:"username"`
	Password probe.Secret `yaml:"password"`
	// HostPrefix is prepended to instance names to form Zabbix host names.
	HostPrefix string `yaml:"host_prefix"`
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
}

// SlackReceiver posts to Slack's Web API or to a Slack-compatible incoming webhook.
type SlackReceiver struct {
	Token      probe.Secret `yaml:"token"`
	Channel    string       `yaml:"channel"`
	WebhookURL probe.Secret `yaml:"webhook_url"`
	// Flavor is slack (default), rocketchat or mattermost.
	Flavor string `yaml:"flavor"`
	APIURL string `yaml:"api_url"`
}

// WebhookReceiver posts JSON in Alertmanager's webhook format.
type WebhookReceiver struct {
	URL                probe.Secret `yaml:"url"`
	HMACSecret         probe.Secret `yaml:"hmac_secret"`
	InsecureSkipVerify bool         `yaml:"insecure_skip_verify"`
	CAFile             string       `yaml:"ca_file"`
}

// AlertmanagerReceiver posts alerts to one or more Alertmanagers.
type AlertmanagerReceiver struct {
	URLs []string `yaml:"urls"`
}

// LogReceiver writes notifications to vigia's log.
type LogReceiver struct {
	Level string `yaml:"level"`
}
