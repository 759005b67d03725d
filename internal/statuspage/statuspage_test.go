package statuspage

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/internal/latest"
)

var (
	smallOnce sync.Once
	small     *fixture
)

// sharedSmall probes the small fleet once for the read-only tests of this file.
func sharedSmall(t *testing.T) *fixture {
	t.Helper()
	smallOnce.Do(func() { small = newFixture(&onceTB{T: t}, smallFleet()) })
	if small == nil {
		t.Fatal("fixture setup failed in an earlier test")
	}
	return small
}

// onceTB lets the shared fixture outlive the test that built it: its cleanups never run (the
// process ends with the tests).
type onceTB struct{ *testing.T }

func (o *onceTB) Cleanup(func()) {}

func newPage(t *testing.T, fx *fixture, o Options) *Page {
	t.Helper()
	o.Fleet = fx.latest
	if o.Alerts == nil {
		o.Alerts = fx.alerts
	}
	o.Logger = quiet()
	p, err := New(o)
	must(t, err)
	return p
}

type response struct {
	status int
	header http.Header
	body   string
	doc    *goquery.Document
}

func get(t *testing.T, h http.Handler, target string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := response{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
	if strings.HasPrefix(res.header.Get("Content-Type"), "text/html") {
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(res.body))
		must(t, err)
		res.doc = doc
	}
	return res
}

// rowNames lists the instance names of the fleet table, in order.
func rowNames(doc *goquery.Document) []string {
	var out []string
	doc.Find("table.frota tbody tr th[scope=row]").Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.TrimSpace(s.Text()))
	})
	return out
}

func rowOf(doc *goquery.Document, name string) *goquery.Selection {
	return doc.Find("table.frota tbody tr").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.TrimSpace(s.Find("th[scope=row]").Text()) == name
	})
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestFleetPageShowsEachInstanceState(t *testing.T) {
	fx := sharedSmall(t)
	p := newPage(t, fx, Options{})
	res := get(t, p.Handler(), "/")
	if res.status != http.StatusOK {
		t.Fatalf("GET /: %d\n%s", res.status, res.body)
	}
	if got := rowNames(res.doc); len(got) != len(fx.targets) {
		t.Fatalf("fleet table has %d rows, want %d: %v", len(got), len(fx.targets), got)
	}
	tests := []struct {
		instance, state, label string
		contains               []string
	}{
		{"mgi-prod", "ok", "Operando", []string{"5.0.3", "em dia", "OK em", "entry", "login", "logout", "Nenhum"}},
		{"mgi-fora", "falha", "Falha", []string{"Fora do ar: HTTP 500", "Falhou em entry", "crítico"}},
		{"cade-manut", "manutencao", "Manutenção", []string{"Página de manutenção ativa"}},
		{"anac-antigo", "atencao", "Atenção", []string{"4.0.1", "major", "última 5.0.3"}},
	}
	for _, tt := range tests {
		t.Run(tt.instance, func(t *testing.T) {
			row := rowOf(res.doc, tt.instance)
			if row.Length() != 1 {
				t.Fatalf("no row for %s", tt.instance)
			}
			if !row.HasClass("st-" + tt.state) {
				t.Errorf("row class %q, want st-%s", row.AttrOr("class", ""), tt.state)
			}
			badge := row.Find(".estado")
			// State is text plus icon, never colour alone.
			if got := strings.TrimSpace(badge.Text()); got != tt.label {
				t.Errorf("state text %q, want %q", got, tt.label)
			}
			if badge.Find("svg use").AttrOr("href", "") == "" {
				t.Errorf("state of %s has no icon", tt.instance)
			}
			text := squash(row.Text())
			for _, c := range tt.contains {
				if !strings.Contains(text, c) {
					t.Errorf("row lacks %q: %s", c, text)
				}
			}
		})
	}
	// The summary counts agree with the rows.
	failCard := squash(res.doc.Find(".resumo a.cartao.st-falha").Text())
	if !strings.HasPrefix(failCard, "1 Falha") {
		t.Errorf("failure card %q, want 1 Falha", failCard)
	}
	alertCard := squash(res.doc.Find(".resumo a.cartao.alertas").Text())
	if !strings.Contains(alertCard, "1 crítico") || strings.HasPrefix(alertCard, "0 ") {
		t.Errorf("alert card %q should count the firing alerts", alertCard)
	}
	// The owner × environment grid links to the filtered table.
	if res.doc.Find(`#grade a[href="?orgao=MGI&ambiente=prod"]`).Length() != 1 {
		t.Errorf("grid lacks the MGI/prod cell link")
	}
}

func TestFleetFiltersAndPaging(t *testing.T) {
	fx := sharedSmall(t)
	h := newPage(t, fx, Options{}).Handler()
	all := rowNames(get(t, h, "/").doc)
	tests := []struct {
		query string
		want  func(name string) bool
	}{
		{"orgao=MGI", func(n string) bool { return n == "mgi-prod" || n == "mgi-fora" }},
		{"estado=falha", func(n string) bool { return n == "mgi-fora" }},
		{"estado=manutencao", func(n string) bool { return n == "cade-manut" }},
		{"q=MANUT", func(n string) bool { return n == "cade-manut" }},
		{"q=4.0.1", func(n string) bool { return fx.seiVersion(n) == "4.0.1" }},
		{"orgao=MGI&estado=ok", func(n string) bool { return n == "mgi-prod" }},
		{"orgao=ninguem", func(string) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res := get(t, h, "/?"+tt.query)
			var want []string
			for _, n := range all {
				if tt.want(n) {
					want = append(want, n)
				}
			}
			got := rowNames(res.doc)
			if !slices.Equal(got, want) {
				t.Errorf("rows %v, want %v", got, want)
			}
			if len(want) == 0 && !strings.Contains(res.doc.Find("table.frota").Text(), "Nenhuma instância corresponde aos filtros") {
				t.Errorf("empty result does not say so")
			}
			// The form shows the filter that is applied.
			q, _ := url.ParseQuery(tt.query)
			if o := q.Get("orgao"); o != "" && o != "ninguem" {
				if got := res.doc.Find("#f-orgao option[selected]").AttrOr("value", ""); got != o {
					t.Errorf("owner select shows %q, want %q", got, o)
				}
			}
		})
	}

	t.Run("alerted", func(t *testing.T) {
		got := rowNames(get(t, h, "/?estado=com-alerta").doc)
		for _, n := range []string{"mgi-fora", "cade-manut", "anac-antigo"} {
			if !slices.Contains(got, n) {
				t.Errorf("instances with a firing alert %v lack %s", got, n)
			}
		}
		if slices.Contains(got, "mgi-prod") {
			t.Errorf("mgi-prod has no alert but is listed: %v", got)
		}
	})

	t.Run("sort by state puts failures first", func(t *testing.T) {
		got := rowNames(get(t, h, "/?ordem=estado").doc)
		if len(got) == 0 || got[0] != "mgi-fora" {
			t.Errorf("first row %v, want mgi-fora", got)
		}
	})

	t.Run("pages", func(t *testing.T) {
		ph := newPage(t, fx, Options{PageSize: 5}).Handler()
		sorted := rowNames(get(t, ph, "/?ordem=nome&por=500").doc)
		if !sort.StringsAreSorted(sorted) || len(sorted) != len(fx.targets) {
			t.Fatalf("name order wrong: %v", sorted)
		}
		var seen []string
		for page := 1; page <= 3; page++ {
			res := get(t, ph, "/?ordem=nome&pagina="+string(rune('0'+page)))
			names := rowNames(res.doc)
			seen = append(seen, names...)
			next := res.doc.Find(`nav.paginas a[rel=next]`)
			if (page < 3) != (next.Length() == 1) {
				t.Errorf("page %d: next link present=%v", page, next.Length() == 1)
			}
			cur := strings.TrimSpace(res.doc.Find(`nav.paginas a[aria-current=page]`).Text())
			if cur != "Página "+string(rune('0'+page)) {
				t.Errorf("page %d: current page link says %q", page, cur)
			}
		}
		if !slices.Equal(seen, sorted) {
			t.Errorf("pages 1-3 list %v, want every instance once: %v", seen, sorted)
		}
		// A page past the end shows the last one instead of an empty table.
		if got := rowNames(get(t, ph, "/?ordem=nome&pagina=99").doc); !slices.Equal(got, sorted[10:]) {
			t.Errorf("page 99 shows %v, want the last page %v", got, sorted[10:])
		}
	})
}

func TestInstancePageShowsFailingStepAlertAndSilence(t *testing.T) {
	fx := newFixture(t, smallFleet())
	// The test adds a silence and looks at once: no cached fleet model.
	p := newPage(t, fx, Options{CacheTTL: -1})
	h := p.Handler()

	res := get(t, h, "/instancias/mgi-fora")
	if res.status != http.StatusOK {
		t.Fatalf("status %d", res.status)
	}
	text := squash(res.doc.Find("#dados").Text())
	for _, want := range []string{
		"Por que “Falha”", "Fora do ar: HTTP 500",
		"SEIDown", "crítico", "disparado", "Instância SEI mgi-fora fora do ar",
		"Transação sintética", "entry", "Falhou",
		"Evidência da falha", "Fatal error",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("instance page lacks %q", want)
		}
	}
	if got := res.doc.Find("article.evidencia dt:contains('Status HTTP') + dd").Text(); got != "500" {
		t.Errorf("evidence status %q, want 500", got)
	}
	// The failing step's row is marked, and its evidence names it.
	if res.doc.Find("table.passos-tabela tr.falhou th").First().Text() != "entry" {
		t.Errorf("failing step row not marked")
	}
	if !strings.Contains(res.doc.Find("article.evidencia h3").Text(), "passo entry") {
		t.Errorf("evidence does not name the failing step: %q", res.doc.Find("article.evidencia h3").Text())
	}
	// Evidence is shown as the probe recorded it: never the monitoring password.
	if strings.Contains(res.body, "monitor123") {
		t.Errorf("page shows the monitoring password")
	}

	// A silence for the instance is listed on its page and marks its alerts.
	id, err := fx.alerts.AddSilence(alerting.Silence{Match: map[string]string{"instance": "mgi-fora"},
		EndsAt: time.Now().Add(time.Hour), Comment: "troca do banco", CreatedBy: "ana"})
	must(t, err)
	res = get(t, h, "/instancias/mgi-fora")
	sil := squash(res.doc.Find("table.silencios").Text())
	for _, want := range []string{`instance="mgi-fora"`, "ativo", "troca do banco", "ana", id} {
		if !strings.Contains(sil, want) {
			t.Errorf("silence table lacks %q: %s", want, sil)
		}
	}
	if !strings.Contains(squash(res.doc.Find("table.alertas").Text()), "silenciado") {
		t.Errorf("silenced alert not marked")
	}
	// ... and not on an unrelated instance's page.
	if other := get(t, h, "/instancias/mgi-prod"); other.doc.Find("table.silencios").Length() != 0 {
		t.Errorf("mgi-prod lists a silence for mgi-fora")
	}
	// The fleet row says its alerts are silenced and the instance no longer counts as failing
	// because of them (the probes still say it is down).
	row := squash(rowOf(get(t, h, "/").doc, "mgi-fora").Text())
	if !strings.Contains(row, "silenciado") || !strings.Contains(row, "Falha") {
		t.Errorf("fleet row %q", row)
	}

	res = get(t, h, "/instancias/nao-existe")
	if res.status != http.StatusNotFound || !strings.Contains(res.body, "Instância não encontrada") {
		t.Errorf("unknown instance: %d %s", res.status, res.body)
	}
}

func TestAlertsPageListsAlertsAndSilences(t *testing.T) {
	fx := sharedSmall(t)
	h := newPage(t, fx, Options{}).Handler()
	res := get(t, h, "/alertas")
	names := map[string]bool{}
	res.doc.Find("table.alertas tbody tr").Each(func(_ int, s *goquery.Selection) {
		names[strings.TrimSpace(s.Find("th").Contents().First().Text())+"/"+strings.TrimSpace(s.Find("td a").Text())] = true
	})
	for _, want := range []string{"SEIDown/mgi-fora", "SEISyntheticFailed/mgi-fora", "SEIMaintenance/cade-manut", "SEIVersionDrift/anac-antigo"} {
		if !names[want] {
			t.Errorf("alerts page lacks %s; has %v", want, names)
		}
	}
	// Critical first.
	first := res.doc.Find("table.alertas tbody tr").First()
	if !first.HasClass("sev-critical") {
		t.Errorf("first alert is %q, want a critical one", first.AttrOr("class", ""))
	}
	crit := get(t, h, "/alertas?severidade=warning")
	crit.doc.Find("table.alertas tbody tr").Each(func(_ int, s *goquery.Selection) {
		if !s.HasClass("sev-warning") {
			t.Errorf("severity filter let %q through", s.AttrOr("class", ""))
		}
	})
}

func TestPageIsSelfContainedAndSafe(t *testing.T) {
	l := latest.New()
	evil := probe.Target{Name: "x-evil", URL: "https://user:senha@evil.exemplo/?token=abc", Owner: `<b>MGI</b>`, Environment: `prod"><script>alert(1)</script>`,
		Labels: map[string]string{"nota": `<img src=x onerror=alert(2)>`}}
	l.SetTargets([]probe.Target{evil})
	r := probe.Result{Target: evil, Probe: probe.Health, Start: time.Now(), Duration: 20 * time.Millisecond,
		Error: `<script>alert(3)</script>`, State: probe.StateDown,
		Evidence: &probe.Evidence{Step: "entry", URL: "https://evil.exemplo/sei/", Status: 500, Excerpt: `</pre><script>alert(4)</script>`}}
	l.HandleResult(r)
	p, err := New(Options{Fleet: l, Logger: quiet()})
	must(t, err)
	h := p.Handler()
	for _, path := range []string{"/", "/instancias/x-evil", "/alertas", "/?q=%3Cscript%3E"} {
		res := get(t, h, path)
		if res.status >= 400 {
			t.Fatalf("%s: %d", path, res.status)
		}
		if strings.Contains(res.body, "<script>alert") || strings.Contains(res.body, "<img src=x") || strings.Contains(res.body, "<b>MGI") {
			t.Errorf("%s: unescaped input in the page", path)
		}
		if strings.Contains(res.body, "senha") || strings.Contains(res.body, "token=abc") {
			t.Errorf("%s: credentials of the instance URL shown", path)
		}
		policy := res.header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(policy, want) {
				t.Errorf("%s: CSP %q lacks %q", path, policy, want)
			}
		}
		if strings.Contains(policy, "http") || strings.Contains(policy, "unsafe") {
			t.Errorf("%s: CSP allows another origin or inline code: %q", path, policy)
		}
		// Every resource the page loads is its own: no CDN, so it works on an isolated network.
		res.doc.Find("[src], link[href], use[href]").Each(func(_ int, s *goquery.Selection) {
			ref := s.AttrOr("src", s.AttrOr("href", ""))
			if !strings.HasPrefix(ref, "/") && !strings.HasPrefix(ref, "#") {
				t.Errorf("%s: loads %q from outside vigia", path, ref)
			}
		})
		if n := res.doc.Find("script:not([src]), [style], [onclick], [onload]").Length(); n != 0 {
			t.Errorf("%s: %d inline scripts or styles (the CSP would block them)", path, n)
		}
	}
	res := get(t, h, "/")
	if !strings.Contains(res.body, "Alertas não configurados") {
		t.Errorf("without an alert source the page should say alerting is off")
	}
}

func TestAssetsAreEmbeddedCachedAndCompressed(t *testing.T) {
	l := latest.New()
	p, err := New(Options{Fleet: l, Logger: quiet()})
	must(t, err)
	h := p.Handler()
	page := get(t, h, "/")
	css := page.doc.Find(`link[rel=stylesheet]`).AttrOr("href", "")
	js := page.doc.Find(`script[src]`).AttrOr("src", "")
	for _, tt := range []struct{ ref, ctype, contains string }{
		{css, "text/css", ".estado"},
		{js, "javascript", "data-refresh"},
	} {
		req := httptest.NewRequest(http.MethodGet, tt.ref, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Type"), tt.ctype) || rec.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s: %d %v", tt.ref, rec.Code, rec.Header())
		}
		zr, err := gzip.NewReader(rec.Body)
		must(t, err)
		body, _ := io.ReadAll(zr)
		if !strings.Contains(string(body), tt.contains) {
			t.Errorf("%s: body lacks %q", tt.ref, tt.contains)
		}
		if !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
			t.Errorf("%s: versioned asset not cacheable", tt.ref)
		}
		req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotModified {
			t.Errorf("%s with its ETag: %d, want 304", tt.ref, rec.Code)
		}
	}
	if res := get(t, h, "/assets/nao-existe.js"); res.status != http.StatusNotFound {
		t.Errorf("unknown asset: %d", res.status)
	}
}

func TestBasePathPrefixesEveryLink(t *testing.T) {
	fx := sharedSmall(t)
	p := newPage(t, fx, Options{BasePath: "/vigia/"})
	h := p.Handler()
	if res := get(t, h, "/"); res.status != http.StatusNotFound {
		t.Errorf("root served under a base path: %d", res.status)
	}
	res := get(t, h, "/vigia/")
	if res.status != 200 {
		t.Fatalf("GET /vigia/: %d", res.status)
	}
	res.doc.Find("a[href^='/'], link[href], script[src]").Each(func(_ int, s *goquery.Selection) {
		ref := s.AttrOr("href", s.AttrOr("src", ""))
		if !strings.HasPrefix(ref, "/vigia/") {
			t.Errorf("link %q ignores the base path", ref)
		}
	})
	if get(t, h, "/vigia/instancias/mgi-prod").status != 200 {
		t.Errorf("instance page not under the base path")
	}
}

func TestFleetModelIsReusedForCacheTTL(t *testing.T) {
	l := latest.New()
	tg := probe.Target{Name: "a", URL: "https://a.exemplo", Owner: "MGI", Environment: "prod"}
	l.SetTargets([]probe.Target{tg})
	l.HandleResult(probe.Result{Target: tg, Probe: probe.Health, OK: true, State: probe.StateUp, Start: time.Now()})
	now := time.Now()
	p, err := New(Options{Fleet: l, Logger: quiet(), CacheTTL: time.Minute, Now: func() time.Time { return now }})
	must(t, err)
	h := p.Handler()
	state := func() string { return strings.TrimSpace(rowOf(get(t, h, "/").doc, "a").Find(".estado").Text()) }
	if got := state(); got != "Operando" {
		t.Fatalf("state %q", got)
	}
	// Concurrent requests share the model (run with -race).
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/?q=a", nil))
			if rec.Code != http.StatusOK {
				t.Errorf("concurrent GET: %d", rec.Code)
			}
		}()
	}
	wg.Wait()
	l.HandleResult(probe.Result{Target: tg, Probe: probe.Health, Error: "HTTP status 500", State: probe.StateDown, Start: time.Now()})
	now = now.Add(30 * time.Second)
	if got := state(); got != "Operando" {
		t.Errorf("within the TTL the page rebuilt its model: %q", got)
	}
	// The instance page reads its own results fresh.
	if got := strings.TrimSpace(get(t, h, "/instancias/a").doc.Find("h1 .estado").Text()); got != "Falha" {
		t.Errorf("instance page state %q, want Falha", got)
	}
	now = now.Add(31 * time.Second)
	if got := state(); got != "Falha" {
		t.Errorf("after the TTL the page still shows %q", got)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Error("New without a fleet source succeeded")
	}
	if _, err := New(Options{Fleet: latest.New(), BasePath: "vigia"}); err == nil {
		t.Error("relative base path accepted")
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct{ got, want string }{
		{seconds(0.0123), "12 ms"},
		{seconds(1.234), "1,23 s"},
		{seconds(12.34), "12,3 s"},
		{seconds(123.4), "123 s"},
		{thousands(10000), "10.000"},
		{thousands(999), "999"},
		{thousands(1234567), "1.234.567"},
		{durationText(90 * time.Minute), "1 h 30 min"},
		{durationText(2 * time.Hour), "2 h"},
		{ago(time.Unix(100, 0), time.Unix(40, 0)), "há 1 min"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
