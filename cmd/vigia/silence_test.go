package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/alerting/notifytest"
	"github.com/vigia-sei/vigia/collectors"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
	"github.com/vigia-sei/vigia/internal/latest"
	"github.com/vigia-sei/vigia/internal/server"
)

const apiToken = "token-de-teste-9f2c"

// alertingAPI serves what the daemon serves when alerting is on: the instances API of the latest
// results and the alert manager's alert and silence API, over real results of the http probe
// against seisim. The SEIRespondeu rule holds whenever the probe gets a 2xx, so "ok" has a firing
// warning although its probe is fine: the check must get that state from the alert.
func alertingAPI(t *testing.T, token string) (addr string, m *alerting.Manager) {
	t.Helper()
	base := startCheckSim(t)
	below := 300.0
	m, err := alerting.NewManager(alerting.ManagerConfig{
		Rules: []config.Rule{
			{Alert: "SEIRespondeu", Probe: probe.HTTP, Value: "http_status_code", Below: &below, Severity: "warning"},
			{Alert: "SEIDown", Probe: probe.HTTP, When: "failing", Severity: "critical"},
		},
		Routes: config.Route{Receivers: []string{"registro"}},
	}, map[string]alerting.Notifier{"registro": notifytest.NewRecorder()}, nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	l := latest.New()
	targets := []probe.Target{{Name: "ok", URL: base + "/ok", Owner: "MGI", Environment: "prod"},
		{Name: "fora", URL: base + "/fora", Owner: "MGI", Environment: "prod"}}
	l.SetTargets(targets)
	m.SetInstances([]string{"ok", "fora"})
	p := collectors.NewHTTPProber(collectors.HTTPOptions{})
	for _, tg := range targets {
		r := collectors.RunProbe(context.Background(), p, tg, 2*time.Second)
		l.HandleResult(r)
		m.HandleResult(r)
	}
	srv := server.New(server.Options{Gatherer: prometheus.NewRegistry()})
	l.Mount(srv)
	api := m.APIHandler(probe.Secret(token))
	srv.Handle("/api/v1/alerts", api)
	srv.Handle("/api/v1/silences", api)
	srv.Handle("/api/v1/silences/", api)
	web := httptest.NewServer(srv.Handler())
	t.Cleanup(web.Close)
	return web.URL, m
}

// callCmd calls a command in-process.
func callCmd(cmd func([]string, io.Writer, io.Writer) int, args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = cmd(args, &o, &e)
	return code, o.String(), e.String()
}

func TestSilenceAndAlertsCommands(t *testing.T) {
	addr, _ := alertingAPI(t, apiToken)
	t.Setenv("VIGIA_ADDR", addr)
	t.Setenv("VIGIA_API_TOKEN", "")

	// The warning alert of "ok" makes its check a WARNING, with the count in the perfdata.
	code, out, _ := callCmd(checkCmd, "--instance", "ok")
	if code != nagWarning || !strings.Contains(out, "alerta SEIRespondeu") || !strings.Contains(out, "'alerts_firing'=1;;;0;") {
		t.Fatalf("check with a firing warning: %d %s", code, out)
	}
	code, out, _ = callCmd(checkCmd, "--instance", "fora")
	if code != nagCritical || !strings.Contains(out, "alerta SEIDown") {
		t.Errorf("check with a firing critical alert: %d %s", code, out)
	}

	code, out, _ = callCmd(alertsCmd)
	if code != 0 {
		t.Fatalf("alerts: %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ALERTA") || !regexp.MustCompile(`^SEIDown\s+fora\s+crítico\s+disparado`).MatchString(lines[1]) {
		t.Errorf("alerts table (critical first):\n%s", out)
	}

	// Writes need the token; the refusal says where it comes from and never echoes a token.
	code, _, errOut := callCmd(silenceCmd, "add", "--match", "instance=ok", "--duration", "1h", "--comment", "troca de disco")
	if code != 1 || !strings.Contains(errOut, "401") || !strings.Contains(errOut, "VIGIA_API_TOKEN") {
		t.Errorf("add without a token: %d %s", code, errOut)
	}
	code, _, errOut = callCmd(silenceCmd, "add", "--token", "errado-123", "--match", "instance=ok", "--duration", "1h", "--comment", "x")
	if code != 1 || strings.Contains(errOut, "errado-123") {
		t.Errorf("add with a wrong token: %d %s", code, errOut)
	}

	t.Setenv("VIGIA_API_TOKEN", apiToken)
	code, out, errOut = callCmd(silenceCmd, "add", "--match", "instance=ok", "--duration", "1h", "--comment", "troca de disco", "--created-by", "ana")
	m := regexp.MustCompile(`^Silêncio ([0-9a-f]+) criado \(ativo até `).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("add: %d %q %s", code, out, errOut)
	}
	id := m[1]

	// The silenced alert no longer counts for the check, which says so.
	code, out, _ = callCmd(checkCmd, "--instance", "ok")
	if code != nagOK || !strings.Contains(out, "alerta SEIRespondeu silenciado") || !strings.Contains(out, "'alerts_firing'=0;;;0;") {
		t.Errorf("check with the alert silenced: %d %s", code, out)
	}
	_, out, _ = callCmd(alertsCmd, "--instance", "ok")
	if !strings.Contains(out, "sim ("+id+")") {
		t.Errorf("alerts table does not show the silence:\n%s", out)
	}
	_, out, _ = callCmd(alertsCmd, "--silenced", "false", "-o", "json")
	var notifying []alerting.Alert
	if err := json.Unmarshal([]byte(out), &notifying); err != nil || len(notifying) != 1 || notifying[0].Labels["instance"] != "fora" {
		t.Errorf("alerts --silenced false -o json: %v %s", err, out)
	}

	code, out, _ = callCmd(silenceCmd, "list")
	if code != 0 || !regexp.MustCompile(id+`\s+ativo\s+instance=ok\s+.*api\s+ana\s+troca de disco`).MatchString(out) {
		t.Errorf("silence list:\n%s", out)
	}

	// A recurring maintenance window.
	code, out, errOut = callCmd(silenceCmd, "add", "--match", "environment=homolog", "--match-re", "alertname=SEI.*",
		"--cron", "0 2 * * SUN", "--duration", "2h", "--comment", "janela semanal", "-o", "json")
	var weekly alerting.Silence
	if code != 0 || json.Unmarshal([]byte(out), &weekly) != nil || weekly.Cron != "0 2 * * SUN" || weekly.Duration != 2*time.Hour || weekly.NextWindow == nil {
		t.Fatalf("add recurring: %d %s %s", code, out, errOut)
	}

	code, out, _ = callCmd(silenceCmd, "expire", id)
	if code != 0 || !strings.Contains(out, "Silêncio "+id+" expirado") {
		t.Errorf("expire: %d %s", code, out)
	}
	_, out, _ = callCmd(silenceCmd, "list")
	if strings.Contains(out, id) || !strings.Contains(out, weekly.ID) {
		t.Errorf("list after expire should hide the expired one and keep the weekly one:\n%s", out)
	}
	_, out, _ = callCmd(silenceCmd, "list", "--all", "-o", "json")
	var all []alerting.Silence
	if err := json.Unmarshal([]byte(out), &all); err != nil || len(all) != 2 {
		t.Fatalf("list --all -o json: %v %s", err, out)
	}
	for _, s := range all {
		if s.ID == id && s.State != alerting.SilenceExpired {
			t.Errorf("expired silence listed as %q", s.State)
		}
	}
	code, _, _ = callCmd(checkCmd, "--instance", "ok")
	if code != nagWarning {
		t.Errorf("check after the silence expired: %d, want WARNING again", code)
	}

	code, _, errOut = callCmd(silenceCmd, "expire", "nao-existe")
	if code != 1 || !strings.Contains(errOut, "not found") {
		t.Errorf("expire unknown: %d %s", code, errOut)
	}
	if strings.Contains(errOut, apiToken) {
		t.Errorf("error output shows the token")
	}
}

func TestSilenceCommandRejectsBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"add", "--duration", "1h", "--comment", "x"}, "at least one --match"},
		{[]string{"add", "--match", "instance=a", "--duration", "1h"}, "--comment is required"},
		{[]string{"add", "--match", "instance=a", "--comment", "x"}, "--duration or --ends-at"},
		{[]string{"add", "--match", "instance=a", "--comment", "x", "--duration", "1h", "--ends-at", "2030-01-01 10:00"}, "not both"},
		{[]string{"add", "--match", "instance", "--comment", "x", "--duration", "1h"}, "want label=value"},
		{[]string{"add", "--match", "instance=a", "--comment", "x", "--cron", "0 2 * * *"}, "--cron needs --duration"},
		{[]string{"add", "--match", "instance=a", "--comment", "x", "--ends-at", "amanhã"}, "RFC 3339"},
		{[]string{"list", "--state", "talvez"}, "--state must be"},
		{[]string{"list", "-o", "yaml"}, "-o must be table or json"},
		{[]string{"expire"}, "Usage"},
		{[]string{"apagar"}, "unknown subcommand"},
		{nil, "Usage"},
	}
	for _, tt := range tests {
		code, _, errOut := callCmd(silenceCmd, tt.args...)
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("silence %v: exit %d, stderr %q; want 2 and %q", tt.args, code, errOut, tt.want)
		}
	}
}

func TestClientsReportAnUnreachableDaemon(t *testing.T) {
	for _, cmd := range []struct {
		name string
		run  func([]string, io.Writer, io.Writer) int
		args []string
	}{
		{"alerts", alertsCmd, nil},
		{"silence list", silenceCmd, []string{"list"}},
	} {
		code, _, errOut := callCmd(cmd.run, append(cmd.args, "--addr", "http://user:segredo@127.0.0.1:1")...)
		if code != 1 || !strings.Contains(errOut, "did not answer") || strings.Contains(errOut, "segredo") {
			t.Errorf("%s: exit %d, %q", cmd.name, code, errOut)
		}
	}
}

func TestReadOnlyAPIRefusesSilences(t *testing.T) {
	addr, _ := alertingAPI(t, "")
	code, _, errOut := callCmd(silenceCmd, "add", "--addr", addr, "--token", "qualquer", "--match", "instance=ok", "--duration", "1h", "--comment", "x")
	if code != 1 || !strings.Contains(errOut, "403") || !strings.Contains(errOut, "server.api_token") {
		t.Errorf("add on a read-only API: %d %s", code, errOut)
	}
}
