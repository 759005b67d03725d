package alerting_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
)

// TestRestartNeitherResendsNorForgets stops the manager between firing and resolution and
// checks the next one keeps what fires, does not re-send it, repeats on the original schedule
// and sends each resolution once.
func TestRestartNeitherResendsNorForgets(t *testing.T) {
	path := storePath(t)
	clock := newClockAt(t0)
	cfg := alerting.ManagerConfig{Rules: []config.Rule{seiDown}, Routes: simpleRoutes("r")}

	st := openStore(t, path)
	h := newHarness(t, cfg, []string{"r"}, harnessOpts{store: st, clock: clock})
	h.feed(failResult(target("a"), probe.Health), failResult(target("b"), probe.Health))
	h.advance(30 * time.Second)
	if s := summaries(h.take("r")); s != "firing[firing:SEIDown:a firing:SEIDown:b]" {
		t.Fatalf("first run: %s", s)
	}
	before := h.m.Alerts()
	h.advance(time.Minute)
	h.stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = openStore(t, path)
	h = newHarness(t, cfg, []string{"r"}, harnessOpts{store: st, clock: clock})
	after := h.m.Alerts()
	if len(after) != 2 || after[0].State != alerting.StateFiring || !after[0].StartsAt.Equal(before[0].StartsAt) ||
		after[0].Fingerprint != before[0].Fingerprint || after[0].Annotations["summary"] == "" {
		t.Fatalf("firing alerts not restored as they were:\nbefore %+v\nafter  %+v", before, after)
	}
	// Results keep failing; groups are rebuilt; nothing is news until repeat_interval.
	for i := 0; i < 46; i++ {
		h.feed(failResult(target("a"), probe.Health), failResult(target("b"), probe.Health))
		h.advance(5 * time.Minute)
	}
	if got := h.take("r"); len(got) != 0 {
		t.Fatalf("re-sent after restart, before repeat_interval (now t0+%v): %s", h.clock.Now().Sub(t0), summaries(got))
	}
	// First send was at t0+30s; the repeat is due at t0+4h0m30s, whoever runs then, and goes
	// out at the group's first flush after that.
	for h.clock.Now().Before(t0.Add(4*time.Hour + 30*time.Second)) {
		h.advance(time.Minute)
	}
	if got := h.take("r"); len(got) != 0 {
		t.Fatalf("repeated early: %s", summaries(got))
	}
	for i := 0; i < 5; i++ {
		h.advance(time.Minute)
	}
	if got := h.take("r"); len(got) != 1 {
		t.Fatalf("want one repeat at repeat_interval after the first send, got %s", summaries(got))
	}

	h.feed(okResult(target("a"), probe.Health))
	h.advance(5 * time.Minute)
	if s := summaries(h.take("r")); s != "firing[firing:SEIDown:b resolved:SEIDown:a]" {
		t.Fatalf("a recovers: %s", s)
	}
	h.stop()
	st.Close()

	st = openStore(t, path)
	h = newHarness(t, cfg, []string{"r"}, harnessOpts{store: st, clock: clock})
	h.advance(time.Hour)
	if got := h.take("r"); len(got) != 0 {
		t.Fatalf("after the second restart: %s", summaries(got))
	}
	h.feed(okResult(target("b"), probe.Health))
	h.advance(5 * time.Minute)
	if s := summaries(h.take("r")); s != "resolved[resolved:SEIDown:b]" {
		t.Fatalf("b recovers: %s", s)
	}
	h.stop()
	st.Close()
}

// TestRestartKeepsPendingAndUnsent: a pending alert keeps its for-clock across a restart, and a
// firing alert whose notification never got out is sent by the next run.
func TestRestartKeepsPendingAndUnsent(t *testing.T) {
	path := storePath(t)
	clock := newClockAt(t0)
	down := seiDown
	down.For = 2 * time.Minute
	slow := config.Rule{Alert: "Slow", Probe: probe.Health, Value: "duration_seconds", Above: f(0.01)}
	cfg := alerting.ManagerConfig{Rules: []config.Rule{down, slow}, Routes: simpleRoutes("r")}

	st := openStore(t, path)
	h := newHarness(t, cfg, []string{"r"}, harnessOpts{store: st, clock: clock})
	h.rec["r"].FailNext(100, errors.New("smtp: 421 try later"), false)
	h.feed(failResult(target("a"), probe.Health))
	h.advance(30 * time.Second) // Slow fires and its notification fails
	h.advance(30 * time.Second)
	h.stop()
	st.Close()

	st = openStore(t, path)
	h = newHarness(t, cfg, []string{"r"}, harnessOpts{store: st, clock: clock})
	defer st.Close()
	h.feed(failResult(target("a"), probe.Health)) // t0+1m: SEIDown still pending
	if d := describe(h.m.Alerts()); strings.Join(d, ",") != "firing Slow a health,pending SEIDown a health" {
		t.Fatalf("after restart: %v", d)
	}
	h.sync()
	if s := summaries(h.take("r")); s != "firing[firing:Slow:a]" {
		t.Fatalf("the unsent notification must go out after restart: %q", s)
	}
	h.clock.Set(t0.Add(2 * time.Minute))
	h.feed(failResult(target("a"), probe.Health))
	if d := describe(h.m.Alerts()); strings.Join(d, ",") != "firing SEIDown a health,firing Slow a health" {
		t.Fatalf("for must count from before the restart: %v", d)
	}
}

// TestStoreLocked: a second process on the same state file gets a clear error, not a hang.
func TestStoreLocked(t *testing.T) {
	path := storePath(t)
	st := openStore(t, path)
	defer st.Close()
	done := make(chan error, 1)
	go func() {
		s2, err := alerting.OpenStore(path)
		if err == nil {
			s2.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "locked by another process") {
			t.Fatalf("want a lock error, got %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("OpenStore hangs on a locked file")
	}
}

// TestSilencesPersist: API silences survive a restart; config silences come from the config.
func TestSilencesPersist(t *testing.T) {
	path := storePath(t)
	clock := newClockAt(t0)
	cfg := alerting.ManagerConfig{Rules: []config.Rule{seiDown}, Routes: simpleRoutes("r"),
		Silences: []config.Silence{{Match: map[string]string{"environment": "homolog"}, Cron: "0 2 * * SUN", Duration: 2 * time.Hour}}}
	st := openStore(t, path)
	h := newHarness(t, cfg, []string{"r"}, harnessOpts{store: st, clock: clock})
	id, err := h.m.AddSilence(alerting.Silence{Match: map[string]string{"instance": "a"}, EndsAt: t0.Add(2 * time.Hour), Comment: "migração"})
	if err != nil {
		t.Fatal(err)
	}
	expired, err := h.m.AddSilence(alerting.Silence{Match: map[string]string{"instance": "b"}, EndsAt: t0.Add(2 * time.Hour), Comment: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.m.ExpireSilence(expired); err != nil {
		t.Fatal(err)
	}
	h.stop()
	st.Close()

	st = openStore(t, path)
	defer st.Close()
	h = newHarness(t, cfg, []string{"r"}, harnessOpts{store: st, clock: clock})
	states := map[string]string{}
	for _, s := range h.m.Silences() {
		states[s.ID] = s.State
		if s.Source == alerting.SilenceFromConfig && s.TimeZone != alerting.DefaultTimeZone {
			t.Errorf("config silence time zone %q, want the default %s", s.TimeZone, alerting.DefaultTimeZone)
		}
	}
	if len(states) != 3 || states[id] != alerting.SilenceActive || states[expired] != alerting.SilenceExpired {
		t.Fatalf("silences after restart: %v", states)
	}
	h.feed(failResult(target("a"), probe.Health))
	h.advance(30 * time.Second)
	if got := h.take("r"); len(got) != 0 {
		t.Fatalf("restored silence did not mute: %s", summaries(got))
	}
}
