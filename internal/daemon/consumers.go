package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/vigia-sei/vigia/alerting"
	"sync/atomic"

	vcollectors "github.com/vigia-sei/vigia/collectors"
	"github.com/vigia-sei/vigia/collectors/desired"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
	"github.com/vigia-sei/vigia/internal/events"
	"github.com/vigia-sei/vigia/internal/statuspage"
)

// desiredState serves the version and modules probers: per-instance desired versions from Git
// (when configured) and the fleet-wide latest from the config in force.
type desiredState struct {
	store  *desired.Store
	latest atomic.Pointer[desired.Versions]
}

func (s *desiredState) Desired(instance string) (desired.Versions, bool) {
	if s.store == nil {
		return desired.Versions{}, false
	}
	return s.store.Desired(instance)
}

func (s *desiredState) Latest() desired.Versions {
	if l := s.latest.Load(); l != nil {
		return *l
	}
	return desired.Versions{}
}

func latestOf(cfg *config.Config) desired.Versions {
	l := cfg.Desired.Latest
	return desired.Versions{SEI: l.SEI, SIP: l.SIP, Modules: l.Modules}
}

// buildConsumers creates the Result consumers (metrics, events, alerting) and the desired-state
// source once at start.
func (d *Daemon) buildConsumers(cfg *config.Config) error {
	// Events first: its log handler copies vigia's own warnings and errors into events (when
	// enabled), so every component built after it logs through it.
	ev, err := events.NewFromConfig(cfg, d.reg, d.log)
	if err != nil {
		return fmt.Errorf("outputs: %w", err)
	}
	d.log = slog.New(ev.LogHandler(d.log.Handler()))
	d.handlers = append(d.handlers, ev)
	d.alertHandlers = append(d.alertHandlers, ev.HandleAlert)
	d.runners = append(d.runners, func(ctx context.Context) {
		if err := ev.Run(ctx); err != nil {
			d.log.Error("event shipping stopped", "err", err)
		}
	})
	d.closers = append(d.closers, ev.Close)

	d.desired = &desiredState{}
	d.desired.latest.Store(ptr(latestOf(cfg)))
	if g := cfg.Desired.Git; g != nil {
		st, err := desired.New(desired.Options{
			URL: g.URL, Path: g.Path, Ref: g.Ref, Interval: g.Interval, Files: g.Files,
			Fields: desired.Fields{Instance: g.Fields.Instance, SEI: g.Fields.SEI, SIP: g.Fields.SIP, Modules: g.Fields.Modules},
			Auth:   desired.Auth{Username: g.Username, Password: g.Password, SSHKeyFile: g.SSHKey},
			Latest: latestOf(cfg),
		}, d.reg, d.log)
		if err != nil {
			return err
		}
		d.desired.store = st
		d.runners = append(d.runners, st.Run)
	}

	if err := d.buildAlerting(cfg); err != nil {
		return err
	}

	// Not on d.reg: the server renders the sei_* families straight from their compact state.
	metrics := vcollectors.NewResultMetrics(nil)
	d.results = metrics
	d.handlers = append(d.handlers, vcollectors.ResultHandlerFunc(metrics.Observe))
	d.fleetWatchers = append(d.fleetWatchers, func(_, _ []probe.Target, gone []string) {
		for _, name := range gone {
			metrics.Forget(name)
		}
	})
	return nil
}

// buildAlerting opens the alert store and builds the manager and its receivers.
func (d *Daemon) buildAlerting(cfg *config.Config) error {
	if err := os.MkdirAll(cfg.Global.StateDir, 0o750); err != nil {
		return fmt.Errorf("global.state_dir: %w", err)
	}
	store, err := alerting.OpenStore(filepath.Join(cfg.Global.StateDir, "alerts.db"))
	if err != nil {
		return fmt.Errorf("alert state: %w", err)
	}
	d.closers = append(d.closers, store.Close)
	rs, err := d.buildReceivers(cfg, nil)
	if err != nil {
		return err
	}
	mc := alerting.ConfigFrom(cfg)
	mc.OnChange = d.onAlertChange
	m, err := alerting.NewManager(mc, rs.notifiers, store, d.reg, d.log.With("component", "alerting"))
	if err != nil {
		return err
	}
	d.alerts, d.receivers = m, rs
	d.handlers = append(d.handlers, m)
	d.runners = append(d.runners, m.Run, rs.runLoops)
	for _, z := range rs.zabbix {
		d.handlers = append(d.handlers, z)
	}
	d.fleetWatchers = append(d.fleetWatchers, func(current, all []probe.Target, _ []string) {
		names := make([]string, len(current))
		for i, t := range current {
			names[i] = t.Name
		}
		m.SetInstances(names)
		d.provisionZabbix(all)
	})
	return nil
}

// provisionZabbix brings Zabbix hosts, items and triggers in line with the whole fleet (not only
// this shard: hosts left out would be disabled) in the background.
func (d *Daemon) provisionZabbix(all []probe.Target) {
	rules := d.cfg.Load().Rules
	for name, z := range d.receivers.zabbix {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			if err := z.Provision(ctx, all, rules); err != nil {
				d.log.Error("zabbix provisioning failed; will retry on the next fleet change or by itself", "receiver", name, "err", err)
			}
		}()
	}
}

// onAlertChange receives every committed alert state change.
func (d *Daemon) onAlertChange(a alerting.Alert) {
	for _, h := range d.alertHandlers {
		h(a)
	}
}

// reloadConsumers hands a new config to consumers that take one.
func (d *Daemon) reloadConsumers(cfg, prev *config.Config) error {
	d.desired.latest.Store(ptr(latestOf(cfg)))
	if prev != nil {
		rs, err := d.buildReceivers(cfg, d.receivers)
		if err != nil {
			return err
		}
		mc := alerting.ConfigFrom(cfg)
		mc.OnChange = d.onAlertChange
		if err := d.alerts.Reload(mc, rs.notifiers); err != nil {
			return fmt.Errorf("alerting: %w", err)
		}
		d.receivers = rs
	}
	if prev != nil && fmt.Sprint(prev.Desired.Git) != fmt.Sprint(cfg.Desired.Git) {
		d.log.Warn("desired.git changes take effect on restart")
	}
	return nil
}

// mountExtras adds the HTTP handlers of components (alert API, status page).
func (d *Daemon) mountExtras() error {
	api := d.alerts.APIHandler(d.cfg.Load().Server.APIToken)
	for _, p := range []string{"/api/v1/alerts", "/api/v1/silences", "/api/v1/silences/"} {
		d.srv.Handle(p, api)
	}
	page, err := statuspage.New(statuspage.Options{Fleet: d.latest, Alerts: d.alerts, Logger: d.log})
	if err != nil {
		return fmt.Errorf("status page: %w", err)
	}
	page.Mount(d.srv)
	return nil
}

func ptr[T any](v T) *T { return &v }
