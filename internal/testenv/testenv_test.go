package testenv

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// The test binary doubles as the child process for the StartProcess tests.
func TestMain(m *testing.M) {
	switch os.Getenv("TESTENV_HELPER") {
	case "serve":
		fmt.Println("helper: serving on", os.Getenv("TESTENV_ADDR"))
		err := http.ListenAndServe(os.Getenv("TESTENV_ADDR"), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, "helper ok")
		}))
		fmt.Println("helper:", err)
		os.Exit(1)
	case "exit":
		fmt.Println("helper: giving up on purpose")
		os.Exit(3)
	}
	os.Exit(m.Run())
}

// recorder stands in for a testing.TB to observe whether Require skips or fails. Like the real
// Skipf/Fatalf, its versions end the goroutine, so run it through record.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func record(t *testing.T, f func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

// isolate gives the test an empty service environment: no VIGIA_* variable, a run directory
// of its own (so the real env file is not read) and an empty PATH (so no binary is found there).
func isolate(t *testing.T) (runDir string) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "VIGIA_") {
			t.Setenv(k, "")
		}
	}
	runDir = t.TempDir()
	t.Setenv("VIGIA_RUNDIR", runDir)
	t.Setenv("PATH", t.TempDir())
	return runDir
}

func writeEnvFile(t *testing.T, runDir string, vars map[string]string) {
	t.Helper()
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# test env file\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "export %s='%s'\n", k, strings.ReplaceAll(vars[k], "'", `'\''`))
	}
	if err := os.WriteFile(filepath.Join(runDir, "env"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestParseEnvFile(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr string
	}{
		{
			name: "services.sh output",
			in: "# Written by test/services.sh\n\nexport VIGIA_IT='1'\n" +
				"export VIGIA_ZINC_URL='http://127.0.0.1:4080/es'\nexport VIGIA_ZABBIX_PASSWORD='za'\\''bb ix'\n",
			want: map[string]string{"VIGIA_IT": "1", "VIGIA_ZINC_URL": "http://127.0.0.1:4080/es", "VIGIA_ZABBIX_PASSWORD": "za'bb ix"},
		},
		{
			name: "plain, double-quoted and escaped values",
			in:   "A=plain\nB=\"dq \\\"x\\\" $ \\\\\"\nC=a\\ b # comment\n  export D=''\n",
			want: map[string]string{"A": "plain", "B": `dq "x" $ \`, "C": "a b", "D": ""},
		},
		{name: "unterminated single quote", in: "A='x\n", wantErr: "line 1 (A): unterminated single quote"},
		{name: "unterminated double quote", in: "\nA=\"x\n", wantErr: "line 2 (A): unterminated double quote"},
		{name: "no assignment", in: "just words\n", wantErr: "line 1: want KEY=value"},
		{name: "bad name", in: "1A=x\n", wantErr: "line 1: want KEY=value"},
		{name: "two words", in: "A=x y\n", wantErr: `unexpected text after the value: "y"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseEnvFile(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseEnvFile error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseEnvFile: %v", err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("parseEnvFile = %v, want %v", got, tt.want)
			}
		})
	}
}

// The parser must read what services.sh writes exactly as a shell that sources the file does.
func TestParseEnvFileAgreesWithBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not on PATH")
	}
	script, err := os.ReadFile("../../test/services.sh")
	if err != nil {
		t.Fatalf("reading services.sh: %v", err)
	}
	shq := regexp.MustCompile(`(?m)^shq\(\) \{.*\}$`).Find(script)
	if shq == nil {
		t.Fatal("services.sh has no one-line shq() function to quote values with")
	}
	values := []string{"plain", "with space", "it's", `back\slash`, `"double"`, "$HOME", "a'b'c", "ç ã é"}
	// Quote each value with services.sh's shq, then let bash source the result and print it back.
	prog := string(shq) + `
for i in "${!VALUES[@]}"; do echo "export V$i=$(shq "${VALUES[$i]}")"; done > "$1"
. "$1"
for i in "${!VALUES[@]}"; do v="V$i"; printf '%s\0' "${!v}"; done`
	file := filepath.Join(t.TempDir(), "env")
	// bash -c SCRIPT $0 FILE VALUES...: the script takes the file off before the values.
	cmd := exec.Command(bash, "-c", `f=$1; shift; VALUES=("$@"); set -- "$f"; `+prog, "bash", file)
	cmd.Args = append(cmd.Args, values...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bash: %v", err)
	}
	fromBash := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	parsed, err := parseEnvFile(f)
	if err != nil {
		t.Fatalf("parseEnvFile on shq output: %v", err)
	}
	for i, v := range values {
		key := fmt.Sprintf("V%d", i)
		if fromBash[i] != v {
			t.Errorf("bash read %s = %q, want %q (shq is wrong)", key, fromBash[i], v)
		}
		if parsed[key] != v {
			t.Errorf("parseEnvFile read %s = %q, want %q", key, parsed[key], v)
		}
	}
}

func TestGetenvPrefersProcessEnvironmentOverFile(t *testing.T) {
	runDir := isolate(t)
	writeEnvFile(t, runDir, map[string]string{"VIGIA_ZINC_URL": "http://from-file/es", "VIGIA_ZINC_USER": "file-user"})
	t.Setenv("VIGIA_ZINC_URL", "http://from-env/es")
	if got := Getenv("VIGIA_ZINC_URL"); got != "http://from-env/es" {
		t.Errorf("Getenv(VIGIA_ZINC_URL) = %q, want the process environment's value", got)
	}
	if got := Getenv("VIGIA_ZINC_USER"); got != "file-user" {
		t.Errorf("Getenv(VIGIA_ZINC_USER) = %q, want the env file's value", got)
	}
	if got := Getenv("VIGIA_NOT_THERE"); got != "" {
		t.Errorf("Getenv(VIGIA_NOT_THERE) = %q, want empty", got)
	}
}

func TestIntegrationReadsOnlyTheProcessEnvironment(t *testing.T) {
	runDir := isolate(t)
	writeEnvFile(t, runDir, map[string]string{"VIGIA_IT": "1"})
	if Integration() {
		t.Error("Integration() = true from the env file; only VIGIA_IT in the environment may turn skips into failures")
	}
	t.Setenv("VIGIA_IT", "1")
	if !Integration() {
		t.Error("Integration() = false with VIGIA_IT=1")
	}
}

func TestRequireMissingServiceSkipsOrFails(t *testing.T) {
	names := strings.Split(knownNames(), ", ")
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			isolate(t)
			r := record(t, func(tb testing.TB) { Require(tb, name) })
			if !r.skipped || r.failed {
				t.Fatalf("without VIGIA_IT: skipped=%v failed=%v, want a skip (msg %q)", r.skipped, r.failed, r.msg)
			}
			if !strings.Contains(r.msg, StartHint) || !strings.Contains(r.msg, "VIGIA_") {
				t.Errorf("skip message %q should name the missing variable and say how to start the services", r.msg)
			}

			t.Setenv("VIGIA_IT", "1")
			r = record(t, func(tb testing.TB) { Require(tb, name) })
			if !r.failed || r.skipped {
				t.Fatalf("with VIGIA_IT=1: skipped=%v failed=%v, want a failure (msg %q)", r.skipped, r.failed, r.msg)
			}
			if !strings.Contains(r.msg, name) {
				t.Errorf("failure message %q does not name the service", r.msg)
			}
		})
	}
}

func TestRequireUnknownNameFailsEvenWithoutIntegration(t *testing.T) {
	isolate(t)
	r := record(t, func(tb testing.TB) { Require(tb, "elasticsearch") })
	if !r.failed || !strings.Contains(r.msg, `unknown service "elasticsearch"`) {
		t.Errorf("Require(elasticsearch): failed=%v msg=%q, want a failure naming the unknown service", r.failed, r.msg)
	}
}

func TestRequireChecksThatServicesAnswer(t *testing.T) {
	ready := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/-/ready" {
			http.NotFound(w, r)
		}
	}))
	defer ready.Close()
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "starting", http.StatusServiceUnavailable)
	}))
	defer unavailable.Close()
	zinc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != "right" || r.URL.Path != "/es/" {
			http.Error(w, "auth", http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		_, _ = io.WriteString(w, `{"version":{"number":"8.19.7"}}`)
	}))
	defer zinc.Close()
	zabbixAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/broken":
			_, _ = io.WriteString(w, `{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params."},"id":1}`)
			return
		case "/html":
			_, _ = io.WriteString(w, "<html>setup.php</html>")
			return
		}
		var req struct{ Method string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Method != "apiinfo.version" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","result":"6.0.14","id":1}`)
	}))
	defer zabbixAPI.Close()
	trapper, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer trapper.Close()
	closedPort := fmt.Sprintf("127.0.0.1:%d", FreePort(t))

	exe := filepath.Join(t.TempDir(), "promtool")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	notExe := filepath.Join(t.TempDir(), "promtool")
	if err := os.WriteFile(notExe, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	zabbixVars := func(api, trapperAddr string) map[string]string {
		return map[string]string{"VIGIA_ZABBIX_API": api, "VIGIA_ZABBIX_USER": "Admin",
			"VIGIA_ZABBIX_PASSWORD": "s3cret-zbx", "VIGIA_ZABBIX_SENDER_ADDR": trapperAddr}
	}

	tests := []struct {
		name     string
		service  string
		vars     map[string]string
		wantSkip string // empty: Require passes
	}{
		{"alertmanager ready", "alertmanager", map[string]string{"VIGIA_ALERTMANAGER_URL": ready.URL}, ""},
		{"alertmanager 503", "alertmanager", map[string]string{"VIGIA_ALERTMANAGER_URL": unavailable.URL}, "503"},
		{"alertmanager down", "alertmanager", map[string]string{"VIGIA_ALERTMANAGER_URL": "http://" + closedPort}, "connection refused"},
		{"prometheus-server ready", "prometheus-server", map[string]string{"VIGIA_PROMETHEUS_URL": ready.URL + "/"}, ""},
		{"zinc with its password", "zinc", map[string]string{"VIGIA_ZINC_URL": zinc.URL + "/es", "VIGIA_ZINC_USER": "admin", "VIGIA_ZINC_PASSWORD": "right"}, ""},
		{"zinc wrong password", "zinc", map[string]string{"VIGIA_ZINC_URL": zinc.URL + "/es", "VIGIA_ZINC_USER": "admin", "VIGIA_ZINC_PASSWORD": "wrong"}, "401"},
		{"zinc password missing", "zinc", map[string]string{"VIGIA_ZINC_URL": zinc.URL + "/es", "VIGIA_ZINC_USER": "admin"}, "VIGIA_ZINC_PASSWORD not set"},
		{"zabbix API and trapper", "zabbix", zabbixVars(zabbixAPI.URL, trapper.Addr().String()), ""},
		{"zabbix trapper down", "zabbix", zabbixVars(zabbixAPI.URL, closedPort), "VIGIA_ZABBIX_SENDER_ADDR"},
		{"zabbix API is not JSON-RPC", "zabbix", zabbixVars(ready.URL+"/api_jsonrpc.php", trapper.Addr().String()), "404 Not Found"},
		{"zabbix API answers an error", "zabbix", zabbixVars(zabbixAPI.URL+"/broken", trapper.Addr().String()), "Invalid params"},
		{"zabbix API answers HTML", "zabbix", zabbixVars(zabbixAPI.URL+"/html", trapper.Addr().String()), "no JSON-RPC body"},
		{"promtool executable", "promtool", map[string]string{"VIGIA_PROMTOOL": exe}, ""},
		{"promtool not executable", "promtool", map[string]string{"VIGIA_PROMTOOL": notExe}, "not an executable"},
		{"promtool path wrong", "promtool", map[string]string{"VIGIA_PROMTOOL": exe + ".gone"}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runDir := isolate(t)
			writeEnvFile(t, runDir, tt.vars) // through the env file: the path `go test` takes after services.sh start
			r := record(t, func(tb testing.TB) { Require(tb, tt.service) })
			switch {
			case tt.wantSkip == "" && (r.skipped || r.failed):
				t.Fatalf("Require(%s) skipped=%v failed=%v: %s; want it to pass", tt.service, r.skipped, r.failed, r.msg)
			case tt.wantSkip != "" && !r.skipped:
				t.Fatalf("Require(%s) did not skip (failed=%v, msg %q); want a skip mentioning %q", tt.service, r.failed, r.msg, tt.wantSkip)
			case tt.wantSkip != "" && !strings.Contains(r.msg, tt.wantSkip):
				t.Errorf("skip message %q does not mention %q", r.msg, tt.wantSkip)
			}
			for k, v := range tt.vars {
				if strings.Contains(k, "PASSWORD") && tt.wantSkip != "" && strings.Contains(r.msg, v) {
					t.Errorf("skip message %q shows the password", r.msg)
				}
			}
		})
	}
}

func TestAccessorsReturnTheConfiguredValues(t *testing.T) {
	ready := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer ready.Close()
	exe := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	runDir := isolate(t)
	writeEnvFile(t, runDir, map[string]string{
		"VIGIA_ALERTMANAGER_URL": ready.URL, "VIGIA_ALERTMANAGER_BIN": exe,
		"VIGIA_PROMETHEUS_URL": ready.URL, "VIGIA_PROMETHEUS_BIN": exe, "VIGIA_PROMTOOL": exe,
	})
	if got := AlertmanagerURL(t); got != ready.URL {
		t.Errorf("AlertmanagerURL = %q, want %q", got, ready.URL)
	}
	if got := PrometheusURL(t); got != ready.URL {
		t.Errorf("PrometheusURL = %q, want %q", got, ready.URL)
	}
	for name, got := range map[string]string{"AlertmanagerBin": AlertmanagerBin(t), "PrometheusBin": PrometheusBin(t), "Promtool": Promtool(t)} {
		if got != exe {
			t.Errorf("%s = %q, want %q", name, got, exe)
		}
	}
}

func TestFindBinFallsBackToPath(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	exe := filepath.Join(dir, "zabbix_sender")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	if got := ZabbixSender(t); got != exe {
		t.Errorf("ZabbixSender = %q, want %q found on PATH", got, exe)
	}
}

func TestFreePortIsBindable(t *testing.T) {
	port := FreePort(t)
	if port <= 0 || port > 65535 {
		t.Fatalf("FreePort = %d", port)
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("binding the port FreePort returned: %v", err)
	}
	l.Close()
}

func TestStartProcessWaitsForReadyAndStops(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	url := "http://" + addr + "/"
	p := StartProcess(t, os.Args[0], nil, []string{"TESTENV_HELPER=serve", "TESTENV_ADDR=" + addr}, HTTPReady(url))

	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("process reported ready, but GET %s: %v", url, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "helper ok" {
		t.Errorf("GET %s = %q, want the helper's answer", url, body)
	}
	if !strings.Contains(p.Log(), "helper: serving on "+addr) {
		t.Errorf("log %q lacks the helper's output", p.Log())
	}

	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !p.Exited() {
		t.Fatal("Exited() = false after Stop")
	}
	if err := TCPReady(addr)(); err == nil {
		t.Errorf("%s still accepts connections after Stop", addr)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestStartProcessFailsWhenTheProcessExitsEarly(t *testing.T) {
	start := time.Now()
	var p *Process
	r := record(t, func(tb testing.TB) {
		p = StartProcess(tb, os.Args[0], nil, []string{"TESTENV_HELPER=exit"}, TCPReady(fmt.Sprintf("127.0.0.1:%d", FreePort(t))))
	})
	if !r.failed || !strings.Contains(r.msg, "exited before it was ready") {
		t.Fatalf("failed=%v msg=%q, want a failure saying the process exited", r.failed, r.msg)
	}
	if !strings.Contains(r.msg, "exit status 3") {
		t.Errorf("message %q lacks the exit status", r.msg)
	}
	if elapsed := time.Since(start); elapsed > ReadyTimeout/2 {
		t.Errorf("took %s to notice the exit; it should not wait for the ready timeout", elapsed)
	}
	if p != nil {
		t.Error("StartProcess returned after failing")
	}
}

func TestStartProcessFailsForAMissingProgram(t *testing.T) {
	r := record(t, func(tb testing.TB) {
		StartProcess(tb, filepath.Join(t.TempDir(), "no-such-program"), nil, nil, nil)
	})
	if !r.failed || !strings.Contains(r.msg, "no-such-program") {
		t.Fatalf("failed=%v msg=%q, want a failure naming the program", r.failed, r.msg)
	}
}
