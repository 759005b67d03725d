package daemon

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/internal/seisim"
)

// webhookSink records Alertmanager-format webhook posts.
type webhookSink struct {
	mu    sync.Mutex
	posts []map[string]any
}

func (s *webhookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	b, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(b, &body)
	s.mu.Lock()
	s.posts = append(s.posts, body)
	s.mu.Unlock()
}

func (s *webhookSink) statuses() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, p := range s.posts {
		out = append(out, fmt.Sprint(p["status"]))
	}
	return out
}

func TestFailingInstanceAlertsOnceAndResolvesOnce(t *testing.T) {
	fleet := seisim.Fleet{Instances: []seisim.Instance{
		{Name: "ok-1", Org: "AAA", SEIVersion: "4.1.5"},
		{Name: "bad-1", Org: "BBB", SEIVersion: "4.1.5"},
	}}
	sim := seisim.New(fleet, seisim.Options{})
	sei := httptest.NewServer(sim.Handler())
	t.Cleanup(sei.Close)
	sink := &webhookSink{}
	hook := httptest.NewServer(sink)
	t.Cleanup(hook.Close)

	cfg := fmt.Sprintf(`server: {listen: "127.0.0.1:0", api_token: tok}
global: {state_dir: STATE}
probes:
  health: {interval: 200ms, timeout: 2s}
  version: {enabled: false}
  modules: {enabled: false}
  synthetic: {enabled: false}
rules:
  - {alert: SEIDown, probe: health, when: failing, severity: critical}
routes: {receivers: [hook], group_by: [instance, alertname], group_wait: 300ms, group_interval: 1s, repeat_interval: 1h}
receivers:
  hook: {webhook: {url: "%s/hook"}}
fleet:
  instances:
    - {name: ok-1, url: "%s/ok-1", owner: AAA, environment: prod}
    - {name: bad-1, url: "%s/bad-1", owner: BBB, environment: prod}
`, hook.URL, sei.URL, sei.URL)
	_, base, _ := startDaemon(t, cfg)
	if err := sim.SetFaults("bad-1", seisim.Faults{Status500: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "firing notification", func() bool { return len(sink.statuses()) >= 1 })
	resp, err := http.Get(base + "/api/v1/alerts")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"bad-1"`) || !strings.Contains(string(b), "SEIDown") || strings.Contains(string(b), `"ok-1"`) {
		t.Errorf("/api/v1/alerts does not show exactly the failing instance: %s", b)
	}
	if err := sim.SetFaults("bad-1", seisim.Faults{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "resolved notification", func() bool { return len(sink.statuses()) >= 2 })
	time.Sleep(1500 * time.Millisecond) // longer than group_interval: a duplicate would show by now
	if got := strings.Join(sink.statuses(), ","); got != "firing,resolved" {
		t.Errorf("webhook got %q, want exactly firing,resolved", got)
	}
}
