package teams

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/alerting/notify/templates"
	"github.com/vigia-sei/vigia/alerting/notify/webhook"
	"github.com/vigia-sei/vigia/config"
)

// MaxAlerts caps the alerts shown in one card: Teams refuses payloads over about 28 KB.
const MaxAlerts = 20

// Options are what the Teams notifier needs besides its config.
type Options struct {
	Logger    *slog.Logger
	UserAgent string
	// Templates overrides the default Portuguese texts; nil uses the defaults plus the config's
	// title/text.
	Templates *templates.Set
}

// Notifier posts adaptive cards to a Teams workflow webhook.
type Notifier struct {
	url    string
	client *webhook.Client
	tmpl   *templates.Set
	log    *slog.Logger
}

// New builds the Teams notifier from its config (the teams: receiver, a WebhookReceiver).
func New(cfg config.WebhookReceiver, o Options) (*Notifier, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("teams: url is required")
	}
	c, err := webhook.NewClient(webhook.ClientOptions{
		Timeout: cfg.Timeout, UserAgent: o.UserAgent,
		TLS: webhook.TLSOptions{CAFile: cfg.CAFile, CertFile: cfg.CertFile, KeyFile: cfg.KeyFile, InsecureSkipVerify: cfg.InsecureSkipVerify},
	})
	if err != nil {
		return nil, fmt.Errorf("teams: %w", err)
	}
	t := o.Templates
	if t == nil {
		t, err = templates.New(map[string]string{templates.ChatTitle: cfg.Title, templates.ChatAlert: cfg.Text}, nil)
		if err != nil {
			return nil, fmt.Errorf("teams: %w", err)
		}
	}
	n := &Notifier{url: cfg.URL.Reveal(), client: c, tmpl: t, log: o.Logger}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	return n, nil
}

// Notify posts one card for the group. One attempt; retryable as webhook.Client classifies it.
func (n *Notifier) Notify(ctx context.Context, g *alerting.Group) (bool, error) {
	msg, err := Build(n.tmpl, g)
	if err != nil {
		return false, fmt.Errorf("teams: %w", err)
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return false, fmt.Errorf("teams: encode card: %w", err)
	}
	_, retry, err := n.client.Post(ctx, n.url, body, nil)
	if err != nil {
		return retry, fmt.Errorf("teams: %w", err)
	}
	n.log.Debug("teams card delivered", "receiver", g.Receiver, "alerts", len(g.Alerts))
	return false, nil
}

// Message is the workflow webhook body: a message with one adaptive card attachment.
type Message struct {
	Type        string       `json:"type"`
	Attachments []Attachment `json:"attachments"`
}

// Attachment carries the card.
type Attachment struct {
	ContentType string  `json:"contentType"`
	ContentURL  *string `json:"contentUrl"`
	Content     Card    `json:"content"`
}

// Card is an Adaptive Card (schema 1.4, the newest every Teams client renders).
type Card struct {
	Schema  string         `json:"$schema"`
	Type    string         `json:"type"`
	Version string         `json:"version"`
	Body    []Element      `json:"body"`
	Actions []Action       `json:"actions,omitempty"`
	MSTeams map[string]any `json:"msteams,omitempty"`
}

// Element is a card element: TextBlock, FactSet or Container.
type Element struct {
	Type      string    `json:"type"`
	Text      string    `json:"text,omitempty"`
	Wrap      bool      `json:"wrap,omitempty"`
	Weight    string    `json:"weight,omitempty"`
	Size      string    `json:"size,omitempty"`
	Color     string    `json:"color,omitempty"`
	Style     string    `json:"style,omitempty"`
	Separator bool      `json:"separator,omitempty"`
	Facts     []Fact    `json:"facts,omitempty"`
	Items     []Element `json:"items,omitempty"`
	Bleed     bool      `json:"bleed,omitempty"`
}

// Fact is one row of a FactSet.
type Fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// Action is an Action.OpenUrl button.
type Action struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Build renders the card for a group.
func Build(t *templates.Set, g *alerting.Group) (Message, error) {
	data := templates.NewData(g)
	title, err := t.Text(templates.ChatTitle, data, templates.Markdown)
	if err != nil {
		return Message{}, err
	}
	firing := g.Firing()
	style, color := "good", "good"
	if len(firing) > 0 {
		style, color = "warning", "warning"
		for _, a := range firing {
			if a.Labels["severity"] == "critical" {
				style, color = "attention", "attention"
			}
		}
	}
	body := []Element{{
		Type: "Container", Style: style, Bleed: true,
		Items: []Element{{Type: "TextBlock", Text: title, Wrap: true, Weight: "Bolder", Size: "Medium", Color: color}},
	}}
	alerts := append(firing, g.ResolvedAlerts()...)
	shown := alerts
	if len(shown) > MaxAlerts {
		shown = shown[:MaxAlerts]
	}
	var actions []Action
	seen := map[string]bool{}
	for _, a := range shown {
		text, err := t.Text(templates.ChatAlert, a, templates.Markdown)
		if err != nil {
			return Message{}, err
		}
		// Teams renders a single newline inside a TextBlock as a space.
		body = append(body, Element{Type: "TextBlock", Text: strings.ReplaceAll(text, "\n", "\n\n"), Wrap: true, Separator: true})
		if u := a.Annotations["runbook_url"]; u != "" && !seen[u] && len(actions) < 3 {
			seen[u] = true
			actions = append(actions, Action{Type: "Action.OpenUrl", Title: "Procedimento", URL: u})
		}
	}
	if extra := len(alerts) - len(shown); extra > 0 {
		body = append(body, Element{Type: "TextBlock", Text: fmt.Sprintf("… e mais %d alertas.", extra), Wrap: true, Separator: true})
	}
	if g.ExternalURL != "" {
		actions = append(actions, Action{Type: "Action.OpenUrl", Title: "Abrir o vigia", URL: g.ExternalURL})
	}
	return Message{
		Type: "message",
		Attachments: []Attachment{{
			ContentType: "application/vnd.microsoft.card.adaptive",
			Content: Card{
				Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.4",
				Body: body, Actions: actions, MSTeams: map[string]any{"width": "Full"},
			},
		}},
	}, nil
}
