package daemon

import (
	"fmt"

	"github.com/robfig/cron/v3"

	vcollectors "github.com/vigia-sei/vigia/collectors"
	"github.com/vigia-sei/vigia/collectors/sei"
	"github.com/vigia-sei/vigia/config"
)

// buildPlans turns the probes section into scheduler plans, one per enabled prober.
func (d *Daemon) buildPlans(cfg *config.Config) ([]vcollectors.Plan, error) {
	p := cfg.Probes
	client := func(t config.TLS) sei.ClientOptions {
		if !t.InsecureSkipVerify && t.CAFile == "" {
			t = cfg.Global.TLS
		}
		return sei.ClientOptions{UserAgent: cfg.Global.UserAgent, InsecureSkipVerify: t.InsecureSkipVerify, CAFile: t.CAFile}
	}
	var plans []vcollectors.Plan
	add := func(s config.ProbeSchedule, build func() (vcollectors.Prober, error)) error {
		if !s.On() {
			return nil
		}
		pr, err := build()
		if err != nil {
			return err
		}
		plan := vcollectors.Plan{Prober: pr, Interval: s.Interval, Timeout: s.Timeout}
		if s.Schedule != "" {
			sched, err := cron.ParseStandard(s.Schedule)
			if err != nil {
				return fmt.Errorf("probes.%s.schedule: %w", pr.Name(), err)
			}
			plan.Cron, plan.CronSpec = sched, s.Schedule
		}
		plans = append(plans, plan)
		return nil
	}
	steps := []struct {
		s     config.ProbeSchedule
		build func() (vcollectors.Prober, error)
	}{
		{p.HTTP, func() (vcollectors.Prober, error) {
			return vcollectors.NewHTTPProber(vcollectors.HTTPOptions{UserAgent: cfg.Global.UserAgent,
				InsecureSkipVerify: cfg.Global.TLS.InsecureSkipVerify}), nil
		}},
		{p.Health.ProbeSchedule, func() (vcollectors.Prober, error) {
			return vcollectors.NewHealthProber(vcollectors.HealthOptions{Client: client(p.Health.TLS),
				SkipWSDL: !*p.Health.CheckWSDL, SkipWSSEI: !*p.Health.CheckDatabase})
		}},
		{p.Version, func() (vcollectors.Prober, error) {
			return vcollectors.NewVersionProber(vcollectors.VersionOptions{Client: client(config.TLS{}), Desired: d.desired})
		}},
		{p.Modules.ProbeSchedule, func() (vcollectors.Prober, error) {
			return vcollectors.NewModulesProber(vcollectors.ModulesOptions{Client: client(config.TLS{}), Desired: d.desired,
				MatrixFile: p.Modules.CompatibilityFile})
		}},
		{p.Synthetic.ProbeSchedule, func() (vcollectors.Prober, error) {
			o := vcollectors.SyntheticOptions{Client: client(config.TLS{}), Search: p.Synthetic.Search}
			if f := p.Synthetic.ScenarioFile; f != "" {
				sc, err := vcollectors.LoadScenario(f)
				if err != nil {
					return nil, fmt.Errorf("probes.synthetic.scenario_file: %w", err)
				}
				o.Scenario = sc
			}
			return vcollectors.NewSyntheticProber(o)
		}},
	}
	for _, st := range steps {
		if err := add(st.s, st.build); err != nil {
			return nil, err
		}
	}
	return plans, nil
}
