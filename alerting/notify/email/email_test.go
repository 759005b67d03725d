package email_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/alerting/notify/email"
	"github.com/vigia-sei/vigia/alerting/notify/webhook/webhooktest"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
)

const (
	user = "vigia@exemplo.gov.br"
	pass = "S3nha-SMTP-secreta"
)

// delivered is one message as the SMTP server accepted it.
type delivered struct {
	from    string
	rcpts   []string
	data    []byte
	tls     bool
	authed  string
	session int
}

// mailServer is a real SMTP server (emersion/go-smtp) with AUTH PLAIN and STARTTLS.
type mailServer struct {
	mu        sync.Mutex
	got       []delivered
	failData  []*smtp.SMTPError // answers to the next DATA commands, in order
	failRcpt  *smtp.SMTPError
	sessions  int
	addr      string
	implicit  bool
	serverTLS *tls.Config
}

type session struct {
	srv    *mailServer
	conn   *smtp.Conn
	id     int
	authed string
	cur    delivered
}

func (s *mailServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions++
	return &session{srv: s, conn: c, id: s.sessions}, nil
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != user || password != pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Autenticação recusada"}
		}
		s.authed = username
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.authed == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	s.cur = delivered{from: from, authed: s.authed, session: s.id}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	if s.srv.failRcpt != nil {
		return s.srv.failRcpt
	}
	s.cur.rcpts = append(s.cur.rcpts, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	if len(s.srv.failData) > 0 {
		e := s.srv.failData[0]
		s.srv.failData = s.srv.failData[1:]
		return e
	}
	_, s.cur.tls = s.conn.TLSConnectionState()
	s.cur.data = b
	s.srv.got = append(s.srv.got, s.cur)
	return nil
}

func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

func (s *mailServer) messages() []delivered {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivered(nil), s.got...)
}

// startMail starts the server on 127.0.0.1 with a certificate from a test CA; implicit selects
// TLS from the first byte instead of STARTTLS.
func startMail(t *testing.T, implicit bool) (*mailServer, *webhooktest.CA) {
	t.Helper()
	ca := webhooktest.NewCA(t, "vigia test mail CA")
	cert := ca.Issue(t, "smtp", "localhost", "127.0.0.1")
	ms := &mailServer{implicit: implicit, serverTLS: webhooktest.ServerConfig(cert, nil)}
	srv := smtp.NewServer(ms)
	srv.Domain = "localhost"
	srv.TLSConfig = ms.serverTLS
	srv.AllowInsecureAuth = false // AUTH only after STARTTLS, as a real smarthost
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	var l net.Listener
	var err error
	if implicit {
		l, err = tls.Listen("tcp", "127.0.0.1:0", ms.serverTLS)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	ms.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ms, ca
}

func cfgFor(ms *mailServer, ca *webhooktest.CA) config.EmailReceiver {
	_, port, _ := net.SplitHostPort(ms.addr)
	mode := "starttls"
	if ms.implicit {
		mode = "tls"
	}
	return config.EmailReceiver{
		Smarthost: "localhost:" + port, From: "vigia <vigia@exemplo.gov.br>",
		To: "{{ .Labels.owner_email }}", FallbackTo: "plantao@exemplo.gov.br",
		Username: user, Password: pass, TLS: mode, CAFile: ca.CAFile, Timeout: 5 * time.Second,
	}
}

func group(ownerEmail string) *alerting.Group {
	start := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)
	common := map[string]string{"alertname": "SEIDown", "owner": "MGI"}
	if ownerEmail != "" {
		common["owner_email"] = ownerEmail
	}
	return &alerting.Group{
		Key: `{}:{alertname="SEIDown", owner="MGI"}`, Receiver: "owner-mail", Status: alerting.StateFiring,
		GroupLabels: map[string]string{"alertname": "SEIDown", "owner": "MGI"}, CommonLabels: common,
		Alerts: []alerting.Alert{
			{
				Labels:      map[string]string{"alertname": "SEIDown", "instance": "mgi-prod", "severity": "critical", "owner": "MGI"},
				Annotations: map[string]string{"summary": "SEI fora do ar em mgi-prod", "runbook_url": "https://wiki.exemplo/sei-down"},
				State:       alerting.StateFiring, StartsAt: start,
				Evidence: &probe.Evidence{Step: "login", Status: 500, Excerpt: "<h1>Erro</h1>"},
			},
			{
				Labels: map[string]string{"alertname": "SEIDown", "instance": "mgi-homolog", "severity": "critical", "owner": "MGI"},
				State:  alerting.StateResolved, StartsAt: start, EndsAt: start.Add(4 * time.Minute),
			},
		},
	}
}

type parsed struct {
	subject, to string
	header      netmail.Header
	text, html  string
}

func parse(t *testing.T, raw []byte) parsed {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v", err)
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	p := parsed{subject: subject, to: m.Header.Get("To"), header: m.Header}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("want multipart/alternative, got %q (%v)", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(decodePart(part))
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			p.text = string(body)
		case "text/html":
			p.html = string(body)
		}
	}
	return p
}

func TestMailArrivesWithBothPartsToTheOwner(t *testing.T) {
	ms, ca := startMail(t, false)
	n, err := email.New(cfgFor(ms, ca), email.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if retry, err := n.Notify(context.Background(), group("ti-mgi@exemplo.gov.br")); err != nil {
		t.Fatalf("notify: %v (retry %v)", err, retry)
	}
	got := ms.messages()
	if len(got) != 1 {
		t.Fatalf("want 1 message, got %d", len(got))
	}
	d := got[0]
	if !d.tls || d.authed != user || d.from != "vigia@exemplo.gov.br" {
		t.Errorf("session: tls=%v auth=%q from=%q", d.tls, d.authed, d.from)
	}
	if len(d.rcpts) != 1 || d.rcpts[0] != "ti-mgi@exemplo.gov.br" {
		t.Errorf("RCPT TO: %v", d.rcpts)
	}
	p := parse(t, d.data)
	if p.subject != "[ALERTA: 1] SEIDown · MGI" {
		t.Errorf("subject %q", p.subject)
	}
	if p.to != "<ti-mgi@exemplo.gov.br>" {
		t.Errorf("To: %q", p.to)
	}
	if p.header.Get("References") == "" || p.header.Get("Message-Id") == "" {
		t.Errorf("threading headers missing: %v", p.header)
	}
	for _, want := range []string{"SEI fora do ar em mgi-prod", "Instância: mgi-prod", "Severidade: crítica", "Evidência: passo login · HTTP 500 · «<h1>Erro</h1>»", "Procedimento: https://wiki.exemplo/sei-down", "Alertas resolvidos (1)", "SEIDown em mgi-homolog"} {
		if !strings.Contains(p.text, want) {
			t.Errorf("text part lacks %q:\n%s", want, p.text)
		}
	}
	for _, want := range []string{"<html lang=\"pt-BR\">", "SEI fora do ar em mgi-prod", "&lt;h1&gt;Erro&lt;/h1&gt;", `<a href="https://wiki.exemplo/sei-down">Procedimento</a>`} {
		if !strings.Contains(p.html, want) {
			t.Errorf("html part lacks %q:\n%s", want, p.html)
		}
	}
}

func TestFallbackRecipientWhenTheLabelIsMissing(t *testing.T) {
	ms, ca := startMail(t, false)
	n, err := email.New(cfgFor(ms, ca), email.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Notify(context.Background(), group("")); err != nil {
		t.Fatal(err)
	}
	if got := ms.messages(); len(got) != 1 || len(got[0].rcpts) != 1 || got[0].rcpts[0] != "plantao@exemplo.gov.br" {
		t.Fatalf("want the fallback recipient, got %+v", got)
	}
}

func TestTemporaryFailureIsRetriedOncePermanentIsNot(t *testing.T) {
	ms, ca := startMail(t, false)
	n, err := email.New(cfgFor(ms, ca), email.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ms.failData = []*smtp.SMTPError{{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Tente mais tarde"}}
	// The dispatcher's loop, reduced to what matters: retry while the notifier says it may help.
	attempts := 0
	for {
		attempts++
		retry, err := n.Notify(context.Background(), group("ti-mgi@exemplo.gov.br"))
		if err == nil {
			break
		}
		if !retry || attempts > 3 {
			t.Fatalf("attempt %d: retry=%v err=%v", attempts, retry, err)
		}
		if !strings.Contains(err.Error(), "451") {
			t.Errorf("the error should carry the server's answer: %v", err)
		}
	}
	if attempts != 2 || len(ms.messages()) != 1 {
		t.Fatalf("want one retry and one message, got %d attempts and %d messages", attempts, len(ms.messages()))
	}

	ms.failRcpt = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Destinatário inexistente"}
	retry, err := n.Notify(context.Background(), group("ti-mgi@exemplo.gov.br"))
	if err == nil || retry {
		t.Fatalf("a 5xx is final: retry=%v err=%v", retry, err)
	}
	if !strings.Contains(err.Error(), "550") {
		t.Errorf("error should carry the 550: %v", err)
	}
}

func TestImplicitTLS(t *testing.T) {
	ms, ca := startMail(t, true)
	n, err := email.New(cfgFor(ms, ca), email.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Notify(context.Background(), group("ti-mgi@exemplo.gov.br")); err != nil {
		t.Fatal(err)
	}
	if got := ms.messages(); len(got) != 1 || !got[0].tls {
		t.Fatalf("want one message over TLS, got %+v", got)
	}
}

func TestFailuresKeepSecretsOut(t *testing.T) {
	ms, ca := startMail(t, false)
	tests := []struct {
		name      string
		mutate    func(*config.EmailReceiver)
		retryable bool
	}{
		{"wrong password", func(c *config.EmailReceiver) { c.Password = "S3nha-errada-secreta" }, false},
		{"untrusted certificate", func(c *config.EmailReceiver) { c.CAFile = "" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := cfgFor(ms, ca)
			tt.mutate(&cfg)
			var logs bytes.Buffer
			n, err := email.New(cfg, email.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			if err != nil {
				t.Fatal(err)
			}
			retry, err := n.Notify(context.Background(), group("ti-mgi@exemplo.gov.br"))
			if err == nil || retry != tt.retryable {
				t.Fatalf("retry=%v err=%v, want retryable=%v", retry, err, tt.retryable)
			}
			for _, s := range []string{pass, "S3nha-errada-secreta"} {
				if strings.Contains(err.Error(), s) || strings.Contains(logs.String(), s) {
					t.Errorf("password leaked: %v / %s", err, logs.String())
				}
			}
		})
	}
}

func TestTimeoutOnASilentServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // accept and never greet
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	n, err := email.New(config.EmailReceiver{Smarthost: l.Addr().String(), From: "vigia@exemplo.gov.br", To: "a@exemplo.gov.br", Timeout: 300 * time.Millisecond}, email.Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	retry, err := n.Notify(context.Background(), group(""))
	if err == nil || !retry {
		t.Fatalf("want a retryable timeout, got retry=%v err=%v", retry, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v with a 300ms timeout", d)
	}
}

func TestTemplatesFromFilesAndBadConfig(t *testing.T) {
	ms, ca := startMail(t, false)
	dir := t.TempDir()
	textFile := filepath.Join(dir, "text.tmpl")
	if err := os.WriteFile(textFile, []byte(`Grupo {{ .Status }}: {{ range .Firing }}{{ .Labels.instance }} {{ end }}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := cfgFor(ms, ca)
	cfg.TextFile = textFile
	cfg.Subject = `Vigia: {{ len .Firing }} alerta(s) de {{ .Labels.owner }}`
	cfg.Headers = map[string]string{"X-Vigia-Owner": "{{ .Labels.owner }}"}
	n, err := email.New(cfg, email.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Notify(context.Background(), group("ti-mgi@exemplo.gov.br")); err != nil {
		t.Fatal(err)
	}
	p := parse(t, ms.messages()[0].data)
	if p.subject != "Vigia: 1 alerta(s) de MGI" || strings.TrimSpace(p.text) != "Grupo firing: mgi-prod" || p.header.Get("X-Vigia-Owner") != "MGI" {
		t.Errorf("overrides not used: subject %q text %q header %q", p.subject, p.text, p.header.Get("X-Vigia-Owner"))
	}

	bad := cfgFor(ms, ca)
	bad.Subject = "{{ .Status "
	if _, err := email.New(bad, email.Options{}); err == nil {
		t.Error("a broken subject template must fail at start")
	}
	bad = cfgFor(ms, ca)
	bad.HTMLFile = filepath.Join(dir, "missing.html")
	if _, err := email.New(bad, email.Options{}); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing template file must fail at start: %v", err)
	}
}
