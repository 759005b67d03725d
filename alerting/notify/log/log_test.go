package log

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/config"
)

func TestNotifyLogsGroupAndAlerts(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	n, err := FromConfig("ops-log", &config.LogReceiver{Level: "warn"}, logger)
	if err != nil {
		t.Fatal(err)
	}
	v := 6.5
	g := &alerting.Group{
		Key: `{}:{alertname="SEIDown"}`, Receiver: "ops-log", Status: alerting.StateFiring,
		GroupLabels: map[string]string{"alertname": "SEIDown", "owner": "MGI"},
		Alerts: []alerting.Alert{
			{Labels: map[string]string{"alertname": "SEIDown", "instance": "a", "severity": "critical"}, State: alerting.StateFiring,
				Annotations: map[string]string{"summary": "Instância SEI a fora do ar"}, Value: &v},
			{Labels: map[string]string{"alertname": "SEIDown", "instance": "b", "severity": "critical"}, State: alerting.StateResolved},
		},
	}
	retry, err := n.Notify(context.Background(), g)
	if err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	out := buf.String()
	for _, want := range []string{
		`level=WARN msg="alert notification" receiver=ops-log group_key="{}:{alertname=\"SEIDown\"}" status=firing firing=1 resolved=1 group="{alertname=SEIDown,owner=MGI}"`,
		`msg=alert receiver=ops-log alertname=SEIDown instance=a state=firing severity=critical summary="Instância SEI a fora do ar" value=6.5`,
		`instance=b state=resolved`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s\n%s", want, out)
		}
	}
}

func TestFromConfigLevels(t *testing.T) {
	tests := []struct {
		level string
		ok    bool
	}{{"", true}, {"debug", true}, {"INFO", true}, {"error", true}, {"loud", false}}
	for _, tt := range tests {
		_, err := FromConfig("x", &config.LogReceiver{Level: tt.level}, nil)
		if (err == nil) != tt.ok {
			t.Errorf("level %q: err = %v", tt.level, err)
		}
	}
}
