package discovery

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func names(ts []probe.Target) string {
	var s []string
	for _, t := range ts {
		s = append(s, t.Name)
	}
	return strings.Join(s, ",")
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	// Make the change visible to an mtime check even within the same clock tick.
	now := time.Now().Add(time.Duration(len(body)) * time.Millisecond)
	_ = os.Chtimes(path, now, now)
}

func TestParseGroups(t *testing.T) {
	tests := []struct {
		name, doc, want, err string
	}{
		{"yaml with name label", "- targets: [https://sei.mgi.gov.br]\n  labels: {name: mgi-prod, owner: MGI, environment: prod, cloud: a, __meta_x: y}\n", "mgi-prod", ""},
		{"json several targets named from URL", `[{"targets":["http://127.0.0.1:8480/orgao-1","http://127.0.0.1:8480/orgao-2"],"labels":{"owner":"X","name":"ignored"}}]`, "127.0.0.1-8480-orgao-1,127.0.0.1-8480-orgao-2", ""},
		{"empty file", "", "", ""},
		{"bad scheme", "- targets: [ftp://x]\n", "", "t.yaml:1: [0].targets[0]: scheme must be http or https"},
		{"not a list", "targets: [http://x]\n", "", "t.yaml:1: expected a list"},
		{"unknown key", "- targets: [http://x]\n  label: {a: b}\n", "", "[0].label: unknown field"},
		{"duplicate", "- targets: [http://x]\n- targets: [http://x]\n", "", "duplicate instance name \"x\" (first at line 1)"},
		{"credentials in URL", "- targets: ['https://u:p@x']\n", "", "must not carry credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, err := parseGroups("t.yaml", []byte(tt.doc))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want it to contain %q", err, tt.err)
				}
				if strings.Contains(err.Error(), ":p@") {
					t.Fatal("credentials leaked into the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := names(ts); got != tt.want {
				t.Errorf("names %q, want %q", got, tt.want)
			}
		})
	}
	ts, _ := parseGroups("t.yaml", []byte("- targets: [https://sei.mgi.gov.br/]\n  labels: {name: m, owner: MGI, env: homolog, cloud: a}\n"))
	if got := ts[0]; got.Owner != "MGI" || got.Environment != "homolog" || got.Labels["cloud"] != "a" || got.URL != "https://sei.mgi.gov.br" || got.Source != "t.yaml" {
		t.Errorf("labels not mapped: %+v", got)
	}
}

func TestFileDiscoveryAddChangeRemoveAndBrokenFile(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yaml")
	b := filepath.Join(dir, "b.yaml")
	write(t, a, "- targets: [http://127.0.0.1:1/x1]\n  labels: {name: x1, owner: A}\n")
	reg := prometheus.NewRegistry()
	m := New(Options{Logger: quiet(), Registerer: reg})
	m.Update([]probe.Target{{Name: "static-1", URL: "http://s"}}, []config.Discovery{{File: filepath.Join(dir, "*.yaml")}})
	ctx := context.Background()

	if !m.Refresh(ctx) || names(m.Targets()) != "static-1,x1" {
		t.Fatalf("first read: %s", names(m.Targets()))
	}
	if m.Refresh(ctx) {
		t.Error("unchanged file reported as a change")
	}
	// Add a file, change a target.
	write(t, b, "- targets: [http://127.0.0.1:1/y1]\n  labels: {name: y1}\n")
	write(t, a, "- targets: [http://127.0.0.1:1/x2]\n  labels: {name: x2, owner: A}\n")
	if !m.Refresh(ctx) || names(m.Targets()) != "static-1,x2,y1" {
		t.Fatalf("after add/change: %s", names(m.Targets()))
	}
	// Break a file: its last good targets stay, the error names file and line, a metric shows it.
	write(t, a, "- targets: [http://127.0.0.1:1/x3]\n- targets: [gopher://bad]\n")
	m.Refresh(ctx)
	if got := names(m.Targets()); got != "static-1,x2,y1" {
		t.Fatalf("broken file lost its last good targets: %s", got)
	}
	if v := testutil.ToFloat64(m.m.ok.WithLabelValues(a)); v != 0 {
		t.Errorf("vigia_discovery_source_up = %v for a broken file", v)
	}
	if _, err := parseGroups(a, mustRead(t, a)); err == nil || !strings.Contains(err.Error(), a+":2: [1].targets[0]") {
		t.Errorf("error lacks file:line: %v", err)
	}
	// Remove a file: its targets go.
	if err := os.Remove(b); err != nil {
		t.Fatal(err)
	}
	if !m.Refresh(ctx) || names(m.Targets()) != "static-1,x2" {
		t.Fatalf("after remove: %s", names(m.Targets()))
	}
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHTTPDiscovery(t *testing.T) {
	var body atomic.Value
	body.Store(`[{"targets":["https://sei.a.gov.br"],"labels":{"name":"a","owner":"A"}}]`)
	var status atomic.Int32
	status.Store(200)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(int(status.Load()))
		io.WriteString(w, body.Load().(string))
	}))
	t.Cleanup(srv.Close)
	m := New(Options{Logger: quiet()})
	src := config.Discovery{HTTP: srv.URL + "/targets?token=abc", Interval: time.Nanosecond, BearerToken: "s3cret"}
	m.Update(nil, []config.Discovery{src})
	ctx := context.Background()
	if !m.Refresh(ctx) || names(m.Targets()) != "a" {
		t.Fatalf("first fetch: %s", names(m.Targets()))
	}
	body.Store(`[{"targets":["https://sei.a.gov.br","https://sei.b.gov.br"],"labels":{"owner":"A"}}]`)
	if !m.Refresh(ctx) || names(m.Targets()) != "sei.a.gov.br,sei.b.gov.br" {
		t.Fatalf("change: %s", names(m.Targets()))
	}
	// Inventory down: last good list kept.
	status.Store(503)
	m.Refresh(ctx)
	if names(m.Targets()) != "sei.a.gov.br,sei.b.gov.br" {
		t.Fatalf("outage emptied the list: %s", names(m.Targets()))
	}
	body.Store(`[]`)
	status.Store(200)
	if !m.Refresh(ctx) || len(m.Targets()) != 0 {
		t.Fatalf("removal: %s", names(m.Targets()))
	}
}

func TestStaticWinsOverDiscovered(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "t.yaml")
	write(t, f, "- targets: [http://other]\n  labels: {name: dup}\n")
	m := New(Options{Logger: quiet()})
	m.Update([]probe.Target{{Name: "dup", URL: "http://static"}}, []config.Discovery{{File: f}})
	m.Refresh(context.Background())
	ts := m.Targets()
	if len(ts) != 1 || ts[0].URL != "http://static" {
		t.Fatalf("static instance overridden: %+v", ts)
	}
}
