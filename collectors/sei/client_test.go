package sei

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// miniSEI is a real HTTP server with SEI's entry flow: /sei/ redirects to SIP login with a session
// cookie; the login POST redirects to inicializar.php, which sets a new cookie and redirects to
// Controle de Processos, served only to a session that carries both cookies and the same UA.
func miniSEI(t *testing.T) *httptest.Server {
	t.Helper()
	login, err := os.ReadFile("testdata/sip-4.1.5/login.html")
	if err != nil {
		t.Fatal(err)
	}
	landing, err := os.ReadFile("testdata/sei-4.1.5/controle_processos.html")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	latin := func(w http.ResponseWriter, b []byte) {
		w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
		_, _ = w.Write(b)
	}
	mux.HandleFunc("/sei/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/sip/login.php?sigla_orgao_sistema=ORGX&sigla_sistema=SEI&infra_url=L3NlaS8=", http.StatusFound)
	})
	mux.HandleFunc("/sip/login.php", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil || r.Form.Get("hdnAcao") != "2" || r.Form.Get("pwdSenha") != "monitor123" || r.Form.Get("selOrgao") != "0" {
				latin(w, login)
				return
			}
			if c, err := r.Cookie("PHPSESSID"); err != nil || c.Value != "sip1" {
				http.Error(w, "no SIP session", http.StatusForbidden)
				return
			}
			http.Redirect(w, r, "/sei/inicializar.php?infra_sip=true&id_sistema=100000100&id_usuario=1&id_login=abc", http.StatusFound)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "PHPSESSID", Value: "sip1", Path: "/sip"})
		latin(w, login)
	})
	mux.HandleFunc("/sei/inicializar.php", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "PHPSESSID", Value: "sei1", Path: "/sei"})
		http.SetCookie(w, &http.Cookie{Name: "UA", Value: r.UserAgent(), Path: "/"})
		http.Redirect(w, r, "controlador.php?acao=procedimento_controlar", http.StatusFound)
	})
	mux.HandleFunc("/sei/controlador.php", func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("PHPSESSID")
		ua, err2 := r.Cookie("UA")
		if err != nil || err2 != nil || c.Value != "sei1" || ua.Value != r.UserAgent() {
			http.Redirect(w, r, "/sip/login.php?sigla_orgao_sistema=ORGX&sigla_sistema=SEI", http.StatusFound)
			return
		}
		if r.URL.Query().Get("acao") == "sair" {
			http.Redirect(w, r, "/sip/login.php?sigla_orgao_sistema=ORGX&sigla_sistema=SEI&sair=1", http.StatusFound)
			return
		}
		latin(w, landing)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestSessionLoginFlow(t *testing.T) {
	srv := miniSEI(t)
	c, err := NewClient(ClientOptions{UserAgent: "vigia-test/1"})
	if err != nil {
		t.Fatal(err)
	}
	s := c.NewSession()
	defer s.Close()
	ctx := context.Background()
	res, err := Login(ctx, s, srv.URL, probe.Credentials{Username: "monitor", Password: "monitor123", Orgao: "0"})
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if got := len(res.Entry.Hops); got != 2 || res.Entry.Hops[0].Status != 302 || !strings.HasPrefix(res.Entry.URL.Path, "/sip/login.php") {
		t.Errorf("entry chain: %+v final %s", res.Entry.Hops, res.Entry.URL)
	}
	if len(res.Landing.Hops) != 3 || res.Landing.Hops[0].Method != "POST" || res.Landing.Hops[2].Method != "GET" {
		t.Errorf("landing chain: %+v", res.Landing.Hops)
	}
	if res.LandingPage().Title() != "SEI - Controle de Processos" {
		t.Errorf("landing title %q", res.LandingPage().Title())
	}
	if tm := res.Landing.Timing; tm.Requests != 3 || tm.Total <= 0 || tm.Processing <= 0 || tm.FirstByte <= 0 || tm.FirstByte > tm.Total {
		t.Errorf("timing: %+v", tm)
	}
	// One connection for the whole run: the entry opened it, the login reused it.
	if res.Entry.Timing.NewConns != 1 || res.Landing.Timing.NewConns != 0 {
		t.Errorf("connections: entry %d, landing %d", res.Entry.Timing.NewConns, res.Landing.Timing.NewConns)
	}
	out, err := Logout(ctx, s, res.LandingPage())
	if err != nil || !strings.Contains(out.URL.RawQuery, "sair=1") {
		t.Errorf("logout: %v %v", err, out)
	}
	// The page after the logout is read to its end but not kept, and the connection serves on.
	if out.Status != 200 || len(out.Raw) != 0 || out.Timing.NewConns != 0 {
		t.Errorf("logout: status %d, %d bytes kept, %d new connections", out.Status, len(out.Raw), out.Timing.NewConns)
	}
	if again, err := s.Get(ctx, srv.URL+"/sip/login.php"); err != nil || again.Timing.NewConns != 0 {
		t.Errorf("after the logout: %v, new connections %v", err, again)
	}

	// A fresh session shares no cookie with the first.
	s2 := c.NewSession()
	defer s2.Close()
	r2, err := s2.Get(ctx, srv.URL+"/sei/controlador.php?acao=procedimento_controlar")
	if err != nil || !strings.HasPrefix(r2.URL.Path, "/sip/login.php") {
		t.Errorf("new session reached a logged-in page: %v %s", err, r2.URL)
	}

	// Wrong password: the form comes back, the error says so, no retry happened.
	s3 := c.NewSession()
	defer s3.Close()
	_, err = Login(ctx, s3, srv.URL, probe.Credentials{Username: "monitor", Password: "nope", Orgao: "0"})
	if !errors.Is(err, ErrLoginRejected) {
		t.Errorf("wrong password: %v", err)
	}
	if strings.Contains(fmt.Sprint(err), "nope") {
		t.Error("error message leaks the password")
	}
}

func TestSessionRedirectLimitAndErrors(t *testing.T) {
	srv := miniSEI(t)
	c, _ := NewClient(ClientOptions{MaxRedirects: 3})
	s := c.NewSession()
	defer s.Close()
	r, err := s.Get(context.Background(), srv.URL+"/loop")
	if !errors.Is(err, ErrTooManyRedirects) || r == nil || len(r.Hops) != 4 {
		t.Errorf("loop: err=%v hops=%v", err, r)
	}

	// A refused connection reports no URL query (infra_hash is a secret).
	dead := httptest.NewServer(http.NotFoundHandler())
	addr := dead.URL
	dead.Close()
	_, err = s.Get(context.Background(), addr+"/sei/controlador.php?acao=x&infra_hash=deadbeef")
	if err == nil || strings.Contains(err.Error(), "deadbeef") {
		t.Errorf("refused: %v", err)
	}
}

func TestSessionHangBoundedByContext(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	c, _ := NewClient(ClientOptions{})
	s := c.NewSession()
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Get(ctx, srv.URL+"/sei/")
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("hang: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("hang not bounded by the deadline: %v", d)
	}
}

// A kept-alive connection follows the context of the request it carries: a step with its own
// timeout after requests without one is bounded by it, and a request after the previous step's
// context ended still goes out (on a new connection when the ended context poisoned the old one).
func TestSessionKeptAliveConnectionFollowsEachContext(t *testing.T) {
	var conns atomic.Int32
	block := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(100 * time.Millisecond)
		}
		if r.URL.Path == "/hang" {
			select {
			case <-block:
			case <-r.Context().Done():
			}
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(block) })
	c, _ := NewClient(ClientOptions{})
	s := c.NewSession()
	defer s.Close()

	get := func(ctx context.Context, path string) error {
		_, err := s.Get(ctx, srv.URL+path)
		return err
	}
	run := context.Background()
	for range 3 {
		if err := get(run, "/a"); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("three requests under one context used %d connections, want 1", n)
	}

	step, cancel := context.WithTimeout(run, 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := get(step, "/hang"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("step with its own timeout on a kept-alive connection: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("step timeout not applied to the kept-alive connection: %v", d)
	}

	// A step that ended after its request completed leaves the connection kept alive with a
	// watch that has fired: the next request must not inherit its deadline.
	ended, endStep := context.WithCancel(run)
	if err := get(ended, "/a"); err != nil {
		t.Fatal(err)
	}
	endStep()
	time.Sleep(20 * time.Millisecond)
	if err := get(run, "/a"); err != nil {
		t.Fatalf("request after the previous step's context ended: %v", err)
	}
	if err := get(run, "/a"); err != nil {
		t.Fatal(err)
	}

	// A step's context that ends while a later request is in flight on the same connection must
	// not cut that request short.
	earlier, endEarlier := context.WithCancel(run)
	if err := get(earlier, "/a"); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(30*time.Millisecond, endEarlier)
	before := conns.Load()
	if err := get(run, "/slow"); err != nil {
		t.Fatalf("a request cut short by an earlier step's context: %v", err)
	}
	if n := conns.Load() - before; n != 0 {
		t.Fatalf("the request was cut short by an earlier step's context and sent again on %d new connection(s)", n)
	}
}

func TestSessionBodyCap(t *testing.T) {
	const size = 50 << 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
		w.Header().Set("Content-Length", fmt.Sprint(size))
		chunk := []byte(strings.Repeat("<tr><td>Processo 00000.000001/2024-00 em manutenção</td></tr>\n", 1024))
		_, _ = io.WriteString(w, "<html><head><title>big</title></head><body><table>")
		for n := 0; n < size; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c, _ := NewClient(ClientOptions{MaxBodyBytes: 5 << 20})
	s := c.NewSession()
	defer s.Close()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r, err := s.Get(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Truncated || len(r.Raw) != 5<<20 {
		t.Fatalf("body not cut at the cap: %d bytes, truncated=%v", len(r.Raw), r.Truncated)
	}
	scan := ScanVersions(r.Text())
	p, err := ParseResponse(r)
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Title()
	runtime.ReadMemStats(&after)
	if scan.Title != "big" {
		t.Errorf("scan of the cut page: %+v", scan)
	}
	// Read 5 MiB of a 50 MiB answer, decoded it and parsed a DOM of it: bounded by the cap, not
	// by the 50 MiB the server offered.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 400<<20 {
		t.Errorf("allocated %d MiB for a 5 MiB capped page", alloc>>20)
	}
}

func TestSessionTLSExpiry(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/sei/" {
			http.Redirect(w, r, "/sip/login.php", http.StatusFound)
			return
		}
		_, _ = io.WriteString(w, "<form id=frmLogin></form>")
	}))
	defer srv.Close()
	// The test certificate is self-signed: without the option the request fails...
	c, _ := NewClient(ClientOptions{})
	s := c.NewSession()
	if _, err := s.Get(context.Background(), srv.URL+"/sei/"); err == nil {
		t.Error("self-signed certificate accepted without insecure_skip_verify or a CA")
	}
	s.Close()
	// ...with it, the expiry is still read.
	c, _ = NewClient(ClientOptions{InsecureSkipVerify: true})
	s = c.NewSession()
	defer s.Close()
	r, err := s.Get(context.Background(), srv.URL+"/sei/")
	if err != nil {
		t.Fatal(err)
	}
	want := srv.Certificate().NotAfter
	if !r.TLSNotAfter.Equal(want) {
		t.Errorf("TLSNotAfter = %v, want %v", r.TLSNotAfter, want)
	}
	if r.Timing.TLS <= 0 || r.Timing.Connect <= 0 {
		t.Errorf("TLS timing missing: %+v", r.Timing)
	}

	// A CA file makes the same server trusted.
	dir := t.TempDir()
	ca := dir + "/ca.pem"
	pemBytes := pemEncode(srv.Certificate().Raw)
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = NewClient(ClientOptions{CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	s3 := c.NewSession()
	defer s3.Close()
	if _, err := s3.Get(context.Background(), srv.URL+"/sip/login.php"); err != nil {
		var ce *tls.CertificateVerificationError
		t.Errorf("with CA file: %v (%v)", err, errors.As(err, &ce))
	}
	if _, err := NewClient(ClientOptions{CAFile: dir + "/missing.pem"}); err == nil {
		t.Error("missing CA file accepted")
	}
}

func TestJoinURL(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"https://h", "/sei/"}:                     "https://h/sei/",
		{"https://h/", "sei/"}:                     "https://h/sei/",
		{"https://h/sei/", "/sei/"}:                "https://h/sei/",
		{"https://h/sei", "/sip/login.php"}:        "https://h/sip/login.php",
		{"http://127.0.0.1:9/orgao-0001", "/sei/"}: "http://127.0.0.1:9/orgao-0001/sei/",
	} {
		if got := JoinURL(in[0], in[1]); got != want {
			t.Errorf("JoinURL(%q,%q) = %q want %q", in[0], in[1], got, want)
		}
	}
}

func pemEncode(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestSessionHugeHeaderBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Big: ")
		chunk := []byte(strings.Repeat("a", 64<<10))
		for i := 0; i < 1000; i++ { // 64 MB of one header line
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}()
	c, _ := NewClient(ClientOptions{})
	s := c.NewSession()
	defer s.Close()
	_, err = s.Get(context.Background(), "http://"+ln.Addr().String()+"/sei/")
	if !errors.Is(err, errHeadTooLarge) {
		t.Fatalf("err = %v", err)
	}
}

// A run resumes the TLS session an earlier run of a client sharing the TLSSessions opened, one per
// server (host and port), and reports a certificate expiry only from full handshakes; without
// TLSSessions every run does a full handshake.
func TestTLSSessionsResume(t *testing.T) {
	page := func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "<form id=frmLogin></form>") }
	a := httptest.NewTLSServer(http.HandlerFunc(page))
	defer a.Close()
	b := httptest.NewTLSServer(http.HandlerFunc(page))
	defer b.Close()
	get := func(c *Client, srv *httptest.Server) *Response {
		t.Helper()
		s := c.NewSession()
		defer s.Close()
		r, err := s.Get(context.Background(), srv.URL+"/sei/")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	sessions := NewTLSSessions(16)
	c, _ := NewClient(ClientOptions{InsecureSkipVerify: true, TLSSessions: sessions})
	other, _ := NewClient(ClientOptions{InsecureSkipVerify: true, TLSSessions: sessions})
	for i, step := range []struct {
		c       *Client
		srv     *httptest.Server
		resumed bool
	}{
		{c, a, false},
		{c, b, false},    // same host name, another port: its own session
		{c, a, true},     // a's session was not overwritten by b's
		{other, b, true}, // another prober sharing the cache
	} {
		r := get(step.c, step.srv)
		if got := r.Timing.TLSResumed == 1; got != step.resumed {
			t.Errorf("step %d: resumed %v, want %v", i, got, step.resumed)
		}
		if step.resumed != r.TLSNotAfter.IsZero() {
			t.Errorf("step %d (resumed %v): TLSNotAfter %v; only a full handshake reports the expiry", i, step.resumed, r.TLSNotAfter)
		}
	}
	plain, _ := NewClient(ClientOptions{InsecureSkipVerify: true})
	for i := 0; i < 2; i++ {
		if r := get(plain, a); r.Timing.TLSResumed != 0 || r.TLSNotAfter.IsZero() {
			t.Errorf("run %d without TLSSessions: resumed %d, expiry %v", i, r.Timing.TLSResumed, r.TLSNotAfter)
		}
	}
}
