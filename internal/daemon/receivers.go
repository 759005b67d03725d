package daemon

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"sync"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/alerting/notify/alertmanager"
	"github.com/vigia-sei/vigia/alerting/notify/email"
	notifylog "github.com/vigia-sei/vigia/alerting/notify/log"
	"github.com/vigia-sei/vigia/alerting/notify/slack"
	"github.com/vigia-sei/vigia/alerting/notify/teams"
	"github.com/vigia-sei/vigia/alerting/notify/webhook"
	"github.com/vigia-sei/vigia/alerting/notify/zabbix"
	"github.com/vigia-sei/vigia/config"
)

// receivers holds one notifier per configured receiver. Zabbix and Alertmanager receivers run
// loops and own metrics, so they are built once at start; the others are rebuilt on reload.
type receivers struct {
	cfgs      map[string]config.Receiver
	notifiers map[string]alerting.Notifier
	zabbix    map[string]*zabbix.Notifier
	ams       map[string]*alertmanager.Notifier
}

func (d *Daemon) buildReceivers(cfg *config.Config, prev *receivers) (*receivers, error) {
	rs := &receivers{cfgs: cfg.Receivers, notifiers: map[string]alerting.Notifier{},
		zabbix: map[string]*zabbix.Notifier{}, ams: map[string]*alertmanager.Notifier{}}
	ua := cfg.Global.UserAgent
	names := make([]string, 0, len(cfg.Receivers))
	for n := range cfg.Receivers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		r := cfg.Receivers[name]
		log := d.log.With("receiver", name)
		var (
			n   alerting.Notifier
			err error
		)
		switch {
		case r.Zabbix != nil || r.Alertmanager != nil:
			if prev != nil {
				if old, ok := prev.notifiers[name]; ok {
					if !reflect.DeepEqual(prev.cfgs[name], r) {
						log.Warn("changes to Zabbix and Alertmanager receivers take effect on restart")
					}
					n = old
					if z, ok := prev.zabbix[name]; ok {
						rs.zabbix[name] = z
					}
					if a, ok := prev.ams[name]; ok {
						rs.ams[name] = a
					}
					break
				}
				return nil, fmt.Errorf("receivers.%s: a new Zabbix or Alertmanager receiver needs a restart", name)
			}
			if r.Zabbix != nil {
				z, zerr := zabbix.New(*r.Zabbix, zabbix.Options{Name: name, Logger: log, Registerer: d.reg})
				n, err = z, zerr
				if zerr == nil {
					rs.zabbix[name] = z
				}
			} else {
				a, aerr := alertmanager.New(*r.Alertmanager, alertmanager.Options{Name: name, Logger: log, UserAgent: ua, Registerer: d.reg})
				n, err = a, aerr
				if aerr == nil {
					rs.ams[name] = a
				}
			}
		case r.Email != nil:
			n, err = email.New(*r.Email, email.Options{Logger: log})
		case r.Slack != nil:
			n, err = slack.New(*r.Slack, slack.Options{Logger: log, UserAgent: ua})
		case r.Teams != nil:
			n, err = teams.New(*r.Teams, teams.Options{Logger: log, UserAgent: ua})
		case r.Webhook != nil:
			n, err = webhook.New(*r.Webhook, webhook.Options{Logger: log, UserAgent: ua})
		case r.Log != nil:
			n, err = notifylog.FromConfig(name, r.Log, log)
		}
		if err != nil {
			return nil, fmt.Errorf("receivers.%s: %w", name, err)
		}
		rs.notifiers[name] = n
	}
	return rs, nil
}

// runLoops runs the loops of the stateful receivers until ctx ends and waits for them, so a
// shutdown lets the Zabbix sender flush what it queued.
func (rs *receivers) runLoops(ctx context.Context) {
	var wg sync.WaitGroup
	for _, z := range rs.zabbix {
		wg.Add(1)
		go func() { defer wg.Done(); z.Run(ctx) }()
	}
	for _, a := range rs.ams {
		wg.Add(1)
		go func() { defer wg.Done(); a.Run(ctx) }()
	}
	wg.Wait()
}
