package daemon

import (
	"fmt"

	"github.com/robfig/cron/v3"

	vcollectors "github.com/vigia-sei/vigia/collectors"
	"github.com/vigia-sei/vigia/config"
)

// buildPlans turns the probes section into scheduler plans, one per enabled prober.
func (d *Daemon) buildPlans(cfg *config.Config) ([]vcollectors.Plan, error) {
	var plans []vcollectors.Plan
	add := func(p vcollectors.Prober, s config.ProbeSchedule) error {
		if !s.On() {
			return nil
		}
		plan := vcollectors.Plan{Prober: p, Interval: s.Interval, Timeout: s.Timeout}
		if s.Schedule != "" {
			sched, err := cron.ParseStandard(s.Schedule)
			if err != nil {
				return fmt.Errorf("probes.%s.schedule: %w", p.Name(), err)
			}
			plan.Cron, plan.CronSpec = sched, s.Schedule
		}
		plans = append(plans, plan)
		return nil
	}
	if err := add(vcollectors.NewHTTPProber(vcollectors.HTTPOptions{UserAgent: cfg.Global.UserAgent}), cfg.Probes.HTTP); err != nil {
		return nil, err
	}
	return plans, nil
}

// buildConsumers creates the Result consumers (metrics, events, alerting) once at start.
func (d *Daemon) buildConsumers(cfg *config.Config) error {
	return nil
}

// reloadConsumers hands a new config to consumers that take one.
func (d *Daemon) reloadConsumers(cfg, prev *config.Config) error {
	return nil
}

// mountExtras adds the HTTP handlers of components (alert API, status page).
func (d *Daemon) mountExtras() {}
