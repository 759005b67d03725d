package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/internal/seisim"
)

// checkFleet is a seisim fleet with one instance per state the plugin must report.
func checkFleet() seisim.Fleet {
	mon := []seisim.User{{Login: "monitor", Password: "monitor123", Orgao: "0", Admin: true}}
	return seisim.Fleet{Instances: []seisim.Instance{
		{Name: "ok", Org: "MGI", SEIVersion: "5.0.3", Producao: true, Users: mon,
			Modules: []seisim.Module{{Name: "mod-wssei", Version: "3.0.1"}}},
		{Name: "fora", Org: "MGI", SEIVersion: "5.0.3", Producao: true, Users: mon, Faults: seisim.Faults{Status500: true}},
		{Name: "manut", Org: "CADE", SEIVersion: "4.1.5", Producao: true, Users: mon, Faults: seisim.Faults{Maintenance: true}},
		{Name: "antigo", Org: "ANAC", SEIVersion: "4.0.1", Producao: true, Users: mon,
			Modules: []seisim.Module{{Name: "peticionamento", Version: "4.6.5"}}},
		{Name: "lento", Org: "AGU", SEIVersion: "5.0.3", Producao: true, Users: mon, Faults: seisim.Faults{Slow: 300 * time.Millisecond}},
		{Name: "preso", Org: "AGU", SEIVersion: "5.0.3", Producao: true, Users: mon, Faults: seisim.Faults{Hang: true}},
	}}
}

func startCheckSim(t *testing.T) string {
	t.Helper()
	sim := httptest.NewServer(seisim.New(checkFleet(), seisim.Options{}).Handler())
	t.Cleanup(sim.Close)
	return sim.URL
}

// perfRE is one Nagios performance datum: 'label'=value[UOM];[warn];[crit];[min];[max], with
// the units of the plugin guidelines.
var (
	perfRE  = regexp.MustCompile(`^'[^'=]+'=(-?[0-9]+(\.[0-9]+)?|U)(s|ms|us|%|B|KB|MB|TB|c)?;([^;]*);([^;]*);(-?[0-9.]*);(-?[0-9.]*)$`)
	rangeRE = regexp.MustCompile(`^@?(~|-?[0-9.]+)?(:(-?[0-9.]+)?)?$`)
	lineRE  = regexp.MustCompile(`^SEI (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]+$`)
)

// checkNagiosOutput asserts the plugin output format: exactly one line, "SEI STATE - text",
// optionally followed by " | " and space-separated performance data; the state word matches
// the exit code.
func checkNagiosOutput(t *testing.T, out string, code int) {
	t.Helper()
	if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Errorf("output is not exactly one line: %q", out)
		return
	}
	status, perf, hasPerf := strings.Cut(strings.TrimSuffix(out, "\n"), " | ")
	if !lineRE.MatchString(status) {
		t.Errorf("status %q does not match %s", status, lineRE)
	}
	if want := "SEI " + nagNames[code] + " - "; !strings.HasPrefix(status, want) {
		t.Errorf("exit code %d but status says %q", code, status)
	}
	if !hasPerf {
		return
	}
	for _, d := range strings.Fields(perf) {
		m := perfRE.FindStringSubmatch(d)
		if m == nil {
			t.Errorf("perfdata %q is not 'label'=value[UOM];warn;crit;min;max", d)
			continue
		}
		for _, r := range []string{m[4], m[5]} {
			if r != "" && !rangeRE.MatchString(r) {
				t.Errorf("perfdata %q: threshold %q is not a Nagios range", d, r)
			}
		}
	}
}

func TestCheckURLExitCodesAndOutput(t *testing.T) {
	base := startCheckSim(t)
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yaml")
	writeFile(t, rules, fmt.Sprintf(`fleet:
  instances:
    - {name: ok, url: "%s/ok"}
rules:
  - {alert: SEILento, probe: health, value: duration_seconds, above: 0.25, severity: critical}
  - {alert: PaginaGrande, probe: health, value: content_length_bytes, above: 1000, severity: warning}
desired:
  latest: {sei: 5.0.3}
`, base))
	const pw = "monitor123"
	tests := []struct {
		name     string
		args     []string
		env      []string
		code     int
		contains []string
	}{
		{"healthy", []string{"--url", base + "/ok"}, nil, 0,
			[]string{"SEI OK - 127.0.0.1:", "/ok: no ar em", "'health_time'=", "s;;;0;", "'health_size'="}},
		{"down is critical", []string{"--url", base + "/fora", "--name", "mgi-fora"}, nil, 2,
			[]string{"SEI CRITICAL - mgi-fora: fora do ar (saúde): HTTP 500"}},
		{"maintenance is warning", []string{"--url", base + "/manut"}, nil, 1,
			[]string{"SEI WARNING - ", "em manutenção"}},
		{"hang is critical within the timeout", []string{"--url", base + "/preso", "--timeout", "1s"}, nil, 2,
			[]string{"SEI CRITICAL - ", "fora do ar (saúde)"}},
		{"duration over -w", []string{"--url", base + "/lento", "-w", "0.2"}, nil, 1,
			[]string{"SEI WARNING - ", "saúde levou", "(aviso 0.2 s)", ";0.2;;0;"}},
		{"duration over -c", []string{"--url", base + "/lento", "-w", "0.1", "-c", "0.2"}, nil, 2,
			[]string{"SEI CRITICAL - ", "(crítico 0.2 s)", ";0.1;0.2;0;"}},
		{"inside an @ range", []string{"--url", base + "/ok", "--warning", "@0:60"}, nil, 1,
			[]string{"SEI WARNING - ", "saúde levou", ";@0:60;;0;"}},
		{"drift is warning", []string{"--url", base + "/antigo", "--probe", "version", "--desired-sei", "5.0.3"}, nil, 1,
			[]string{"sei 4.0.1 defasado (major; esperado 5.0.3)", "'version_time'="}},
		{"drift levels are configurable", []string{"--url", base + "/antigo", "--probe", "version", "--desired-sei", "5.0.3", "--drift", "none"}, nil, 0,
			[]string{"SEI OK - ", "/antigo: SEI 4.0.1"}},
		{"incompatible module is warning", []string{"--url", base + "/antigo", "--probe", "modules", "--user", "monitor", "--password-env", "CHECK_PW"},
			[]string{"CHECK_PW=" + pw}, 1, []string{"módulo peticionamento 4.6.5 incompatível", "'modules_incompatible'=1;;;0;"}},
		{"synthetic transaction ok", []string{"--url", base + "/ok", "--name", "ok", "--probe", "synthetic", "--user", "monitor", "--password-env", "CHECK_PW", "--orgao", "0"},
			[]string{"CHECK_PW=" + pw}, 0, []string{"SEI OK - ok: transação sintética OK em", "'step_entry_time'=", "'step_login_time'=", "'step_logout_time'="}},
		{"synthetic failure names its step", []string{"--url", base + "/ok", "--name", "ok", "--probe", "synthetic", "--user", "monitor", "--password-env", "CHECK_PW", "--orgao", "0"},
			[]string{"CHECK_PW=senha-errada-42"}, 2, []string{"SEI CRITICAL - ok: transação sintética falhou no passo login"}},
		{"all probes", []string{"--url", base + "/ok", "--probe", "all", "--user", "monitor", "--password-env", "CHECK_PW", "--orgao", "0", "--desired-sei", "5.0.3"},
			[]string{"CHECK_PW=" + pw}, 0, []string{"no ar em", "SEI 5.0.3", "transação sintética OK", "1 módulo", "'synthetic_time'="}},
		{"rules from the config", []string{"--url", base + "/lento", "--config", rules}, nil, 2,
			[]string{"(crítico 0.25 s)", "PaginaGrande: content_length_bytes = ", "> 1000", ";;0.25;0;"}},
		{"no target", nil, nil, 3, []string{"SEI UNKNOWN - use --instance NAME"}},
		{"both targets", []string{"--url", base + "/ok", "--instance", "ok"}, nil, 3, []string{"SEI UNKNOWN - "}},
		{"bad probe", []string{"--url", base + "/ok", "--probe", "ping"}, nil, 3, []string{`--probe "ping"`}},
		{"bad threshold", []string{"--url", base + "/ok", "-w", "abc"}, nil, 3, []string{"-w: threshold"}},
		{"unknown flag", []string{"--url", base + "/ok", "--colour"}, nil, 3, []string{"argumentos inválidos"}},
		{"user without password env", []string{"--url", base + "/ok", "--user", "monitor"}, nil, 3, []string{"--password-env"}},
		{"empty password env", []string{"--url", base + "/ok", "--user", "monitor", "--password-env", "CHECK_NOPE"}, nil, 3, []string{"CHECK_NOPE"}},
		{"credentials in the URL", []string{"--url", strings.Replace(base, "://", "://monitor:monitor123@", 1) + "/ok"}, nil, 3, []string{"must not carry credentials"}},
		{"synthetic without login", []string{"--url", base + "/ok", "--probe", "synthetic"}, nil, 3, []string{"--user"}},
		{"bad config", []string{"--url", base + "/ok", "--config", filepath.Join(dir, "nao-existe.yaml")}, nil, 3, []string{"config"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(vigiaBin, append([]string{"check"}, tt.args...)...)
			cmd.Env = append(os.Environ(), tt.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			_ = cmd.Run()
			code := cmd.ProcessState.ExitCode()
			out := stdout.String()
			if code != tt.code {
				t.Errorf("exit %d, want %d: %s%s", code, tt.code, out, stderr.String())
			}
			checkNagiosOutput(t, out, code)
			for _, c := range tt.contains {
				if !strings.Contains(out, c) {
					t.Errorf("output lacks %q: %s", c, out)
				}
			}
			for _, secret := range []string{pw, "senha-errada-42"} {
				if strings.Contains(out+stderr.String(), secret) {
					t.Errorf("output shows the password %q", secret)
				}
			}
		})
	}
}

func TestNagiosRanges(t *testing.T) {
	tests := []struct {
		r     string
		alert []float64
		ok    []float64
	}{
		{"10", []float64{-1, 10.5}, []float64{0, 5, 10}},
		{"10:", []float64{9.9, -3}, []float64{10, 1e9}},
		{"~:10", []float64{10.1}, []float64{-1e9, 10}},
		{"10:20", []float64{9, 21}, []float64{10, 15, 20}},
		{"@10:20", []float64{10, 15, 20}, []float64{9, 21}},
	}
	for _, tt := range tests {
		r, err := parseRange(tt.r)
		if err != nil {
			t.Fatalf("%s: %v", tt.r, err)
		}
		for _, v := range tt.alert {
			if !r.alert(v) {
				t.Errorf("%s: %v should alert", tt.r, v)
			}
		}
		for _, v := range tt.ok {
			if r.alert(v) {
				t.Errorf("%s: %v should not alert", tt.r, v)
			}
		}
	}
	for _, bad := range []string{"", "abc", "20:10", "1:x"} {
		if _, err := parseRange(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestCheckInstanceAsksTheRunningDaemon runs `vigia run` and asks it with `vigia check
// --instance`, as a Nagios server beside vigia would.
func TestCheckInstanceAsksTheRunningDaemon(t *testing.T) {
	base := startCheckSim(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vigia.yaml")
	writeFile(t, cfg, fmt.Sprintf(`global: {state_dir: %q}
probes:
  http: {enabled: true, interval: 200ms, timeout: 2s}
  version: {enabled: false}
  health: {enabled: false}
  modules: {enabled: false}
  synthetic: {enabled: false}
fleet:
  instances:
    - {name: ok, url: "%s/ok", owner: MGI, environment: prod}
    - {name: fora, url: "%s/fora", owner: MGI, environment: prod}
    - {name: lento, url: "%s/lento", owner: AGU, environment: prod}
`, filepath.Join(dir, "state"), base, base, base))
	d := startVigia(t, cfg)
	deadline := time.Now().Add(10 * time.Second)
	for _, name := range []string{"ok", "fora", "lento"} {
		for {
			resp, err := http.Get(d.addr + "/api/v1/instances/" + name)
			var iv struct {
				Probes map[string]json.RawMessage `json:"probes"`
			}
			if err == nil {
				_ = json.NewDecoder(resp.Body).Decode(&iv)
				resp.Body.Close()
			}
			if len(iv.Probes) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never probed:\n%s", name, d.logText())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	tests := []struct {
		name     string
		args     []string
		env      []string
		code     int
		contains []string
	}{
		{"healthy", []string{"--instance", "ok", "--addr", d.addr}, nil, 0, []string{"SEI OK - ok: no ar em", "'http_time'="}},
		{"address from VIGIA_ADDR", []string{"--instance", "ok"}, []string{"VIGIA_ADDR=" + d.addr}, 0, []string{"SEI OK - ok"}},
		{"down", []string{"--instance", "fora", "--addr", d.addr}, nil, 2, []string{"SEI CRITICAL - fora: fora do ar (http): HTTP status 500"}},
		{"slow over -w", []string{"--instance", "lento", "--addr", d.addr, "-w", "0.2"}, nil, 1, []string{"http levou"}},
		{"probe without results", []string{"--instance", "ok", "--addr", d.addr, "--probe", "synthetic"}, nil, 3,
			[]string{"sem resultado de transação sintética"}},
		{"stale results", []string{"--instance", "ok", "--addr", d.addr, "--max-age", "1ns"}, nil, 3, []string{"--max-age"}},
		{"unknown instance", []string{"--instance", "nao-existe", "--addr", d.addr}, nil, 3, []string{"não monitora a instância nao-existe"}},
		{"daemon unreachable", []string{"--instance", "ok", "--addr", "http://127.0.0.1:1"}, nil, 3, []string{"não respondeu"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(vigiaBin, append([]string{"check"}, tt.args...)...)
			cmd.Env = append(os.Environ(), tt.env...)
			out, _ := cmd.Output()
			code := cmd.ProcessState.ExitCode()
			if code != tt.code {
				t.Errorf("exit %d, want %d: %s", code, tt.code, out)
			}
			checkNagiosOutput(t, string(out), code)
			for _, c := range tt.contains {
				if !strings.Contains(string(out), c) {
					t.Errorf("output lacks %q: %s", c, out)
				}
			}
		})
	}
}
