package testenv_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/internal/testenv"
)

// Smoke tests: each proves that a service test/services.sh starts does the one thing vigia's
// integration tests rely on. They skip without the services, and fail with VIGIA_IT=1.

// eventually calls f until it returns nil or timeout passes, then fails with f's last error.
func eventually(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %s: %v", what, timeout, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func do(t *testing.T, method, url, user, pass, contentType string, body []byte) (int, []byte) {
	t.Helper()
	// Not t.Context(): cleanups call this too, and the test's context is done by then.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return resp.StatusCode, b
}

func TestZincBulkThenSearch(t *testing.T) {
	url, user, pass := testenv.Zinc(t)
	index := fmt.Sprintf("vigia-it-smoke-%d", time.Now().UnixNano())
	t.Cleanup(func() {
		// Zinc has no Elasticsearch-style index delete; its own API does it.
		base := strings.TrimSuffix(strings.TrimSuffix(url, "/"), "/es")
		req, _ := http.NewRequest(http.MethodDelete, base+"/api/index/"+index, nil)
		req.SetBasicAuth(user, pass)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	})

	var bulk bytes.Buffer
	for i, msg := range []string{"probe ok for mgi-prod", "login page slow on vigia-smoke", "probe ok for mgi-homolog"} {
		fmt.Fprintf(&bulk, `{"index":{"_index":%q}}`+"\n", index)
		fmt.Fprintf(&bulk, `{"@timestamp":%q,"message":%q,"n":%d}`+"\n", time.Now().UTC().Format(time.RFC3339), msg, i)
	}
	status, body := do(t, http.MethodPost, url+"/_bulk", user, pass, "application/x-ndjson", bulk.Bytes())
	if status != http.StatusOK {
		t.Fatalf("_bulk: status %d: %s", status, body)
	}
	var bulkResp struct {
		Errors bool             `json:"errors"`
		Items  []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(body, &bulkResp); err != nil {
		t.Fatalf("_bulk answer %s: %v", body, err)
	}
	if bulkResp.Errors || len(bulkResp.Items) != 3 {
		t.Fatalf("_bulk: errors=%v items=%d, want 3 items without errors: %s", bulkResp.Errors, len(bulkResp.Items), body)
	}

	query := []byte(`{"query":{"match":{"message":"slow"}}}`)
	eventually(t, 20*time.Second, "the bulk-indexed document is searchable", func() error {
		status, body := do(t, http.MethodPost, url+"/"+index+"/_search", user, pass, "application/json", query)
		if status != http.StatusOK {
			return fmt.Errorf("_search: status %d: %s", status, body)
		}
		var res struct {
			Hits struct {
				Total struct {
					Value int `json:"value"`
				} `json:"total"`
				Hits []struct {
					Source struct {
						Message string `json:"message"`
					} `json:"_source"`
				} `json:"hits"`
			} `json:"hits"`
		}
		if err := json.Unmarshal(body, &res); err != nil {
			return fmt.Errorf("_search answer %s: %w", body, err)
		}
		if res.Hits.Total.Value != 1 || len(res.Hits.Hits) != 1 {
			return fmt.Errorf("want exactly 1 hit, got total %d: %s", res.Hits.Total.Value, body)
		}
		if got := res.Hits.Hits[0].Source.Message; got != "login page slow on vigia-smoke" {
			return fmt.Errorf("hit message %q, want the document that says slow", got)
		}
		return nil
	})
}

// zabbixRPC is a plain JSON-RPC 2.0 call, the way the Zabbix 6.0 API wants it (auth in the body).
func zabbixRPC(t *testing.T, api, auth, method string, params any) json.RawMessage {
	t.Helper()
	req := map[string]any{"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
	if auth != "" {
		req["auth"] = auth
	}
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	status, out := do(t, http.MethodPost, api, "", "", "application/json-rpc", body)
	if status != http.StatusOK {
		t.Fatalf("zabbix %s: status %d: %s", method, status, out)
	}
	var resp struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Data    string `json:"data"`
		} `json:"error"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("zabbix %s: answer %s: %v", method, out, err)
	}
	if resp.Error != nil {
		t.Fatalf("zabbix %s: error %d %s: %s", method, resp.Error.Code, resp.Error.Message, resp.Error.Data)
	}
	return resp.Result
}

func TestZabbixAPIAndTrapper(t *testing.T) {
	api, user, pass, senderAddr := testenv.Zabbix(t)
	sender := testenv.ZabbixSender(t)

	var version string
	if err := json.Unmarshal(zabbixRPC(t, api, "", "apiinfo.version", map[string]any{}), &version); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[5-9]\.\d+\.\d+$`).MatchString(version) {
		t.Fatalf("apiinfo.version = %q, want a Zabbix version like 6.0.14", version)
	}
	t.Logf("Zabbix API %s", version)

	var token string
	if err := json.Unmarshal(zabbixRPC(t, api, "", "user.login", map[string]string{"username": user, "password": pass}), &token); err != nil || token == "" {
		t.Fatalf("user.login gave no session token (err %v)", err)
	}
	t.Cleanup(func() { zabbixRPC(t, api, token, "user.logout", []any{}) })

	// A trapper item on a fresh host, then a value through the real zabbix_sender.
	name := fmt.Sprintf("vigia-it-smoke-%d", time.Now().UnixNano())
	var group struct{ Groupids []string }
	if err := json.Unmarshal(zabbixRPC(t, api, token, "hostgroup.create", map[string]string{"name": name}), &group); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { zabbixRPC(t, api, token, "hostgroup.delete", group.Groupids) })
	var host struct{ Hostids []string }
	if err := json.Unmarshal(zabbixRPC(t, api, token, "host.create", map[string]any{
		"host": name, "groups": []map[string]string{{"groupid": group.Groupids[0]}},
	}), &host); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { zabbixRPC(t, api, token, "host.delete", host.Hostids) })
	var item struct{ Itemids []string }
	if err := json.Unmarshal(zabbixRPC(t, api, token, "item.create", map[string]any{
		"hostid": host.Hostids[0], "name": "smoke", "key_": "vigia.smoke",
		"type": 2, "value_type": 3, // Zabbix trapper, numeric unsigned
	}), &item); err != nil {
		t.Fatal(err)
	}

	serverHost, serverPort, _ := strings.Cut(senderAddr, ":")
	// The server learns of the new item at its next configuration sync (CacheUpdateFrequency=2).
	eventually(t, 20*time.Second, "zabbix_sender's value is processed", func() error {
		out, err := exec.CommandContext(t.Context(), sender, "-z", serverHost, "-p", serverPort,
			"-s", name, "-k", "vigia.smoke", "-o", "42").CombinedOutput()
		if !strings.Contains(string(out), "processed: 1;") {
			return fmt.Errorf("zabbix_sender (%v): %s", err, out)
		}
		return nil
	})
	eventually(t, 20*time.Second, "the value is in the item's history", func() error {
		var hist []struct{ Value string }
		if err := json.Unmarshal(zabbixRPC(t, api, token, "history.get", map[string]any{
			"itemids": item.Itemids, "history": 3, "output": "extend",
		}), &hist); err != nil {
			return err
		}
		if len(hist) == 0 || hist[0].Value != "42" {
			return fmt.Errorf("history.get = %+v, want the value 42", hist)
		}
		return nil
	})
}

func TestSharedAlertmanagerAcceptsAlerts(t *testing.T) {
	url := testenv.AlertmanagerURL(t)
	if status, body := do(t, http.MethodGet, url+"/-/ready", "", "", "", nil); status != http.StatusOK {
		t.Fatalf("/-/ready: status %d: %s", status, body)
	}
	id := fmt.Sprintf("smoke-%d", time.Now().UnixNano())
	alerts := fmt.Sprintf(`[{"labels":{"alertname":"VigiaSmoke","smoke_id":%q},"annotations":{"summary":"smoke"}}]`, id)
	if status, body := do(t, http.MethodPost, url+"/api/v2/alerts", "", "", "application/json", []byte(alerts)); status != http.StatusOK {
		t.Fatalf("POST /api/v2/alerts: status %d: %s", status, body)
	}
	eventually(t, 10*time.Second, "the posted alert is listed", func() error {
		status, body := do(t, http.MethodGet, url+"/api/v2/alerts?filter=smoke_id%3D%22"+id+"%22", "", "", "", nil)
		if status != http.StatusOK || !strings.Contains(string(body), id) {
			return fmt.Errorf("GET /api/v2/alerts: status %d: %s", status, body)
		}
		return nil
	})
}

// An own Alertmanager, started through StartProcess, delivers a posted alert to a webhook: the
// pattern notifier tests use when they must see the notification.
func TestOwnAlertmanagerDeliversToWebhook(t *testing.T) {
	bin := testenv.AlertmanagerBin(t)
	got := make(chan []byte, 8)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
	}))
	defer hook.Close()

	dir := t.TempDir()
	config := fmt.Sprintf(`route: {receiver: hook, group_wait: 0s, group_interval: 1s, repeat_interval: 1h}
receivers: [{name: hook, webhook_configs: [{url: %q}]}]
`, hook.URL)
	if err := os.WriteFile(filepath.Join(dir, "am.yml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	testenv.StartProcess(t, bin, []string{
		"--config.file=" + filepath.Join(dir, "am.yml"), "--storage.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr, "--cluster.listen-address=",
	}, nil, testenv.HTTPReady("http://"+addr+"/-/ready"))

	alerts := `[{"labels":{"alertname":"SEIDown","instance":"mgi-prod"},"annotations":{"summary":"SEI fora do ar"}}]`
	if status, body := do(t, http.MethodPost, "http://"+addr+"/api/v2/alerts", "", "", "application/json", []byte(alerts)); status != http.StatusOK {
		t.Fatalf("POST /api/v2/alerts: status %d: %s", status, body)
	}
	select {
	case b := <-got:
		var msg struct {
			Status string
			Alerts []struct{ Labels map[string]string }
		}
		if err := json.Unmarshal(b, &msg); err != nil {
			t.Fatalf("webhook body %s: %v", b, err)
		}
		if msg.Status != "firing" || len(msg.Alerts) != 1 || msg.Alerts[0].Labels["instance"] != "mgi-prod" {
			t.Errorf("webhook got %s, want one firing SEIDown alert for mgi-prod", b)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no webhook notification within 20s")
	}
}

func TestPromtool(t *testing.T) {
	promtool := testenv.Promtool(t)
	out, err := exec.CommandContext(t.Context(), promtool, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "promtool, version ") {
		t.Fatalf("promtool --version (%v): %s", err, out)
	}

	check := func(exposition string) (string, error) {
		cmd := exec.CommandContext(t.Context(), promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(exposition)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	good := "# HELP vigia_probes_total Probes run.\n# TYPE vigia_probes_total counter\nvigia_probes_total{probe=\"health\"} 3\n"
	if out, err := check(good); err != nil {
		t.Errorf("promtool check metrics rejected a clean exposition (%v): %s", err, out)
	}
	bad := "# HELP vigia_probes Probes run.\n# TYPE vigia_probes counter\nvigia_probes 3\n"
	if out, err := check(bad); err == nil || !strings.Contains(out, "_total") {
		t.Errorf("promtool check metrics accepted a counter without _total (%v): %s", err, out)
	}
}

func TestPrometheusServerAnswersQueries(t *testing.T) {
	if _, err := os.Stat(testenv.PrometheusBin(t)); err != nil {
		t.Fatal(err)
	}
	url := testenv.PrometheusURL(t)
	eventually(t, 30*time.Second, "Prometheus has scraped itself", func() error {
		status, body := do(t, http.MethodGet, url+"/api/v1/query?query=up%7Bjob%3D%22prometheus%22%7D", "", "", "", nil)
		if status != http.StatusOK || !strings.Contains(string(body), `"value":[`) {
			return fmt.Errorf("query up: status %d: %s", status, body)
		}
		return nil
	})
}
