package collectors

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/internal/seisim"
)

// The version and modules probes log in from the login page they already opened: each opens
// /sei/ once per run, as a user does, instead of once to look and once to log in.
func TestLoggedInProbesOpenTheEntryOnce(t *testing.T) {
	sim := seisim.New(seisim.Fleet{Instances: []seisim.Instance{inst("v415", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1"})}, Seed: 1},
		seisim.Options{WSSEIAuthDelay: -1})
	var mu sync.Mutex
	hits := map[string]int{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		switch {
		case strings.HasSuffix(r.URL.Path, "/sei/"):
			hits["entry"]++
		case strings.HasSuffix(r.URL.Path, "/sip/login.php") && r.Method == http.MethodPost:
			hits["login"]++
		}
		mu.Unlock()
		sim.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	target := probe.Target{Name: "v415", URL: ts.URL + "/v415", Credentials: monitorCreds()}

	vp, err := NewVersionProber(VersionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mp, err := NewModulesProber(ModulesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []Prober{vp, mp} {
		mu.Lock()
		clear(hits)
		mu.Unlock()
		r := RunProbe(context.Background(), p, target, 20*time.Second)
		if r.Values[ValueLoginSuccess] != 1 {
			t.Errorf("%s: login failed: %s", p.Name(), r.Error)
		}
		mu.Lock()
		if hits["entry"] != 1 || hits["login"] != 1 {
			t.Errorf("%s: GET /sei/ %d times and login POST %d times, want once each", p.Name(), hits["entry"], hits["login"])
		}
		mu.Unlock()
	}
}
