package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/internal/testenv"
)

var vigiaBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vigia-e2e")
	if err != nil {
		panic(err)
	}
	vigiaBin = filepath.Join(dir, "vigia")
	out, err := exec.Command("go", "build", "-o", vigiaBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building vigia: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestValidateExitCodes(t *testing.T) {
	tests := []struct {
		file     string
		code     int
		contains []string
	}{
		{"../../config/testdata/invalid-five.yaml", 1, []string{
			"invalid-five.yaml:2: global.interval:", "invalid-five.yaml:8: fleet.instances[0].colour: unknown field",
			"invalid-five.yaml:9: fleet.instances[1].name: duplicate", "invalid-five.yaml:10: fleet.instances[1].url: scheme must be http or https",
			"invalid-five.yaml:12: probes.synthetic.schedule: invalid cron spec", "5 problem(s)"}},
		{"testdata/minimal.yaml", 0, []string{"minimal.yaml: ok (1 instances"}},
		{"testdata/does-not-exist.yaml", 1, []string{"no such file"}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			cmd := exec.Command(vigiaBin, "validate", tt.file)
			cmd.Env = append(os.Environ(), "SEI_MON_PASS=x")
			out, _ := cmd.CombinedOutput()
			if got := cmd.ProcessState.ExitCode(); got != tt.code {
				t.Errorf("exit %d, want %d\n%s", got, tt.code, out)
			}
			for _, c := range tt.contains {
				if !strings.Contains(string(out), c) {
					t.Errorf("output lacks %q:\n%s", c, out)
				}
			}
		})
	}
}

// daemonProc is a vigia run process with its log captured.
type daemonProc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  bytes.Buffer
	addr string
}

func (p *daemonProc) logText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// Write takes vigia's stderr. As cmd.Stderr (not a pipe the test reads) it lets cmd.Wait return
// only once the whole log is in: a pipe read after Wait may lose the last lines.
func (p *daemonProc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.Write(b)
}

func startVigia(t *testing.T, cfg string, extraEnv ...string) *daemonProc {
	t.Helper()
	port := testenv.FreePort(t)
	cmd := exec.Command(vigiaBin, "run", "--config", cfg, "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--shutdown-timeout", "5s")
	cmd.Env = append(os.Environ(), extraEnv...)
	p := &daemonProc{cmd: cmd, addr: fmt.Sprintf("http://127.0.0.1:%d", port)}
	cmd.Stderr = p
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if t.Failed() {
			t.Logf("vigia log:\n%s", p.logText())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(p.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("vigia not ready in 10s:\n%s", p.logText())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get(addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func metricValue(metrics, name string) string {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindStringSubmatch(metrics)
	if m == nil {
		return ""
	}
	return m[1]
}

func seiBackend(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<form id="frmLogin"></form>`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func httpOnlyConfig(dir, base string) string {
	return fmt.Sprintf(`global: {state_dir: %q}
probes:
  http: {enabled: true, interval: 200ms, timeout: 2s}
  version: {enabled: false}
  health: {enabled: false}
  modules: {enabled: false}
  synthetic: {enabled: false}
fleet:
  instances:
    - {name: orgao-1, url: "%s/orgao-1", owner: ORG, environment: prod, credentials: {username: monitor, password: "${SEI_MON_PASS}"}}
    - {name: orgao-2, url: "%s/orgao-2", owner: ORG, environment: homolog}
`, filepath.Join(dir, "state"), base, base)
}

func TestSIGHUPWithBrokenConfigKeepsRunningAndSIGTERMDrains(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vigia.yaml")
	sei := seiBackend(t)
	const secret = "senha-muito-secreta-123"
	writeFile(t, cfg, httpOnlyConfig(dir, sei.URL))
	p := startVigia(t, cfg, "SEI_MON_PASS="+secret)

	writeFile(t, cfg, "global: {interval: soon}\n")
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for metricValue(scrape(t, p.addr), "vigia_config_last_reload_successful") != "0" {
		if time.Now().After(deadline) {
			t.Fatal("rejected reload not reported by vigia_config_last_reload_successful")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The metric may turn before the log line reaches the test through vigia's stderr pipe.
	for !strings.Contains(p.logText(), `vigia.yaml:1: global.interval: invalid duration \"soon\"`) {
		if time.Now().After(deadline) {
			t.Fatalf("rejected config's problem not logged with file:line:\n%s", p.logText())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if v := metricValue(scrape(t, p.addr), "vigia_instances"); v != "2" {
		t.Errorf("vigia_instances = %q after a rejected reload, want 2 (old config kept)", v)
	}

	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("vigia exited with %v after SIGTERM, want 0", err)
	}
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("SIGTERM took %v, longer than the 5s shutdown deadline", d)
	}
	if !strings.Contains(p.logText(), "stopped") {
		t.Errorf("no clean stop logged:\n%s", p.logText())
	}
	if strings.Contains(p.logText(), secret) {
		t.Error("a secret reached the log")
	}
}

func TestPromtoolCheckMetrics(t *testing.T) {
	promtool := testenv.Promtool(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vigia.yaml")
	sei := seiBackend(t)
	writeFile(t, cfg, httpOnlyConfig(dir, sei.URL))
	p := startVigia(t, cfg, "SEI_MON_PASS=x")
	time.Sleep(1 * time.Second) // a few probe rounds, so every metric family has samples
	metrics := scrape(t, p.addr)
	if !strings.Contains(metrics, "vigia_probe_runs_total") {
		t.Fatalf("no probe metrics yet:\n%s", metrics)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(metrics)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check metrics failed: %v\n%s", err, out)
	}
}

// vigia runs on one processor while its load allows (package procs), unless the operator set
// GOMAXPROCS.
func TestGOMAXPROCSIsTheLoadsUnlessTheOperatorSetsIt(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vigia.yaml")
	sei := seiBackend(t)
	writeFile(t, cfg, httpOnlyConfig(dir, sei.URL))

	t.Run("unset", func(t *testing.T) {
		p := startVigia(t, cfg, "SEI_MON_PASS=x", "GOMAXPROCS=")
		deadline := time.Now().Add(5 * time.Second)
		for metricValue(scrape(t, p.addr), "go_sched_gomaxprocs_threads") != "1" {
			if time.Now().After(deadline) {
				t.Fatalf("go_sched_gomaxprocs_threads = %s with two instances to watch, want 1",
					metricValue(scrape(t, p.addr), "go_sched_gomaxprocs_threads"))
			}
			time.Sleep(50 * time.Millisecond)
		}
		if runtime.NumCPU() > 1 && !strings.Contains(p.logText(), "GOMAXPROCS changed") {
			t.Errorf("the change is not logged:\n%s", p.logText())
		}
	})
	t.Run("set", func(t *testing.T) {
		p := startVigia(t, cfg, "SEI_MON_PASS=x", "GOMAXPROCS=3")
		time.Sleep(3 * time.Second) // more than a sample of the tuner
		if v := metricValue(scrape(t, p.addr), "go_sched_gomaxprocs_threads"); v != "3" {
			t.Errorf("go_sched_gomaxprocs_threads = %s with GOMAXPROCS=3, want 3", v)
		}
		if strings.Contains(p.logText(), "GOMAXPROCS changed") {
			t.Errorf("vigia changed the operator's GOMAXPROCS:\n%s", p.logText())
		}
	})
}
