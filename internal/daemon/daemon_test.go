package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigia-sei/vigia/internal/latest"
)

func writeConfig(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func fleetConfig(base string, names ...string) string {
	var b strings.Builder
	b.WriteString("server: {listen: \"127.0.0.1:0\", api_token: reload-token}\n")
	b.WriteString("global: {state_dir: STATE}\n")
	b.WriteString("probes:\n  http: {enabled: true, interval: 200ms, timeout: 1s}\n  version: {enabled: false}\n  health: {enabled: false}\n  modules: {enabled: false}\n  synthetic: {enabled: false}\n")
	b.WriteString("fleet:\n  instances:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "    - {name: %s, url: \"%s/%s\", owner: ORG, environment: prod}\n", n, base, n)
	}
	return b.String()
}

type instancesPage struct {
	Total     int                   `json:"total"`
	Instances []latest.InstanceView `json:"instances"`
}

func startDaemon(t *testing.T, cfgBody string) (*Daemon, string, string) {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "vigia.yaml")
	writeConfig(t, cfgPath, strings.ReplaceAll(cfgBody, "STATE", filepath.Join(dir, "state")))
	d, stop := runDaemon(t, cfgPath)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	return d, "http://" + d.Addr().String(), cfgPath
}

// runDaemon runs a daemon on the config file until stop, which returns how it ended; the daemon
// listens when runDaemon returns.
func runDaemon(t *testing.T, cfgPath string) (d *Daemon, stop func() error) {
	t.Helper()
	d, err := New(Options{ConfigFile: cfgPath, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), ShutdownTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	stop = func() error {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("daemon stopped with %w", err)
			}
			return nil
		case <-time.After(10 * time.Second):
			return errors.New("daemon did not stop within 10s of cancel")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for d.Addr() == nil {
		if time.Now().After(deadline) {
			_ = stop()
			t.Fatal("daemon never listened")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return d, stop
}

func getInstances(t *testing.T, base string) instancesPage {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/instances")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p instancesPage
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestReloadWithBrokenConfigKeepsOldOne(t *testing.T) {
	sei := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<form id="frmLogin"></form>`)
	}))
	t.Cleanup(sei.Close)
	d, base, cfgPath := startDaemon(t, fleetConfig(sei.URL, "a", "b"))

	waitFor(t, "readyz", func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	waitFor(t, "both instances probed", func() bool {
		p := getInstances(t, base)
		return p.Total == 2 && p.Instances[0].Up != nil && p.Instances[1].Up != nil && *p.Instances[0].Up
	})

	// A broken config (bad duration, unknown field) is rejected with every problem...
	writeConfig(t, cfgPath, "global: {interval: 5}\nfleet:\n  instances:\n    - {name: c, url: \"ftp://x\", colour: red}\n")
	req, _ := http.NewRequest(http.MethodPost, base+"/-/reload", nil)
	req.Header.Set("Authorization", "Bearer reload-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("broken config: status %d, want 400: %s", resp.StatusCode, body)
	}
	for _, want := range []string{"vigia.yaml:1: global.interval", "vigia.yaml:4: fleet.instances[0].colour: unknown field", "scheme must be http or https"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("reload error lacks %q: %s", want, body)
		}
	}
	if v := testutil.ToFloat64(d.mReloadOK); v != 0 {
		t.Errorf("vigia_config_last_reload_successful = %v after a rejected reload, want 0", v)
	}
	// ...and the old config keeps running: same instances, still probed.
	if d.Config().Fleet.Instances[0].Name != "a" {
		t.Fatal("rejected config replaced the running one")
	}
	first := getInstances(t, base).Instances[0].Probes["http"].Time
	waitFor(t, "probing continues on the old config", func() bool {
		p := getInstances(t, base)
		return p.Total == 2 && p.Instances[0].Probes["http"].Time.After(first)
	})

	// A good config replaces it: one instance removed, one added.
	writeConfig(t, cfgPath, strings.ReplaceAll(fleetConfig(sei.URL, "b", "c"), "STATE", t.TempDir()))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("good config: status %d", resp.StatusCode)
	}
	if v := testutil.ToFloat64(d.mReloadOK); v != 1 {
		t.Errorf("vigia_config_last_reload_successful = %v after a good reload", v)
	}
	waitFor(t, "new fleet probed", func() bool {
		p := getInstances(t, base)
		return p.Total == 2 && p.Instances[0].Name == "b" && p.Instances[1].Name == "c" && p.Instances[1].Up != nil
	})
}

func TestReloadNeedsToken(t *testing.T) {
	sei := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(sei.Close)
	_, base, _ := startDaemon(t, fleetConfig(sei.URL, "a"))
	resp, err := http.Post(base+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("reload without token: %d, want 401", resp.StatusCode)
	}
}

func TestInstancesAPIPagingAndFilter(t *testing.T) {
	sei := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/down/") {
			http.Error(w, "boom", 500)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(sei.Close)
	_, base, _ := startDaemon(t, fleetConfig(sei.URL, "a", "b", "down"))
	waitFor(t, "down instance probed", func() bool {
		resp, err := http.Get(base + "/api/v1/instances/down")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var iv latest.InstanceView
		_ = json.NewDecoder(resp.Body).Decode(&iv)
		return iv.Up != nil && !*iv.Up && iv.Probes["http"].Error == "HTTP status 500"
	})
	resp, err := http.Get(base + "/api/v1/instances?limit=1&offset=1")
	if err != nil {
		t.Fatal(err)
	}
	var p instancesPage
	_ = json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if p.Total != 3 || len(p.Instances) != 1 || p.Instances[0].Name != "b" {
		t.Errorf("paging: %+v", p)
	}
	resp, _ = http.Get(base + "/api/v1/instances/nope")
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("unknown instance: %d", resp.StatusCode)
	}
}

func TestDiscoveredTargetsAreProbedAndDropped(t *testing.T) {
	sei := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(sei.Close)
	sd := filepath.Join(t.TempDir(), "targets.yaml")
	writeConfig(t, sd, fmt.Sprintf("- targets: [\"%s/d1\"]\n  labels: {name: d1, owner: DISC}\n", sei.URL))
	cfg := fleetConfig(sei.URL, "a") + fmt.Sprintf("  discovery:\n    - {file: %q}\n", sd)
	_, base, _ := startDaemon(t, cfg)
	waitFor(t, "discovered instance probed", func() bool {
		p := getInstances(t, base)
		return p.Total == 2 && p.Instances[1].Name == "d1" && p.Instances[1].Owner == "DISC" && p.Instances[1].Up != nil
	})
	writeConfig(t, sd, "[]\n")
	now := time.Now().Add(time.Second)
	_ = os.Chtimes(sd, now, now)
	// The file is polled every 5s by default.
	deadline := time.Now().Add(8 * time.Second)
	for getInstances(t, base).Total != 1 {
		if time.Now().After(deadline) {
			t.Fatal("removed target still listed")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestEventsGoToLocalNDJSONByDefault(t *testing.T) {
	sei := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(sei.Close)
	d, _, _ := startDaemon(t, fleetConfig(sei.URL, "a"))
	dir := d.Config().Outputs.File.Dir
	waitFor(t, "an ECS probe event for instance a", func() bool {
		files, _ := filepath.Glob(filepath.Join(dir, "*.ndjson"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				var ev struct {
					Timestamp string `json:"@timestamp"`
					SEI       struct {
						Instance string `json:"instance"`
					} `json:"sei"`
					Event struct {
						Dataset string `json:"dataset"`
						Outcome string `json:"outcome"`
					} `json:"event"`
				}
				if json.Unmarshal([]byte(line), &ev) == nil && ev.SEI.Instance == "a" && ev.Timestamp != "" && ev.Event.Outcome == "success" {
					return true
				}
			}
		}
		return false
	})
}
