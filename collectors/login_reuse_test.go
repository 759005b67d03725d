package collectors

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/collectors/sei"
	"github.com/vigia-sei/vigia/internal/seisim"
)

// loginCounter serves seisim and counts the entry GETs, SIP login page GETs and login POSTs, logouts and mod-wssei v1
// requests it answers.
type loginCounter struct {
	mu   sync.Mutex
	hits map[string]int
	url  string
	sim  *seisim.Server
	// fail, when it says so, answers a request with mod-wssei's database error instead.
	fail func(*http.Request) bool
}

func newLoginCounter(t *testing.T, instances ...seisim.Instance) *loginCounter {
	t.Helper()
	sim := seisim.New(seisim.Fleet{Instances: instances, Seed: 1}, seisim.Options{WSSEIAuthDelay: -1})
	c := &loginCounter{hits: map[string]int{}, sim: sim}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		switch {
		case strings.HasSuffix(r.URL.Path, "/sei/"):
			c.hits["entry"]++
		case strings.HasSuffix(r.URL.Path, "/sip/login.php") && r.Method == http.MethodPost:
			c.hits["login"]++
		case strings.HasSuffix(r.URL.Path, "/sip/login.php"):
			c.hits["login_page"]++
		case r.URL.Query().Get("acao") == "sair":
			c.hits["logout"]++
		case strings.Contains(r.URL.Path, "/wssei/controlador_ws.php/api/v1/"):
			c.hits["wssei_v1"]++
		}
		switch {
		case strings.HasSuffix(r.URL.Path, "/versao"):
			c.hits["wssei_versao"]++
		case strings.HasSuffix(r.URL.Path, "/orgao/listar"):
			c.hits["wssei_orgaos"]++
		}
		fail := c.fail != nil && c.fail(r)
		c.mu.Unlock()
		if fail {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"sucesso":false,"mensagem":"SQLSTATE[08006] Falha ao conectar ao banco de dados","exception":null}`))
			return
		}
		sim.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	c.url = ts.URL
	return c
}

// run runs p once and returns the result with the entry GETs and login POSTs it caused.
func (c *loginCounter) run(t *testing.T, p Prober, target probe.Target) (probe.Result, int, int) {
	t.Helper()
	r, hits := c.runCounting(t, p, target)
	return r, hits["entry"], hits["login"]
}

// runCounting runs p once and returns the result with the entry GETs, login POSTs and logouts
// it caused.
func (c *loginCounter) runCounting(t *testing.T, p Prober, target probe.Target) (probe.Result, map[string]int) {
	t.Helper()
	c.mu.Lock()
	clear(c.hits)
	c.mu.Unlock()
	r := RunProbe(context.Background(), p, target, 20*time.Second)
	return r, c.counts()
}

func (c *loginCounter) counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.hits)
}

// The version and modules probes log in from the login page they already opened: each opens
// /sei/ once per run, as a user does, instead of once to look and once to log in.
func TestLoggedInProbesOpenTheEntryOnce(t *testing.T) {
	sim := newLoginCounter(t, inst("v415", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1"}))
	target := probe.Target{Name: "v415", URL: sim.url + "/v415", Credentials: monitorCreds()}

	vp, err := NewVersionProber(VersionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mp, err := NewModulesProber(ModulesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []Prober{vp, mp} {
		r, entry, login := sim.run(t, p, target)
		if r.Values[ValueLoginSuccess] != 1 {
			t.Errorf("%s: login failed: %s", p.Name(), r.Error)
		}
		if entry != 1 || login != 1 {
			t.Errorf("%s: GET /sei/ %d times and login POST %d times, want once each", p.Name(), entry, login)
		}
	}
}

// The version probe reads the logged-in page the modules or synthetic probe saw after its own
// login instead of opening one more SIP session, and logs in itself when that page is too old.
func TestVersionReadsTheLoggedInPageOtherProbesSaw(t *testing.T) {
	wrong := inst("wrong", "4.1.5")
	wrong.Faults.WrongVersion = "5.0.3" // the logged-in page says 5.0.3: the source must show it
	sim := newLoginCounter(t, inst("v415", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1"}), wrong)

	for _, by := range []string{probe.Modules, probe.Synthetic} {
		t.Run(by, func(t *testing.T) {
			pages := NewLoggedInPages()
			var other Prober
			var err error
			if by == probe.Modules {
				other, err = NewModulesProber(ModulesOptions{LoggedIn: pages})
			} else {
				other, err = NewSyntheticProber(SyntheticOptions{LoggedIn: pages, Search: "00000.000001/2024-00"})
			}
			if err != nil {
				t.Fatal(err)
			}
			vp, err := NewVersionProber(VersionOptions{LoggedIn: pages})
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"v415", "wrong"} {
				target := probe.Target{Name: name, URL: sim.url + "/" + name, Credentials: monitorCreds()}
				if r, _, login := sim.run(t, other, target); login != 1 {
					t.Fatalf("%s on %s: %d login POSTs (%s)", by, name, login, r.Error)
				}
				seen, ok := pages.Seen(name, time.Minute, time.Now())
				if !ok || seen.By != by {
					t.Fatalf("%s on %s recorded no logged-in page: %+v", by, name, seen)
				}
				r, entry, login := sim.run(t, vp, target)
				if login != 0 || entry != 1 {
					t.Errorf("version on %s: %d login POSTs and %d entry GETs, want 0 and 1", name, login, entry)
				}
				want := map[string]string{"v415": "4.1.5", "wrong": "5.0.3"}[name]
				if got := versionFrom(r, "sei", SourcePageTitle); got != want {
					t.Errorf("version on %s: page_title says %q, want %q (%+v)", name, got, want, r.Versions)
				}
				if _, ok := r.Values[ValueLoginSuccess]; ok {
					t.Errorf("version on %s reports a login it did not make", name)
				}
				if age, ok := r.Values[ValueLoggedInPageAge]; !ok || age < 0 || age > 60 {
					t.Errorf("version on %s: logged_in_page_age_seconds = %v, %v", name, age, ok)
				}
			}
		})
	}

	t.Run("too old", func(t *testing.T) {
		pages := NewLoggedInPages()
		mp, _ := NewModulesProber(ModulesOptions{LoggedIn: pages})
		vp, _ := NewVersionProber(VersionOptions{LoggedIn: pages, LoggedInMaxAge: time.Nanosecond})
		target := probe.Target{Name: "v415", URL: sim.url + "/v415", Credentials: monitorCreds()}
		sim.run(t, mp, target)
		time.Sleep(time.Millisecond)
		r, _, login := sim.run(t, vp, target)
		if login != 1 || r.Values[ValueLoginSuccess] != 1 || versionFrom(r, "sei", SourcePageTitle) != "4.1.5" {
			t.Errorf("stale page: version made %d logins, login_success %v, versions %+v", login, r.Values[ValueLoginSuccess], r.Versions)
		}
		if _, ok := r.Values[ValueLoggedInPageAge]; ok {
			t.Error("a run that logged in itself reports the age of a page it did not read")
		}
	})
}

func versionFrom(r probe.Result, component, source string) string {
	for _, v := range r.Versions {
		if v.Component == component && v.Source == source {
			return v.Version
		}
	}
	return ""
}

func TestLoggedInPagesKeepNoPageBody(t *testing.T) {
	pages := NewLoggedInPages()
	now := time.Now()
	pages.Record("a", probe.Modules, seiScan("4.1.5"), now)
	pages.Record("a", probe.Synthetic, seiScan("5.0.3"), now.Add(-time.Minute)) // older: ignored
	if p, ok := pages.Seen("a", time.Hour, now); !ok || p.TitleVersion != "4.1.5" || p.By != probe.Modules {
		t.Errorf("Seen = %+v, %v", p, ok)
	}
	pages.Record("b", probe.Modules, seiScan(""), now) // a page that shows no version is no evidence
	if _, ok := pages.Seen("b", time.Hour, now); ok {
		t.Error("recorded a page without a version")
	}
	if _, ok := pages.Seen("a", time.Second, now.Add(2*time.Second)); ok {
		t.Error("a page older than maxAge was returned")
	}
	pages.Forget([]string{"a"})
	if pages.Len() != 0 {
		t.Errorf("Forget left %d instances", pages.Len())
	}
	var none *LoggedInPages
	none.Record("a", probe.Modules, seiScan("4.1.5"), now)
	if _, ok := none.Seen("a", time.Hour, now); ok {
		t.Error("a nil store found a page")
	}
}

func seiScan(v string) sei.VersionScan { return sei.VersionScan{TitleVersion: v, AssetSEI: v} }

// The modules probe keeps its SIP session between runs: the first run logs in, the next ones open
// the kept landing page and log in again only when SEI ended the session, when the session is
// older than KeepSession, or when the account changed; every session it lets go is logged out.
func TestModulesKeepsItsSessionBetweenRuns(t *testing.T) {
	in := inst("v415", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1"}, seisim.Module{Name: "mod-sei-pen", Version: "3.8.0"})
	in.Users = []seisim.User{{Login: "monitor", Password: "monitor123", Orgao: "0", Admin: true}, {Login: "auditor", Password: "auditor123", Orgao: "0"}}
	sim := newLoginCounter(t, in)
	target := probe.Target{Name: "v415", URL: sim.url + "/v415", Credentials: monitorCreds()}
	sessions, pages := NewKeptSessions(), NewLoggedInPages()
	mp, err := NewModulesProber(ModulesOptions{Sessions: sessions, KeepSession: time.Hour, LoggedIn: pages})
	if err != nil {
		t.Fatal(err)
	}
	modulesOf := func(r probe.Result) string {
		var b strings.Builder
		for _, m := range r.Modules {
			fmt.Fprintf(&b, "%s %s up=%v; ", m.Name, m.Version, m.Up != nil && *m.Up)
		}
		return b.String()
	}
	check := func(step string, r probe.Result, hits map[string]int, entry, login, logout int, resumed float64) {
		t.Helper()
		if !r.OK || r.State != probe.StateUp {
			t.Fatalf("%s: run failed (state %s): %s", step, r.State, r.Error)
		}
		if hits["entry"] != entry || hits["login"] != login || hits["logout"] != logout {
			t.Errorf("%s: GET /sei/ %d, login POST %d, logout %d; want %d, %d, %d", step, hits["entry"], hits["login"], hits["logout"], entry, login, logout)
		}
		if got := r.Values[ValueSessionResumed]; got != resumed {
			t.Errorf("%s: %s = %v, want %v", step, ValueSessionResumed, got, resumed)
		}
		if r.Values[ValueLoginSuccess] != 1 {
			t.Errorf("%s: %s = %v, want 1", step, ValueLoginSuccess, r.Values[ValueLoginSuccess])
		}
		if sessions.Len() != 1 {
			t.Errorf("%s: %d sessions kept, want 1", step, sessions.Len())
		}
	}

	first, hits := sim.runCounting(t, mp, target)
	check("first run", first, hits, 1, 1, 0, 0)
	want := modulesOf(first)
	if !strings.Contains(want, "mod-sei-pen 3.8.0") || !strings.Contains(want, "mod-wssei 2.2.1") {
		t.Fatalf("first run found %q", want)
	}

	seen := func() LoggedInPage {
		p, ok := pages.Seen("v415", time.Minute, time.Now())
		if !ok {
			t.Fatal("no logged-in page recorded for the version probe")
		}
		return p
	}
	afterLogin := seen()
	if afterLogin.TitleVersion != "4.1.5" {
		t.Fatalf("the landing page after the login shows version %q, want 4.1.5", afterLogin.TitleVersion)
	}

	second, hits := sim.runCounting(t, mp, target)
	check("resumed run", second, hits, 0, 0, 0, 1)
	if got := seen(); !got.At.After(afterLogin.At) || got.Scan() != afterLogin.Scan() {
		t.Errorf("the resumed landing page told the version probe %+v, the one after the login %+v", got, afterLogin)
	}
	if got := modulesOf(second); got != want {
		t.Errorf("resumed run found %q, the run that logged in %q", got, want)
	}

	// SEI ended the session (an administrator, a restart): the run logs in afresh and succeeds.
	sessions.mu.Lock()
	ks := sessions.m["v415"]
	sessions.mu.Unlock()
	if !ks.logout(context.Background()) {
		t.Fatal("logging out the kept session failed")
	}
	third, hits := sim.runCounting(t, mp, target)
	check("after SEI ended the session", third, hits, 1, 1, 0, 0)
	if got := modulesOf(third); got != want {
		t.Errorf("run after a new login found %q, want %q", got, want)
	}

	// Older than KeepSession: logged out, then a new login.
	short, err := NewModulesProber(ModulesOptions{Sessions: sessions, KeepSession: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	r, hits := sim.runCounting(t, short, target)
	check("session older than keep_session", r, hits, 1, 1, 1, 0)

	// Another account: the old account's session is logged out, not resumed.
	other := target
	other.Credentials.Username = "auditor"
	other.Credentials.Password = "auditor123"
	r, hits = sim.runCounting(t, mp, other)
	check("account changed", r, hits, 1, 1, 1, 0)

	// At shutdown every kept session is logged out.
	sim.mu.Lock()
	clear(sim.hits)
	sim.mu.Unlock()
	if n := sessions.Logout(context.Background(), nil, 4); n != 1 {
		t.Errorf("Logout of every session logged out %d, want 1", n)
	}
	if got := sim.counts()["logout"]; got != 1 || sessions.Len() != 0 {
		t.Errorf("after Logout: %d logouts reached SEI, %d sessions kept; want 1, 0", got, sessions.Len())
	}
}

// A kept session does not hide an outage or maintenance: the resumed landing page is the run's
// main request and judged like the entry.
func TestModulesKeptSessionMeetsMaintenanceAndOutage(t *testing.T) {
	sim := newLoginCounter(t, inst("v415", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1"}))
	target := probe.Target{Name: "v415", URL: sim.url + "/v415", Credentials: monitorCreds()}
	sessions := NewKeptSessions()
	if _, err := NewModulesProber(ModulesOptions{Sessions: sessions}); err == nil {
		t.Fatal("keeping sessions without KeepSession accepted")
	}
	mp, err := NewModulesProber(ModulesOptions{Sessions: sessions, KeepSession: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := sim.runCounting(t, mp, target); !r.OK {
		t.Fatalf("first run failed: %s", r.Error)
	}
	for _, tc := range []struct {
		name   string
		faults seisim.Faults
		state  string
	}{
		{"maintenance", seisim.Faults{Maintenance: true}, probe.StateMaintenance},
		{"HTTP 500", seisim.Faults{Status500: true}, probe.StateDown},
	} {
		if err := sim.sim.SetFaults("v415", tc.faults); err != nil {
			t.Fatal(err)
		}
		r, _ := sim.runCounting(t, mp, target)
		if r.OK || r.State != tc.state {
			t.Errorf("%s: OK %v, state %q (%s); want failed, %q", tc.name, r.OK, r.State, r.Error, tc.state)
		}
		if err := sim.sim.SetFaults("v415", seisim.Faults{}); err != nil {
			t.Fatal(err)
		}
		if r, _ := sim.runCounting(t, mp, target); !r.OK {
			t.Errorf("%s: the run after the fault failed: %s", tc.name, r.Error)
		}
	}
}

// The synthetic probe records its landing page for the version probe only when no recent one is
// there: the modules probe records one every run, and scanning the page twice is wasted.
func TestSyntheticRecordsALandingPageOnlyWhenNoneIsRecent(t *testing.T) {
	sim := newLoginCounter(t, inst("v415", "4.1.5"))
	target := probe.Target{Name: "v415", URL: sim.url + "/v415", Credentials: monitorCreds()}
	pages := NewLoggedInPages()
	sp, err := NewSyntheticProber(SyntheticOptions{LoggedIn: pages, Search: "00000.000001/2024-00"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		before time.Duration // age of the page the modules probe recorded; 0: none
		wantBy string
	}{
		{"none recorded", 0, probe.Synthetic},
		{"recent page", time.Minute, probe.Modules},
		{"page about to age out", loggedInFresh + time.Minute, probe.Synthetic},
	} {
		pages.Forget([]string{"v415"})
		at := time.Now().Add(-tc.before)
		if tc.before > 0 {
			pages.Record("v415", probe.Modules, seiScan("4.1.5"), at)
		}
		if r, _ := sim.runCounting(t, sp, target); !r.OK {
			t.Fatalf("%s: synthetic failed: %s", tc.name, r.Error)
		}
		seen, ok := pages.Seen("v415", DefaultLoggedInMaxAge, time.Now())
		if !ok || seen.By != tc.wantBy || (tc.wantBy == probe.Modules && !seen.At.Equal(at)) {
			t.Errorf("%s: recorded %+v (%v), want a page by %s", tc.name, seen, ok, tc.wantBy)
		}
	}
}

// mod-wssei's /versao and /orgao/listar are asked once per instance and round: the modules probe
// reads what the version and health probes got a moment before, and finds the same; a failure,
// an answer too old or one from another URL is not passed on.
func TestModulesReadsTheWSSEIAnswersOtherProbesGot(t *testing.T) {
	sim := newLoginCounter(t,
		inst("ok415", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1"}),
		inst("inactive", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1", Inactive: true}),
		inst("incompatible", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1", Broken: true}),
		inst("none", "5.0.3"), inst("dberror", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1"}))
	sim.fail = func(r *http.Request) bool { // the database behind mod-wssei of dberror is down
		return strings.HasPrefix(r.URL.Path, "/dberror/") && strings.HasSuffix(r.URL.Path, "/orgao/listar")
	}
	target := func(name string) probe.Target {
		return probe.Target{Name: name, URL: sim.url + "/" + name, Credentials: monitorCreds()}
	}
	answers := NewSharedAnswers()
	health, err := NewHealthProber(HealthOptions{Shared: answers})
	if err != nil {
		t.Fatal(err)
	}
	version, err := NewVersionProber(VersionOptions{Shared: answers})
	if err != nil {
		t.Fatal(err)
	}
	sharing, err := NewModulesProber(ModulesOptions{Shared: answers})
	if err != nil {
		t.Fatal(err)
	}
	alone, err := NewModulesProber(ModulesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name                   string
		wantVersao, wantOrgaos int // the modules run's own requests
	}{
		{"ok415", 0, 0},
		{"inactive", 0, 0},
		{"incompatible", 0, 0},
		{"none", 0, 0},
		{"dberror", 0, 1}, // /orgao/listar failed for health: the modules probe sees it for itself
	} {
		tg := target(tc.name)
		_, hh := sim.runCounting(t, health, tg)
		_, vh := sim.runCounting(t, version, tg)
		if hh["wssei_orgaos"] != 1 || vh["wssei_versao"] != 1 {
			t.Fatalf("%s: health asked /orgao/listar %d times, version /versao %d times", tc.name, hh["wssei_orgaos"], vh["wssei_versao"])
		}
		shared, sh := sim.runCounting(t, sharing, tg)
		if sh["wssei_versao"] != tc.wantVersao || sh["wssei_orgaos"] != tc.wantOrgaos {
			t.Errorf("%s: the modules run asked /versao %d and /orgao/listar %d times, want %d and %d",
				tc.name, sh["wssei_versao"], sh["wssei_orgaos"], tc.wantVersao, tc.wantOrgaos)
		}
		own, oh := sim.runCounting(t, alone, tg)
		if oh["wssei_versao"] != 1 {
			t.Errorf("%s: a modules probe without shared answers asked /versao %d times", tc.name, oh["wssei_versao"])
		}
		got, _ := moduleOf(shared, "mod-wssei")
		want, _ := moduleOf(own, "mod-wssei")
		if fmt.Sprint(got.Version, ptrStr(got.Up), got.Detail) != fmt.Sprint(want.Version, ptrStr(want.Up), want.Detail) {
			t.Errorf("%s: with shared answers mod-wssei is %+v (up %s), asking itself %+v (up %s)", tc.name, got, ptrStr(got.Up), want, ptrStr(want.Up))
		}
	}

	// Too old, or from the URL the instance had before a reload: asked again.
	tg := target("ok415")
	sim.runCounting(t, health, tg)
	sim.runCounting(t, version, tg)
	answers.mu.Lock()
	a := answers.m["ok415"]
	a.versaoAt = a.versaoAt.Add(-SharedAnswerMaxAge - time.Second)
	a.orgaosAt = a.orgaosAt.Add(-SharedAnswerMaxAge - time.Second)
	answers.mu.Unlock()
	if _, h := sim.runCounting(t, sharing, tg); h["wssei_versao"] != 1 || h["wssei_orgaos"] != 1 {
		t.Errorf("stale answers: the modules run asked /versao %d and /orgao/listar %d times, want 1 and 1", h["wssei_versao"], h["wssei_orgaos"])
	}
	sim.runCounting(t, health, tg)
	sim.runCounting(t, version, tg)
	moved := tg
	moved.URL = sim.url + "/ok415/" // another URL for the same name
	if _, h := sim.runCounting(t, sharing, moved); h["wssei_versao"] != 1 {
		t.Errorf("moved instance: the modules run asked /versao %d times, want 1", h["wssei_versao"])
	}
	answers.Forget([]string{"ok415", "inactive", "incompatible", "none", "dberror"})
	if n := len(answers.m); n != 0 {
		t.Errorf("Forget left %d instances", n)
	}
}

func ptrStr(b *bool) string {
	if b == nil {
		return "nil"
	}
	return fmt.Sprint(*b)
}

// The version probe reads the entry the health probe found healthy a moment ago instead of opening
// /sei/ and SIP's login page again, and finds the same as when it opens them itself. It opens its
// own when it must log in from it, when the health probe found no login form, and when the entry is
// stale, from another URL or fetched by a client with other settings.
func TestVersionReadsTheEntryTheHealthProbeFoundHealthy(t *testing.T) {
	prodOff := inst("prodoff", "4.0.12")
	prodOff.Producao = false
	maint := inst("maint", "4.1.5")
	maint.Faults.Maintenance = true
	sim := newLoginCounter(t, inst("v415", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1"}),
		inst("v3011", "3.0.11"), prodOff, maint)
	target := func(name string) probe.Target { return probe.Target{Name: name, URL: sim.url + "/" + name} }

	answers := NewSharedAnswers()
	health, err := NewHealthProber(HealthOptions{Shared: answers})
	if err != nil {
		t.Fatal(err)
	}
	sharing, err := NewVersionProber(VersionOptions{Shared: answers})
	if err != nil {
		t.Fatal(err)
	}
	alone, err := NewVersionProber(VersionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"v415", "v3011", "prodoff"} {
		tg := target(name)
		hr, _ := sim.runCounting(t, health, tg)
		if hr.State != probe.StateUp {
			t.Fatalf("%s: health found %s: %s", name, hr.State, hr.Error)
		}
		r, h := sim.runCounting(t, sharing, tg)
		if h["entry"] != 0 || h["login_page"] != 0 {
			t.Errorf("%s: the version run opened /sei/ %d and the login page %d times after the health run, want 0", name, h["entry"], h["login_page"])
		}
		own, oh := sim.runCounting(t, alone, tg)
		if oh["entry"] != 1 || oh["login_page"] != 1 {
			t.Fatalf("%s: a version probe alone opened /sei/ %d and the login page %d times", name, oh["entry"], oh["login_page"])
		}
		if fmt.Sprint(r.OK, r.State, r.Versions) != fmt.Sprint(own.OK, own.State, own.Versions) {
			t.Errorf("%s: reading the health run's entry found %v %s %+v, opening it %v %s %+v", name, r.OK, r.State, r.Versions, own.OK, own.State, own.Versions)
		}
		if h["wssei_v1"] != oh["wssei_v1"] {
			t.Errorf("%s: mod-wssei v1 asked %d times reading the entry, %d opening it", name, h["wssei_v1"], oh["wssei_v1"])
		}
		for _, v := range []string{ValueProductionMode, ValueHTTPStatusCode, ValueRedirects} {
			if r.Values[v] != own.Values[v] {
				t.Errorf("%s: %s is %v reading the entry, %v opening it", name, v, r.Values[v], own.Values[v])
			}
		}
		if r.Values[ValueContentLength] != hr.Values[ValueContentLength] || r.Values[ValueTimeToFirstByte] != hr.Values[ValueTimeToFirstByte] {
			t.Errorf("%s: the entry's length and first byte are %v and %v, the health run's %v and %v", name,
				r.Values[ValueContentLength], r.Values[ValueTimeToFirstByte], hr.Values[ValueContentLength], hr.Values[ValueTimeToFirstByte])
		}
		if fmt.Sprint(r.Phases) != fmt.Sprint(hr.Phases) {
			t.Errorf("%s: phases %v, the health run's entry %v", name, r.Phases, hr.Phases)
		}
		if age, ok := r.Values[ValueEntryAge]; !ok || age < 0 || age > SharedAnswerMaxAge.Seconds() {
			t.Errorf("%s: entry_age_seconds = %v, %v", name, age, ok)
		}
		if _, ok := own.Values[ValueEntryAge]; ok {
			t.Errorf("%s: a run that opened its entry reports entry_age_seconds", name)
		}
	}

	opensOwn := func(t *testing.T, p Prober, tg probe.Target, what string) probe.Result {
		t.Helper()
		r, h := sim.runCounting(t, p, tg)
		if h["entry"] != 1 {
			t.Errorf("%s: the version run opened /sei/ %d times, want 1", what, h["entry"])
		}
		if _, ok := r.Values[ValueEntryAge]; ok {
			t.Errorf("%s: the version run reports entry_age_seconds", what)
		}
		return r
	}
	t.Run("maintenance is not shared", func(t *testing.T) {
		sim.runCounting(t, health, target("maint"))
		if r := opensOwn(t, sharing, target("maint"), "maintenance"); r.State != probe.StateMaintenance {
			t.Errorf("version on an instance in maintenance: %s", r.State)
		}
	})
	t.Run("a login needs its own entry", func(t *testing.T) {
		pages := NewLoggedInPages()
		vp, _ := NewVersionProber(VersionOptions{Shared: answers, LoggedIn: pages})
		tg := target("v415")
		tg.Credentials = monitorCreds()
		sim.runCounting(t, health, tg)
		if r := opensOwn(t, vp, tg, "no logged-in page"); r.Values[ValueLoginSuccess] != 1 {
			t.Errorf("version did not log in: %s", r.Error)
		}
		// With a logged-in page another probe saw, no login: the health run's entry serves.
		pages.Record("v415", probe.Modules, sei.VersionScan{TitleVersion: "4.1.5"}, time.Now())
		sim.runCounting(t, health, tg)
		if _, h := sim.runCounting(t, vp, tg); h["entry"] != 0 || h["login"] != 0 {
			t.Errorf("with a logged-in page: /sei/ opened %d times and %d logins, want 0 and 0", h["entry"], h["login"])
		}
	})
	t.Run("stale", func(t *testing.T) {
		sim.runCounting(t, health, target("v415"))
		answers.mu.Lock()
		answers.m["v415"].entryAt = answers.m["v415"].entryAt.Add(-SharedAnswerMaxAge - time.Second)
		answers.mu.Unlock()
		opensOwn(t, sharing, target("v415"), "stale entry")
	})
	t.Run("moved", func(t *testing.T) {
		sim.runCounting(t, health, target("v415"))
		moved := target("v415")
		moved.URL += "/"
		opensOwn(t, sharing, moved, "moved instance")
	})
	t.Run("other client settings", func(t *testing.T) {
		other, _ := NewVersionProber(VersionOptions{Shared: answers, Client: sei.ClientOptions{UserAgent: "outro/1.0"}})
		sim.runCounting(t, health, target("v415"))
		opensOwn(t, other, target("v415"), "another User-Agent")
	})
}
