package email

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/textproto"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/alerting/notify/templates"
	"github.com/vigia-sei/vigia/config"

	"github.com/vigia-sei/vigia/internal/tlsroots"
)

// DefaultTimeout bounds one delivery when the config sets none.
const DefaultTimeout = 30 * time.Second

// Options are what the e-mail notifier needs besides its config.
type Options struct {
	Logger *slog.Logger
	// Templates overrides the default texts; nil loads the defaults plus the config's subject and
	// template files.
	Templates *templates.Set
}

// Notifier mails alert groups.
type Notifier struct {
	cfg  config.EmailReceiver
	host string
	port int
	tls  *tls.Config
	tmpl *templates.Set
	log  *slog.Logger
}

// New builds the notifier; template files are read and parsed now, so mistakes show at start.
func New(cfg config.EmailReceiver, o Options) (*Notifier, error) {
	host, portStr, err := net.SplitHostPort(cfg.Smarthost)
	if err != nil {
		return nil, fmt.Errorf("email: smarthost %q must be host:port", cfg.Smarthost)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		return nil, fmt.Errorf("email: smarthost %q has no valid port", cfg.Smarthost)
	}
	if cfg.From == "" {
		return nil, fmt.Errorf("email: from is required")
	}
	if _, err := netmail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("email: from %q is not an address: %w", cfg.From, err)
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = "starttls"
	case "starttls", "tls", "none":
	default:
		return nil, fmt.Errorf("email: tls must be starttls, tls or none, not %q", cfg.TLS)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	tc := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pool, err := tlsroots.Pool(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("email: ca_file: %w", err)
		}
		tc.RootCAs = pool
	}
	t := o.Templates
	if t == nil {
		over := map[string]string{templates.EmailSubject: cfg.Subject}
		for name, file := range map[string]string{templates.EmailHTML: cfg.HTMLFile, templates.EmailText: cfg.TextFile} {
			if file == "" {
				continue
			}
			b, err := os.ReadFile(file)
			if err != nil {
				return nil, fmt.Errorf("email: read template: %w", err)
			}
			over[name] = string(b)
		}
		if t, err = templates.New(over, nil); err != nil {
			return nil, fmt.Errorf("email: %w", err)
		}
	}
	n := &Notifier{cfg: cfg, host: host, port: port, tls: tc, tmpl: t, log: o.Logger}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	return n, nil
}

// Notify sends one message with every alert of the group. One attempt.
func (n *Notifier) Notify(ctx context.Context, g *alerting.Group) (bool, error) {
	msg, rcpts, err := n.message(g)
	if err != nil {
		return false, fmt.Errorf("email: %w", err)
	}
	c, err := n.client()
	if err != nil {
		return false, fmt.Errorf("email: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		retry := retryable(err)
		return retry, fmt.Errorf("email: send to %s via %s: %w", strings.Join(rcpts, ", "), n.cfg.Smarthost, err)
	}
	n.log.Debug("mail sent", "receiver", g.Receiver, "to", strings.Join(rcpts, ","), "alerts", len(g.Alerts))
	return false, nil
}

func (n *Notifier) client() (*mail.Client, error) {
	opts := []mail.Option{
		mail.WithPort(n.port),
		mail.WithTimeout(n.cfg.Timeout),
		mail.WithTLSConfig(n.tls),
	}
	switch n.cfg.TLS {
	case "tls":
		opts = append(opts, mail.WithSSL())
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		// STARTTLS is mandatory: never fall back to sending credentials and alerts in clear.
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if n.cfg.Hello != "" {
		opts = append(opts, mail.WithHELO(n.cfg.Hello))
	}
	if n.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(n.cfg.Username), mail.WithPassword(n.cfg.Password.Reveal()))
	}
	c, err := mail.NewClient(n.host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client for %s: %w", n.cfg.Smarthost, err)
	}
	return c, nil
}

// message renders the group into one multipart/alternative mail.
func (n *Notifier) message(g *alerting.Group) (*mail.Msg, []string, error) {
	data := templates.NewData(g)
	rcpts, err := n.recipients(data)
	if err != nil {
		return nil, nil, err
	}
	subject, err := n.tmpl.Text(templates.EmailSubject, data, templates.Plain)
	if err != nil {
		return nil, nil, err
	}
	text, err := n.tmpl.Text(templates.EmailText, data, templates.Plain)
	if err != nil {
		return nil, nil, err
	}
	html, err := n.tmpl.HTML(templates.EmailHTML, data)
	if err != nil {
		return nil, nil, err
	}
	m := mail.NewMsg()
	if err := m.From(n.cfg.From); err != nil {
		return nil, nil, fmt.Errorf("from %q: %w", n.cfg.From, err)
	}
	if err := m.To(rcpts...); err != nil {
		return nil, nil, fmt.Errorf("recipients: %w", err)
	}
	m.Subject(strings.Join(strings.Fields(subject), " "))
	m.SetDate()
	domain := "vigia.invalid"
	if at := strings.LastIndex(n.cfg.From, "@"); at >= 0 {
		domain = strings.Trim(n.cfg.From[at+1:], "> ")
	}
	m.SetMessageID()
	// Every mail of a group refers to one synthetic root, so mail clients thread a group's firing,
	// repeat and resolved messages together.
	if g.Key != "" {
		sum := sha256.Sum256([]byte(g.Key))
		root := "<vigia-" + hex.EncodeToString(sum[:8]) + "@" + domain + ">"
		m.SetGenHeader(mail.HeaderReferences, root)
		m.SetGenHeader(mail.HeaderInReplyTo, root)
	}
	keys := make([]string, 0, len(n.cfg.Headers))
	for k := range n.cfg.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := n.tmpl.Inline("header "+k, n.cfg.Headers[k], data)
		if err != nil {
			return nil, nil, err
		}
		m.SetGenHeader(mail.Header(textproto.CanonicalMIMEHeaderKey(k)), v)
	}
	m.SetBodyString(mail.TypeTextPlain, text+"\n")
	m.AddAlternativeString(mail.TypeTextHTML, html)
	return m, rcpts, nil
}

// recipients renders `to`; when that yields no valid address (the group lacks the label), it falls
// back to `fallback_to`.
func (n *Notifier) recipients(d templates.Data) ([]string, error) {
	var bad []string
	for _, field := range []struct{ name, tmpl string }{{"to", n.cfg.To}, {"fallback_to", n.cfg.FallbackTo}} {
		if field.tmpl == "" {
			continue
		}
		out, err := n.tmpl.Inline(field.name, field.tmpl, d)
		if err != nil {
			return nil, err
		}
		addrs, invalid := parseAddresses(out)
		bad = append(bad, invalid...)
		if len(addrs) > 0 {
			if len(invalid) > 0 {
				n.log.Warn("ignoring invalid recipient addresses", "field", field.name, "invalid", strings.Join(invalid, ","))
			}
			return addrs, nil
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("no valid recipient: to and fallback_to gave %q", strings.Join(bad, ", "))
	}
	return nil, fmt.Errorf("no recipient: to rendered empty for this group (missing label?) and fallback_to is not set")
}

func parseAddresses(s string) (good, bad []string) {
	seen := map[string]bool{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		a, err := netmail.ParseAddress(part)
		if err != nil {
			bad = append(bad, part)
			continue
		}
		key := strings.ToLower(a.Address)
		if !seen[key] {
			seen[key] = true
			good = append(good, a.String())
		}
	}
	return good, bad
}

// retryable: a 4xx reply or a network failure may pass; a 5xx reply, a refused login or an untrusted
// certificate will not.
func retryable(err error) bool {
	var se *mail.SendError
	if errors.As(err, &se) {
		if code := se.ErrorCode(); code >= 500 {
			return false
		}
		if se.IsTemp() || se.ErrorCode() >= 400 {
			return true
		}
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code >= 400 && te.Code < 500
	}
	if code := replyCode(err.Error()); code != 0 {
		return code < 500
	}
	var verr *tls.CertificateVerificationError
	var uerr x509.UnknownAuthorityError
	var herr x509.HostnameError
	if errors.As(err, &verr) || errors.As(err, &uerr) || errors.As(err, &herr) {
		return false
	}
	if strings.Contains(err.Error(), "STARTTLS") {
		// The server offers no STARTTLS while we require it: configuration, not luck.
		return false
	}
	return true
}

// replyCode finds an SMTP reply code at the start of a wrapped message ("...: 535 5.7.8 ...").
func replyCode(msg string) int {
	for _, part := range strings.Split(msg, ": ") {
		if len(part) >= 4 && part[3] == ' ' && (part[0] == '4' || part[0] == '5') {
			if c, err := strconv.Atoi(part[:3]); err == nil {
				return c
			}
		}
	}
	return 0
}

// Probe reports whether the smarthost answers and accepts the login, without sending a message
// (for `vigia check`-style start-up checks).
func (n *Notifier) Probe(ctx context.Context) error {
	c, err := n.client()
	if err != nil {
		return fmt.Errorf("email: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	if err := c.DialWithContext(ctx); err != nil {
		return fmt.Errorf("email: connect to %s: %w", n.cfg.Smarthost, err)
	}
	return c.Close()
}
