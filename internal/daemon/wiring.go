package daemon

import (
	"fmt"

	"github.com/robfig/cron/v3"

	vcollectors "github.com/vigia-sei/vigia/collectors"
	"github.com/vigia-sei/vigia/collectors/sei"
	"github.com/vigia-sei/vigia/config"
)

// NewProber builds the named prober ("http", "health", "version", "modules", "synthetic") from the
// config, the same way the daemon does; `vigia probe` and `vigia check` use it for one-shot runs.
// desired may be nil (no drift). loggedIn, shared by the version, modules and synthetic probers,
// lets the version probe read the logged-in pages the others saw; nil makes it log in itself.
// sessions, shared by the same three, lets their runs resume TLS sessions as a browser does; nil
// makes every run do a full handshake, as the health probe always does (it checks the certificate).
func NewProber(cfg *config.Config, name string, desired vcollectors.DesiredStateSource, loggedIn *vcollectors.LoggedInPages, sessions *sei.TLSSessions) (vcollectors.Prober, error) {
	p := cfg.Probes
	client := func(t config.TLS) sei.ClientOptions {
		if !t.InsecureSkipVerify && t.CAFile == "" {
			t = cfg.Global.TLS
		}
		return sei.ClientOptions{UserAgent: cfg.Global.UserAgent, InsecureSkipVerify: t.InsecureSkipVerify, CAFile: t.CAFile}
	}
	loggedInClient := func() sei.ClientOptions {
		o := client(config.TLS{})
		o.TLSSessions = sessions
		return o
	}
	switch name {
	case "http":
		return vcollectors.NewHTTPProber(vcollectors.HTTPOptions{UserAgent: cfg.Global.UserAgent,
			InsecureSkipVerify: cfg.Global.TLS.InsecureSkipVerify}), nil
	case "health":
		return vcollectors.NewHealthProber(vcollectors.HealthOptions{Client: client(p.Health.TLS),
			SkipWSDL: !*p.Health.CheckWSDL, SkipWSSEI: !*p.Health.CheckDatabase})
	case "version":
		o := vcollectors.VersionOptions{Client: loggedInClient(), LoggedIn: loggedIn}
		if desired != nil {
			o.Desired = desired
		}
		return vcollectors.NewVersionProber(o)
	case "modules":
		o := vcollectors.ModulesOptions{Client: loggedInClient(), MatrixFile: p.Modules.CompatibilityFile, LoggedIn: loggedIn}
		if desired != nil {
			o.Desired = desired
		}
		return vcollectors.NewModulesProber(o)
	case "synthetic":
		o := vcollectors.SyntheticOptions{Client: loggedInClient(), Search: p.Synthetic.Search, LoggedIn: loggedIn}
		if f := p.Synthetic.ScenarioFile; f != "" {
			sc, err := vcollectors.LoadScenario(f)
			if err != nil {
				return nil, fmt.Errorf("probes.synthetic.scenario_file: %w", err)
			}
			o.Scenario = sc
		}
		return vcollectors.NewSyntheticProber(o)
	}
	return nil, fmt.Errorf("unknown probe %q", name)
}

// buildPlans turns the probes section into scheduler plans, one per enabled prober.
func (d *Daemon) buildPlans(cfg *config.Config) ([]vcollectors.Plan, error) {
	p := cfg.Probes
	if n := *cfg.Global.TLSSessions; n != d.tlsSessions.Capacity() {
		d.tlsSessions = nil
		if n > 0 {
			d.tlsSessions = sei.NewTLSSessions(n)
		}
	}
	var plans []vcollectors.Plan
	for _, s := range []struct {
		name  string
		sched config.ProbeSchedule
	}{
		{"http", p.HTTP}, {"health", p.Health.ProbeSchedule}, {"version", p.Version},
		{"modules", p.Modules.ProbeSchedule}, {"synthetic", p.Synthetic.ProbeSchedule},
	} {
		if !s.sched.On() {
			continue
		}
		pr, err := NewProber(cfg, s.name, d.desired, d.loggedIn, d.tlsSessions)
		if err != nil {
			return nil, err
		}
		plan := vcollectors.Plan{Prober: pr, Interval: s.sched.Interval, Timeout: s.sched.Timeout}
		if spec := s.sched.Schedule; spec != "" {
			sched, err := cron.ParseStandard(spec)
			if err != nil {
				return nil, fmt.Errorf("probes.%s.schedule: %w", s.name, err)
			}
			plan.Cron, plan.CronSpec = sched, spec
		}
		plans = append(plans, plan)
	}
	return plans, nil
}
