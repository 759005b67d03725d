package config

import (
	"os"
	"testing"
	"time"
)

func TestNotifierReceiversParse(t *testing.T) {
	data, err := os.ReadFile("testdata/receivers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse("receivers.yaml", data, env(map[string]string{
		"ZBX_TOKEN": "zbx-tok", "SMTP_PASS": "smtp-pw", "SLACK_TOKEN": "xoxb-1", "MM_HOOK": "https://mm.exemplo/hooks/abc",
		"TEAMS_HOOK": "https://teams.exemplo/workflows/x", "HOOK_SECRET": "hmac",
	}))
	if err != nil {
		t.Fatalf("valid receivers rejected: %v", err)
	}
	z := cfg.Receivers["zabbix"].Zabbix
	tests := []struct {
		name      string
		got, want any
	}{
		{"zabbix token from env", z.Token.Reveal(), "zbx-tok"},
		{"zabbix cache delay", z.CacheDelay, 65 * time.Second},
		{"zabbix tls subject", z.TLS.Subject, "CN=vigia"},
		{"zabbix severities", z.Severities["critical"], "disaster"},
		{"zabbix queue", z.QueueSize, 50000},
		{"email timeout", cfg.Receivers["owner-mail"].Email.Timeout, 20 * time.Second},
		{"email header", cfg.Receivers["owner-mail"].Email.Headers["X-Vigia-Owner"], "{{ .Labels.owner }}"},
		{"slack title", cfg.Receivers["chat"].Slack.Title, "{{ titulo . }}"},
		{"mattermost flavor", cfg.Receivers["mattermost"].Slack.Flavor, "mattermost"},
		{"teams text", cfg.Receivers["teams"].Teams.Text, "{{ resumo . }}"},
		{"webhook max alerts", cfg.Receivers["hook"].Webhook.MaxAlerts, 50},
		{"alertmanager resend", cfg.Receivers["am"].Alertmanager.ResendInterval, 30 * time.Second},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}
