package main

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vigia-sei/vigia/dashboards"
)

func TestDashboardsExportFromTheBinaryWritesTheEmbeddedFiles(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(vigiaBin, "dashboards", "export", filepath.Join(dir, "out"))
	cmd.Dir = t.TempDir() // far from the source tree: the files must come from the binary
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("vigia dashboards export: %v\n%s", err, out)
	}
	names := dashboards.Names()
	if !strings.Contains(string(out), "wrote "+itoa(len(names))+" files") {
		t.Errorf("output %q", out)
	}
	for _, n := range names {
		want, _ := dashboards.Read(n)
		got, err := os.ReadFile(filepath.Join(dir, "out", filepath.FromSlash(n)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: not exported as embedded (err %v)", n, err)
		}
	}
}

func TestDashboardsUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"dashboards"}, 2, "vigia dashboards export DIR"},
		{[]string{"dashboards", "frobnicate"}, 2, `unknown subcommand "frobnicate"`},
		{[]string{"dashboards", "export"}, 2, "Usage: vigia dashboards export DIR"},
		{[]string{"dashboards", "install"}, 2, "give --grafana-url, --kibana-url or both"},
		{[]string{"dashboards", "install", "--grafana-url", "http://127.0.0.1:1", "--ca-file", "/nonexistent.pem"}, 1, "--ca-file"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := dispatch(tc.args, &stdout, &stderr); code != tc.code {
				t.Errorf("exit %d, want %d\n%s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.want)
			}
		})
	}
}

func TestDashboardsList(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"dashboards", "list"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if got := strings.Fields(stdout.String()); strings.Join(got, " ") != strings.Join(dashboards.Names(), " ") {
		t.Errorf("list printed %v", got)
	}
}

// Install against servers that answer like Grafana's dashboard API and Kibana's saved objects
// import API; the secrets come from the environment and never show in the output.
func TestDashboardsInstallGrafanaAndKibana(t *testing.T) {
	var mu sync.Mutex
	var grafanaCalls, kibanaCalls []string
	grafana := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		grafanaCalls = append(grafanaCalls, r.Method+" "+r.URL.Path)
		if r.Header.Get("Authorization") != "Bearer glsa_token_s3cr3t" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"message":"invalid API key"}`)
			return
		}
		switch r.URL.Path {
		case "/api/folders/sei":
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"folder not found"}`)
		case "/api/folders":
			var f map[string]string
			json.NewDecoder(r.Body).Decode(&f)
			if f["uid"] != "sei" || f["title"] != "SEI" {
				t.Errorf("folder %v", f)
			}
			io.WriteString(w, `{"uid":"sei","title":"SEI"}`)
		case "/api/dashboards/db":
			var body struct {
				Dashboard map[string]any
				FolderUID string `json:"folderUid"`
			}
			json.NewDecoder(r.Body).Decode(&body)
			if body.FolderUID != "sei" {
				t.Errorf("folderUid %q", body.FolderUID)
			}
			uid, _ := body.Dashboard["uid"].(string)
			json.NewEncoder(w).Encode(map[string]any{"uid": uid, "url": "/d/" + uid + "/x", "status": "success", "version": 4})
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(grafana.Close)
	kibana := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		kibanaCalls = append(kibanaCalls, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		user, pass, ok := r.BasicAuth()
		if !ok || user != "vigia" || pass != "kibana_pw_s3cr3t" || r.Header.Get("kbn-xsrf") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"statusCode":401,"error":"Unauthorized","message":"unable to authenticate"}`)
			return
		}
		_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		part, err := multipart.NewReader(r.Body, params["boundary"]).NextPart()
		if err != nil || part.FormName() != "file" {
			t.Errorf("multipart: %v", err)
			return
		}
		b, _ := io.ReadAll(part)
		n := len(strings.Split(strings.TrimSpace(string(b)), "\n"))
		json.NewEncoder(w).Encode(map[string]any{"success": true, "successCount": n})
	}))
	t.Cleanup(kibana.Close)

	t.Setenv("VIGIA_GRAFANA_TOKEN", "glsa_token_s3cr3t")
	t.Setenv("VIGIA_KIBANA_PASSWORD", "kibana_pw_s3cr3t")
	t.Setenv("VIGIA_KIBANA_API_KEY", "")
	var stdout, stderr bytes.Buffer
	code := dispatch([]string{"dashboards", "install", "--grafana-url", grafana.URL, "--grafana-folder", "sei",
		"--grafana-folder-title", "SEI", "--kibana-url", kibana.URL, "--kibana-space", "default", "--kibana-user", "vigia"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	files, _ := dashboards.GrafanaDashboards()
	out := stdout.String()
	if got := strings.Count(out, "grafana: "); got != len(files) {
		t.Errorf("%d grafana lines, want %d:\n%s", got, len(files), out)
	}
	if !strings.Contains(out, "grafana: vigia-fleet.json → "+grafana.URL+"/d/vigia-fleet/x (version 4)") {
		t.Errorf("output lacks the fleet dashboard's URL:\n%s", out)
	}
	if !strings.Contains(out, "kibana: ") || !strings.Contains(out, "saved objects imported into space default") {
		t.Errorf("output lacks the Kibana import:\n%s", out)
	}
	if len(kibanaCalls) != 1 || kibanaCalls[0] != "POST /api/saved_objects/_import?overwrite=true" {
		t.Errorf("kibana calls %v", kibanaCalls)
	}
	for _, secret := range []string{"glsa_token_s3cr3t", "kibana_pw_s3cr3t"} {
		if strings.Contains(out+stderr.String(), secret) {
			t.Errorf("output shows a secret")
		}
	}

	// A refused token: exit 1, Grafana's reason, no token.
	t.Setenv("VIGIA_GRAFANA_TOKEN", "wrong_s3cr3t")
	stdout.Reset()
	stderr.Reset()
	if code := dispatch([]string{"dashboards", "install", "--grafana-url", grafana.URL}, &stdout, &stderr); code != 1 {
		t.Errorf("refused token: exit %d", code)
	}
	if !strings.Contains(stderr.String(), "HTTP 401") || strings.Contains(stderr.String(), "wrong_s3cr3t") {
		t.Errorf("stderr %q", stderr.String())
	}
}

func TestTrimBasePath(t *testing.T) {
	for _, tc := range []struct{ url, base, want string }{
		{"/grafana/d/x/y", "https://h/grafana/", "/d/x/y"},
		{"/d/x/y", "https://h", "/d/x/y"},
		{"/d/x/y", "https://h/", "/d/x/y"},
	} {
		if got := trimBasePath(tc.url, tc.base); got != tc.want {
			t.Errorf("trimBasePath(%q, %q) = %q, want %q", tc.url, tc.base, got, tc.want)
		}
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
