package sei

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// cookieStep is one thing that happens to a store: a response to url sets cookies, or time
// passes.
type cookieStep struct {
	url    string
	set    []string // Set-Cookie lines, as the server sent them
	elapse time.Duration
}

func setAt(u string, lines ...string) cookieStep { return cookieStep{url: u, set: lines} }
func elapse(d time.Duration) cookieStep          { return cookieStep{elapse: d} }

// apply runs the step on the store, parsing Set-Cookie with net/http as Session.send does.
func (st cookieStep) apply(t *testing.T, j *cookieStore) {
	t.Helper()
	if st.elapse != 0 {
		// Time passing, seen from the store: every expiry comes that much closer.
		for i := range j.entries {
			if e := &j.entries[i]; !e.expires.IsZero() {
				e.expires = e.expires.Add(-st.elapse)
			}
		}
		return
	}
	h := http.Header{"Set-Cookie": st.set}
	j.SetCookies(mustURL(st.url), (&http.Response{Header: h}).Cookies())
}

func httpDate(d time.Duration) string { return time.Now().Add(d).UTC().Format(http.TimeFormat) }

// cookieCases are the store's semantics, one row each: what the responses set, and the Cookie
// header a request to get then carries ("" for none). jarDiffers names where the store knowingly
// parts from net/http/cookiejar (run without a public-suffix list, as vigia ran it); every other
// row must send what the jar sent.
var cookieCases = []struct {
	name       string
	steps      []cookieStep
	get        string
	want       string
	jarDiffers string
}{
	// Hosts.
	{name: "host-only cookie ignores the port",
		steps: []cookieStep{setAt("http://127.0.0.1:8080/sip/login.php", "PHPSESSID=a; path=/")},
		get:   "http://127.0.0.1:9090/sei/", want: "PHPSESSID=a"},
	{name: "host-only cookie not sent to another IP",
		steps: []cookieStep{setAt("http://127.0.0.1:8080/", "PHPSESSID=a; path=/")},
		get:   "http://127.0.0.2:8080/", want: ""},
	{name: "host-only cookie not sent to a subdomain",
		steps: []cookieStep{setAt("https://sei.orgao.gov.br/sei/", "PHPSESSID=a; path=/")},
		get:   "https://x.sei.orgao.gov.br/sei/", want: ""},
	{name: "host-only cookie not sent to the parent domain",
		steps: []cookieStep{setAt("https://sei.orgao.gov.br/sei/", "PHPSESSID=a; path=/")},
		get:   "https://orgao.gov.br/sei/", want: ""},
	{name: "host names compare without case",
		steps: []cookieStep{setAt("https://SEI.Orgao.GOV.br/sei/", "PHPSESSID=a; path=/")},
		get:   "https://sei.orgao.gov.br/sei/", want: "PHPSESSID=a"},
	{name: "IPv6 host, port and brackets ignored",
		steps: []cookieStep{setAt("http://[::1]:8080/", "a=1")},
		get:   "http://[::1]:9999/x", want: "a=1"},
	{name: "redirect to another host carries none of the first host's cookies",
		steps: []cookieStep{setAt("https://sei.orgao.gov.br/sei/", "PHPSESSID=a; path=/")},
		get:   "https://sso.outro.gov.br/sei/", want: ""},

	// Domain attribute.
	{name: "Domain makes a cookie the subdomains'",
		steps: []cookieStep{setAt("https://sei.orgao.gov.br/sei/", "a=1; Domain=orgao.gov.br; Path=/")},
		get:   "https://sip.orgao.gov.br/sip/", want: "a=1"},
	{name: "Domain with a leading dot",
		steps: []cookieStep{setAt("https://sei.orgao.gov.br/sei/", "a=1; Domain=.orgao.gov.br; Path=/")},
		get:   "https://orgao.gov.br/", want: "a=1"},
	{name: "Domain equal to the host also reaches its subdomains",
		steps: []cookieStep{setAt("https://sei.orgao.gov.br/sei/", "a=1; Domain=sei.orgao.gov.br; Path=/")},
		get:   "https://x.sei.orgao.gov.br/", want: "a=1"},
	{name: "Domain compares without case",
		steps: []cookieStep{setAt("https://sei.orgao.gov.br/sei/", "a=1; Domain=ORGAO.Gov.BR; Path=/")},
		get:   "https://sip.orgao.gov.br/", want: "a=1"},
	{name: "Domain that does not domain-match the host is rejected",
		steps: []cookieStep{setAt("https://sei.orgao.gov.br/sei/", "a=1; Domain=outro.gov.br; Path=/")},
		get:   "https://sei.outro.gov.br/", want: ""},
	{name: "Domain that does not domain-match is not kept for the host either",
		steps: []cookieStep{setAt("https://sei.orgao.gov.br/sei/", "a=1; Domain=outro.gov.br; Path=/")},
		get:   "https://sei.orgao.gov.br/sei/", want: ""},
	{name: "Domain is matched on label boundaries",
		steps: []cookieStep{setAt("https://sei.orgao.gov.br/sei/", "a=1; Domain=rgao.gov.br; Path=/")},
		get:   "https://sei.orgao.gov.br/", want: ""},
	{name: "Domain of a subdomain of the host is rejected",
		steps: []cookieStep{setAt("https://orgao.gov.br/", "a=1; Domain=sei.orgao.gov.br; Path=/")},
		get:   "https://sei.orgao.gov.br/", want: ""},
	{name: "single-label Domain (a public suffix) is rejected",
		steps: []cookieStep{setAt("https://sei.orgao.gov.br/", "a=1; Domain=br; Path=/")},
		get:   "https://x.br/", want: "",
		jarDiffers: "without a public-suffix list the jar takes Domain=br"},
	{name: "single-label Domain equal to the host stays the host's",
		steps: []cookieStep{setAt("http://localhost:8080/", "a=1; Domain=localhost; Path=/")},
		get:   "http://sei.localhost/", want: "",
		jarDiffers: "the jar makes it a domain cookie of every *.localhost"},
	{name: "Domain with a trailing dot is rejected",
		steps: []cookieStep{setAt("https://sei.orgao.gov.br/", "a=1; Domain=orgao.gov.br.; Path=/")},
		get:   "https://sei.orgao.gov.br/", want: ""},
	{name: "IP host: Domain equal to the address is the host's",
		steps: []cookieStep{setAt("http://127.0.0.1:8080/", "a=1; Domain=127.0.0.1; Path=/")},
		get:   "http://127.0.0.1:1/", want: "a=1"},
	{name: "IP host: a suffix of the address is no domain",
		steps: []cookieStep{setAt("http://127.0.0.1:8080/", "a=1; Domain=0.0.1; Path=/")},
		get:   "http://127.0.0.1:8080/", want: ""},
	{name: "IP host: a leading dot is refused",
		steps: []cookieStep{setAt("http://127.0.0.1:8080/", "a=1; Domain=.127.0.0.1; Path=/")},
		get:   "http://127.0.0.1:8080/", want: ""},

	// Paths.
	{name: "SEI and SIP each have their PHPSESSID",
		steps: []cookieStep{
			setAt("https://h/sip/login.php", "PHPSESSID=sip1; path=/sip; HttpOnly"),
			setAt("https://h/sei/inicializar.php", "PHPSESSID=sei1; path=/sei; HttpOnly")},
		get: "https://h/sei/controlador.php?acao=procedimento_controlar", want: "PHPSESSID=sei1"},
	{name: "SIP's PHPSESSID goes to SIP",
		steps: []cookieStep{
			setAt("https://h/sip/login.php", "PHPSESSID=sip1; path=/sip; HttpOnly"),
			setAt("https://h/sei/inicializar.php", "PHPSESSID=sei1; path=/sei; HttpOnly")},
		get: "https://h/sip/login.php?sigla_sistema=SEI", want: "PHPSESSID=sip1"},
	{name: "default path is the directory of the request path",
		steps: []cookieStep{setAt("https://h/sip/login.php?x=1", "PHPSESSID=a")},
		get:   "https://h/sip/outra.php", want: "PHPSESSID=a"},
	{name: "default path does not reach a sibling directory",
		steps: []cookieStep{setAt("https://h/sip/login.php", "PHPSESSID=a")},
		get:   "https://h/sei/", want: ""},
	{name: "default path of a directory URL is the directory itself",
		steps: []cookieStep{setAt("https://h/sei/", "a=1")},
		get:   "https://h/sei", want: "a=1"},
	{name: "default path of a file at the root is /",
		steps: []cookieStep{setAt("https://h/index.php", "a=1")},
		get:   "https://h/sei/x", want: "a=1"},
	{name: "default path of an empty path is /",
		steps: []cookieStep{setAt("https://h", "a=1")},
		get:   "https://h/sip/login.php", want: "a=1"},
	{name: "Path not starting with a slash falls back to the default path",
		steps: []cookieStep{setAt("https://h/sip/login.php", "a=1; Path=sei")},
		get:   "https://h/sei/x", want: ""},
	{name: "path matches on segment boundaries",
		steps: []cookieStep{setAt("https://h/sei/", "a=1; Path=/sei")},
		get:   "https://h/seix/", want: ""},
	{name: "path matches itself exactly",
		steps: []cookieStep{setAt("https://h/sei/", "a=1; Path=/sei")},
		get:   "https://h/sei", want: "a=1"},
	{name: "path with a trailing slash matches below it",
		steps: []cookieStep{setAt("https://h/v415/sei/", "PHPSESSID=a; path=/v415/; HttpOnly")},
		get:   "https://h/v415/sip/login.php", want: "PHPSESSID=a"},
	{name: "path with a trailing slash does not match without it",
		steps: []cookieStep{setAt("https://h/v415/sei/", "PHPSESSID=a; path=/v415/")},
		get:   "https://h/v415", want: ""},
	{name: "request without a path is /",
		steps: []cookieStep{setAt("https://h/", "a=1; Path=/")},
		get:   "https://h", want: "a=1"},

	// Replacement and order.
	{name: "same name, domain and path replaces the value",
		steps: []cookieStep{
			setAt("https://h/sei/", "PHPSESSID=old; path=/sei"),
			setAt("https://h/sei/inicializar.php", "PHPSESSID=new; path=/sei")},
		get: "https://h/sei/", want: "PHPSESSID=new"},
	{name: "a replacement keeps its place among cookies of the same path",
		steps: []cookieStep{
			setAt("https://h/", "a=1; Path=/", "b=1; Path=/"),
			setAt("https://h/", "a=2; Path=/")},
		get: "https://h/", want: "a=2; b=1"},
	{name: "same name on two paths: both sent, longer path first",
		steps: []cookieStep{
			setAt("https://h/", "PHPSESSID=root; Path=/"),
			setAt("https://h/sei/", "PHPSESSID=sei; Path=/sei")},
		get: "https://h/sei/controlador.php", want: "PHPSESSID=sei; PHPSESSID=root"},
	{name: "same name, host-only and for a domain: two cookies",
		steps: []cookieStep{
			setAt("https://sei.orgao.gov.br/", "a=host; Path=/"),
			setAt("https://sei.orgao.gov.br/", "a=domain; Domain=orgao.gov.br; Path=/")},
		get: "https://sei.orgao.gov.br/", want: "a=host; a=domain"},
	{name: "longer paths first, then earlier creation",
		steps: []cookieStep{
			setAt("https://h/", "z=1; Path=/"),
			setAt("https://h/", "y=1; Path=/sei/modulos"),
			setAt("https://h/", "x=1; Path=/sei"),
			setAt("https://h/", "w=1; Path=/sei/modulos", "v=1; Path=/")},
		get: "https://h/sei/modulos/wssei/", want: "y=1; w=1; x=1; z=1; v=1"},

	// Deletion and expiry.
	{name: "Max-Age=0 deletes",
		steps: []cookieStep{
			setAt("https://h/sei/", "PHPSESSID=a; path=/sei"),
			setAt("https://h/sei/", "PHPSESSID=deleted; path=/sei; Max-Age=0")},
		get: "https://h/sei/", want: ""},
	{name: "negative Max-Age deletes",
		steps: []cookieStep{
			setAt("https://h/sei/", "PHPSESSID=a; path=/sei"),
			setAt("https://h/sei/", "PHPSESSID=deleted; path=/sei; Max-Age=-1")},
		get: "https://h/sei/", want: ""},
	{name: "Expires in the past deletes (PHP's session_destroy)",
		steps: []cookieStep{
			setAt("https://h/sei/", "PHPSESSID=a; path=/"),
			setAt("https://h/sei/", "PHPSESSID=deleted; expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/")},
		get: "https://h/sei/", want: ""},
	{name: "deletion only hits the same path",
		steps: []cookieStep{
			setAt("https://h/", "PHPSESSID=sip; path=/sip", "PHPSESSID=sei; path=/sei"),
			setAt("https://h/", "PHPSESSID=deleted; path=/sip; Max-Age=0")},
		get: "https://h/sei/", want: "PHPSESSID=sei"},
	{name: "an already expired cookie is not stored",
		steps: []cookieStep{setAt("https://h/", "a=1; Path=/; Expires="+httpDate(-time.Hour))},
		get:   "https://h/", want: ""},
	{name: "Max-Age wins over an Expires in the past",
		steps: []cookieStep{setAt("https://h/", "a=1; Path=/; Max-Age=3600; Expires="+httpDate(-time.Hour))},
		get:   "https://h/", want: "a=1"},
	{name: "Max-Age=0 wins over an Expires in the future",
		steps: []cookieStep{
			setAt("https://h/", "a=1; Path=/"),
			setAt("https://h/", "a=1; Path=/; Max-Age=0; Expires="+httpDate(time.Hour))},
		get: "https://h/", want: ""},
	{name: "Max-Age expiry is honoured",
		steps: []cookieStep{setAt("https://h/", "a=1; Path=/; Max-Age=60", "b=1; Path=/"), elapse(61 * time.Second)},
		get:   "https://h/", want: "b=1", jarDiffers: "time cannot pass for the jar"},
	{name: "Max-Age cookie lives until then",
		steps: []cookieStep{setAt("https://h/", "a=1; Path=/; Max-Age=60"), elapse(59 * time.Second)},
		get:   "https://h/", want: "a=1", jarDiffers: "time cannot pass for the jar"},
	{name: "Expires is honoured",
		steps: []cookieStep{setAt("https://h/", "a=1; Path=/; Expires="+httpDate(time.Hour)), elapse(2 * time.Hour)},
		get:   "https://h/", want: "", jarDiffers: "time cannot pass for the jar"},
	{name: "a session cookie does not expire",
		steps: []cookieStep{setAt("https://h/", "a=1; Path=/"), elapse(1000 * time.Hour)},
		get:   "https://h/", want: "a=1", jarDiffers: "time cannot pass for the jar"},
	{name: "a replacement without expiry makes a session cookie",
		steps: []cookieStep{setAt("https://h/", "a=1; Path=/; Max-Age=60"), setAt("https://h/", "a=2; Path=/"), elapse(time.Hour)},
		get:   "https://h/", want: "a=2", jarDiffers: "time cannot pass for the jar"},
	{name: "an invalid Max-Age is ignored",
		steps: []cookieStep{setAt("https://h/", "a=1; Path=/; Max-Age=soon")},
		get:   "https://h/", want: "a=1"},
	{name: "a huge Max-Age does not overflow",
		steps: []cookieStep{setAt("https://h/", "a=1; Path=/; Max-Age=9223372036854775807")},
		get:   "https://h/", want: "a=1", jarDiffers: "the jar's expiry overflows into the past and drops the cookie"},

	// Secure, HttpOnly, values.
	{name: "Secure cookie not sent over http",
		steps: []cookieStep{setAt("https://h/", "a=1; Path=/; Secure")},
		get:   "http://h/", want: ""},
	{name: "Secure cookie sent over https",
		steps: []cookieStep{setAt("https://h/", "a=1; Path=/; Secure", "b=2; Path=/")},
		get:   "https://h/", want: "a=1; b=2"},
	{name: "Secure cookie set over http is kept for https only",
		steps: []cookieStep{setAt("http://h/", "a=1; Path=/; Secure")},
		get:   "https://h/", want: "a=1"},
	{name: "HttpOnly does not matter for sending",
		steps: []cookieStep{setAt("http://h/sei/", "PHPSESSID=a; path=/sei; HttpOnly")},
		get:   "http://h/sei/", want: "PHPSESSID=a"},
	{name: "quoted value goes back quoted",
		steps: []cookieStep{setAt("http://h/", `a="x y"; Path=/`)},
		get:   "http://h/", want: `a="x y"`, jarDiffers: "the old Session wrote the value without its quotes"},
	{name: "empty value",
		steps: []cookieStep{setAt("http://h/", "a=; Path=/")},
		get:   "http://h/", want: "a="},
	{name: "line without a name is ignored",
		steps: []cookieStep{setAt("http://h/", "=1; Path=/", "b=2; Path=/")},
		get:   "http://h/", want: "b=2"},
}

func TestCookieStore(t *testing.T) {
	for _, tc := range cookieCases {
		t.Run(tc.name, func(t *testing.T) {
			var j cookieStore
			for _, st := range tc.steps {
				st.apply(t, &j)
			}
			u := mustURL(tc.get)
			got := string(j.appendCookies(nil, u))
			if got != tc.want {
				t.Errorf("Cookie: %q, want %q", got, tc.want)
			}
			// The http.CookieJar side (the proxied client, Keep) sends the same.
			if again := joinCookies(j.Cookies(u)); again != tc.want {
				t.Errorf("Cookies(): %q, want %q", again, tc.want)
			}
			if tc.jarDiffers != "" {
				return
			}
			jar, _ := cookiejar.New(nil)
			for _, st := range tc.steps {
				h := http.Header{"Set-Cookie": st.set}
				jar.SetCookies(mustURL(st.url), (&http.Response{Header: h}).Cookies())
			}
			if old := joinCookies(jar.Cookies(u)); old != got {
				t.Errorf("net/http/cookiejar sent %q, the store %q", old, got)
			}
		})
	}
}

func joinCookies(cs []*http.Cookie) string {
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c.Name + "=")
		if c.Quoted {
			b.WriteString(`"` + c.Value + `"`)
		} else {
			b.WriteString(c.Value)
		}
	}
	return b.String()
}

// A server that sets cookies without end fills the store up to maxCookies, the oldest giving way.
func TestCookieStoreBounded(t *testing.T) {
	var j cookieStore
	u := mustURL("http://h/")
	for i := range maxCookies + 5 {
		j.SetCookies(u, []*http.Cookie{{Name: fmt.Sprintf("c%d", i), Value: "v", Path: "/"}})
	}
	if len(j.entries) != maxCookies {
		t.Fatalf("%d cookies kept, want %d", len(j.entries), maxCookies)
	}
	got := string(j.appendCookies(nil, u))
	if strings.Contains(got, "c4=") || !strings.HasPrefix(got, "c5=v; ") || !strings.HasSuffix(got, fmt.Sprintf("c%d=v", maxCookies+4)) {
		t.Errorf("Cookie: %q", got)
	}
}

// Cookies handed to SetCookies other than through http.ParseSetCookie (a kept login's, the
// proxied client's) cannot break the request head.
func TestCookieStoreRefusesHeaderBreakers(t *testing.T) {
	var j cookieStore
	u := mustURL("http://h/")
	j.SetCookies(u, []*http.Cookie{
		{Name: "a", Value: "1\r\nX-Injected: 1"},
		{Name: "b;c", Value: "1"},
		{Name: "d e", Value: "1"},
		{Name: "f", Value: "1;g=2"},
		{Name: "ok", Value: "1"},
		nil,
	})
	if got := string(j.appendCookies(nil, u)); got != "ok=1" {
		t.Errorf("Cookie: %q", got)
	}
}

func TestCookieStoreClear(t *testing.T) {
	var j cookieStore
	u := mustURL("http://h/sei/")
	j.SetCookies(u, []*http.Cookie{{Name: "PHPSESSID", Value: "a", MaxAge: 60}})
	kept := j.entries[:1]
	j.clear()
	if got := string(j.appendCookies(nil, u)); got != "" || j.expiring != 0 {
		t.Errorf("after clear: Cookie %q, %d expiring", got, j.expiring)
	}
	if kept[0].value != "" {
		t.Error("clear left the session cookie's value in the store's memory")
	}
	j.SetCookies(u, []*http.Cookie{{Name: "PHPSESSID", Value: "b"}})
	if got := string(j.appendCookies(nil, u)); got != "PHPSESSID=b" {
		t.Errorf("after clear and a new login: Cookie %q", got)
	}
}

// Through a Session: the Cookie header on the wire, SEI's and SIP's PHPSESSID kept apart, and a
// redirect to another host that carries none of them.
func TestSessionCookiesOnTheWire(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, "cookie=%q", r.Header.Get("Cookie"))
	}))
	defer other.Close()
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/sip/login.php", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "PHPSESSID=sip1; path=/sip; HttpOnly")
		http.Redirect(w, r, "/sei/inicializar.php", http.StatusFound)
	})
	mux.HandleFunc("/sei/inicializar.php", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "PHPSESSID=sei1; path=/sei; HttpOnly")
		w.Header().Add("Set-Cookie", "lang=pt; path=/")
		http.Redirect(w, r, "controlador.php", http.StatusFound)
	})
	mux.HandleFunc("/sei/sair.php", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "PHPSESSID=deleted; expires=Thu, 01-Jan-1970 00:00:01 GMT; Max-Age=0; path=/sei")
		http.Redirect(w, r, "controlador.php", http.StatusFound)
	})
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherURL+"/", http.StatusFound)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, "cookie=%q", r.Header.Get("Cookie"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := NewClient(ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := c.NewSession()
	defer s.Close()
	ctx := context.Background()
	get := func(path string) string {
		t.Helper()
		r, err := s.Get(ctx, srv.URL+path)
		if err != nil {
			t.Fatal(err)
		}
		return string(r.Raw)
	}
	if got := get("/sip/login.php"); got != `cookie="PHPSESSID=sei1; lang=pt"` {
		t.Errorf("SEI after the login chain: %s", got)
	}
	if got := get("/sip/x.php"); got != `cookie="PHPSESSID=sip1; lang=pt"` {
		t.Errorf("SIP: %s", got)
	}
	if got := get("/sei/sair.php"); got != `cookie="lang=pt"` {
		t.Errorf("SEI after its session cookie was deleted: %s", got)
	}
	if got := get("/elsewhere"); got != `cookie=""` {
		t.Errorf("another host: %s", got)
	}
	s.ClearCookies()
	if got := get("/sip/x.php"); got != `cookie=""` {
		t.Errorf("after ClearCookies: %s", got)
	}
}

// BenchmarkCookies is a login's cookie traffic, SEI's and SIP's PHPSESSID, against the jar the
// store replaced.
func BenchmarkCookies(b *testing.B) {
	sip, _ := url.Parse("http://127.0.0.1:8080/sip/login.php?sigla_orgao_sistema=ORG&sigla_sistema=SEI")
	ini, _ := url.Parse("http://127.0.0.1:8080/sei/inicializar.php?infra_sip=true")
	ctl, _ := url.Parse("http://127.0.0.1:8080/sei/controlador.php?acao=procedimento_controlar&infra_hash=x")
	setSIP := []*http.Cookie{{Name: "PHPSESSID", Value: "ab12cd34ef56gh78ij90kl12mn", Path: "/sip", HttpOnly: true}}
	setSEI := []*http.Cookie{{Name: "PHPSESSID", Value: "zz12cd34ef56gh78ij90kl12mn", Path: "/sei", HttpOnly: true}}
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 256)
		for b.Loop() {
			var j cookieStore
			buf = j.appendCookies(buf[:0], sip)
			j.SetCookies(sip, setSIP)
			buf = j.appendCookies(buf[:0], sip)
			j.SetCookies(ini, setSEI)
			for range 6 {
				buf = j.appendCookies(buf[:0], ctl)
			}
		}
	})
	b.Run("cookiejar", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 256)
		send := func(j *cookiejar.Jar, u *url.URL) {
			buf = buf[:0]
			for _, c := range j.Cookies(u) {
				buf = append(append(append(buf, c.Name...), '='), c.Value...)
			}
		}
		for b.Loop() {
			j, _ := cookiejar.New(nil)
			send(j, sip)
			j.SetCookies(sip, setSIP)
			send(j, sip)
			j.SetCookies(ini, setSEI)
			for range 6 {
				send(j, ctl)
			}
		}
	})
}

// The request line is written without url.URL.RequestURI's string; it must say the same.
func TestAppendRequestURI(t *testing.T) {
	for _, s := range []string{
		"http://h", "http://h/", "http://h/sei/", "https://h:8443/sip/login.php?sigla_orgao_sistema=ORG&sigla_sistema=SEI&infra_url=L3NlaS8=",
		"http://h/sei/controlador.php?acao=procedimento_controlar&infra_hash=ab%2Fcd", "http://h/a%20b/c?x", "http://h/a b",
		"http://h/%2F/x", "http://h/x?", "http://h/?q=1", "http://h?q=1", "http://h/p#frag", "http://h/caf%C3%A9",
	} {
		u := mustURL(s)
		if got, want := string(appendRequestURI([]byte("GET "), u)), "GET "+u.RequestURI(); got != want {
			t.Errorf("%s: %q, want %q", s, got, want)
		}
	}
	u := &url.URL{Scheme: "http", Opaque: "//h/x", RawQuery: "y=1"}
	if got, want := string(appendRequestURI(nil, u)), u.RequestURI(); got != want {
		t.Errorf("opaque: %q, want %q", got, want)
	}
}

// Through a proxy the session's requests go through net/http's client, with the store as its
// http.CookieJar: the same cookies go out.
func TestProxiedSessionCookies(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/sip/login.php", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "PHPSESSID=sip1; path=/sip; HttpOnly")
		http.Redirect(w, r, "/sei/inicializar.php", http.StatusFound)
	})
	mux.HandleFunc("/sei/inicializar.php", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "PHPSESSID=sei1; path=/sei; HttpOnly")
		http.Redirect(w, r, "controlador.php", http.StatusFound)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, "cookie=%q", r.Header.Get("Cookie"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := NewClient(ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The session takes net/http's path when the client has a proxy for the URL; net/http's
	// Transport itself asks the (empty) environment and goes straight to the server.
	c.proxy = func(*url.URL) (*url.URL, error) { return &url.URL{Scheme: "http", Host: "proxy.invalid"}, nil }
	s := c.NewSession()
	defer s.Close()
	r, err := s.Get(context.Background(), srv.URL+"/sip/login.php")
	if err != nil {
		t.Fatal(err)
	}
	if s.tr == nil {
		t.Fatal("the session did not take the proxied path")
	}
	if got := string(r.Raw); got != `cookie="PHPSESSID=sei1"` {
		t.Errorf("SEI: %s", got)
	}
	if r, err = s.Get(context.Background(), srv.URL+"/sip/x.php"); err != nil || string(r.Raw) != `cookie="PHPSESSID=sip1"` {
		t.Errorf("SIP: %v %s", err, r.Raw)
	}
}
