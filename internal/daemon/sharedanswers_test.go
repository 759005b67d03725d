package daemon

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/internal/seisim"
)

// In the daemon an instance's health, version and modules runs follow each other 1.5 s apart, and
// mod-wssei's /versao and /orgao/listar are asked once per round: by the version and the health
// probe, the modules probe reading their answers. Once the modules probe has logged in, the
// version probe reads its logged-in page and the entry the health probe opened: /sei/ is opened
// once per round.
func TestDaemonAsksModWSSEIOncePerRound(t *testing.T) {
	sim := seisim.New(seisim.Fleet{Instances: []seisim.Instance{
		{Name: "sei-1", Org: "AAA", SEIVersion: "4.1.5", Producao: true, Modules: []seisim.Module{{Name: "mod-wssei", Version: "2.2.1"}}},
		{Name: "sei-2", Org: "BBB", SEIVersion: "5.0.3", Producao: true, Modules: []seisim.Module{{Name: "mod-wssei", Version: "3.0.1"}}},
	}}, seisim.Options{})
	var mu sync.Mutex
	hits := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var what string
		switch {
		case strings.HasSuffix(r.URL.Path, "/sei/"):
			what = "entry"
		case strings.HasSuffix(r.URL.Path, "/versao"):
			what = "versao"
		case strings.HasSuffix(r.URL.Path, "/orgao/listar"):
			what = "orgaos"
		case r.URL.Query().Get("servico") == "sei":
			what = "health run" // the SOAP WSDL: only the health probe asks it
		case r.URL.Query().Get("acao") == "usuario_externo_logar":
			what = "version run" // the external users' page: only the version probe opens it
		case r.URL.Query().Get("servico") == "wspeticionamento":
			what = "modules run" // peticionamento's WSDL: only the modules probe asks it
		}
		mu.Lock()
		hits[what]++
		mu.Unlock()
		sim.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	var b strings.Builder
	fmt.Fprintf(&b, `server: {listen: "127.0.0.1:0"}
global: {state_dir: STATE}
probes:
  synthetic: {enabled: false}
  health: {interval: 6s, timeout: 2s}
  version: {interval: 6s, timeout: 2s}
  modules: {interval: 6s, timeout: 2s}
fleet:
  defaults: {credentials: {username: monitor, password: monitor123, orgao: "0"}}
  instances:
`)
	for _, n := range []string{"sei-1", "sei-2"} {
		fmt.Fprintf(&b, "    - {name: %s, url: \"%s/%s\", owner: AAA, environment: prod}\n", n, srv.URL, n)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "vigia.yaml")
	writeConfig(t, cfgPath, strings.ReplaceAll(b.String(), "STATE", filepath.Join(dir, "state")))
	_, stop := runDaemon(t, cfgPath)

	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		modules := hits["modules run"]
		mu.Unlock()
		if modules >= 6 { // three rounds on both instances
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("modules ran %d times in 30 s", modules)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// A round may be cut by the stop between the version and the modules run: one more each.
	if hits["versao"] > hits["version run"]+2 {
		t.Errorf("/versao asked %d times for %d version and %d modules runs: the modules probe asks again",
			hits["versao"], hits["version run"], hits["modules run"])
	}
	if hits["orgaos"] > hits["health run"]+2 {
		t.Errorf("/orgao/listar asked %d times for %d health and %d modules runs: the modules probe asks again",
			hits["orgaos"], hits["health run"], hits["modules run"])
	}
	if hits["versao"] < hits["version run"] || hits["orgaos"] < hits["health run"] {
		t.Errorf("the version and health probes no longer ask mod-wssei themselves: %v", hits)
	}
	// The first version and modules runs of each instance log in from their own entry; after that
	// only the health probe opens it (and one more run each may be cut by the stop).
	if hits["entry"] > hits["health run"]+2*2+2 {
		t.Errorf("/sei/ opened %d times for %d health, %d version and %d modules runs: the version probe opens its own every round (%v)",
			hits["entry"], hits["health run"], hits["version run"], hits["modules run"], hits)
	}
}
