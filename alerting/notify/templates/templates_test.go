package templates_test

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/alerting/notify/templates"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
)

func group() *alerting.Group {
	start := time.Date(2026, 1, 15, 12, 30, 0, 0, time.UTC)
	return &alerting.Group{
		Status:       alerting.StateFiring,
		GroupLabels:  map[string]string{"owner": "MGI", "alertname": "SEIDown"},
		CommonLabels: map[string]string{"owner": "MGI", "alertname": "SEIDown", "owner_email": "ti@mgi.exemplo"},
		Alerts: []alerting.Alert{{
			Labels: map[string]string{"alertname": "SEIDown", "instance": "mgi-prod", "severity": "critical"},
			State:  alerting.StateFiring, StartsAt: start, Reason: "HTTP 503 na página de login",
			Annotations: map[string]string{"runbook_url": "https://wiki.exemplo/x"},
			Evidence:    &probe.Evidence{Step: "login", Status: 503, URL: "https://u:p@sei.exemplo/sip/login.php?senha=abc"},
		}},
	}
}

func TestDefaultsRenderInPortuguese(t *testing.T) {
	s, err := templates.New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := templates.NewData(group())
	subject, err := s.Text(templates.EmailSubject, d, templates.Plain)
	if err != nil || subject != "[ALERTA: 1] SEIDown · MGI" {
		t.Errorf("subject %q %v", subject, err)
	}
	text, err := s.Text(templates.EmailText, d, templates.Plain)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Alertas ativos (1)", "SEIDown em mgi-prod", "Severidade: crítica", "Desde: 15/01/2026 09:30:00 -03", "Motivo: HTTP 503 na página de login", "passo login · HTTP 503"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "u:p@") || strings.Contains(text, "abc") {
		t.Errorf("evidence URL credentials leaked into the text:\n%s", text)
	}
}

func TestChatMarkupPerFormat(t *testing.T) {
	s, err := templates.New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := group().Alerts[0]
	tests := []struct {
		f          templates.Format
		bold, link string
	}{
		{templates.Slack, "*SEIDown em mgi-prod*", "<https://wiki.exemplo/x|Procedimento>"},
		{templates.Markdown, "**SEIDown em mgi-prod**", "[Procedimento](https://wiki.exemplo/x)"},
		{templates.RocketChat, "*SEIDown em mgi-prod*", "[Procedimento](https://wiki.exemplo/x)"},
		{templates.Plain, "SEIDown em mgi-prod", "Procedimento: https://wiki.exemplo/x"},
	}
	for _, tt := range tests {
		out, err := s.Text(templates.ChatAlert, a, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, tt.bold) || !strings.Contains(out, tt.link) {
			t.Errorf("format %d: %q lacks %q or %q", tt.f, out, tt.bold, tt.link)
		}
	}
}

func TestOverridesAndErrors(t *testing.T) {
	s, err := templates.New(map[string]string{templates.EmailSubject: "Vigia {{ maiusculas .Labels.owner }}"}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := s.Text(templates.EmailSubject, templates.NewData(group()), templates.Plain); out != "Vigia MGI" {
		t.Errorf("override not used: %q", out)
	}
	if out, _ := s.Inline("to", "{{ .Labels.owner_email }}, {{ .Labels.missing }}", templates.NewData(group())); out != "ti@mgi.exemplo," {
		t.Errorf("inline: %q", out)
	}
	if _, err := templates.New(map[string]string{"email.assunto": "x"}, nil); err == nil || !strings.Contains(err.Error(), "unknown template") {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := templates.New(map[string]string{templates.ChatAlert: "{{ .Labels.x "}, nil); err == nil {
		t.Error("broken override accepted")
	}
}

// TestConfigKnowsEveryFunction keeps config's validation stubs in step with the real functions,
// so `vigia validate` accepts exactly the templates that render.
func TestConfigKnowsEveryFunction(t *testing.T) {
	got := templates.FuncNames()
	want := append([]string(nil), config.NotifyTemplateFuncs...)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("template functions %v, config.NotifyTemplateFuncs %v", got, want)
	}
}
