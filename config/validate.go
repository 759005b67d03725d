package config

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/robfig/cron/v3"
)

// Validate checks the whole config and records every problem under path.
func (c *Config) Validate(path string, p *Problems) {
	c.Global.Validate(join(path, "global"), p)
	c.Server.Validate(join(path, "server"), p)
	c.Fleet.Validate(join(path, "fleet"), p)
	c.Desired.Validate(join(path, "desired"), p)
	c.Probes.Validate(join(path, "probes"), p)
	names := map[string]int{}
	for i := range c.Rules {
		rp := index(join(path, "rules"), i)
		c.Rules[i].Validate(rp, p)
		if a := c.Rules[i].Alert; a != "" {
			if j, dup := names[a]; dup {
				p.Addf(join(rp, "alert"), "duplicate rule name %q (also rules[%d]): Zabbix items and silences refer to rules by name", a, j)
			}
			names[a] = i
		}
	}
	c.Routes.Validate(join(path, "routes"), c.Receivers, true, p)
	for i := range c.Inhibit {
		c.Inhibit[i].Validate(index(join(path, "inhibit"), i), p)
	}
	for _, name := range sortedKeys(c.Receivers) {
		r := c.Receivers[name]
		r.Validate(join(join(path, "receivers"), name), p)
	}
	for i := range c.Silences {
		c.Silences[i].Validate(index(join(path, "silences"), i), p)
	}
	c.Outputs.Validate(join(path, "outputs"), p)
}

// Validate checks global settings.
func (g *Global) Validate(path string, p *Problems) {
	positive(g.Interval, join(path, "interval"), p)
	positive(g.Timeout, join(path, "timeout"), p)
	positive(g.StartSpread, join(path, "start_spread"), p)
	positive(g.CronSpread, join(path, "cron_spread"), p)
	if g.Concurrency < 1 || g.Concurrency > 100000 {
		p.Addf(join(path, "concurrency"), "must be between 1 and 100000, got %d", g.Concurrency)
	}
	if g.TLSSessions != nil && (*g.TLSSessions < 0 || *g.TLSSessions > 1000000) {
		p.Addf(join(path, "tls_sessions"), "must be between 0 (off) and 1000000, got %d", *g.TLSSessions)
	}
	if _, err := time.LoadLocation(g.TimeZone); err != nil {
		p.Addf(join(path, "time_zone"), "unknown time zone %q: use an IANA name like America/Sao_Paulo", g.TimeZone)
	}
	if g.Shard != "" {
		if _, _, err := ParseShard(g.Shard); err != nil {
			p.Addf(join(path, "shard"), "%v", err)
		}
	}
}

// ParseShard reads "i/n" with 0 <= i < n. "auto/n" takes i from the host name's trailing -<i>,
// as a StatefulSet names its pods (vigia-0, vigia-1, ...).
func ParseShard(s string) (i, n int, err error) {
	if rest, ok := strings.CutPrefix(s, "auto/"); ok {
		host, _ := os.Hostname()
		j := strings.LastIndexByte(host, '-')
		if j < 0 {
			return 0, 0, fmt.Errorf("shard %q: host name %q does not end in -<ordinal>", s, host)
		}
		s = host[j+1:] + "/" + rest
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("shard %q must be i/n with 0 <= i < n, like 0/3, or auto/n", s)
	}
	return i, n, nil
}

// Validate checks the server section.
func (s *Server) Validate(path string, p *Problems) {
	if _, _, err := net.SplitHostPort(s.Listen); err != nil {
		p.Addf(join(path, "listen"), "must be host:port or :port, got %q", s.Listen)
	}
	if s.ExternalURL != "" {
		checkURL(s.ExternalURL, join(path, "external_url"), p)
	}
}

var instanceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// Validate checks the fleet: names unique and usable as labels and Zabbix host names, URLs sane.
func (f *Fleet) Validate(path string, p *Problems) {
	seen := map[string]int{}
	for i := range f.Instances {
		ip := index(join(path, "instances"), i)
		in := &f.Instances[i]
		in.Validate(ip, p)
		if in.Name == "" {
			continue
		}
		if j, dup := seen[in.Name]; dup {
			p.Addf(join(ip, "name"), "duplicate instance name %q (also fleet.instances[%d])", in.Name, j)
		}
		seen[in.Name] = i
	}
	for i, d := range f.Discovery {
		dp := index(join(path, "discovery"), i)
		if (d.File == "") == (d.HTTP == "") {
			p.Addf(dp, "set exactly one of file or http")
		}
		if d.HTTP != "" {
			checkURL(d.HTTP, join(dp, "http"), p)
		}
		if d.Interval < 0 {
			p.Addf(join(dp, "interval"), "must not be negative")
		}
	}
}

// Validate checks one instance.
func (in *Instance) Validate(path string, p *Problems) {
	switch {
	case in.Name == "":
		p.Addf(join(path, "name"), "is required")
	case !instanceName.MatchString(in.Name):
		p.Addf(join(path, "name"), "%q may only contain letters, digits, '.', '_' and '-' (it becomes a metric label and a Zabbix host name)", in.Name)
	}
	if in.URL == "" {
		p.Addf(join(path, "url"), "is required")
	} else {
		checkURL(in.URL, join(path, "url"), p)
	}
	if in.Credentials.Password != "" && in.Credentials.Username == "" {
		p.Addf(join(path, "credentials.username"), "is required when a password is set")
	}
	for i, pr := range in.Probes {
		if !knownProbe(pr) {
			p.Addf(index(join(path, "probes"), i), "unknown probe %q: use one of %s", pr, strings.Join(ProbeNames, ", "))
		}
	}
}

func checkURL(raw, path string, p *Problems) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		p.Addf(path, "not a valid URL")
	case u.Scheme != "http" && u.Scheme != "https":
		p.Addf(path, "scheme must be http or https")
	case u.Host == "":
		p.Addf(path, "has no host")
	case u.User != nil:
		p.Addf(path, "must not carry credentials: put them under credentials (or use ${ENV})")
	}
}

// ProbeNames are the probes vigia knows.
var ProbeNames = []string{"http", "version", "health", "modules", "synthetic"}

func knownProbe(name string) bool {
	for _, n := range ProbeNames {
		if n == name {
			return true
		}
	}
	return false
}

// Validate checks the desired-state source.
func (d *Desired) Validate(path string, p *Problems) {
	if g := d.Git; g != nil {
		gp := join(path, "git")
		if (g.URL == "") == (g.Path == "") {
			p.Addf(gp, "set exactly one of url (a remote repository) or path (a local checkout)")
		}
		positive(g.Interval, join(gp, "interval"), p)
		if strings.Contains(g.URL, "@") && strings.HasPrefix(g.URL, "http") {
			if u, err := url.Parse(g.URL); err == nil && u.User != nil {
				p.Addf(join(gp, "url"), "must not carry credentials: use username/password with ${ENV}")
			}
		}
	}
}

// Validate checks every probe's schedule.
func (pr *Probes) Validate(path string, p *Problems) {
	pr.HTTP.Validate(join(path, "http"), p)
	pr.Version.Validate(join(path, "version"), p)
	pr.Health.ProbeSchedule.Validate(join(path, "health"), p)
	pr.Modules.ProbeSchedule.Validate(join(path, "modules"), p)
	if k := pr.Modules.KeepSession; k != nil && *k < 0 {
		p.Addf(join(join(path, "modules"), "keep_session"), "must be 0 (log in and out every run) or a positive duration, got %s", *k)
	}
	pr.Synthetic.ProbeSchedule.Validate(join(path, "synthetic"), p)
}

// Validate checks a schedule: a positive interval, or a cron spec robfig/cron accepts.
func (s *ProbeSchedule) Validate(path string, p *Problems) {
	positive(s.Interval, join(path, "interval"), p)
	positive(s.Timeout, join(path, "timeout"), p)
	if s.Schedule != "" {
		if _, err := cron.ParseStandard(s.Schedule); err != nil {
			p.Addf(join(path, "schedule"), "invalid cron spec %q: %v", s.Schedule, err)
		}
	}
}

func positive(d time.Duration, path string, p *Problems) {
	if d <= 0 {
		p.Addf(path, "must be a positive duration")
	}
}

// Conditions a rule's `when` may name.
var ruleConditions = []string{"failing", "maintenance", "production_mode_off", "module_incompatible", "module_down"}

// DriftLevels are the drift classes.
var DriftLevels = []string{"none", "patch", "minor", "major", "ahead", "unknown"}

// Severities a rule may carry.
var Severities = []string{"critical", "warning", "info"}

// Validate checks one rule: a name, a known probe and exactly one condition.
func (r *Rule) Validate(path string, p *Problems) {
	if r.Alert == "" {
		p.Addf(join(path, "alert"), "is required")
	} else if !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(r.Alert) {
		p.Addf(join(path, "alert"), "%q must be a name like SEIDown (letters, digits, underscore)", r.Alert)
	}
	if r.Probe != "" && !knownProbe(r.Probe) {
		p.Addf(join(path, "probe"), "unknown probe %q: use one of %s", r.Probe, strings.Join(ProbeNames, ", "))
	}
	kinds := 0
	if r.When != "" {
		kinds++
		if !contains(ruleConditions, r.When) {
			p.Addf(join(path, "when"), "unknown condition %q: use one of %s", r.When, strings.Join(ruleConditions, ", "))
		}
	}
	if r.Value != "" {
		kinds++
		n := 0
		for _, v := range []*float64{r.Above, r.Below, r.Equal} {
			if v != nil {
				n++
			}
		}
		if n == 0 {
			p.Addf(join(path, "value"), "needs one of above, below or equal")
		}
	} else if r.Above != nil || r.Below != nil || r.Equal != nil {
		p.Addf(path, "above/below/equal need value: the observation to compare")
	}
	if len(r.Drift) > 0 {
		kinds++
		for i, l := range r.Drift {
			if !contains(DriftLevels, l) {
				p.Addf(index(join(path, "drift"), i), "unknown drift level %q: use one of %s", l, strings.Join(DriftLevels, ", "))
			}
		}
	}
	if r.TLSExpiryDays != nil {
		kinds++
		if *r.TLSExpiryDays <= 0 {
			p.Addf(join(path, "tls_expiry_days"), "must be a positive number of days")
		}
	}
	switch {
	case kinds == 0:
		p.Addf(path, "needs a condition: when, value, drift or tls_expiry_days")
	case kinds > 1:
		p.Addf(path, "has %d conditions: use exactly one of when, value, drift or tls_expiry_days", kinds)
	}
	if r.Probe == "" && (r.When == "failing" || r.Value != "") {
		p.Addf(join(path, "probe"), "is required for when: failing and value rules")
	}
	if r.For < 0 {
		p.Addf(join(path, "for"), "must not be negative")
	}
	if r.KeepFiringFor < 0 {
		p.Addf(join(path, "keep_firing_for"), "must not be negative")
	}
	if !contains(Severities, r.Severity) {
		p.Addf(join(path, "severity"), "unknown severity %q: use one of %s", r.Severity, strings.Join(Severities, ", "))
	}
	for _, k := range sortedKeys(r.Labels) {
		switch {
		case !labelName.MatchString(k):
			p.Addf(join(join(path, "labels"), k), "%q is not a label name (letters, digits and underscore, not starting with a digit)", k)
		case contains(reservedLabels, k):
			p.Addf(join(join(path, "labels"), k), "%q is set by vigia and cannot be overridden by a rule", k)
		}
	}
	for _, k := range sortedKeys(r.Annotations) {
		t, err := template.New(k).Option("missingkey=zero").Parse(r.Annotations[k])
		if err != nil {
			p.Addf(join(join(path, "annotations"), k), "template does not parse: %v", err)
			continue
		}
		if err := t.Execute(io.Discard, SampleTemplateData()); err != nil {
			p.Addf(join(join(path, "annotations"), k), "template fails on a sample alert: %v", err)
		}
	}
}

var labelName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// reservedLabels are the labels every alert gets from its rule and instance.
var reservedLabels = []string{"alertname", "instance", "probe", "severity"}

// Validate checks a routing node and its children.
func (r *Route) Validate(path string, receivers map[string]Receiver, root bool, p *Problems) {
	for i, name := range r.Receivers {
		if _, ok := receivers[name]; !ok {
			p.Addf(index(join(path, "receivers"), i), "unknown receiver %q: define it under receivers", name)
		}
	}
	checkRegexps(r.MatchRE, join(path, "match_re"), p)
	for _, d := range []struct {
		v    time.Duration
		name string
	}{{r.GroupWait, "group_wait"}, {r.GroupInterval, "group_interval"}, {r.RepeatInterval, "repeat_interval"}} {
		if d.v < 0 {
			p.Addf(join(path, d.name), "must not be negative")
		}
	}
	for i := range r.Routes {
		r.Routes[i].Validate(index(join(path, "routes"), i), receivers, false, p)
	}
}

// Validate checks an inhibition rule.
func (r *InhibitRule) Validate(path string, p *Problems) {
	if len(r.SourceMatch) == 0 && len(r.SourceMatchRE) == 0 {
		p.Addf(join(path, "source_match"), "is required (or source_match_re): which alerts inhibit")
	}
	if len(r.TargetMatch) == 0 && len(r.TargetMatchRE) == 0 {
		p.Addf(join(path, "target_match"), "is required (or target_match_re): which alerts are inhibited")
	}
	checkRegexps(r.SourceMatchRE, join(path, "source_match_re"), p)
	checkRegexps(r.TargetMatchRE, join(path, "target_match_re"), p)
}

// Validate checks a silence: matchers and either a fixed window or a cron window.
func (s *Silence) Validate(path string, p *Problems) {
	if len(s.Match) == 0 && len(s.MatchRE) == 0 {
		p.Addf(path, "needs match or match_re: a silence without matchers would mute everything")
	}
	checkRegexps(s.MatchRE, join(path, "match_re"), p)
	fixed := s.StartsAt != nil || s.EndsAt != nil
	switch {
	case fixed && s.Cron != "":
		p.Addf(path, "set either starts_at/ends_at or cron/duration, not both")
	case fixed:
		if s.StartsAt == nil || s.EndsAt == nil {
			p.Addf(path, "a fixed silence needs both starts_at and ends_at")
		} else if !s.EndsAt.After(*s.StartsAt) {
			p.Addf(join(path, "ends_at"), "must be after starts_at")
		}
	case s.Cron != "":
		if _, err := cron.ParseStandard(s.Cron); err != nil {
			p.Addf(join(path, "cron"), "invalid cron spec %q: %v", s.Cron, err)
		}
		positive(s.Duration, join(path, "duration"), p)
	default:
		p.Addf(path, "needs starts_at/ends_at or cron/duration")
	}
	if _, err := time.LoadLocation(s.TimeZone); err != nil {
		p.Addf(join(path, "time_zone"), "unknown time zone %q", s.TimeZone)
	}
}

// Validate checks that exactly one integration is set and that it has what it needs.
func (r *Receiver) Validate(path string, p *Problems) {
	n := 0
	if z := r.Zabbix; z != nil {
		n++
		if z.Server == "" && z.API == "" {
			p.Addf(join(path, "zabbix"), "needs server (sender address host:port) and/or api (JSON-RPC URL)")
		}
		if z.API != "" {
			checkURL(z.API, join(path, "zabbix.api"), p)
		}
		z.validate(join(path, "zabbix"), p)
	}
	if e := r.Email; e != nil {
		n++
		if _, _, err := net.SplitHostPort(e.Smarthost); err != nil {
			p.Addf(join(path, "email.smarthost"), "must be host:port, like smtp.exemplo.gov.br:587")
		}
		if e.From == "" {
			p.Addf(join(path, "email.from"), "is required")
		}
		if e.To == "" && e.FallbackTo == "" {
			p.Addf(join(path, "email.to"), "is required (an address or a template like {{ .Labels.owner_email }})")
		}
		if e.TLS != "" && !contains([]string{"starttls", "tls", "none"}, e.TLS) {
			p.Addf(join(path, "email.tls"), "must be starttls, tls or none")
		}
		if e.Password != "" && e.Username == "" {
			p.Addf(join(path, "email.username"), "is required when a password is set")
		}
		notNegative(e.Timeout, join(path, "email.timeout"), p)
		checkTemplate(e.To, join(path, "email.to"), p)
		checkTemplate(e.FallbackTo, join(path, "email.fallback_to"), p)
		checkTemplate(e.Subject, join(path, "email.subject"), p)
		for _, k := range sortedKeys(e.Headers) {
			checkTemplate(e.Headers[k], join(join(path, "email.headers"), k), p)
		}
	}
	if s := r.Slack; s != nil {
		n++
		if s.Token == "" && s.WebhookURL == "" {
			p.Addf(join(path, "slack"), "needs token and channel (Web API) or webhook_url")
		}
		if s.Token != "" && s.Channel == "" {
			p.Addf(join(path, "slack.channel"), "is required with token")
		}
		if s.Flavor != "" && !contains([]string{"slack", "rocketchat", "mattermost"}, s.Flavor) {
			p.Addf(join(path, "slack.flavor"), "must be slack, rocketchat or mattermost")
		}
		if s.Token != "" && s.Flavor != "" && s.Flavor != "slack" {
			p.Addf(join(path, "slack.token"), "the Web API is Slack's own: %s takes webhook_url", s.Flavor)
		}
		if s.APIURL != "" {
			checkURL(s.APIURL, join(path, "slack.api_url"), p)
		}
		notNegative(s.Timeout, join(path, "slack.timeout"), p)
		checkTemplate(s.Title, join(path, "slack.title"), p)
		checkTemplate(s.Text, join(path, "slack.text"), p)
	}
	for _, w := range []struct {
		r    *WebhookReceiver
		name string
	}{{r.Webhook, "webhook"}, {r.Teams, "teams"}} {
		if w.r == nil {
			continue
		}
		n++
		if w.r.URL == "" {
			p.Addf(join(path, w.name+".url"), "is required")
		} else if u, err := url.Parse(w.r.URL.Reveal()); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			p.Addf(join(path, w.name+".url"), "must be an http or https URL")
		}
		if (w.r.CertFile == "") != (w.r.KeyFile == "") {
			p.Addf(join(path, w.name), "set both cert_file and key_file for a client certificate")
		}
		notNegative(w.r.Timeout, join(path, w.name+".timeout"), p)
		if w.r.MaxAlerts < 0 {
			p.Addf(join(path, w.name+".max_alerts"), "must not be negative")
		}
		checkTemplate(w.r.Title, join(path, w.name+".title"), p)
		checkTemplate(w.r.Text, join(path, w.name+".text"), p)
	}
	if a := r.Alertmanager; a != nil {
		n++
		if len(a.URLs) == 0 {
			p.Addf(join(path, "alertmanager.urls"), "needs at least one Alertmanager URL")
		}
		for i, u := range a.URLs {
			checkURL(u, index(join(path, "alertmanager.urls"), i), p)
		}
		notNegative(a.ResendInterval, join(path, "alertmanager.resend_interval"), p)
		notNegative(a.Timeout, join(path, "alertmanager.timeout"), p)
		if a.Password != "" && a.Username == "" {
			p.Addf(join(path, "alertmanager.username"), "is required when a password is set")
		}
	}
	if r.Log != nil {
		n++
	}
	if n != 1 {
		p.Addf(path, "set exactly one of zabbix, email, slack, webhook, teams, alertmanager or log (found %d)", n)
	}
}

// ZabbixSeverities are the Zabbix trigger severities a vigia severity may map to.
var ZabbixSeverities = []string{"not_classified", "information", "warning", "average", "high", "disaster"}

func (z *ZabbixReceiver) validate(path string, p *Problems) {
	if z.Server != "" {
		if _, _, err := net.SplitHostPort(z.Server); err != nil {
			p.Addf(join(path, "server"), "must be host:port, like zabbix.exemplo.gov.br:10051")
		}
	}
	if z.Token != "" && (z.Username != "" || z.Password != "") {
		p.Addf(path, "set token or username/password, not both")
	}
	if z.API != "" && z.Token == "" && (z.Username == "" || z.Password == "") {
		p.Addf(path, "api needs token or username and password")
	}
	for _, k := range sortedKeys(z.Severities) {
		if !contains(Severities, k) {
			p.Addf(join(join(path, "severities"), k), "unknown vigia severity %q: use one of %s", k, strings.Join(Severities, ", "))
		}
		if !contains(ZabbixSeverities, z.Severities[k]) {
			p.Addf(join(join(path, "severities"), k), "unknown Zabbix severity %q: use one of %s", z.Severities[k], strings.Join(ZabbixSeverities, ", "))
		}
	}
	if t := z.TLS; t != nil {
		if (t.CertFile == "") != (t.KeyFile == "") {
			p.Addf(join(path, "tls"), "set both cert_file and key_file: Zabbix accepts certificate-based TLS only with a client certificate")
		} else if t.CertFile == "" {
			p.Addf(join(path, "tls"), "needs cert_file and key_file: Zabbix accepts certificate-based TLS only with a client certificate")
		}
	}
	notNegative(z.Timeout, join(path, "timeout"), p)
	notNegative(z.CacheDelay, join(path, "cache_delay"), p)
	if z.QueueSize < 0 {
		p.Addf(join(path, "queue_size"), "must not be negative")
	}
	if z.BatchSize < 0 {
		p.Addf(join(path, "batch_size"), "must not be negative")
	}
	checkTemplate(z.TriggerName, join(path, "trigger_name"), p)
}

func notNegative(d time.Duration, path string, p *Problems) {
	if d < 0 {
		p.Addf(path, "must not be negative")
	}
}

func checkTemplate(text, path string, p *Problems) {
	if text == "" {
		return
	}
	if _, err := template.New(path).Funcs(notifyFuncStubs()).Parse(text); err != nil {
		p.Addf(path, "template does not parse: %v", err)
	}
}

// NotifyTemplateFuncs are the functions notification templates may call (package
// alerting/notify/templates defines them; its tests keep this list in step).
var NotifyTemplateFuncs = []string{"estado", "severidade", "cor", "icone", "titulo", "resumo", "evidencia",
	"datahora", "duracao", "valores", "junta", "maiusculas", "trunca", "negrito", "link"}

func notifyFuncStubs() template.FuncMap {
	m := make(template.FuncMap, len(NotifyTemplateFuncs))
	for _, n := range NotifyTemplateFuncs {
		m[n] = func(...any) any { return nil }
	}
	return m
}

var namespaceRE = regexp.MustCompile(`^[a-z0-9_]{1,100}$`)

// Validate checks the outputs.
func (o *Outputs) Validate(path string, p *Problems) {
	if es := o.Elasticsearch; es != nil {
		ep := join(path, "elasticsearch")
		if len(es.Addresses) == 0 {
			p.Addf(join(ep, "addresses"), "needs at least one address")
		}
		for i, a := range es.Addresses {
			checkURL(a, index(join(ep, "addresses"), i), p)
		}
		if !namespaceRE.MatchString(es.Namespace) {
			p.Addf(join(ep, "namespace"), "%q must be lowercase letters, digits and _ (it is part of a data stream name, where - is a separator)", es.Namespace)
		}
		if es.APIKey != "" && es.Password != "" {
			p.Addf(ep, "set api_key or username/password, not both")
		}
		if es.RetentionDays < 1 {
			p.Addf(join(ep, "retention_days"), "must be at least 1")
		}
		if es.Username != "" && es.Password == "" || es.Username == "" && es.Password != "" {
			p.Addf(ep, "username and password go together")
		}
		if (es.CertFile == "") != (es.KeyFile == "") {
			p.Addf(ep, "cert_file and key_file go together")
		}
		// Elasticsearch refuses requests over http.max_content_length (100mb by default).
		if es.FlushBytes < 1<<10 || es.FlushBytes > 100<<20 {
			p.Addf(join(ep, "flush_bytes"), "must be between 1024 and 104857600 (100 MiB), got %d", es.FlushBytes)
		}
		positive(es.FlushInterval, join(ep, "flush_interval"), p)
		if es.BufferMaxBytes < 16<<20 {
			p.Addf(join(ep, "buffer_max_bytes"), "must be at least 16777216 (16 MiB), got %d", es.BufferMaxBytes)
		}
		if es.Workers < 0 || es.Workers > 32 {
			p.Addf(join(ep, "workers"), "must be between 1 and 32 (0 for the default), got %d", es.Workers)
		}
		if es.RetryBackoffMax < 0 {
			p.Addf(join(ep, "retry_backoff_max"), "must not be negative")
		}
	}
	if o.File.MaxFiles < 1 {
		p.Addf(join(path, "file.max_files"), "must be at least 1")
	}
	if o.File.MaxBytes < 1<<10 {
		p.Addf(join(path, "file.max_bytes"), "must be at least 1024, got %d", o.File.MaxBytes)
	}
	positive(o.File.MaxAge, join(path, "file.max_age"), p)
	if f := o.File.FlushInterval; f < time.Millisecond || f > 10*time.Second {
		p.Addf(join(path, "file.flush_interval"), "must be between 1ms and 10s, got %s", f)
	}
}

func checkRegexps(m map[string]string, path string, p *Problems) {
	for _, k := range sortedKeys(m) {
		if _, err := regexp.Compile("^(?:" + m[k] + ")$"); err != nil {
			p.Addf(join(path, k), "invalid regular expression: %v", err)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
