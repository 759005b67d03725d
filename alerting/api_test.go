package alerting_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
)

func call(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAPI(t *testing.T) {
	cfg := alerting.ManagerConfig{Rules: []config.Rule{seiDown}, Routes: simpleRoutes("r"),
		Silences: []config.Silence{{Match: map[string]string{"environment": "homolog"}, Cron: "0 2 * * SUN", Duration: 2 * time.Hour, Comment: "janela"}}}
	h := newHarness(t, cfg, []string{"r"}, harnessOpts{})
	h.feed(failResult(target("a"), probe.Health), failResult(target("b"), probe.Health))

	rw := httptest.NewServer(h.m.APIHandler("s3cr3t"))
	defer rw.Close()
	ro := httptest.NewServer(h.m.APIHandler(""))
	defer ro.Close()

	status, body := call(t, "GET", ro.URL+"/api/v1/alerts?instance=a", "", "")
	var alerts []alerting.Alert
	if status != 200 || json.Unmarshal([]byte(body), &alerts) != nil || len(alerts) != 1 || alerts[0].Labels["instance"] != "a" {
		t.Fatalf("GET alerts?instance=a: %d %s", status, body)
	}
	newSilence := `{"match":{"instance":"a"},"ends_at":"` + t0.Add(time.Hour).Format(time.RFC3339) + `","comment":"troca de disco","created_by":"ana"}`

	tests := []struct {
		name, method, path, token, body string
		server                          *httptest.Server
		status                          int
		contains                        string
	}{
		{"read-only API refuses writes", "POST", "/api/v1/silences", "", newSilence, ro, 403, "server.api_token"},
		{"read-only API refuses writes even with a token", "POST", "/api/v1/silences", "s3cr3t", newSilence, ro, 403, "read-only"},
		{"missing token", "POST", "/api/v1/silences", "", newSilence, rw, 401, "bearer token"},
		{"wrong token", "DELETE", "/api/v1/silences/x", "s3cr3", "", rw, 401, "bearer token"},
		{"invalid JSON", "POST", "/api/v1/silences", "s3cr3t", `{"match":`, rw, 400, "invalid silence JSON"},
		{"unknown field", "POST", "/api/v1/silences", "s3cr3t", `{"matchers":{"a":"b"}}`, rw, 400, "unknown field"},
		{"no matchers", "POST", "/api/v1/silences", "s3cr3t", `{"ends_at":"2030-01-01T00:00:00Z","comment":"x"}`, rw, 400, "needs match"},
		{"bad duration", "POST", "/api/v1/silences", "s3cr3t", `{"match":{"a":"b"},"cron":"0 2 * * *","duration":"2 horas","comment":"x"}`, rw, 400, "like 2h"},
		{"unknown silence", "DELETE", "/api/v1/silences/nope", "s3cr3t", "", rw, 404, "not found"},
		{"config silences cannot be expired", "DELETE", "/api/v1/silences/" + h.m.Silences()[0].ID, "s3cr3t", "", rw, 409, "config file"},
		{"created", "POST", "/api/v1/silences", "s3cr3t", newSilence, rw, 201, `"state": "active"`},
		{"recurring created", "POST", "/api/v1/silences", "s3cr3t",
			`{"match_re":{"instance":"b|c"},"cron":"0 3 * * SAT","duration":"90m","comment":"backup"}`, rw, 201, `"duration": "1h30m0s"`},
		{"wrong method", "PUT", "/api/v1/alerts", "", "", ro, 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, tt.method, tt.server.URL+tt.path, tt.token, tt.body)
			if status != tt.status || !strings.Contains(body, tt.contains) {
				t.Errorf("%s %s: %d %s, want %d containing %q", tt.method, tt.path, status, body, tt.status, tt.contains)
			}
		})
	}

	var created alerting.Silence
	for _, s := range h.m.Silences() {
		if s.Comment == "troca de disco" {
			created = s
		}
	}
	if created.ID == "" || created.CreatedBy != "ana" || created.Source != alerting.SilenceFromAPI || created.TimeZone != alerting.DefaultTimeZone {
		t.Fatalf("created silence: %+v", created)
	}
	status, body = call(t, "GET", ro.URL+"/api/v1/alerts?silenced=true", "", "")
	if status != 200 || json.Unmarshal([]byte(body), &alerts) != nil || len(alerts) != 1 ||
		alerts[0].Labels["instance"] != "a" || len(alerts[0].SilencedBy) != 1 || alerts[0].SilencedBy[0] != created.ID {
		t.Fatalf("GET alerts?silenced=true: %d %s", status, body)
	}
	status, body = call(t, "GET", ro.URL+"/api/v1/silences/"+created.ID, "", "")
	if status != 200 || !strings.Contains(body, `"troca de disco"`) {
		t.Fatalf("GET silence: %d %s", status, body)
	}
	status, body = call(t, "DELETE", rw.URL+"/api/v1/silences/"+created.ID, "s3cr3t", "")
	if status != 200 || !strings.Contains(body, `"state": "expired"`) {
		t.Fatalf("DELETE silence: %d %s", status, body)
	}
	status, body = call(t, "GET", ro.URL+"/api/v1/alerts?silenced=true", "", "")
	if status != 200 || strings.TrimSpace(body) != "[]" {
		t.Fatalf("after expiry nothing is silenced: %d %s", status, body)
	}
}
