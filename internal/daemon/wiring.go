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
// desired may be nil (no drift); shared holds what runs of different probers share (its zero value
// shares nothing).
func NewProber(cfg *config.Config, name string, desired vcollectors.DesiredStateSource, shared ProberShared) (vcollectors.Prober, error) {
	p := cfg.Probes
	client := func(t config.TLS) sei.ClientOptions {
		if !t.InsecureSkipVerify && t.CAFile == "" {
			t = cfg.Global.TLS
		}
		return sei.ClientOptions{UserAgent: cfg.Global.UserAgent, InsecureSkipVerify: t.InsecureSkipVerify, CAFile: t.CAFile, Conns: shared.Conns}
	}
	loggedInClient := func() sei.ClientOptions {
		o := client(config.TLS{})
		o.TLSSessions = shared.TLSSessions
		return o
	}
	loggedIn := shared.LoggedIn
	switch name {
	case "http":
		return vcollectors.NewHTTPProber(vcollectors.HTTPOptions{UserAgent: cfg.Global.UserAgent,
			InsecureSkipVerify: cfg.Global.TLS.InsecureSkipVerify}), nil
	case "health":
		c := client(p.Health.TLS)
		c.LendOnly = true // a new connection every run: health measures connect and TLS
		return vcollectors.NewHealthProber(vcollectors.HealthOptions{Client: c,
			SkipWSDL: !*p.Health.CheckWSDL, SkipWSSEI: !*p.Health.CheckDatabase, Shared: shared.Answers})
	case "version":
		o := vcollectors.VersionOptions{Client: loggedInClient(), LoggedIn: loggedIn, Shared: shared.Answers}
		if desired != nil {
			o.Desired = desired
		}
		return vcollectors.NewVersionProber(o)
	case "modules":
		o := vcollectors.ModulesOptions{Client: loggedInClient(), MatrixFile: p.Modules.CompatibilityFile, LoggedIn: loggedIn,
			Shared: shared.Answers}
		if k := p.Modules.KeepSession; k != nil && *k > 0 {
			o.Sessions, o.KeepSession = shared.Sessions, *k
		}
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

// ProberShared is what runs of different probers share; nil fields share nothing.
type ProberShared struct {
	// LoggedIn, shared by the version, modules and synthetic probers, lets the version probe read
	// the logged-in pages the others saw instead of logging in itself.
	LoggedIn *vcollectors.LoggedInPages
	// TLSSessions, shared by the same three, lets their runs resume TLS sessions as a browser
	// does; the health probe always does a full handshake (it checks the certificate).
	TLSSessions *sei.TLSSessions
	// Conns passes the connection a run leaves open on to the next run against the same server:
	// the scheduler starts an instance's probes a moment apart. Health lends but never borrows.
	Conns *sei.ConnPool
	// Sessions keeps each instance's modules-probe SIP session between runs
	// (probes.modules.keep_session); nil logs in and out every run, as one-shot runs do.
	Sessions *vcollectors.KeptSessions
	// Answers passes mod-wssei's answers between the probes of one instance that ask the same a
	// few seconds apart (/versao: version and modules; /orgao/listar: health and modules).
	Answers *vcollectors.SharedAnswers
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
		pr, err := NewProber(cfg, s.name, d.desired, ProberShared{LoggedIn: d.loggedIn, TLSSessions: d.tlsSessions, Conns: d.conns,
			Sessions: d.sessions, Answers: d.answers})
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
