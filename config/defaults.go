package config

import (
	"path/filepath"
	"time"
)

// DefaultUserAgent is constant across every request so SEI's User-Agent-bound sessions hold.
const DefaultUserAgent = "vigia/1.0 (+monitoring)"

// DefaultListen is vigia's HTTP listen address.
const DefaultListen = ":9470"

func (c *Config) setDefaults() {
	g := &c.Global
	setDur(&g.Interval, 60*time.Second)
	setDur(&g.Timeout, 10*time.Second)
	setDur(&g.CronSpread, 30*time.Second)
	setDur(&g.StartSpread, time.Minute)
	if g.Concurrency == 0 {
		g.Concurrency = 2048
	}
	if g.TLSSessions == nil {
		n := DefaultTLSSessions
		g.TLSSessions = &n
	}
	if g.UserAgent == "" {
		g.UserAgent = DefaultUserAgent
	}
	if g.StateDir == "" {
		g.StateDir = "data"
	}
	if g.TimeZone == "" {
		g.TimeZone = "America/Sao_Paulo"
	}
	if c.Server.Listen == "" {
		c.Server.Listen = DefaultListen
	}

	pr := &c.Probes
	pr.HTTP.setDefaults(false, g.Interval, g.Timeout)
	pr.Version.setDefaults(true, 5*time.Minute, g.Timeout)
	pr.Health.setDefaults(true, 30*time.Second, g.Timeout)
	pr.Modules.setDefaults(true, 5*time.Minute, g.Timeout)
	// A journey is several requests, and mod-wssei-backed logins sleep on purpose.
	pr.Synthetic.setDefaults(true, 5*time.Minute, max(g.Timeout, 30*time.Second))
	if pr.Modules.KeepSession == nil {
		d := DefaultKeepSession
		pr.Modules.KeepSession = &d
	}
	setBool(&pr.Health.CheckWSDL, true)
	setBool(&pr.Health.CheckDatabase, true)

	if d := c.Desired.Git; d != nil {
		if d.Ref == "" {
			d.Ref = "main"
		}
		setDur(&d.Interval, 2*time.Minute)
		if d.Files == "" {
			d.Files = "instances/*/values.yaml"
		}
		f := &d.Fields
		setStr(&f.Instance, "instance.name")
		setStr(&f.SEI, "sei.version")
		setStr(&f.SIP, "sip.version")
		setStr(&f.Modules, "sei.modules")
	}

	r := &c.Routes
	if r.GroupBy == nil {
		r.GroupBy = []string{"owner", "alert"}
	}
	setDur(&r.GroupWait, 30*time.Second)
	setDur(&r.GroupInterval, 5*time.Minute)
	setDur(&r.RepeatInterval, 4*time.Hour)
	for i := range c.Rules {
		if c.Rules[i].Severity == "" {
			c.Rules[i].Severity = "warning"
		}
	}
	for i := range c.Silences {
		if c.Silences[i].TimeZone == "" {
			c.Silences[i].TimeZone = g.TimeZone
		}
	}

	if es := c.Outputs.Elasticsearch; es != nil {
		if es.Namespace == "" {
			es.Namespace = "default"
		}
		setDur(&es.FlushInterval, 2*time.Second)
		if es.FlushBytes == 0 {
			es.FlushBytes = 5 << 20
		}
		if es.RetentionDays == 0 {
			es.RetentionDays = 30
		}
		if es.BufferMaxBytes == 0 {
			es.BufferMaxBytes = 1 << 30
		}
	}
	fo := &c.Outputs.File
	setBool(&fo.Enabled, c.Outputs.Elasticsearch == nil)
	setStr(&fo.Dir, filepath.Join(g.StateDir, "events"))
	if fo.MaxBytes == 0 {
		fo.MaxBytes = 100 << 20
	}
	setDur(&fo.MaxAge, 24*time.Hour)
	if fo.MaxFiles == 0 {
		fo.MaxFiles = 10
	}
	setDur(&fo.FlushInterval, 200*time.Millisecond)
}

func (p *ProbeSchedule) setDefaults(enabled bool, interval, timeout time.Duration) {
	setBool(&p.Enabled, enabled)
	setDur(&p.Interval, interval)
	setDur(&p.Timeout, timeout)
}

func setDur(d *time.Duration, v time.Duration) {
	if *d == 0 {
		*d = v
	}
}

func setStr(s *string, v string) {
	if *s == "" {
		*s = v
	}
}

func setBool(b **bool, v bool) {
	if *b == nil {
		*b = &v
	}
}
