package probe

import (
	"net/url"
	"sort"
)

// Target is one SEI instance as the probers see it.
type Target struct {
	Name        string            `json:"name"`
	URL         string            `json:"url"`
	Owner       string            `json:"owner,omitempty"`
	Environment string            `json:"environment,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Credentials Credentials       `json:"-"`
	// Probes restricts which probes run for this target; empty means every enabled probe.
	Probes []string `json:"probes,omitempty"`
	// Source says where the target came from: "static" or a discovery source name.
	Source string `json:"source,omitempty"`
}

// Credentials of the monitoring account used by logged-in probes.
type Credentials struct {
	Username string
	Password Secret
	Orgao    string
	// Token is a mod-wssei API token, when the operator provides one instead of a login.
	Token Secret
}

// Empty reports whether no login is configured.
func (c Credentials) Empty() bool { return c.Username == "" && c.Password == "" }

// Secret is a string that never prints: fmt, slog and encoding/json see a placeholder.
type Secret string

const redacted = "<secret>"

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from leaking the value.
func (s Secret) GoString() string { return s.String() }

// MarshalJSON renders a placeholder so a Secret inside a JSON document is never its value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// MarshalText renders a placeholder, which covers slog's text and JSON handlers.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the plain value, for the one place that has to send it.
func (s Secret) Reveal() string { return string(s) }

// SafeURL returns u without userinfo and without query parameters whose names suggest a secret, so it
// can go into a log line, an event or an error message.
func SafeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "<unparseable url>"
	}
	p.User = nil
	if p.RawQuery != "" {
		q := p.Query()
		for k := range q {
			if isSecretParam(k) {
				q.Set(k, "xxxxx")
			}
		}
		p.RawQuery = q.Encode()
	}
	return p.String()
}

func isSecretParam(k string) bool {
	switch k {
	case "token", "senha", "password", "pwdSenha", "api_key", "apikey", "key", "access_token", "infra_hash", "hdnToken":
		return true
	}
	return false
}

// LabelNames returns the custom label names in a stable order.
func (t Target) LabelNames() []string {
	names := make([]string, 0, len(t.Labels))
	for k := range t.Labels {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
