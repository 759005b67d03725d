package daemon

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/internal/seisim"
)

// The daemon's modules probe keeps one SIP session per instance across runs and config reloads,
// logs out the session of an instance that leaves the fleet, and logs out the rest at shutdown.
func TestDaemonKeepsModulesSessionsAndLogsThemOut(t *testing.T) {
	sim := seisim.New(seisim.Fleet{Instances: []seisim.Instance{
		{Name: "sei-1", Org: "AAA", SEIVersion: "4.1.5"}, {Name: "sei-2", Org: "BBB", SEIVersion: "5.0.3"},
	}}, seisim.Options{})
	var mu sync.Mutex
	// Every modules run opens Controle de Processos once, after a login or resuming the session.
	logins, logouts, runs := map[string]int{}, map[string]int{}, map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inst, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		mu.Lock()
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/sip/login.php"):
			logins[inst]++
		case r.URL.Query().Get("acao") == "sair":
			logouts[inst]++
		case r.URL.Query().Get("acao") == "procedimento_controlar":
			runs[inst]++
		}
		mu.Unlock()
		sim.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	count := func(m map[string]int, inst string) int {
		mu.Lock()
		defer mu.Unlock()
		return m[inst]
	}

	config := func(names ...string) string {
		var b strings.Builder
		fmt.Fprintf(&b, `server: {listen: "127.0.0.1:0"}
global: {state_dir: STATE, start_spread: 1s}
probes:
  health: {enabled: false}
  version: {enabled: false}
  synthetic: {enabled: false}
  modules: {interval: 1s, timeout: 2s}
fleet:
  defaults: {credentials: {username: monitor, password: monitor123, orgao: "0"}}
  instances:
`)
		for _, n := range names {
			fmt.Fprintf(&b, "    - {name: %s, url: \"%s/%s\", owner: AAA, environment: prod}\n", n, srv.URL, n)
		}
		return b.String()
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "vigia.yaml")
	write := func(body string) {
		writeConfig(t, cfgPath, strings.ReplaceAll(body, "STATE", filepath.Join(dir, "state")))
	}
	write(config("sei-1", "sei-2"))
	d, stop := runDaemon(t, cfgPath)
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = stop()
		}
	})

	gauge := func() float64 {
		mfs, err := d.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "vigia_kept_sessions" {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatal("vigia_kept_sessions not registered")
		return 0
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				mu.Lock()
				state := fmt.Sprintf("logins %v, logouts %v, runs %v", logins, logouts, runs)
				mu.Unlock()
				t.Fatalf("%s: not within 10s (%s, kept %v)", what, state, gauge())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	modulesRuns := func(inst string) int { return count(runs, inst) }
	waitFor("both instances keep a session", func() bool { return gauge() == 2 })
	waitFor("three more modules runs of sei-1", func() bool { return modulesRuns("sei-1") >= 4 })
	if n := count(logins, "sei-1"); n != 1 {
		t.Errorf("sei-1: %d SIP logins over %d modules runs, want 1", n, modulesRuns("sei-1"))
	}
	if n := count(logouts, "sei-1"); n != 0 {
		t.Errorf("sei-1: %d logouts while its session is kept, want 0", n)
	}

	// sei-2 leaves the fleet: its session is logged out, sei-1's is kept across the reload.
	write(config("sei-1"))
	if err := d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor("sei-2's session logged out", func() bool { return count(logouts, "sei-2") == 1 && gauge() == 1 })
	before := modulesRuns("sei-1")
	waitFor("two more modules runs of sei-1", func() bool { return modulesRuns("sei-1") >= before+2 })
	if n := count(logins, "sei-1"); n != 1 {
		t.Errorf("sei-1: %d SIP logins after a reload, want still 1", n)
	}

	stopped = true
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if n := count(logouts, "sei-1"); n != 1 {
		t.Errorf("sei-1: %d logouts at shutdown, want 1", n)
	}
	if g := gauge(); g != 0 {
		t.Errorf("vigia_kept_sessions %v after shutdown, want 0", g)
	}
}

// Turning keep_session off (or the modules probe) in a reload logs the kept sessions out at once,
// and runs log in and out again.
func TestDaemonLogsKeptSessionsOutWhenKeepingIsTurnedOff(t *testing.T) {
	sim := seisim.New(seisim.Fleet{Instances: []seisim.Instance{{Name: "sei-1", Org: "AAA", SEIVersion: "4.1.5"}}}, seisim.Options{})
	var mu sync.Mutex
	logins, logouts := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/sip/login.php"):
			logins++
		case r.URL.Query().Get("acao") == "sair":
			logouts++
		}
		mu.Unlock()
		sim.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	counts := func() (int, int) {
		mu.Lock()
		defer mu.Unlock()
		return logins, logouts
	}
	config := func(keep string) string {
		return fmt.Sprintf(`server: {listen: "127.0.0.1:0"}
global: {state_dir: STATE, start_spread: 1s}
probes:
  health: {enabled: false}
  version: {enabled: false}
  synthetic: {enabled: false}
  modules: {interval: 1s, timeout: 2s, keep_session: %s}
fleet:
  defaults: {credentials: {username: monitor, password: monitor123, orgao: "0"}}
  instances:
    - {name: sei-1, url: "%s/sei-1", owner: AAA, environment: prod}
`, keep, srv.URL)
	}
	d, _, cfgPath := startDaemon(t, config("1h"))
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				in, out := counts()
				t.Fatalf("%s: not within 10s (logins %d, logouts %d, kept %d)", what, in, out, d.sessions.Len())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFor("a kept session", func() bool { return d.sessions.Len() == 1 })
	if _, out := counts(); out != 0 {
		t.Fatalf("%d logouts while the session is kept", out)
	}

	body, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	writeConfig(t, cfgPath, strings.Replace(string(body), "keep_session: 1h", "keep_session: 0s", 1))
	if err := d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor("the kept session logged out", func() bool { _, out := counts(); return out >= 1 && d.sessions.Len() == 0 })
	in, _ := counts()
	waitFor("two runs that log in and out", func() bool { in2, _ := counts(); return in2 >= in+2 })
	if n := d.sessions.Len(); n != 0 {
		t.Errorf("%d sessions kept with keep_session 0", n)
	}
}
