package seisim

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

const testUA = "vigia-test/1.0"

// testFleet is one instance per interesting configuration.
func testFleet() Fleet {
	return Fleet{Seed: 1, Instances: []Instance{
		{Name: "orgao-0001", Org: "ABC", SEIVersion: "4.1.5", SIPVersion: "3.1.5", InfraVersion: "2.29.0", Producao: true,
			Modules: []Module{{Name: "mod-wssei", Version: "2.2.1"}, {Name: "mod-sei-pen", Version: "3.8.2"}, {Name: "peticionamento", Version: "4.1.2"}},
			Users:   []User{{Login: "monitor", Password: "monitor123", Orgao: "0", Admin: true}, {Login: "comum", Password: "comum123", Orgao: "0"}}},
		{Name: "orgao-0002", Org: "XYZ", SEIVersion: "4.0.1", SIPVersion: "3.0.0", InfraVersion: "1.583.4", Producao: false},
		{Name: "orgao-0003", Org: "OLD", SEIVersion: "3.0.11", SIPVersion: "2.0.4", InfraVersion: "1.466", Producao: true,
			Modules: []Module{{Name: "mod-wssei", Version: "0.7.12"}}},
		{Name: "orgao-0004", Org: "NEW", SEIVersion: "5.0.3", SIPVersion: "3.2.3", InfraVersion: "2.41.1", Producao: true,
			Modules: []Module{{Name: "mod-wssei", Version: "3.0.1", Inactive: true}}},
		{Name: "orgao-0005", Org: "BRK", SEIVersion: "5.0.0", SIPVersion: "3.2.0", InfraVersion: "2.30.0", Producao: true,
			Modules: []Module{{Name: "mod-wssei", Version: "3.0.0", Broken: true}, {Name: "peticionamento", Version: "4.3.0", Broken: true}}},
	}}
}

type env struct {
	t   *testing.T
	sim *Server
	ts  *httptest.Server
}

func newEnv(t *testing.T, f Fleet, opts Options) *env {
	t.Helper()
	sim := New(f, opts)
	ts := httptest.NewServer(sim.Handler())
	t.Cleanup(ts.Close)
	return &env{t: t, sim: sim, ts: ts}
}

func (e *env) base(name string) string { return e.ts.URL + "/" + name }

// browser is a client with a cookie jar that does not follow redirects, so each hop is checked.
type browser struct {
	t  testing.TB
	c  *http.Client
	ua string
}

func newBrowser(t testing.TB) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ua: testUA, c: &http.Client{
		Jar:     jar,
		Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

type resp struct {
	*http.Response
	body []byte
}

func (r *resp) text() string { return fromLatin1(string(r.body)) }

func (r *resp) doc(t testing.TB) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(r.text()))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (b *browser) do(method, u string, form url.Values) *resp {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("User-Agent", b.ua)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return &resp{Response: res, body: data}
}

func (b *browser) get(u string) *resp { return b.do(http.MethodGet, u, nil) }

// follow resolves a response's Location against its request URL.
func follow(t testing.TB, r *resp) string {
	t.Helper()
	loc, err := r.Location()
	if err != nil {
		t.Fatalf("no Location on %d response to %s: %v", r.StatusCode, r.Request.URL, err)
	}
	return loc.String()
}

func expectStatus(t testing.TB, r *resp, want int) {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body: %.300s", r.Request.Method, r.Request.URL, r.StatusCode, want, r.text())
	}
}

// resolve makes an href found in a page absolute.
func resolve(t testing.TB, page *resp, href string) string {
	t.Helper()
	u, err := page.Request.URL.Parse(href)
	if err != nil {
		t.Fatal(err)
	}
	return u.String()
}

// loginForm fills the SIP login form the way a browser (and vigia) does: every input with its
// value, then the credentials; acao is the hdnAcao value.
func loginForm(t testing.TB, page *resp, user, pass, orgao, acao string) (string, url.Values) {
	t.Helper()
	d := page.doc(t)
	form := d.Find(`form[name="frmLogin"]`)
	if form.Length() != 1 {
		t.Fatalf("login page has %d frmLogin forms", form.Length())
	}
	v := url.Values{}
	form.Find("input").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		typ, _ := s.Attr("type")
		if name == "" || typ == "checkbox" {
			return
		}
		val, _ := s.Attr("value")
		v.Set(name, val)
	})
	v.Set("txtUsuario", user)
	v.Set("pwdSenha", pass)
	v.Set("selOrgao", orgao)
	if acao != "" {
		v.Set("hdnAcao", acao)
	}
	if form.Find("#sbmLogin").Length() == 1 {
		v.Set("sbmLogin", "Acessar")
	}
	action, _ := form.Attr("action")
	return resolve(t, page, action), v
}

// login runs entry → SIP login → POST → inicializar and returns the Controle de Processos page.
func (b *browser) login(t testing.TB, base, user, pass string) *resp {
	t.Helper()
	r := b.get(base + "/sei/")
	expectStatus(t, r, http.StatusFound)
	page := b.get(follow(t, r))
	expectStatus(t, page, http.StatusOK)
	action, form := loginForm(t, page, user, pass, "0", "2")
	r = b.do(http.MethodPost, action, form)
	expectStatus(t, r, http.StatusFound)
	r = b.get(follow(t, r))
	expectStatus(t, r, http.StatusFound)
	r = b.get(follow(t, r))
	expectStatus(t, r, http.StatusOK)
	return r
}

func attr(t testing.TB, d *goquery.Document, sel, name string) string {
	t.Helper()
	s := d.Find(sel).First()
	if s.Length() == 0 {
		t.Fatalf("no element %s", sel)
	}
	v, _ := s.Attr(name)
	return v
}

func mustContain(t testing.TB, body []byte, want ...string) {
	t.Helper()
	for _, w := range want {
		if !bytes.Contains(body, []byte(w)) {
			t.Errorf("body lacks %q", w)
		}
	}
}

type goquery_Selection = goquery.Selection

func httptestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}
