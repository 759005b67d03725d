package alerting_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/alerting/notifytest"
	"github.com/vigia-sei/vigia/collectors"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/collectors/sei"
	"github.com/vigia-sei/vigia/config"
	"github.com/vigia-sei/vigia/internal/seisim"
)

// simFleet serves n seisim instances and returns their targets; owners alternate MGI/ANATEL.
func simFleet(t *testing.T, n int) (*seisim.Server, []probe.Target) {
	t.Helper()
	sim := seisim.New(seisim.Generate(n, 1), seisim.Options{WSSEIAuthDelay: -1})
	ts := httptest.NewServer(sim.Handler())
	t.Cleanup(ts.Close)
	var targets []probe.Target
	for i, name := range sim.Names() {
		owner := "MGI"
		if i%2 == 1 {
			owner = "ANATEL"
		}
		targets = append(targets, probe.Target{Name: name, URL: ts.URL + "/" + name, Owner: owner, Environment: "prod"})
	}
	return sim, targets
}

func healthProber(t *testing.T) collectors.Prober {
	t.Helper()
	p, err := collectors.NewHealthProber(collectors.HealthOptions{Client: probeClient()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func probeClient() sei.ClientOptions { return sei.ClientOptions{UserAgent: "vigia-test/1.0"} }

// e2eRules are what a small installation would write.
var e2eRules = []config.Rule{
	{Alert: "SEIDown", Probe: probe.Health, When: "failing", Severity: "critical"},
	{Alert: "SEIMaintenance", Probe: probe.Health, When: "maintenance", Severity: "info"},
}

func e2eRoutes(receiver string, wait, interval time.Duration) config.Route {
	return config.Route{Receivers: []string{receiver}, GroupBy: []string{"owner", "alert"},
		GroupWait: wait, GroupInterval: interval, RepeatInterval: time.Hour}
}

// TestEndToEndSeisim probes real seisim instances with the health prober: two instances of two
// owners fail, each owner's group gets exactly one firing notification after group_wait, a
// restart in between sends nothing again, and healing sends exactly one resolved per group.
func TestEndToEndSeisim(t *testing.T) {
	sim, targets := simFleet(t, 4)
	prober := healthProber(t)
	probeAll := func(m *alerting.Manager) {
		for _, tg := range targets {
			m.HandleResult(collectors.RunProbe(context.Background(), prober, tg, 5*time.Second))
		}
	}
	path := storePath(t)
	clock := newClockAt(t0)
	cfg := alerting.ManagerConfig{Rules: e2eRules, Routes: e2eRoutes("chat", 30*time.Second, 5*time.Minute)}
	st := openStore(t, path)
	h := newHarness(t, cfg, []string{"chat"}, harnessOpts{store: st, clock: clock})

	probeAll(h.m)
	h.advance(time.Minute)
	if got := h.take("chat"); len(got) != 0 || len(h.m.Alerts()) != 0 {
		t.Fatalf("healthy fleet alerted: %s %v", summaries(got), h.m.Alerts())
	}

	// orgao-0001 (MGI) answers 500, orgao-0002 (ANATEL) is unreachable.
	if err := sim.SetFaults(targets[0].Name, seisim.Faults{Status500: true}); err != nil {
		t.Fatal(err)
	}
	if err := sim.SetFaults(targets[1].Name, seisim.Faults{Down: true}); err != nil {
		t.Fatal(err)
	}
	probeAll(h.m)
	h.advance(20 * time.Second)
	if got := h.take("chat"); len(got) != 0 {
		t.Fatalf("sent before group_wait: %s", summaries(got))
	}
	h.advance(10 * time.Second)
	got := h.take("chat")
	if s := summaries(got); len(got) != 2 || !strings.Contains(s, "firing[firing:SEIDown:orgao-0001]") ||
		!strings.Contains(s, "firing[firing:SEIDown:orgao-0002]") {
		t.Fatalf("want one firing notification per owner, got %s", s)
	}
	for _, g := range got {
		a := g.Alerts[0]
		if a.Evidence == nil || a.Annotations["summary"] != "Instância SEI "+a.Labels["instance"]+" fora do ar" || a.Reason == "" {
			t.Errorf("alert lacks evidence or text: %+v", a)
		}
	}
	for i := 0; i < 2; i++ {
		probeAll(h.m)
		h.advance(5 * time.Minute)
	}
	if got := h.take("chat"); len(got) != 0 {
		t.Fatalf("re-sent while nothing changed: %s", summaries(got))
	}

	// Restart in the middle of the outage.
	h.stop()
	st.Close()
	st = openStore(t, path)
	defer st.Close()
	h = newHarness(t, cfg, []string{"chat"}, harnessOpts{store: st, clock: clock})
	for i := 0; i < 2; i++ {
		probeAll(h.m)
		h.advance(5 * time.Minute)
	}
	if got := h.take("chat"); len(got) != 0 {
		t.Fatalf("re-sent after restart: %s", summaries(got))
	}

	// Heal both; orgao-0003 goes into maintenance meanwhile.
	for _, tg := range targets[:2] {
		if err := sim.SetFaults(tg.Name, seisim.Faults{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sim.SetFaults(targets[2].Name, seisim.Faults{Maintenance: true}); err != nil {
		t.Fatal(err)
	}
	probeAll(h.m)
	h.advance(5 * time.Minute)
	got = h.take("chat")
	s := summaries(got)
	// orgao-0003's health probe fails too, but the maintenance alert inhibits its SEIDown.
	for _, want := range []string{"resolved[resolved:SEIDown:orgao-0001]", "resolved[resolved:SEIDown:orgao-0002]",
		"firing[firing:SEIMaintenance:orgao-0003]"} {
		if !strings.Contains(s, want) {
			t.Errorf("after healing: missing %s in %s", want, s)
		}
	}
	for i := 0; i < 2; i++ {
		probeAll(h.m)
		h.advance(5 * time.Minute)
	}
	if got := h.take("chat"); len(got) != 0 {
		t.Fatalf("notifications after healing: %s", summaries(got))
	}
}

// Environment of the child process of TestKill9NoDuplicate.
const (
	childEnv      = "VIGIA_ALERTING_CHILD"
	childStoreEnv = "VIGIA_ALERTING_CHILD_STORE"
	childOutEnv   = "VIGIA_ALERTING_CHILD_OUT"
	childURLEnv   = "VIGIA_ALERTING_CHILD_URL"
	childBeatEnv  = "VIGIA_ALERTING_CHILD_BEAT"
)

// TestKill9NoDuplicate runs the manager in a child process probing a seisim instance, kills it
// with SIGKILL after the firing notification and again after the resolved one, and checks the
// receiver got exactly one of each.
func TestKill9NoDuplicate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes for several seconds")
	}
	sim, targets := simFleet(t, 1)
	dir := t.TempDir()
	out := filepath.Join(dir, "notifications.jsonl")
	beat := filepath.Join(dir, "beat")
	var logs []*bytes.Buffer
	start := func() *exec.Cmd {
		_ = os.Remove(beat)
		cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Child$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"=1", childStoreEnv+"="+filepath.Join(dir, "alerts.db"),
			childOutEnv+"="+out, childURLEnv+"="+targets[0].URL, childBeatEnv+"="+beat)
		buf := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = buf, buf
		logs = append(logs, buf)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	kill := func(cmd *exec.Cmd) {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
	}
	defer func() {
		if t.Failed() {
			for i, b := range logs {
				t.Logf("child %d output:\n%s", i+1, b.String())
			}
		}
	}()
	read := func() []alerting.Group {
		gs, err := notifytest.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return gs
	}
	// running waits until the child has evaluated n results with its manager running: enough
	// group intervals for a duplicate to show.
	running := func(n int) {
		deadline := time.Now().Add(15 * time.Second)
		for {
			b, _ := os.ReadFile(beat)
			if c, _ := strconv.Atoi(string(b)); c >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("child did not probe %d times", n)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFor := func(what string, n int) {
		deadline := time.Now().Add(15 * time.Second)
		for len(read()) < n {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; notifications: %s", what, summaries(read()))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	if err := sim.SetFaults(targets[0].Name, seisim.Faults{Status500: true}); err != nil {
		t.Fatal(err)
	}
	a := start()
	waitFor("the firing notification", 1)
	running(10) // several group intervals after it: room for a duplicate to show
	kill(a)

	b := start()
	running(15) // group_wait and intervals of the new process
	if gs := read(); len(gs) != 1 {
		kill(b)
		t.Fatalf("after kill -9 and restart: %s", summaries(gs))
	}
	if err := sim.SetFaults(targets[0].Name, seisim.Faults{}); err != nil {
		t.Fatal(err)
	}
	waitFor("the resolved notification", 2)
	b2, _ := os.ReadFile(beat)
	n, _ := strconv.Atoi(string(b2))
	running(n + 10)
	kill(b)

	c := start()
	running(15)
	_ = c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Errorf("child exit after SIGTERM: %v", err)
	}
	if s := summaries(read()); s != "firing[firing:SEIDown:orgao-0001]; resolved[resolved:SEIDown:orgao-0001]" {
		t.Fatalf("receiver got %s, want exactly one firing and one resolved", s)
	}
}

// TestKill9Child is the child process of TestKill9NoDuplicate; it does nothing in a normal run.
func TestKill9Child(t *testing.T) {
	if os.Getenv(childEnv) != "1" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	st, err := alerting.OpenStore(os.Getenv(childStoreEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := alerting.ManagerConfig{Rules: e2eRules, Routes: e2eRoutes("file", 300*time.Millisecond, 300*time.Millisecond),
		RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond}
	m, err := alerting.NewManager(cfg, map[string]alerting.Notifier{"file": &notifytest.File{Path: os.Getenv(childOutEnv)}}, st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	prober := healthProber(t)
	tg := probe.Target{Name: "orgao-0001", URL: os.Getenv(childURLEnv), Owner: "MGI", Environment: "prod"}
	m.SetInstances([]string{tg.Name})
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	beats := 0
	for {
		select {
		case <-ctx.Done():
			<-done
			fmt.Println("child: stopped")
			return
		case <-tick.C:
			m.HandleResult(collectors.RunProbe(ctx, prober, tg, 2*time.Second))
			beats++
			if err := os.WriteFile(os.Getenv(childBeatEnv), []byte(strconv.Itoa(beats)), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
}
