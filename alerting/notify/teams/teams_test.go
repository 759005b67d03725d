package teams_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/alerting/notify/teams"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
)

// The workflow webhook body as Microsoft documents it ("Create incoming webhooks with Workflows
// for Microsoft Teams"): a message whose attachment is an Adaptive Card. Decoded strictly.
type workflowMessage struct {
	Type        string `json:"type"`
	Attachments []struct {
		ContentType string          `json:"contentType"`
		ContentURL  *string         `json:"contentUrl"`
		Content     json.RawMessage `json:"content"`
	} `json:"attachments"`
}

// The Adaptive Card 1.4 properties vigia may use (adaptivecards.io/explorer).
type adaptiveCard struct {
	Schema  string          `json:"$schema"`
	Type    string          `json:"type"`
	Version string          `json:"version"`
	Body    []cardElement   `json:"body"`
	Actions []cardAction    `json:"actions"`
	MSTeams json.RawMessage `json:"msteams"`
}

type cardElement struct {
	Type      string        `json:"type"`
	Text      string        `json:"text"`
	Wrap      bool          `json:"wrap"`
	Weight    string        `json:"weight"`
	Size      string        `json:"size"`
	Color     string        `json:"color"`
	Style     string        `json:"style"`
	Separator bool          `json:"separator"`
	Bleed     bool          `json:"bleed"`
	Items     []cardElement `json:"items"`
	Facts     []struct {
		Title string `json:"title"`
		Value string `json:"value"`
	} `json:"facts"`
}

type cardAction struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

var (
	elementTypes = map[string]bool{"TextBlock": true, "Container": true, "FactSet": true}
	colors       = map[string]bool{"": true, "Default": true, "Dark": true, "Light": true, "Accent": true, "Good": true, "Warning": true, "Attention": true, "good": true, "warning": true, "attention": true}
	styles       = map[string]bool{"": true, "default": true, "emphasis": true, "good": true, "attention": true, "warning": true, "accent": true}
)

func strict(t *testing.T, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("not the documented format: %v\n%s", err, b)
	}
}

func checkElements(t *testing.T, els []cardElement) {
	for _, e := range els {
		if !elementTypes[e.Type] || !colors[e.Color] || !styles[e.Style] {
			t.Errorf("element outside the documented schema: %+v", e)
		}
		checkElements(t, e.Items)
	}
}

func flatten(els []cardElement) string {
	var b strings.Builder
	for _, e := range els {
		b.WriteString(e.Text + "\n")
		b.WriteString(flatten(e.Items))
	}
	return b.String()
}

func TestCardMatchesWorkflowWebhookFormat(t *testing.T) {
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted) // what Workflows answer
	}))
	t.Cleanup(srv.Close)
	n, err := teams.New(config.WebhookReceiver{URL: probe.Secret(srv.URL + "/workflows/abc/triggers/manual/paths/invoke?sig=SeCrEt")}, teams.Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)
	g := &alerting.Group{
		Key: "k", Receiver: "teams", Status: alerting.StateFiring,
		GroupLabels:  map[string]string{"alertname": "SEIDown", "owner": "MGI"},
		CommonLabels: map[string]string{"alertname": "SEIDown", "owner": "MGI"},
		ExternalURL:  "http://vigia.exemplo:9470/",
		Alerts: []alerting.Alert{{
			Labels:      map[string]string{"alertname": "SEIDown", "instance": "mgi-prod", "severity": "critical", "environment": "prod"},
			Annotations: map[string]string{"summary": "SEI fora do ar em mgi-prod", "runbook_url": "https://wiki.exemplo/sei-down"},
			State:       alerting.StateFiring, StartsAt: start,
			Evidence: &probe.Evidence{Step: "login", Status: 500},
		}},
	}
	if retry, err := n.Notify(context.Background(), g); err != nil {
		t.Fatalf("notify: %v (retryable %v)", err, retry)
	}
	var msg workflowMessage
	strict(t, body, &msg)
	if msg.Type != "message" || len(msg.Attachments) != 1 {
		t.Fatalf("envelope: %+v", msg)
	}
	att := msg.Attachments[0]
	if att.ContentType != "application/vnd.microsoft.card.adaptive" || att.ContentURL != nil || !bytes.Contains(body, []byte(`"contentUrl":null`)) {
		t.Errorf("attachment: %+v", att)
	}
	var card adaptiveCard
	strict(t, att.Content, &card)
	if card.Type != "AdaptiveCard" || card.Version != "1.4" || card.Schema != "http://adaptivecards.io/schemas/adaptive-card.json" {
		t.Errorf("card header: %+v", card)
	}
	checkElements(t, card.Body)
	if card.Body[0].Style != "attention" {
		t.Errorf("a critical alert should colour the card attention, got %q", card.Body[0].Style)
	}
	text := flatten(card.Body)
	for _, want := range []string{"[ALERTA: 1] SEIDown · MGI", "**SEI fora do ar em mgi-prod**", "Instância: mgi-prod (prod)", "Severidade: crítica", "Desde: 22/11/2026 10:00:00 -03", "Evidência: passo login · HTTP 500", "[Procedimento](https://wiki.exemplo/sei-down)"} {
		if !strings.Contains(text, want) {
			t.Errorf("card text lacks %q:\n%s", want, text)
		}
	}
	if len(card.Actions) != 2 || card.Actions[0].Type != "Action.OpenUrl" || card.Actions[0].URL != "https://wiki.exemplo/sei-down" || card.Actions[1].URL != "http://vigia.exemplo:9470/" {
		t.Errorf("actions: %+v", card.Actions)
	}
}

func TestErrorsKeepTheWebhookSecret(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":{"code":"InvalidRequestContent"}}`))
	}))
	t.Cleanup(srv.Close)
	n, err := teams.New(config.WebhookReceiver{URL: probe.Secret(srv.URL + "/workflows/abc?sig=SeCrEtSig")}, teams.Options{})
	if err != nil {
		t.Fatal(err)
	}
	retry, err := n.Notify(context.Background(), &alerting.Group{Status: alerting.StateResolved})
	if err == nil || retry {
		t.Fatalf("a 400 is a permanent failure: retry=%v err=%v", retry, err)
	}
	if strings.Contains(err.Error(), "SeCrEtSig") || !strings.Contains(err.Error(), "InvalidRequestContent") {
		t.Errorf("error should carry the answer but not the secret: %v", err)
	}
}

func TestOverriddenTemplates(t *testing.T) {
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { body, _ = io.ReadAll(r.Body) }))
	t.Cleanup(srv.Close)
	n, err := teams.New(config.WebhookReceiver{URL: probe.Secret(srv.URL), Title: "Grupo {{ .Status }}", Text: "{{ .Labels.instance }} caiu"}, teams.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := &alerting.Group{Status: alerting.StateFiring, Alerts: []alerting.Alert{{Labels: map[string]string{"instance": "mgi-prod"}, State: alerting.StateFiring}}}
	if _, err := n.Notify(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"Grupo firing"`, `"mgi-prod caiu"`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("card lacks %s: %s", want, body)
		}
	}
	if _, err := teams.New(config.WebhookReceiver{URL: "http://127.0.0.1:1/x", Text: "{{ .Labels.instance "}, teams.Options{}); err == nil {
		t.Error("a broken template must fail at start")
	}
}
