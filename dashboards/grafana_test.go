// The SDK marks the v1 dashboard model deprecated in favour of dashboardv2, which only Grafana 12's
// new dashboard API reads; POST /api/dashboards/db and every Grafana in use (9 to 12) take v1.
//lint:file-ignore SA1019 the classic dashboard model is the one /api/dashboards/db accepts

package dashboards_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	sdk "github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/vigia-sei/vigia/dashboards"
)

// strict decodes a dashboard the way the SDK's strict mode does and validates it. Both calls return
// a non-nil, empty cog.BuildErrors for a valid dashboard, so only a non-empty list is an error.
func strict(b []byte) (*sdk.Dashboard, error) {
	plugins.RegisterDefaultPlugins()
	var d sdk.Dashboard
	if err := d.UnmarshalJSONStrict(b); buildErr(err) != nil {
		return nil, buildErr(err)
	}
	if err := d.Validate(); buildErr(err) != nil {
		return nil, buildErr(err)
	}
	return &d, nil
}

func buildErr(err error) error {
	var be cog.BuildErrors
	if errors.As(err, &be) && len(be) == 0 {
		return nil
	}
	return err
}

func TestGrafanaDashboardsPassTheSDKStrictValidation(t *testing.T) {
	files, err := dashboards.GrafanaDashboards()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 5 {
		t.Errorf("%d Grafana dashboards, want 5 (fleet, version drift, modules, synthetic, vigia itself)", len(files))
	}
	uids := map[string]string{}
	for name, b := range files {
		d, err := strict(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		uid := deref(d.Uid)
		if other, dup := uids[uid]; dup {
			t.Errorf("%s and %s share uid %q", name, other, uid)
		}
		uids[uid] = name
		if name != uid+".json" {
			t.Errorf("%s holds uid %q: name the file after its uid", name, uid)
		}
		if deref(d.Title) == "" || len(d.Panels) == 0 {
			t.Errorf("%s: no title or no panels", name)
		}
	}
}

// The validation must be able to fail: a dashboard with a field Grafana does not know is refused.
func TestStrictValidationRejectsUnknownFields(t *testing.T) {
	b, err := dashboards.Read("grafana/vigia-fleet.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	raw["panels"].([]any)[1].(map[string]any)["datsource"] = "typo"
	bad, _ := json.Marshal(raw)
	if _, err := strict(bad); err == nil || !strings.Contains(err.Error(), "datsource") {
		t.Errorf("a panel with an unknown field passed strict validation (err %v)", err)
	}
}

func TestGrafanaDashboardsAreTemplated(t *testing.T) {
	files, err := dashboards.GrafanaDashboards()
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		var d struct {
			Templating struct {
				List []struct {
					Name, Type string
					Query      any
				}
			}
			Panels []panelJSON
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		vars := map[string]string{}
		for _, v := range d.Templating.List {
			vars[v.Name] = v.Type
		}
		if vars["datasource"] != "datasource" {
			t.Errorf("%s: no datasource variable (variables %v)", name, vars)
		}
		want := []string{"owner", "environment", "instance"}
		if name == "vigia-self.json" {
			want = []string{"instance"} // vigia's own series: the instance is the replica
		}
		for _, v := range want {
			if vars[v] != "query" {
				t.Errorf("%s: no %s variable (variables %v)", name, v, vars)
			}
		}
		n := 0
		for _, p := range allPanels(d.Panels) {
			if p.Type == "row" {
				continue
			}
			if p.Datasource.UID != "${datasource}" {
				t.Errorf("%s: panel %q uses data source %q, not ${datasource}", name, p.Title, p.Datasource.UID)
			}
			for _, tg := range p.Targets {
				n++
				if tg.Datasource.UID != "${datasource}" {
					t.Errorf("%s: panel %q query %s uses data source %q", name, p.Title, tg.RefID, tg.Datasource.UID)
				}
				if strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("%s: panel %q query %s has no expression", name, p.Title, tg.RefID)
				}
				for _, v := range referencedVars(tg.Expr) {
					if _, ok := vars[v]; !ok {
						t.Errorf("%s: panel %q query %s uses $%s, which the dashboard does not define", name, p.Title, tg.RefID, v)
					}
				}
			}
		}
		if n == 0 {
			t.Errorf("%s: no queries", name)
		}
	}
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)(?::[a-z]+)?\}|\$([A-Za-z0-9_]+)`)

// referencedVars lists the dashboard variables an expression uses; Grafana's own ($__range, ...)
// are not the dashboard's to define.
func referencedVars(expr string) []string {
	var out []string
	for _, m := range varRef.FindAllStringSubmatch(expr, -1) {
		name := m[1] + m[2]
		if !strings.HasPrefix(name, "__") {
			out = append(out, name)
		}
	}
	return out
}

type panelJSON struct {
	Type, Title string
	Datasource  struct{ UID string }
	Targets     []struct {
		RefID      string `json:"refId"`
		Expr       string
		Datasource struct{ UID string }
	}
	Panels []panelJSON
}

func allPanels(ps []panelJSON) []panelJSON {
	var out []panelJSON
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

// fakeGrafana checks requests against Grafana's documented HTTP API (folders and
// /api/dashboards/db) and answers as Grafana does.
type fakeGrafana struct {
	t           *testing.T
	token       string
	folderFound bool
	mu          sync.Mutex
	saved       map[string]map[string]any // uid → request body
	folders     []map[string]any
	calls       []string
}

func (g *fakeGrafana) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = append(g.calls, r.Method+" "+r.URL.Path)
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer "+g.token {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"message":"invalid API key","traceID":""}`)
		return
	}
	if r.Header.Get("Accept") != "application/json" {
		g.t.Errorf("%s %s: Accept %q", r.Method, r.URL.Path, r.Header.Get("Accept"))
	}
	body := map[string]any{}
	if r.Method == http.MethodPost {
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			g.t.Errorf("%s %s: Content-Type %q", r.Method, r.URL.Path, ct)
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			g.t.Errorf("%s %s: body is not JSON: %v", r.Method, r.URL.Path, err)
		}
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/grafana/api/folders/vigia":
		if !g.folderFound {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"folder not found","status":"not-found"}`)
			return
		}
		io.WriteString(w, `{"id":7,"uid":"vigia","title":"vigia","url":"/dashboards/f/vigia/vigia"}`)
	case r.Method == http.MethodPost && r.URL.Path == "/grafana/api/folders":
		g.folders = append(g.folders, body)
		g.folderFound = true
		io.WriteString(w, `{"id":7,"uid":"vigia","title":"vigia","url":"/dashboards/f/vigia/vigia","version":1}`)
	case r.Method == http.MethodPost && r.URL.Path == "/grafana/api/dashboards/db":
		dash, _ := body["dashboard"].(map[string]any)
		if id, ok := dash["id"]; !ok || id != nil {
			g.t.Errorf("dashboard.id = %v (present %v): Grafana wants null to match on uid", id, ok)
		}
		if body["folderUid"] != "vigia" || body["overwrite"] != true {
			g.t.Errorf("folderUid %v overwrite %v, want vigia and true", body["folderUid"], body["overwrite"])
		}
		uid, _ := dash["uid"].(string)
		if uid == "" || dash["title"] == "" {
			g.t.Errorf("dashboard without uid or title: %v", dash["uid"])
		}
		version := 1
		if _, again := g.saved[uid]; again {
			version = 2
		}
		g.saved[uid] = body
		json.NewEncoder(w).Encode(map[string]any{"id": len(g.saved), "uid": uid, "url": "/grafana/d/" + uid + "/x",
			"status": "success", "version": version, "slug": "x"})
	default:
		g.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message":"Not found"}`)
	}
}

func TestInstallGrafanaCreatesTheFolderThenSavesEveryDashboard(t *testing.T) {
	g := &fakeGrafana{t: t, token: "glsa_s3cr3t", saved: map[string]map[string]any{}}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	opts := dashboards.GrafanaOptions{URL: srv.URL + "/grafana/", Token: "glsa_s3cr3t"}

	res, err := dashboards.InstallGrafana(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := dashboards.GrafanaDashboards()
	if len(res) != len(files) || len(g.saved) != len(files) {
		t.Fatalf("installed %d, Grafana saved %d, want %d", len(res), len(g.saved), len(files))
	}
	if len(g.folders) != 1 || g.folders[0]["uid"] != "vigia" || g.folders[0]["title"] != "vigia" {
		t.Errorf("folders created: %v", g.folders)
	}
	for _, r := range res {
		if r.Status != "success" || r.Version != 1 || !strings.HasPrefix(r.URL, "/grafana/d/"+r.UID) {
			t.Errorf("result %+v", r)
		}
		sent := g.saved[r.UID]["dashboard"].(map[string]any)
		var embedded map[string]any
		json.Unmarshal(files[r.File], &embedded)
		if sent["title"] != embedded["title"] || len(sent["panels"].([]any)) != len(embedded["panels"].([]any)) {
			t.Errorf("%s: sent a different dashboard than the embedded one", r.File)
		}
	}

	// A second install updates in place and does not create the folder again.
	res, err = dashboards.InstallGrafana(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.folders) != 1 || res[0].Version != 2 {
		t.Errorf("re-install: folders %d, version %d", len(g.folders), res[0].Version)
	}
}

func TestInstallGrafanaReportsARefusedTokenWithoutShowingIt(t *testing.T) {
	g := &fakeGrafana{t: t, token: "right", saved: map[string]map[string]any{}}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	_, err := dashboards.InstallGrafana(context.Background(), dashboards.GrafanaOptions{URL: srv.URL + "/grafana", Token: "wrong-s3cr3t"})
	if err == nil {
		t.Fatal("install with a refused token succeeded")
	}
	msg := err.Error()
	for _, want := range []string{"HTTP 401", "invalid API key", "token"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "wrong-s3cr3t") {
		t.Errorf("error shows the token: %q", msg)
	}
}

func TestInstallGrafanaRefusesBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    dashboards.GrafanaOptions
		want string
	}{
		{"no url", dashboards.GrafanaOptions{Token: "t"}, "no URL"},
		{"not http", dashboards.GrafanaOptions{URL: "ftp://grafana", Token: "t"}, "not an http(s) URL"},
		{"credentials in url", dashboards.GrafanaOptions{URL: "https://admin:pw@grafana", Token: "t"}, "not in the URL"},
		{"no token", dashboards.GrafanaOptions{URL: "https://grafana"}, "no token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dashboards.InstallGrafana(context.Background(), tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "pw@") {
				t.Errorf("error shows the URL's password: %v", err)
			}
		})
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
