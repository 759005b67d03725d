package config

import (
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// Config is the whole vigia configuration.
type Config struct {
	Global    Global              `yaml:"global"`
	Server    Server              `yaml:"server"`
	Fleet     Fleet               `yaml:"fleet"`
	Desired   Desired             `yaml:"desired"`
	Probes    Probes              `yaml:"probes"`
	Rules     []Rule              `yaml:"rules"`
	Routes    Route               `yaml:"routes"`
	Inhibit   []InhibitRule       `yaml:"inhibit"`
	Receivers map[string]Receiver `yaml:"receivers"`
	Silences  []Silence           `yaml:"silences"`
	Outputs   Outputs             `yaml:"outputs"`

	// File is the path the config was loaded from.
	File string `yaml:"-"`
}

// Global holds settings that apply to every probe.
type Global struct {
	Interval time.Duration `yaml:"interval"`
	Timeout  time.Duration `yaml:"timeout"`
	// Concurrency bounds the probe runs in flight (default 2048). A run takes a goroutine only
	// while it runs, so the bound costs nothing unused; it must cover the runs hung instances hold
	// until their timeout: about runs per second × timeout × the share of instances that hang.
	Concurrency int    `yaml:"concurrency"`
	UserAgent   string `yaml:"user_agent"`
	// StateDir keeps alert state, silences and the event buffer across restarts.
	StateDir string `yaml:"state_dir"`
	// CronSpread spreads instances of a cron-scheduled probe over this window so that 10,000
	// instances do not all start at the same second.
	CronSpread time.Duration `yaml:"cron_spread"`
	// StartSpread bounds how long after start (or after an instance appears) its first runs may
	// wait; first runs keep their phase within this window so a large fleet does not start in a
	// burst. Capped by each probe's interval.
	StartSpread time.Duration `yaml:"start_spread"`
	// TimeZone for cron specs (probes and silences).
	TimeZone string `yaml:"time_zone"`
	// Shard is "i/n": this replica probes only the instances that hash to shard i of n.
	Shard string `yaml:"shard"`
	// TLS applies to every SEI prober (probes.health.tls overrides it for the health probe).
	TLS TLS `yaml:"tls"`
	// TLSSessions is how many HTTPS servers the version, modules and synthetic probes remember a
	// TLS session of, to resume it as a browser does instead of a full handshake (default 10000;
	// 0 turns resumption off). Each costs about 6 KB (the server's certificate); set it to at
	// least the number of HTTPS servers the fleet has, or it seldom hits.
	TLSSessions *int `yaml:"tls_sessions"`
}

// DefaultTLSSessions is global.tls_sessions when unset: the 10,000 instances one vigia is sized for.
const DefaultTLSSessions = 10000

// Server is vigia's own HTTP surface.
type Server struct {
	Listen string `yaml:"listen"`
	// APIToken protects the write endpoints (silences, reload). Empty: the API is read-only.
	APIToken probe.Secret `yaml:"api_token"`
	// ExternalURL is how operators reach vigia; alert links point at it.
	ExternalURL string `yaml:"external_url"`
}

// Fleet lists the SEI instances to watch.
type Fleet struct {
	// Defaults fill what an instance (static or discovered) leaves empty: a centrally provisioned
	// fleet often shares one monitoring account and label set.
	Defaults  InstanceDefaults `yaml:"defaults"`
	Instances []Instance       `yaml:"instances"`
	Discovery []Discovery      `yaml:"discovery"`
}

// InstanceDefaults apply to every instance that does not set the field itself.
type InstanceDefaults struct {
	Owner       string            `yaml:"owner"`
	Environment string            `yaml:"environment"`
	Labels      map[string]string `yaml:"labels"`
	Credentials Credentials       `yaml:"credentials"`
}

// Apply fills t's empty fields from the defaults.
func (d InstanceDefaults) Apply(t probe.Target) probe.Target {
	if t.Owner == "" {
		t.Owner = d.Owner
	}
	if t.Environment == "" {
		t.Environment = d.Environment
	}
	if len(d.Labels) > 0 {
		merged := make(map[string]string, len(d.Labels)+len(t.Labels))
		for k, v := range d.Labels {
			merged[k] = v
		}
		for k, v := range t.Labels {
			merged[k] = v
		}
		t.Labels = merged
	}
	if t.Credentials.Empty() && t.Credentials.Token == "" {
		c := d.Credentials
		t.Credentials = probe.Credentials{Username: c.Username, Password: c.Password, Orgao: c.Orgao, Token: c.Token}
	}
	return t
}

// Instance is one SEI installation.
type Instance struct {
	Name        string            `yaml:"name"`
	URL         string            `yaml:"url"`
	Owner       string            `yaml:"owner"`
	Environment string            `yaml:"environment"`
	Labels      map[string]string `yaml:"labels"`
	Credentials Credentials       `yaml:"credentials"`
	// Probes restricts which probes run for this instance; empty means every enabled probe.
	Probes []string `yaml:"probes"`
}

// Credentials of the monitoring account.
type Credentials struct {
	Username string       `yaml:"username"`
	Password probe.Secret `yaml:"password"`
	Orgao    string       `yaml:"orgao"`
	Token    probe.Secret `yaml:"token"`
}

// Discovery is a dynamic source of instances.
type Discovery struct {
	File     string        `yaml:"file"`
	HTTP     string        `yaml:"http"`
	Interval time.Duration `yaml:"interval"`
	// BearerToken for http discovery.
	BearerToken probe.Secret `yaml:"bearer_token"`
}

// Desired says where the desired versions come from.
type Desired struct {
	Git    *GitSource `yaml:"git"`
	Latest Latest     `yaml:"latest"`
}

// GitSource is a GitOps repository with per-instance values files.
type GitSource struct {
	URL      string        `yaml:"url"`
	Path     string        `yaml:"path"`
	Ref      string        `yaml:"ref"`
	Interval time.Duration `yaml:"interval"`
	Files    string        `yaml:"files"`
	Fields   GitFields     `yaml:"fields"`
	Username string        `yaml:"username"`
	Password probe.Secret  `yaml:"password"`
	SSHKey   string        `yaml:"ssh_key_file"`
}

// GitFields are dotted paths inside a values file.
type GitFields struct {
	Instance string `yaml:"instance"`
	SEI      string `yaml:"sei"`
	SIP      string `yaml:"sip"`
	Modules  string `yaml:"modules"`
}

// Latest is the fleet-wide newest version per component.
type Latest struct {
	SEI     string            `yaml:"sei"`
	SIP     string            `yaml:"sip"`
	Modules map[string]string `yaml:"modules"`
}

// Probes configures each prober.
type Probes struct {
	HTTP      ProbeSchedule  `yaml:"http"`
	Version   ProbeSchedule  `yaml:"version"`
	Health    HealthProbe    `yaml:"health"`
	Modules   ModulesProbe   `yaml:"modules"`
	Synthetic SyntheticProbe `yaml:"synthetic"`
}

// ProbeSchedule is when and how long one probe runs.
type ProbeSchedule struct {
	// Enabled defaults to true for the SEI probes and false for the plain http probe.
	Enabled *bool `yaml:"enabled"`
	// Interval between runs; Schedule (a cron spec) replaces it when set.
	Interval time.Duration `yaml:"interval"`
	Schedule string        `yaml:"schedule"`
	Timeout  time.Duration `yaml:"timeout"`
}

// On reports whether the probe is enabled.
func (p ProbeSchedule) On() bool { return p.Enabled != nil && *p.Enabled }

// TLS options for talking to SEI instances.
type TLS struct {
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
	CAFile             string `yaml:"ca_file"`
}

// HealthProbe configures the health prober.
type HealthProbe struct {
	ProbeSchedule `yaml:",inline"`
	TLS           TLS `yaml:"tls"`
	// CheckWSDL and CheckDatabase add the SOAP WSDL and the mod-wssei database touch.
	CheckWSDL     *bool `yaml:"check_wsdl"`
	CheckDatabase *bool `yaml:"check_database"`
}

// ModulesProbe configures the modules prober.
type ModulesProbe struct {
	ProbeSchedule `yaml:",inline"`
	// CompatibilityFile overrides the shipped module/SEI compatibility matrix.
	CompatibilityFile string `yaml:"compatibility_file"`
	// KeepSession is how long the probe keeps one SIP session per instance from run to run
	// before it logs out and logs in afresh (DefaultKeepSession when unset); 0 logs in and out
	// every run. A session idle for 10 minutes (a longer interval) is not resumed.
	KeepSession *time.Duration `yaml:"keep_session"`
}

// DefaultKeepSession is probes.modules.keep_session when unset.
const DefaultKeepSession = time.Hour

// SyntheticProbe configures the synthetic transaction.
type SyntheticProbe struct {
	ProbeSchedule `yaml:",inline"`
	// Search is the protocol number the quick search looks up.
	Search string `yaml:"search"`
	// ScenarioFile replaces the default journey with one declared in YAML.
	ScenarioFile string `yaml:"scenario_file"`
}

// Outputs are where events go.
type Outputs struct {
	Elasticsearch *Elasticsearch `yaml:"elasticsearch"`
	File          FileOutput     `yaml:"file"`
}

// Elasticsearch output settings.
type Elasticsearch struct {
	Addresses          []string      `yaml:"addresses"`
	APIKey             probe.Secret  `yaml:"api_key"`
	Username           string        `yaml:"username"`
	Password           probe.Secret  `yaml:"password"`
	CAFile             string        `yaml:"ca_file"`
	InsecureSkipVerify bool          `yaml:"insecure_skip_verify"`
	Namespace          string        `yaml:"namespace"`
	Compress           bool          `yaml:"compress"`
	FlushInterval      time.Duration `yaml:"flush_interval"`
	FlushBytes         int           `yaml:"flush_bytes"`
	RetentionDays      int           `yaml:"retention_days"`
	BufferMaxBytes     int64         `yaml:"buffer_max_bytes"`
	LogEvents          bool          `yaml:"log_events"`
	// CertFile and KeyFile are a client certificate, for clusters that require mutual TLS.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// Workers is how many bulk requests run at once (default 2).
	Workers int `yaml:"workers"`
	// RetryBackoffMax caps the wait between attempts while the store is down (default 30s).
	RetryBackoffMax time.Duration `yaml:"retry_backoff_max"`
}

// FileOutput is the embedded default: rotating NDJSON files.
type FileOutput struct {
	Enabled  *bool         `yaml:"enabled"`
	Dir      string        `yaml:"dir"`
	MaxBytes int64         `yaml:"max_bytes"`
	MaxAge   time.Duration `yaml:"max_age"`
	MaxFiles int           `yaml:"max_files"`
	// FlushInterval is how long an event may wait in memory so that the events of many probe runs
	// go out in one write (default 200ms). A crash of vigia (not a stop) loses at most that much.
	FlushInterval time.Duration `yaml:"flush_interval"`
	// LogEvents also writes vigia's own warnings and errors as events (dataset vigia.log).
	LogEvents bool `yaml:"log_events"`
}

// Targets turns the static fleet into probe targets.
func (c *Config) Targets() []probe.Target {
	out := make([]probe.Target, 0, len(c.Fleet.Instances))
	for _, in := range c.Fleet.Instances {
		out = append(out, c.Fleet.Defaults.Apply(in.Target()))
	}
	return out
}

// Target converts one instance.
func (in Instance) Target() probe.Target {
	return probe.Target{
		Name: in.Name, URL: in.URL, Owner: in.Owner, Environment: in.Environment, Labels: in.Labels,
		Credentials: probe.Credentials{Username: in.Credentials.Username, Password: in.Credentials.Password,
			Orgao: in.Credentials.Orgao, Token: in.Credentials.Token},
		Probes: in.Probes, Source: "static",
	}
}
