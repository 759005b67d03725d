package alerting_test

import (
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
)

// TestGroupingAndRepeat follows one group through group_wait, group_interval and
// repeat_interval, and a resolution.
func TestGroupingAndRepeat(t *testing.T) {
	h := newHarness(t, alerting.ManagerConfig{Rules: []config.Rule{seiDown}, Routes: simpleRoutes("r")}, []string{"r"}, harnessOpts{})
	h.feed(failResult(target("a"), probe.Health), failResult(target("b"), probe.Health))
	h.sync()
	if got := h.take("r"); len(got) != 0 {
		t.Fatalf("sent before group_wait: %s", summaries(got))
	}
	h.advance(10 * time.Second)
	h.feed(failResult(target("c"), probe.Health)) // joins the group during group_wait
	h.advance(20 * time.Second)                   // t0+30s: group_wait is over
	got := h.take("r")
	if len(got) != 1 || summaries(got) != "firing[firing:SEIDown:a firing:SEIDown:b firing:SEIDown:c]" {
		t.Fatalf("after group_wait: want one group of three, got %s", summaries(got))
	}
	g := got[0]
	if g.Key != `{}:{alertname="SEIDown"}` || g.GroupLabels["alertname"] != "SEIDown" || g.CommonLabels["severity"] != "critical" {
		t.Errorf("group key/labels: %q %v %v", g.Key, g.GroupLabels, g.CommonLabels)
	}
	if _, ok := g.CommonLabels["instance"]; ok {
		t.Errorf("instance differs across alerts, yet is a common label: %v", g.CommonLabels)
	}

	// A new alert after the first flush waits for group_interval, not group_wait.
	h.advance(time.Minute)
	h.feed(failResult(target("d"), probe.Health))
	h.advance(time.Minute)
	if got := h.take("r"); len(got) != 0 {
		t.Fatalf("sent before group_interval: %s", summaries(got))
	}
	h.advance(3 * time.Minute) // t0+5m30s
	if got := h.take("r"); len(got) != 1 || len(got[0].Alerts) != 4 {
		t.Fatalf("at group_interval: want the group with 4 alerts, got %s", summaries(got))
	}

	// Nothing new: no notification at the following intervals until repeat_interval.
	for i := 0; i < 46; i++ { // up to t0+3h55m30s
		h.advance(5 * time.Minute)
	}
	if got := h.take("r"); len(got) != 0 {
		t.Fatalf("re-sent before repeat_interval: %d notifications", len(got))
	}
	h.advance(5 * time.Minute) // t0+4h0m30s: 4h after the last send at t0+5m30s? not yet
	h.advance(5 * time.Minute) // t0+4h5m30s
	if got := h.take("r"); len(got) != 1 || len(got[0].Alerts) != 4 {
		t.Fatalf("at repeat_interval: want one repeat, got %s", summaries(got))
	}

	// b recovers: one notification with b resolved and the others still firing.
	h.feed(okResult(target("b"), probe.Health))
	h.advance(5 * time.Minute)
	got = h.take("r")
	if s := summaries(got); s != "firing[firing:SEIDown:a firing:SEIDown:c firing:SEIDown:d resolved:SEIDown:b]" {
		t.Fatalf("after b recovered: %s", s)
	}
	h.advance(5 * time.Minute)
	if got := h.take("r"); len(got) != 0 {
		t.Fatalf("resolution sent twice: %s", summaries(got))
	}
	// Everything recovers: one resolved notification, then silence.
	h.feed(okResult(target("a"), probe.Health), okResult(target("c"), probe.Health), okResult(target("d"), probe.Health))
	h.advance(5 * time.Minute)
	if s := summaries(h.take("r")); s != "resolved[resolved:SEIDown:a resolved:SEIDown:c resolved:SEIDown:d]" {
		t.Fatalf("all recovered: %s", s)
	}
	for i := 0; i < 60; i++ {
		h.advance(5 * time.Minute)
	}
	if got := h.take("r"); len(got) != 0 {
		t.Fatalf("notifications after everything resolved: %s", summaries(got))
	}
	if v := h.counter("vigia_notifications_total", map[string]string{"receiver": "r", "outcome": "sent"}); v != 5 {
		t.Errorf("vigia_notifications_total{outcome=sent} = %v, want 5", v)
	}
}

// TestResolvedOnlyForNotified: an alert that fires and resolves within group_wait is never
// sent, not even as resolved; with send_resolved false, resolutions are not sent at all.
func TestResolvedOnlyForNotified(t *testing.T) {
	routes := simpleRoutes("r")
	routes.Receivers = []string{"r", "quiet"}
	h := newHarness(t, alerting.ManagerConfig{Rules: []config.Rule{seiDown}, Routes: routes,
		SendResolved: map[string]bool{"quiet": false}}, []string{"r", "quiet"}, harnessOpts{})
	h.feed(failResult(target("a"), probe.Health))
	h.advance(10 * time.Second)
	h.feed(okResult(target("a"), probe.Health))
	h.advance(time.Hour)
	if got := append(h.take("r"), h.take("quiet")...); len(got) != 0 {
		t.Fatalf("blip within group_wait was notified: %s", summaries(got))
	}
	h.feed(failResult(target("a"), probe.Health))
	h.advance(30 * time.Second)
	h.feed(okResult(target("a"), probe.Health))
	h.advance(5 * time.Minute)
	if s := summaries(h.take("r")); s != "firing[firing:SEIDown:a]; resolved[resolved:SEIDown:a]" {
		t.Errorf("receiver r: %s", s)
	}
	if s := summaries(h.take("quiet")); s != "firing[firing:SEIDown:a]" {
		t.Errorf("receiver quiet (send_resolved false): %s", s)
	}
}

// TestRouting checks equality and regex matchers, continue, first-match-wins and inheritance.
func TestRouting(t *testing.T) {
	routes := config.Route{
		Receivers: []string{"default"}, GroupBy: []string{"alertname"},
		GroupWait: 30 * time.Second, GroupInterval: 5 * time.Minute, RepeatInterval: 4 * time.Hour,
		Routes: []config.Route{
			{Match: map[string]string{"environment": "prod", "severity": "critical"}, Receivers: []string{"oncall"}, Continue: true},
			{MatchRE: map[string]string{"owner": "MGI|ANATEL"}, Receivers: []string{"owners"}, GroupBy: []string{"owner"},
				Routes: []config.Route{{Match: map[string]string{"environment": "homolog"}, Receivers: []string{"homolog"}}}},
			{MatchRE: map[string]string{"owner": "M.*"}, Receivers: []string{"never"}},
		},
	}
	rules := []config.Rule{seiDown, {Alert: "Slow", Probe: probe.Health, Value: "duration_seconds", Above: f(0.1), Severity: "warning"}}
	recv := []string{"default", "oncall", "owners", "homolog", "never"}
	tests := []struct {
		name   string
		target probe.Target
		rule   string // which rule fires
		want   string // receivers that got a group, sorted
	}{
		{"critical prod goes to oncall and continues to the owner", target("a"), "SEIDown", "oncall owners"},
		{"warning prod goes to the owner only", target("a"), "Slow", "owners"},
		{"a child route takes homolog", withEnv(target("a"), "homolog"), "SEIDown", "homolog"},
		{"nothing matches: the root's receiver", probe.Target{Name: "x", Owner: "TCU", Environment: "dev"}, "Slow", "default"},
		{"regex is anchored", probe.Target{Name: "x", Owner: "MGIX", Environment: "dev"}, "Slow", "never"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, alerting.ManagerConfig{Rules: rules, Routes: routes}, recv, harnessOpts{})
			var r probe.Result
			if tt.rule == "SEIDown" {
				r = failResult(tt.target, probe.Health)
				r.Duration = 0
			} else {
				r = okResult(tt.target, probe.Health)
			}
			h.feed(r)
			h.advance(30 * time.Second)
			var got []string
			for _, name := range recv {
				gs := h.take(name)
				if len(gs) > 1 {
					t.Errorf("%s got %d groups", name, len(gs))
				}
				if len(gs) > 0 {
					got = append(got, name)
				}
			}
			sort.Strings(got)
			if strings.Join(got, " ") != tt.want {
				t.Errorf("receivers = %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}

// TestInhibition: an instance that is down does not also page for its synthetic and module
// alerts (the default rule), and explicit rules honour equal.
func TestInhibition(t *testing.T) {
	synthetic := config.Rule{Alert: "SyntheticFailing", Probe: probe.Synthetic, When: "failing", Severity: "warning"}
	modDown := config.Rule{Alert: "ModuleDown", When: "module_down", Severity: "warning"}
	tests := []struct {
		name    string
		inhibit []config.InhibitRule
		want    string
	}{
		{"default rule: down inhibits synthetic and modules of the same instance", nil,
			"firing[firing:SEIDown:a]; firing[firing:ModuleDown:b]; firing[firing:SyntheticFailing:b]"},
		{"explicit rule with equal owner inhibits across instances", []config.InhibitRule{{
			SourceMatch: map[string]string{"alertname": "SEIDown"}, TargetMatch: map[string]string{"severity": "warning"},
			Equal: []string{"owner"}}},
			"firing[firing:SEIDown:a]"},
		{"explicit rule with a regex target", []config.InhibitRule{{
			SourceMatch: map[string]string{"alertname": "SEIDown"}, TargetMatchRE: map[string]string{"alertname": "Synth.*"},
			Equal: []string{"instance"}}},
			"firing[firing:ModuleDown:a]; firing[firing:SEIDown:a]; firing[firing:ModuleDown:b]; firing[firing:SyntheticFailing:b]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			routes := simpleRoutes("r")
			routes.GroupBy = []string{"alertname", "instance"}
			h := newHarness(t, alerting.ManagerConfig{Rules: []config.Rule{seiDown, synthetic, modDown}, Routes: routes, Inhibit: tt.inhibit},
				[]string{"r"}, harnessOpts{})
			for _, name := range []string{"a", "b"} {
				tg := target(name)
				if name == "a" {
					h.feed(failResult(tg, probe.Health))
				}
				h.feed(failResult(tg, probe.Synthetic),
					withModules(okResult(tg, probe.Modules), probe.Module{Name: "mod-wssei", Up: probe.BoolPtr(false)}))
			}
			h.advance(30 * time.Second)
			got := h.take("r")
			sort.Slice(got, func(i, j int) bool {
				return got[i].Alerts[0].Labels["instance"]+got[i].Key < got[j].Alerts[0].Labels["instance"]+got[j].Key
			})
			if s := summaries(got); s != tt.want {
				t.Errorf("notified:\n got %s\nwant %s", s, tt.want)
			}
			// Inhibited alerts are still visible.
			var inhibited int
			for _, a := range h.m.Alerts() {
				if a.Inhibited {
					inhibited++
				}
			}
			if want := 5 - strings.Count(tt.want, "firing:"); inhibited != want {
				t.Errorf("%d alerts shown as inhibited, want %d", inhibited, want)
			}
			// The source recovers: the inhibited alerts are notified at the next interval.
			if tt.inhibit == nil {
				h.feed(okResult(target("a"), probe.Health))
				h.advance(5 * time.Minute)
				if s := summaries(h.take("r")); !strings.Contains(s, "firing[firing:SyntheticFailing:a]") {
					t.Errorf("after the source resolved: %s", s)
				}
			}
		})
	}
}

// TestSilences: a silenced alert is evaluated and visible but not sent; expiring the silence
// lets it through at the next flush.
func TestSilences(t *testing.T) {
	h := newHarness(t, alerting.ManagerConfig{Rules: []config.Rule{seiDown}, Routes: simpleRoutes("r")}, []string{"r"}, harnessOpts{})
	id, err := h.m.AddSilence(alerting.Silence{Match: map[string]string{"instance": "a"}, EndsAt: t0.Add(time.Hour),
		Comment: "troca de servidor", CreatedBy: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	h.feed(failResult(target("a"), probe.Health), failResult(target("b"), probe.Health))
	h.advance(30 * time.Second)
	if s := summaries(h.take("r")); s != "firing[firing:SEIDown:b]" {
		t.Fatalf("with a silence on a: %s", s)
	}
	alerts := h.m.Alerts()
	if len(alerts) != 2 || !alerts[0].Silenced || alerts[0].SilencedBy[0] != id || alerts[1].Silenced {
		t.Fatalf("silenced alert must stay visible and marked: %+v", alerts)
	}
	if err := h.m.ExpireSilence(id); err != nil {
		t.Fatal(err)
	}
	h.advance(5 * time.Minute)
	if s := summaries(h.take("r")); s != "firing[firing:SEIDown:a firing:SEIDown:b]" {
		t.Fatalf("after expiring the silence: %s", s)
	}
	if err := h.m.ExpireSilence("nope"); !errors.Is(err, alerting.ErrSilenceNotFound) {
		t.Errorf("expire unknown: %v", err)
	}
	for _, bad := range []alerting.Silence{
		{EndsAt: t0.Add(time.Hour), Comment: "x"},
		{Match: map[string]string{"a": "b"}, Comment: "x"},
		{Match: map[string]string{"a": "b"}, EndsAt: t0.Add(time.Hour)},
		{Match: map[string]string{"a": "b"}, EndsAt: t0.Add(-time.Hour), Comment: "x"},
		{MatchRE: map[string]string{"a": "("}, EndsAt: t0.Add(time.Hour), Comment: "x"},
		{Match: map[string]string{"a": "b"}, Cron: "61 * * * *", Duration: time.Hour, Comment: "x"},
		{Match: map[string]string{"a": "b"}, Cron: "0 2 * * *", Comment: "x"},
		{Match: map[string]string{"a": "b"}, Cron: "0 2 * * *", Duration: time.Hour, TimeZone: "Mars/Olympus", Comment: "x"},
	} {
		if _, err := h.m.AddSilence(bad); !errors.Is(err, alerting.ErrInvalidSilence) {
			t.Errorf("AddSilence(%+v) = %v, want ErrInvalidSilence", bad, err)
		}
	}
}

// TestCronMaintenanceWindow: a weekly window in São Paulo time silences the notifications of
// matching alerts, and only those, and only inside the window.
func TestCronMaintenanceWindow(t *testing.T) {
	sp, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	sunday2am := time.Date(2026, 3, 8, 2, 0, 0, 0, sp)
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		{"inside the window only homolog is muted", sunday2am.Add(10 * time.Minute), "firing[firing:SEIDown:prod1]"},
		{"just before the window both are sent", sunday2am.Add(-2 * time.Minute), "firing[firing:SEIDown:homolog1 firing:SEIDown:prod1]"},
		{"after the window both are sent", sunday2am.Add(2*time.Hour + time.Minute), "firing[firing:SEIDown:homolog1 firing:SEIDown:prod1]"},
		{"a weekday at 2am is not the window", sunday2am.Add(24 * time.Hour), "firing[firing:SEIDown:homolog1 firing:SEIDown:prod1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sil := []config.Silence{{Match: map[string]string{"environment": "homolog"}, Cron: "0 2 * * SUN",
				Duration: 2 * time.Hour, Comment: "janela semanal"}}
			routes := simpleRoutes("r")
			routes.GroupWait = time.Second
			h := newHarness(t, alerting.ManagerConfig{Rules: []config.Rule{seiDown}, Routes: routes, Silences: sil},
				[]string{"r"}, harnessOpts{clock: newClockAt(tt.at)})
			h.feed(failResult(withEnv(target("homolog1"), "homolog"), probe.Health), failResult(target("prod1"), probe.Health))
			h.advance(time.Second)
			if s := summaries(h.take("r")); s != tt.want {
				t.Errorf("got %s, want %s", s, tt.want)
			}
		})
	}
	t.Run("the window ends: the muted alert is sent at the next interval", func(t *testing.T) {
		sil := []config.Silence{{Match: map[string]string{"environment": "homolog"}, Cron: "0 2 * * SUN",
			Duration: 2 * time.Hour, Comment: "janela semanal"}}
		h := newHarness(t, alerting.ManagerConfig{Rules: []config.Rule{seiDown}, Routes: simpleRoutes("r"), Silences: sil},
			[]string{"r"}, harnessOpts{clock: newClockAt(sunday2am.Add(time.Hour))})
		h.feed(failResult(withEnv(target("homolog1"), "homolog"), probe.Health))
		for i := 0; i < 13; i++ { // 30s, then 5-minute intervals until after 4am
			h.advance(5 * time.Minute)
			gs := h.take("r")
			now := h.clock.Now()
			inWindow := now.Before(sunday2am.Add(2 * time.Hour))
			if inWindow && len(gs) > 0 {
				t.Fatalf("sent inside the window at %v", now)
			}
			if !inWindow {
				if len(gs) != 1 {
					t.Fatalf("at %v, first flush after the window: %s", now, summaries(gs))
				}
				break
			}
		}
		list := h.m.Silences()
		if len(list) != 1 || list[0].Source != alerting.SilenceFromConfig || list[0].State != alerting.SilenceWaiting ||
			list[0].NextWindow == nil || !list[0].NextWindow.Equal(sunday2am.Add(7*24*time.Hour)) {
			t.Errorf("silence listing after the window: %+v", list)
		}
		if err := h.m.ExpireSilence(list[0].ID); !errors.Is(err, alerting.ErrSilenceInConfig) {
			t.Errorf("expiring a config silence: %v", err)
		}
	})
}

// TestRetries: retryable failures are retried with backoff; a non-retryable one gives up until
// the next group_interval.
func TestRetries(t *testing.T) {
	h := newHarness(t, alerting.ManagerConfig{Rules: []config.Rule{seiDown}, Routes: simpleRoutes("r"), MaxAttempts: 3}, []string{"r"}, harnessOpts{})
	h.rec["r"].FailNext(2, errors.New("503 from the webhook"), true)
	h.feed(failResult(target("a"), probe.Health))
	h.advance(30 * time.Second)
	if got := h.take("r"); len(got) != 1 || h.rec["r"].Attempts() != 3 {
		t.Fatalf("want delivery on the third attempt, got %d groups after %d attempts", len(got), h.rec["r"].Attempts())
	}
	if r, s := h.counter("vigia_notifications_total", map[string]string{"outcome": "retried"}),
		h.counter("vigia_notifications_total", map[string]string{"outcome": "sent"}); r != 2 || s != 1 {
		t.Errorf("retried=%v sent=%v, want 2 and 1", r, s)
	}

	h.rec["r"].FailNext(1, errors.New("payload rejected"), false)
	h.feed(failResult(target("b"), probe.Health))
	h.advance(5 * time.Minute)
	if got := h.take("r"); len(got) != 0 {
		t.Fatalf("a non-retryable failure was retried at once: %s", summaries(got))
	}
	if v := h.counter("vigia_notifications_total", map[string]string{"outcome": "failed"}); v != 1 {
		t.Errorf("failed = %v, want 1", v)
	}
	h.advance(5 * time.Minute)
	if s := summaries(h.take("r")); s != "firing[firing:SEIDown:a firing:SEIDown:b]" {
		t.Fatalf("next interval should deliver what failed: %s", s)
	}
}

// TestSetInstancesResolves: an instance removed from the fleet resolves its alerts, and a late
// result from it does not bring them back.
func TestSetInstancesResolves(t *testing.T) {
	h := newHarness(t, alerting.ManagerConfig{Rules: []config.Rule{seiDown}, Routes: simpleRoutes("r")}, []string{"r"}, harnessOpts{})
	h.feed(failResult(target("a"), probe.Health), failResult(target("b"), probe.Health))
	h.advance(30 * time.Second)
	h.take("r")
	h.m.SetInstances([]string{"b"})
	h.feed(failResult(target("a"), probe.Health)) // in flight when a was removed
	h.advance(5 * time.Minute)
	if s := summaries(h.take("r")); s != "firing[firing:SEIDown:b resolved:SEIDown:a]" {
		t.Fatalf("after removing a: %s", s)
	}
	if d := describe(h.m.Alerts()); strings.Join(d, ",") != "firing SEIDown b health" {
		t.Fatalf("alerts: %v", d)
	}
	h.m.SetInstances([]string{"a", "b"})
	h.feed(failResult(target("a"), probe.Health))
	if len(h.m.Alerts()) != 2 {
		t.Fatal("a re-added instance must alert again")
	}
}

// TestReload keeps the state of unchanged rules and resolves the alerts of removed ones.
func TestReload(t *testing.T) {
	slow := config.Rule{Alert: "Slow", Probe: probe.Health, Value: "duration_seconds", Above: f(0.01)}
	cfg := alerting.ManagerConfig{Rules: []config.Rule{seiDown, slow}, Routes: simpleRoutes("r")}
	h := newHarness(t, cfg, []string{"r"}, harnessOpts{})
	h.feed(failResult(target("a"), probe.Health))
	h.advance(30 * time.Second)
	if s := summaries(h.take("r")); s != "firing[firing:SEIDown:a]; firing[firing:Slow:a]" &&
		s != "firing[firing:Slow:a]; firing[firing:SEIDown:a]" {
		t.Fatalf("before reload: %s", s)
	}
	// SEIDown gets a new threshold-free change (for), Slow is removed.
	down := seiDown
	down.For = time.Minute
	if err := h.m.Reload(alerting.ManagerConfig{Rules: []config.Rule{down}, Routes: simpleRoutes("r")}, nil); err != nil {
		t.Fatal(err)
	}
	h.advance(5 * time.Minute)
	if s := summaries(h.take("r")); s != "resolved[resolved:Slow:a]" {
		t.Fatalf("after reload: %s", s)
	}
	if d := describe(h.m.Alerts()); strings.Join(d, ",") != "firing SEIDown a health" {
		t.Fatalf("SEIDown must keep firing across the reload: %v", d)
	}
	if err := h.m.Reload(alerting.ManagerConfig{Rules: []config.Rule{down}, Routes: simpleRoutes("missing")}, nil); err == nil {
		t.Fatal("a route to a receiver without notifier must be refused")
	}
}

// TestOnChange: every committed state change reaches the OnChange hook once, in order.
func TestOnChange(t *testing.T) {
	var seen []string
	rule := seiDown
	rule.For = time.Minute
	cfg := alerting.ManagerConfig{Rules: []config.Rule{rule}, Routes: simpleRoutes("r"),
		OnChange: func(a alerting.Alert) { seen = append(seen, a.State+"@"+a.Labels["instance"]) }}
	h := newHarness(t, cfg, []string{"r"}, harnessOpts{})
	h.feed(failResult(target("a"), probe.Health))
	h.advance(time.Minute)
	h.feed(failResult(target("a"), probe.Health))
	h.advance(time.Minute)
	h.feed(failResult(target("a"), probe.Health)) // no change: no event
	h.advance(time.Minute)
	h.feed(okResult(target("a"), probe.Health))
	h.advance(time.Minute)
	if got := strings.Join(seen, " "); got != "pending@a firing@a resolved@a" {
		t.Fatalf("changes seen: %s", got)
	}
}
