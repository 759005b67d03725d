package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"
)

// checkTimeout bounds how long Require waits for one service to answer.
const checkTimeout = 10 * time.Second

type checker func(ctx context.Context, e environment) error

func checkerFor(name string) (checker, bool) {
	switch name {
	case "zinc":
		return checkZinc, true
	case "zinc-bin":
		return binChecker("VIGIA_ZINC_BIN", "zincsearch"), true
	case "alertmanager":
		return checkAlertmanager, true
	case "alertmanager-bin":
		return binChecker("VIGIA_ALERTMANAGER_BIN", "prometheus-alertmanager", "alertmanager"), true
	case "prometheus":
		return binChecker("VIGIA_PROMETHEUS_BIN", "prometheus"), true
	case "prometheus-server":
		return checkPrometheusServer, true
	case "promtool":
		return binChecker("VIGIA_PROMTOOL", "promtool"), true
	case "zabbix":
		return checkZabbix, true
	case "zabbix-sender":
		return binChecker("VIGIA_ZABBIX_SENDER_BIN", "zabbix_sender"), true
	case "chromium":
		return binChecker("VIGIA_CHROMIUM", "chromium"), true
	case "chromedriver":
		return binChecker("VIGIA_CHROMEDRIVER", "chromedriver"), true
	}
	return nil, false
}

func knownNames() string {
	names := []string{"zinc", "zinc-bin", "alertmanager", "alertmanager-bin", "prometheus",
		"prometheus-server", "promtool", "zabbix", "zabbix-sender", "chromium", "chromedriver"}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Require makes sure each named service (see the package doc) is configured and answers.
// When one is not: with VIGIA_IT=1 the test fails (t.Fatalf), otherwise it is skipped with the
// command that starts the services. An unknown name always fails: it is a bug in the test.
func Require(t testing.TB, names ...string) {
	t.Helper()
	e := loadEnv()
	for _, name := range names {
		check, ok := checkerFor(name)
		if !ok {
			t.Fatalf("testenv.Require: unknown service %q (known: %s)", name, knownNames())
			return
		}
		ctx, cancel := context.WithTimeout(t.Context(), checkTimeout)
		err := check(ctx, e)
		cancel()
		if err == nil {
			continue
		}
		if e.fileErr != nil {
			err = fmt.Errorf("%w (and the env file was unusable: %v)", err, e.fileErr)
		}
		if Integration() {
			t.Fatalf("testenv: %s is required with VIGIA_IT=1 but unavailable: %v", name, err)
			return
		}
		t.Skipf("testenv: %s unavailable: %v; start the test services with: %s", name, err, StartHint)
		return
	}
}

// Zinc returns the Elasticsearch-compatible URL of the shared ZincSearch (ending in /es) and
// its basic-auth user and password.
func Zinc(t testing.TB) (url, user, pass string) {
	t.Helper()
	Require(t, "zinc")
	return Getenv("VIGIA_ZINC_URL"), Getenv("VIGIA_ZINC_USER"), Getenv("VIGIA_ZINC_PASSWORD")
}

// ZincBin returns the path of the zincsearch binary, for a test that runs its own store (for
// example to stop it and start it again).
func ZincBin(t testing.TB) string {
	t.Helper()
	return requireBin(t, "zinc-bin", "VIGIA_ZINC_BIN", "zincsearch")
}

// Zabbix returns the shared Zabbix: its JSON-RPC API URL, the frontend user and password, and the
// host:port of the server's trapper (Zabbix sender protocol).
func Zabbix(t testing.TB) (api, user, pass, senderAddr string) {
	t.Helper()
	Require(t, "zabbix")
	return Getenv("VIGIA_ZABBIX_API"), Getenv("VIGIA_ZABBIX_USER"), Getenv("VIGIA_ZABBIX_PASSWORD"),
		Getenv("VIGIA_ZABBIX_SENDER_ADDR")
}

// ZabbixSender returns the path of the zabbix_sender binary.
func ZabbixSender(t testing.TB) string {
	t.Helper()
	return requireBin(t, "zabbix-sender", "VIGIA_ZABBIX_SENDER_BIN", "zabbix_sender")
}

// AlertmanagerURL returns the base URL of the shared Alertmanager. It routes every alert to the
// webhook at VIGIA_ALERTMANAGER_WEBHOOK_URL; a test that must see notifications should rather
// start its own Alertmanager with AlertmanagerBin and StartProcess.
func AlertmanagerURL(t testing.TB) string {
	t.Helper()
	Require(t, "alertmanager")
	return Getenv("VIGIA_ALERTMANAGER_URL")
}

// AlertmanagerBin returns the path of the Alertmanager binary.
func AlertmanagerBin(t testing.TB) string {
	t.Helper()
	return requireBin(t, "alertmanager-bin", "VIGIA_ALERTMANAGER_BIN", "prometheus-alertmanager", "alertmanager")
}

// Promtool returns the path of promtool.
func Promtool(t testing.TB) string {
	t.Helper()
	return requireBin(t, "promtool", "VIGIA_PROMTOOL", "promtool")
}

// PrometheusBin returns the path of the Prometheus server binary.
func PrometheusBin(t testing.TB) string {
	t.Helper()
	return requireBin(t, "prometheus", "VIGIA_PROMETHEUS_BIN", "prometheus")
}

// PrometheusURL returns the base URL of the shared Prometheus (it scrapes only itself).
func PrometheusURL(t testing.TB) string {
	t.Helper()
	Require(t, "prometheus-server")
	return Getenv("VIGIA_PROMETHEUS_URL")
}

// Chromium returns the path of the Chromium browser (installed by services.sh install-browser).
func Chromium(t testing.TB) string {
	t.Helper()
	return requireBin(t, "chromium", "VIGIA_CHROMIUM", "chromium")
}

func requireBin(t testing.TB, name, key string, fallbacks ...string) string {
	t.Helper()
	Require(t, name)
	path, err := findBin(loadEnv(), key, fallbacks...)
	if err != nil { // changed between Require and now: treat as unavailable the same way
		t.Fatalf("testenv: %s: %v", name, err)
	}
	return path
}

func binChecker(key string, fallbacks ...string) checker {
	return func(_ context.Context, e environment) error {
		_, err := findBin(e, key, fallbacks...)
		return err
	}
}

// findBin returns the executable named by key, or else the first of fallbacks found on PATH.
func findBin(e environment, key string, fallbacks ...string) (string, error) {
	if path, source := e.get(key); path != "" {
		st, err := os.Stat(path)
		if err != nil {
			return "", fmt.Errorf("%s=%s (from %s): %w", key, path, source, err)
		}
		if st.IsDir() || st.Mode()&0o111 == 0 {
			return "", fmt.Errorf("%s=%s (from %s) is not an executable file", key, path, source)
		}
		return path, nil
	}
	for _, name := range fallbacks {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("%s is not set (neither in the environment nor in %s) and %s is not on PATH",
		key, EnvFile(), strings.Join(fallbacks, " / "))
}

// need returns the values of keys, or an error naming every one that is missing.
func need(e environment, keys ...string) ([]string, error) {
	values := make([]string, len(keys))
	var missing []string
	for i, k := range keys {
		values[i], _ = e.get(k)
		if values[i] == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s not set (neither in the environment nor in %s)",
			strings.Join(missing, ", "), EnvFile())
	}
	return values, nil
}

func checkZinc(ctx context.Context, e environment) error {
	v, err := need(e, "VIGIA_ZINC_URL", "VIGIA_ZINC_USER", "VIGIA_ZINC_PASSWORD")
	if err != nil {
		return err
	}
	return httpOK(ctx, http.MethodGet, strings.TrimSuffix(v[0], "/")+"/", v[1], v[2], nil)
}

func checkAlertmanager(ctx context.Context, e environment) error {
	v, err := need(e, "VIGIA_ALERTMANAGER_URL")
	if err != nil {
		return err
	}
	return httpOK(ctx, http.MethodGet, strings.TrimSuffix(v[0], "/")+"/-/ready", "", "", nil)
}

func checkPrometheusServer(ctx context.Context, e environment) error {
	v, err := need(e, "VIGIA_PROMETHEUS_URL")
	if err != nil {
		return err
	}
	return httpOK(ctx, http.MethodGet, strings.TrimSuffix(v[0], "/")+"/-/ready", "", "", nil)
}

func checkZabbix(ctx context.Context, e environment) error {
	v, err := need(e, "VIGIA_ZABBIX_API", "VIGIA_ZABBIX_USER", "VIGIA_ZABBIX_PASSWORD", "VIGIA_ZABBIX_SENDER_ADDR")
	if err != nil {
		return err
	}
	body := []byte(`{"jsonrpc":"2.0","method":"apiinfo.version","params":{},"id":1}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v[0], bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("VIGIA_ZABBIX_API: %w", err)
	}
	req.Header.Set("Content-Type", "application/json-rpc")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("zabbix API apiinfo.version: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("zabbix API at %s answered apiinfo.version with %s", v[0], resp.Status)
	}
	var out struct {
		Result string          `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return fmt.Errorf("zabbix API at %s answered %s with no JSON-RPC body: %w", v[0], resp.Status, err)
	}
	if out.Result == "" {
		return fmt.Errorf("zabbix API at %s answered apiinfo.version without a version: %s", v[0], out.Error)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", v[3])
	if err != nil {
		return fmt.Errorf("zabbix trapper VIGIA_ZABBIX_SENDER_ADDR=%s: %w", v[3], err)
	}
	return conn.Close()
}

// httpOK sends one request and wants a 2xx answer.
func httpOK(ctx context.Context, method, url, user, pass string, body io.Reader) error {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return fmt.Errorf("building request for %s: %w", url, err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: status %s", method, url, resp.Status)
	}
	return nil
}
