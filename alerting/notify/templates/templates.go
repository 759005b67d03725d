package templates

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"sort"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode/utf8"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/collectors/probe"
)

//go:embed default/*.tmpl
var defaults embed.FS

// Names of the templates a receiver may override.
const (
	EmailSubject         = "email.subject"
	EmailText            = "email.text"
	EmailHTML            = "email.html"
	ChatTitle            = "chat.title"
	ChatAlert            = "chat.alert"
	ZabbixTriggerName    = "zabbix.trigger_name"
	ZabbixTriggerComment = "zabbix.trigger_comments"
)

// Names lists every template name, in a stable order.
var Names = []string{EmailSubject, EmailText, EmailHTML, ChatTitle, ChatAlert, ZabbixTriggerName, ZabbixTriggerComment}

// Format selects how the chat helpers negrito and link render: each chat speaks its own markup.
type Format int

// Formats.
const (
	// Plain text: no markup (e-mail text part, subjects, Zabbix).
	Plain Format = iota
	// Slack mrkdwn: *bold*, <url|text>.
	Slack
	// Markdown as Mattermost and Teams adaptive cards read it: **bold**, [text](url).
	Markdown
	// RocketChat: *bold*, [text](url).
	RocketChat
)

// Set is a parsed set of templates: the embedded defaults with a receiver's overrides on top.
// It is safe for concurrent use.
type Set struct {
	text *texttemplate.Template
	html *htmltemplate.Template
	loc  *time.Location
}

// New parses the defaults and the overrides (template name to template text, see Names). loc is the
// time zone dates are shown in; nil means America/Sao_Paulo, where most SEI operators are.
func New(overrides map[string]string, loc *time.Location) (*Set, error) {
	if loc == nil {
		l, err := time.LoadLocation("America/Sao_Paulo")
		if err != nil {
			l = time.FixedZone("BRT", -3*3600)
		}
		loc = l
	}
	s := &Set{loc: loc}
	fm := s.funcs(Plain)
	text := texttemplate.New("vigia").Funcs(fm).Option("missingkey=zero")
	html := htmltemplate.New("vigia").Funcs(fm).Option("missingkey=zero")
	entries, err := defaults.ReadDir("default")
	if err != nil {
		return nil, fmt.Errorf("read embedded templates: %w", err)
	}
	for _, e := range entries {
		b, err := defaults.ReadFile("default/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read embedded template %s: %w", e.Name(), err)
		}
		if strings.HasPrefix(e.Name(), "email.html") {
			_, err = html.Parse(string(b))
		} else {
			_, err = text.Parse(string(b))
		}
		if err != nil {
			return nil, fmt.Errorf("embedded template %s: %w", e.Name(), err)
		}
	}
	names := make([]string, 0, len(overrides))
	for n := range overrides {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		body := overrides[name]
		if body == "" {
			continue
		}
		if !known(name) {
			return nil, fmt.Errorf("unknown template %q: use one of %s", name, strings.Join(Names, ", "))
		}
		def := `{{ define "` + name + `" }}` + body + `{{ end }}`
		if name == EmailHTML {
			_, err = html.Parse(def)
		} else {
			_, err = text.Parse(def)
		}
		if err != nil {
			return nil, fmt.Errorf("template %s does not parse: %w", name, err)
		}
	}
	s.text, s.html = text, html
	return s, nil
}

func known(name string) bool {
	for _, n := range Names {
		if n == name {
			return true
		}
	}
	return false
}

// Text renders a text template with the chat markup of f.
func (s *Set) Text(name string, data any, f Format) (string, error) {
	t := s.text
	if f != Plain {
		// Clone so the format-bound helpers do not leak between concurrent renders; notifications
		// are rare enough that the copy does not matter.
		c, err := s.text.Clone()
		if err != nil {
			return "", fmt.Errorf("clone templates: %w", err)
		}
		t = c.Funcs(s.funcs(f))
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("render template %s: %w", name, err)
	}
	return strings.TrimSpace(b.String()), nil
}

// HTML renders an HTML template (contextual escaping by html/template).
func (s *Set) HTML(name string, data any) (string, error) {
	var b bytes.Buffer
	if err := s.html.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("render template %s: %w", name, err)
	}
	return b.String(), nil
}

// Inline renders a one-off template text (a receiver's `to` or `channel` field) against data.
func (s *Set) Inline(name, text string, data any) (string, error) {
	t, err := texttemplate.New(name).Funcs(s.funcs(Plain)).Option("missingkey=zero").Parse(text)
	if err != nil {
		return "", fmt.Errorf("template %s does not parse: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("render template %s: %w", name, err)
	}
	return strings.TrimSpace(strings.ReplaceAll(b.String(), "<no value>", "")), nil
}

// Data is what group templates see: the group itself (.Status, .Alerts, .Firing, .ResolvedAlerts,
// .GroupLabels, .CommonLabels, .ExternalURL) plus .Labels, a short name for the common labels so a
// recipient template reads {{ .Labels.owner_email }}.
type Data struct {
	*alerting.Group
	Labels map[string]string
}

// NewData wraps a group for rendering.
func NewData(g *alerting.Group) Data { return Data{Group: g, Labels: g.CommonLabels} }

func (s *Set) funcs(f Format) map[string]any {
	return map[string]any{
		"estado":     estado,
		"severidade": Severity,
		"cor":        Color,
		"icone":      icon,
		"titulo":     title,
		"resumo":     Summary,
		"evidencia":  func(e *probe.Evidence) string { return evidence(f, e) },
		"datahora":   func(t time.Time) string { return s.dateTime(t) },
		"duracao":    duration,
		"valores":    values,
		"junta":      strings.Join,
		"maiusculas": strings.ToUpper,
		"trunca":     truncate,
		"negrito":    func(v string) string { return bold(f, v) },
		"link":       func(url, text string) string { return link(f, url, text) },
	}
}

// FuncNames lists the functions templates may call, sorted.
func FuncNames() []string {
	var s Set
	names := make([]string, 0, 16)
	for n := range s.funcs(Plain) {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (s *Set) dateTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(s.loc).Format("02/01/2006 15:04:05 MST")
}

func estado(status string) string {
	if status == alerting.StateResolved {
		return "RESOLVIDO"
	}
	return "ALERTA"
}

// Severity is the Portuguese name of a vigia severity.
func Severity(s string) string {
	switch s {
	case "critical":
		return "crítica"
	case "warning":
		return "aviso"
	case "info":
		return "informativa"
	case "":
		return "não informada"
	}
	return s
}

// Color is the hex colour chats use for a severity (and for resolved alerts when s is "resolved").
func Color(s string) string {
	switch s {
	case "critical":
		return "#D32F2F"
	case "warning":
		return "#F9A825"
	case "info":
		return "#1E88E5"
	case alerting.StateResolved:
		return "#2E7D32"
	}
	return "#757575"
}

func icon(severity string) string {
	switch severity {
	case "critical":
		return "🔴"
	case "warning":
		return "🟠"
	}
	return "🔵"
}

// Summary is an alert's one-line summary: its summary annotation, or "alertname em instance".
func Summary(a alerting.Alert) string {
	if s := strings.TrimSpace(a.Annotations["summary"]); s != "" {
		return s
	}
	if inst := a.Labels["instance"]; inst != "" {
		return a.Name() + " em " + inst
	}
	return a.Name()
}

// title names a group: its alert name first, then the other grouping values.
func title(d Data) string {
	var parts []string
	if n := d.GroupLabels["alertname"]; n != "" {
		parts = append(parts, n)
	} else if n := d.CommonLabels["alertname"]; n != "" {
		parts = append(parts, n)
	}
	for _, k := range sortedKeys(d.GroupLabels) {
		if k != "alertname" && d.GroupLabels[k] != "" {
			parts = append(parts, d.GroupLabels[k])
		}
	}
	if len(parts) == 0 {
		return "alertas do vigia"
	}
	return strings.Join(parts, " · ")
}

func evidence(f Format, e *probe.Evidence) string {
	if e == nil {
		return ""
	}
	var parts []string
	if e.Step != "" {
		parts = append(parts, "passo "+e.Step)
	}
	if e.Status != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", e.Status))
	}
	if e.URL != "" {
		parts = append(parts, probe.SafeURL(e.URL))
	}
	if ex := strings.Join(strings.Fields(e.Excerpt), " "); ex != "" {
		parts = append(parts, "«"+truncate(200, ex)+"»")
	}
	out := strings.Join(parts, " · ")
	if f == Slack {
		// The excerpt is raw page text; Slack reads <, > and & as markup.
		out = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(out)
	}
	return out
}

func duration(d time.Duration) string { return d.Round(time.Second).String() }

func values(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, m[k])
	}
	return out
}

func truncate(n int, s string) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

func bold(f Format, s string) string {
	switch f {
	case Slack, RocketChat:
		return "*" + s + "*"
	case Markdown:
		return "**" + s + "**"
	}
	return s
}

func link(f Format, url, text string) string {
	switch f {
	case Slack:
		return "<" + url + "|" + text + ">"
	case Markdown, RocketChat:
		return "[" + text + "](" + url + ")"
	}
	return text + ": " + url
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
