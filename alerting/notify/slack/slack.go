package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"

	slackapi "github.com/slack-go/slack"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/alerting/notify/templates"
	"github.com/vigia-sei/vigia/alerting/notify/webhook"
	"github.com/vigia-sei/vigia/config"
)

// Flavours of Slack-compatible chats.
const (
	FlavorSlack      = "slack"
	FlavorRocketChat = "rocketchat"
	FlavorMattermost = "mattermost"
)

// MaxAlerts caps the alerts shown in one message (Slack allows 100 attachments and 50 blocks).
const MaxAlerts = 20

// DefaultThreads is how many group threads the Web API mode remembers.
const DefaultThreads = 10000

// Options are what the Slack notifier needs besides its config.
type Options struct {
	Logger    *slog.Logger
	UserAgent string
	// Templates overrides the default texts; nil uses the defaults plus the config's title/text.
	Templates *templates.Set
	// Threads bounds the group→thread memory of the Web API mode (DefaultThreads when 0).
	Threads int
}

// Notifier posts groups to Slack (Web API or incoming webhook), Rocket.Chat or Mattermost.
type Notifier struct {
	cfg     config.SlackReceiver
	flavor  string
	api     *slackapi.Client
	hook    *webhook.Client
	tmpl    *templates.Set
	log     *slog.Logger
	threads *threadCache
}

// New builds the notifier: the Web API when a token is set, otherwise the flavour's webhook.
func New(cfg config.SlackReceiver, o Options) (*Notifier, error) {
	flavor := cfg.Flavor
	if flavor == "" {
		flavor = FlavorSlack
	}
	switch {
	case flavor != FlavorSlack && flavor != FlavorRocketChat && flavor != FlavorMattermost:
		return nil, fmt.Errorf("slack: unknown flavor %q: use slack, rocketchat or mattermost", flavor)
	case cfg.Token == "" && cfg.WebhookURL == "":
		return nil, fmt.Errorf("slack: set token and channel (Web API) or webhook_url")
	case cfg.Token != "" && cfg.Channel == "":
		return nil, fmt.Errorf("slack: channel is required with token")
	case cfg.Token != "" && flavor != FlavorSlack:
		return nil, fmt.Errorf("slack: %s takes webhook_url, not a Slack token", flavor)
	}
	hc, err := webhook.NewClient(webhook.ClientOptions{Timeout: cfg.Timeout, UserAgent: o.UserAgent})
	if err != nil {
		return nil, fmt.Errorf("slack: %w", err)
	}
	t := o.Templates
	if t == nil {
		t, err = templates.New(map[string]string{templates.ChatTitle: cfg.Title, templates.ChatAlert: cfg.Text}, nil)
		if err != nil {
			return nil, fmt.Errorf("slack: %w", err)
		}
	}
	n := &Notifier{cfg: cfg, flavor: flavor, hook: hc, tmpl: t, log: o.Logger}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	if cfg.Token != "" {
		opts := []slackapi.Option{slackapi.OptionHTTPClient(hc.HTTPClient())}
		if cfg.APIURL != "" {
			u := cfg.APIURL
			if !strings.HasSuffix(u, "/") {
				u += "/"
			}
			opts = append(opts, slackapi.OptionAPIURL(u))
		}
		n.api = slackapi.New(cfg.Token.Reveal(), opts...)
		limit := o.Threads
		if limit <= 0 {
			limit = DefaultThreads
		}
		n.threads = newThreadCache(limit)
	}
	return n, nil
}

// Notify posts one message for the group. One attempt.
func (n *Notifier) Notify(ctx context.Context, g *alerting.Group) (bool, error) {
	if n.api != nil {
		return n.postAPI(ctx, g)
	}
	var (
		payload any
		err     error
	)
	switch n.flavor {
	case FlavorSlack:
		payload, err = n.slackWebhook(g)
	default:
		payload, err = n.compatWebhook(g)
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", n.flavor, err)
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return false, fmt.Errorf("%s: encode message: %w", n.flavor, err)
	}
	if _, retry, err := n.hook.Post(ctx, n.cfg.WebhookURL.Reveal(), body, nil); err != nil {
		return retry, fmt.Errorf("%s: %w", n.flavor, err)
	}
	n.log.Debug("chat message delivered", "flavor", n.flavor, "receiver", g.Receiver, "alerts", len(g.Alerts))
	return false, nil
}

// postAPI posts through chat.postMessage. The first message of a group opens a thread; later ones
// (repeats, resolutions) are replies, and the final resolution is broadcast to the channel too.
func (n *Notifier) postAPI(ctx context.Context, g *alerting.Group) (bool, error) {
	title, blocks, atts, err := n.slackParts(g)
	if err != nil {
		return false, fmt.Errorf("slack: %w", err)
	}
	opts := []slackapi.MsgOption{
		slackapi.MsgOptionText(title, false),
		slackapi.MsgOptionBlocks(blocks...),
		slackapi.MsgOptionAttachments(atts...),
	}
	if n.cfg.Username != "" {
		opts = append(opts, slackapi.MsgOptionUsername(n.cfg.Username))
	}
	if n.cfg.IconEmoji != "" {
		opts = append(opts, slackapi.MsgOptionIconEmoji(n.cfg.IconEmoji))
	}
	if n.cfg.IconURL != "" {
		opts = append(opts, slackapi.MsgOptionIconURL(n.cfg.IconURL))
	}
	resolved := len(g.Firing()) == 0
	ts, threaded := n.threads.get(g.Key)
	if threaded {
		opts = append(opts, slackapi.MsgOptionTS(ts))
		if resolved {
			opts = append(opts, slackapi.MsgOptionBroadcast())
		}
	}
	_, newTS, err := n.api.PostMessageContext(ctx, n.cfg.Channel, opts...)
	if err != nil {
		retry, cause := classifyAPI(err)
		return retry, fmt.Errorf("slack: chat.postMessage to %s: %w", n.cfg.Channel, cause)
	}
	switch {
	case resolved:
		n.threads.remove(g.Key)
	case !threaded && g.Key != "":
		n.threads.put(g.Key, newTS)
	}
	n.log.Debug("slack message posted", "receiver", g.Receiver, "channel", n.cfg.Channel, "thread", threaded, "alerts", len(g.Alerts))
	return false, nil
}

// classifyAPI says whether a Web API failure may pass on its own and strips URLs from the cause.
func classifyAPI(err error) (bool, error) {
	var rl *slackapi.RateLimitedError
	var sc slackapi.StatusCodeError
	var se slackapi.SlackErrorResponse
	var ue *url.Error
	switch {
	case errors.As(err, &rl):
		return true, err
	case errors.As(err, &sc):
		return sc.Code >= 500 || sc.Code == 429 || sc.Code == 408, err
	case errors.As(err, &se):
		switch se.Err {
		case "internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited":
			return true, err
		}
		// channel_not_found, not_in_channel, invalid_auth, token_revoked, invalid_blocks...: an
		// operator has to act.
		return false, err
	case errors.As(err, &ue):
		return true, ue.Err
	}
	return true, err
}

// slackParts builds the Slack message: a title section, a link back to vigia, and one
// severity-coloured attachment per alert carrying its text (instance, evidence, runbook link).
func (n *Notifier) slackParts(g *alerting.Group) (string, []slackapi.Block, []slackapi.Attachment, error) {
	data := templates.NewData(g)
	title, err := n.tmpl.Text(templates.ChatTitle, data, templates.Slack)
	if err != nil {
		return "", nil, nil, err
	}
	blocks := []slackapi.Block{
		slackapi.NewSectionBlock(slackapi.NewTextBlockObject(slackapi.MarkdownType, "*"+escape(title)+"*", false, false), nil, nil),
	}
	if g.ExternalURL != "" {
		blocks = append(blocks, slackapi.NewContextBlock("", slackapi.NewTextBlockObject(slackapi.MarkdownType, "<"+g.ExternalURL+"|Abrir o vigia>", false, false)))
	}
	alerts, extra := shown(g)
	atts := make([]slackapi.Attachment, 0, len(alerts)+1)
	for _, a := range alerts {
		text, err := n.tmpl.Text(templates.ChatAlert, a, templates.Slack)
		if err != nil {
			return "", nil, nil, err
		}
		atts = append(atts, slackapi.Attachment{
			Color:    color(a),
			Fallback: templates.Summary(a),
			Blocks: slackapi.Blocks{BlockSet: []slackapi.Block{
				slackapi.NewSectionBlock(slackapi.NewTextBlockObject(slackapi.MarkdownType, text, false, false), nil, nil),
			}},
		})
	}
	if extra > 0 {
		atts = append(atts, slackapi.Attachment{Fallback: fmt.Sprintf("e mais %d alertas", extra), Text: fmt.Sprintf("… e mais %d alertas.", extra)})
	}
	return title, blocks, atts, nil
}

func (n *Notifier) slackWebhook(g *alerting.Group) (*slackapi.WebhookMessage, error) {
	title, blocks, atts, err := n.slackParts(g)
	if err != nil {
		return nil, err
	}
	return &slackapi.WebhookMessage{
		Text: title, Blocks: &slackapi.Blocks{BlockSet: blocks}, Attachments: atts,
		Channel: n.cfg.Channel, Username: n.cfg.Username, IconEmoji: n.cfg.IconEmoji, IconURL: n.cfg.IconURL,
	}, nil
}

// compatMessage is the incoming-webhook body Mattermost and Rocket.Chat both accept: Slack's
// legacy attachments (no blocks), with each product's own names for the sender overrides.
type compatMessage struct {
	Text        string             `json:"text"`
	Channel     string             `json:"channel,omitempty"`
	Username    string             `json:"username,omitempty"`   // mattermost
	IconURL     string             `json:"icon_url,omitempty"`   // mattermost
	IconEmoji   string             `json:"icon_emoji,omitempty"` // mattermost
	Alias       string             `json:"alias,omitempty"`      // rocketchat
	Emoji       string             `json:"emoji,omitempty"`      // rocketchat
	Avatar      string             `json:"avatar,omitempty"`     // rocketchat
	Attachments []compatAttachment `json:"attachments"`
}

type compatAttachment struct {
	Fallback  string        `json:"fallback,omitempty"`
	Color     string        `json:"color"`
	Title     string        `json:"title"`
	TitleLink string        `json:"title_link,omitempty"`
	Text      string        `json:"text"`
	Fields    []compatField `json:"fields,omitempty"`
}

type compatField struct {
	Short bool   `json:"short"`
	Title string `json:"title"`
	Value string `json:"value"`
}

func (n *Notifier) compatWebhook(g *alerting.Group) (*compatMessage, error) {
	format := templates.Markdown
	if n.flavor == FlavorRocketChat {
		format = templates.RocketChat
	}
	title, err := n.tmpl.Text(templates.ChatTitle, templates.NewData(g), format)
	if err != nil {
		return nil, err
	}
	if g.ExternalURL != "" {
		title += " · [Abrir o vigia](" + g.ExternalURL + ")"
	}
	m := &compatMessage{Text: title, Channel: n.cfg.Channel}
	if n.flavor == FlavorMattermost {
		m.Username, m.IconURL, m.IconEmoji = n.cfg.Username, n.cfg.IconURL, n.cfg.IconEmoji
	} else {
		m.Alias, m.Avatar = n.cfg.Username, n.cfg.IconURL
		if e := n.cfg.IconEmoji; e != "" {
			m.Emoji = e
		}
	}
	alerts, extra := shown(g)
	for _, a := range alerts {
		text, err := n.tmpl.Text(templates.ChatAlert, a, format)
		if err != nil {
			return nil, err
		}
		status := "ativo"
		if a.Resolved() {
			status = "resolvido"
		}
		m.Attachments = append(m.Attachments, compatAttachment{
			Fallback:  templates.Summary(a),
			Color:     color(a),
			Title:     templates.Summary(a),
			TitleLink: a.Annotations["runbook_url"],
			Text:      text,
			Fields: []compatField{
				{Short: true, Title: "Instância", Value: a.Labels["instance"]},
				{Short: true, Title: "Severidade", Value: templates.Severity(a.Labels["severity"])},
				{Short: true, Title: "Estado", Value: status},
			},
		})
	}
	if extra > 0 {
		m.Attachments = append(m.Attachments, compatAttachment{Color: "#757575", Title: fmt.Sprintf("… e mais %d alertas.", extra)})
	}
	return m, nil
}

func shown(g *alerting.Group) ([]alerting.Alert, int) {
	alerts := append(g.Firing(), g.ResolvedAlerts()...)
	if len(alerts) > MaxAlerts {
		return alerts[:MaxAlerts], len(alerts) - MaxAlerts
	}
	return alerts, 0
}

func color(a alerting.Alert) string {
	if a.Resolved() {
		return templates.Color(alerting.StateResolved)
	}
	return templates.Color(a.Labels["severity"])
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// threadCache remembers the first message of each open group, bounded, oldest evicted first.
type threadCache struct {
	mu    sync.Mutex
	limit int
	ts    map[string]string
	order []string
}

func newThreadCache(limit int) *threadCache {
	return &threadCache{limit: limit, ts: map[string]string{}}
}

func (c *threadCache) get(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ts, ok := c.ts[key]
	return ts, ok
}

func (c *threadCache) put(key, ts string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.ts[key]; !ok {
		c.order = append(c.order, key)
	}
	c.ts[key] = ts
	for len(c.ts) > c.limit && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		delete(c.ts, old)
	}
}

func (c *threadCache) remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.ts[key]; !ok {
		return
	}
	delete(c.ts, key)
	for i, k := range c.order {
		if k == key {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
}
