package zabbix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	zbx "github.com/fabiang/go-zabbix"
	zbxtypes "github.com/fabiang/go-zabbix/types"

	"github.com/vigia-sei/vigia/alerting/notify/webhook"
	"github.com/vigia-sei/vigia/config"
)

// api is one authenticated JSON-RPC session, bound to one context: each provisioning run opens
// its own, so a cancelled run never leaves a request behind.
type api struct {
	sess    *zbx.Session
	version *zbxtypes.ZBXVersion
	login   bool // logged in with username/password: log out at the end
}

var (
	v62, _ = zbxtypes.NewZBXVersion("6.2.0")
	v70, _ = zbxtypes.NewZBXVersion("7.0.0")
)

// staticToken hands go-zabbix a ready session for an API token, so no user.login happens; it is
// the library's documented cache hook, used here as a source rather than a cache.
type staticToken struct{ url, token string }

func (s staticToken) SetSessionLifetime(time.Duration) {}
func (s staticToken) SaveSession(*zbx.Session) error   { return nil }
func (s staticToken) HasSession() bool                 { return true }
func (s staticToken) GetSession() (*zbx.Session, error) {
	return &zbx.Session{URL: s.url, Token: s.token}, nil
}
func (s staticToken) Flush() error { return nil }

// ctxTransport binds every request of a session to the run's context.
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(r.WithContext(t.ctx))
}

func connect(ctx context.Context, cfg config.ZabbixReceiver, base *http.Transport, timeout time.Duration) (*api, error) {
	hc := &http.Client{Transport: ctxTransport{ctx: ctx, base: base}, Timeout: timeout}
	b := zbx.CreateClient(cfg.API).WithHTTPClient(hc)
	login := cfg.Token == ""
	if login {
		b = b.WithCredentials(cfg.Username, cfg.Password.Reveal())
	} else {
		b = b.WithCache(staticToken{url: cfg.API, token: cfg.Token.Reveal()})
	}
	sess, err := b.Connect()
	if err != nil {
		return nil, fmt.Errorf("connect to the Zabbix API at %s: %w", webhook.Redact(cfg.API), scrubErr(err, cfg))
	}
	ver, err := sess.GetVersion()
	if err != nil {
		return nil, fmt.Errorf("read the Zabbix API version at %s: %w", webhook.Redact(cfg.API), scrubErr(err, cfg))
	}
	a := &api{sess: sess, version: ver, login: login}
	if !login {
		// A wrong token only shows on the first authenticated call.
		var ok []json.RawMessage
		if err := a.call("hostgroup.get", map[string]any{"output": []string{"groupid"}, "limit": 1}, &ok); err != nil {
			return nil, fmt.Errorf("the Zabbix API at %s refused the token: %w", webhook.Redact(cfg.API), scrubErr(err, cfg))
		}
	}
	return a, nil
}

func (a *api) close() {
	if a.login {
		_, _ = a.sess.Do(zbx.NewRequest("user.logout", []string{}), false)
	}
}

func (a *api) atLeast(v *zbxtypes.ZBXVersion) bool { return a.version.Compare(v) >= 0 }

// call runs one method and decodes its result into out.
func (a *api) call(method string, params, out any) error {
	resp, err := a.sess.Do(zbx.NewRequest(method, params), false)
	if err != nil {
		return fmt.Errorf("%s: %w", method, flatten(err))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return fmt.Errorf("%s: decode result: %w", method, err)
	}
	return nil
}

// flatten turns go-zabbix's multi-line API errors into one line.
func flatten(err error) error {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

// scrubErr keeps credentials out of an error, whatever a library put in it.
func scrubErr(err error, cfg config.ZabbixReceiver) error {
	msg := flatten(err).Error()
	for _, s := range []string{cfg.Password.Reveal(), cfg.Token.Reveal()} {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "<secret>")
		}
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}
