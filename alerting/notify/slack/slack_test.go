package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slacktest"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/alerting/notify/slack"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
)

const token = "xoxb-1234-SeCrEtToKeN"

func firingGroup() *alerting.Group {
	start := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)
	return &alerting.Group{
		Key: `{}:{alertname="SEIDown", owner="MGI"}`, Receiver: "oncall", Status: alerting.StateFiring,
		GroupLabels:  map[string]string{"alertname": "SEIDown", "owner": "MGI"},
		CommonLabels: map[string]string{"alertname": "SEIDown", "owner": "MGI"},
		ExternalURL:  "http://vigia.exemplo:9470/",
		Alerts: []alerting.Alert{
			{
				Labels:      map[string]string{"alertname": "SEIDown", "instance": "mgi-prod", "severity": "critical", "environment": "prod"},
				Annotations: map[string]string{"summary": "SEI fora do ar em mgi-prod", "runbook_url": "https://wiki.exemplo/sei-down"},
				State:       alerting.StateFiring, StartsAt: start,
				Evidence: &probe.Evidence{Step: "login", Status: 500, Excerpt: "<b>Erro</b> & falha"},
			},
			{
				Labels: map[string]string{"alertname": "SEIDown", "instance": "mgi-homolog", "severity": "warning"},
				State:  alerting.StateFiring, StartsAt: start,
			},
		},
	}
}

func resolve(g *alerting.Group) *alerting.Group {
	r := *g
	r.Status = alerting.StateResolved
	r.Alerts = nil
	for _, a := range g.Alerts {
		a.State = alerting.StateResolved
		a.EndsAt = a.StartsAt.Add(10 * time.Minute)
		r.Alerts = append(r.Alerts, a)
	}
	return &r
}

type call struct {
	path   string
	auth   string
	values url.Values
}

// recordingProxy sits in front of slacktest and records each Web API request as Slack receives it.
type recordingProxy struct {
	mu    sync.Mutex
	calls []call
	next  http.Handler
}

func (p *recordingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	v, _ := url.ParseQuery(string(body))
	p.mu.Lock()
	p.calls = append(p.calls, call{path: r.URL.Path, auth: r.Header.Get("Authorization"), values: v})
	p.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))
	p.next.ServeHTTP(w, r)
}

func startSlack(t *testing.T, binders ...slacktest.Binder) *recordingProxy {
	t.Helper()
	s := slacktest.NewTestServer(binders...)
	s.Start()
	t.Cleanup(s.Stop)
	target, _ := url.Parse(s.GetAPIURL())
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorLog = log.New(io.Discard, "", 0)
	p := &recordingProxy{next: rp}
	front := httptest.NewServer(p)
	t.Cleanup(front.Close)
	p.mu.Lock()
	p.calls = nil
	p.mu.Unlock()
	apiURL = front.URL + "/"
	return p
}

var apiURL string

func TestWebAPIPostsBlocksAndThreadsTheResolution(t *testing.T) {
	rec := startSlack(t)
	n, err := slack.New(config.SlackReceiver{Token: token, Channel: "#sei-oncall", APIURL: apiURL, Username: "vigia"}, slack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := firingGroup()
	if retry, err := n.Notify(context.Background(), g); err != nil {
		t.Fatalf("firing: %v (retry %v)", err, retry)
	}
	if retry, err := n.Notify(context.Background(), resolve(g)); err != nil {
		t.Fatalf("resolved: %v (retry %v)", err, retry)
	}
	if len(rec.calls) != 2 {
		t.Fatalf("want 2 Web API calls, got %d", len(rec.calls))
	}
	first, second := rec.calls[0], rec.calls[1]
	for _, c := range rec.calls {
		if c.path != "/chat.postMessage" || c.values.Get("channel") != "#sei-oncall" {
			t.Errorf("method/channel: %s %v", c.path, c.values.Get("channel"))
		}
		if c.auth != "Bearer "+token && c.values.Get("token") != token {
			t.Errorf("token not sent (auth %q)", c.auth)
		}
	}
	if first.values.Get("thread_ts") != "" {
		t.Errorf("the firing message should open the thread, not reply: %v", first.values)
	}
	if !strings.HasPrefix(first.values.Get("text"), "[ALERTA: 2] SEIDown · MGI") || first.values.Get("username") != "vigia" {
		t.Errorf("text/username: %q %q", first.values.Get("text"), first.values.Get("username"))
	}
	var blocks slackapi.Blocks
	if err := json.Unmarshal([]byte(first.values.Get("blocks")), &blocks); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	if len(blocks.BlockSet) != 2 || blocks.BlockSet[0].BlockType() != slackapi.MBTSection || blocks.BlockSet[1].BlockType() != slackapi.MBTContext {
		t.Fatalf("blocks: %s", first.values.Get("blocks"))
	}
	var atts []slackapi.Attachment
	if err := json.Unmarshal([]byte(first.values.Get("attachments")), &atts); err != nil {
		t.Fatalf("attachments: %v", err)
	}
	if len(atts) != 2 || atts[0].Color != "#D32F2F" || atts[1].Color != "#F9A825" {
		t.Fatalf("one attachment per alert coloured by severity, got %+v", atts)
	}
	sec, ok := atts[0].Blocks.BlockSet[0].(*slackapi.SectionBlock)
	if !ok {
		t.Fatalf("attachment block: %T", atts[0].Blocks.BlockSet[0])
	}
	for _, want := range []string{"*SEI fora do ar em mgi-prod*", "Instância: mgi-prod (prod)", "Evidência: passo login · HTTP 500 · «&lt;b&gt;Erro&lt;/b&gt; &amp; falha»", "<https://wiki.exemplo/sei-down|Procedimento>"} {
		if !strings.Contains(sec.Text.Text, want) {
			t.Errorf("alert text lacks %q:\n%s", want, sec.Text.Text)
		}
	}
	if second.values.Get("thread_ts") == "" || second.values.Get("reply_broadcast") != "true" {
		t.Errorf("the resolution should reply in the thread and be broadcast: %v", second.values)
	}
	if !strings.HasPrefix(second.values.Get("text"), "[RESOLVIDO] SEIDown · MGI") {
		t.Errorf("resolved text: %q", second.values.Get("text"))
	}
	if err := json.Unmarshal([]byte(second.values.Get("attachments")), &atts); err != nil || atts[0].Color != "#2E7D32" {
		t.Errorf("resolved alerts are green: %v %+v", err, atts)
	}
}

func TestWebAPIFailuresClassified(t *testing.T) {
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		retryable bool
		want      string
	}{
		{"unknown channel needs an operator", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"ok":false,"error":"channel_not_found"}`))
		}, false, "channel_not_found"},
		{"revoked token needs an operator", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"ok":false,"error":"token_revoked"}`))
		}, false, "token_revoked"},
		{"rate limit passes", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
		}, true, "rate limit"},
		{"server error passes", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}, true, "503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			startSlack(t, func(c slacktest.Customize) { c.Handle("/chat.postMessage", tt.handler) })
			n, err := slack.New(config.SlackReceiver{Token: token, Channel: "#x", APIURL: apiURL}, slack.Options{})
			if err != nil {
				t.Fatal(err)
			}
			retry, err := n.Notify(context.Background(), firingGroup())
			if err == nil || retry != tt.retryable || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("retry=%v err=%v; want retryable=%v and %q", retry, err, tt.retryable, tt.want)
			}
			if strings.Contains(err.Error(), "SeCrEtToKeN") {
				t.Errorf("token leaked: %v", err)
			}
		})
	}
}

func TestTimeoutHonoured(t *testing.T) {
	startSlack(t, func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(time.Second):
			case <-r.Context().Done():
			}
		})
	})
	n, err := slack.New(config.SlackReceiver{Token: token, Channel: "#x", APIURL: apiURL, Timeout: 200 * time.Millisecond}, slack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	retry, err := n.Notify(context.Background(), firingGroup())
	if err == nil || !retry || time.Since(start) > time.Second {
		t.Fatalf("want a retryable timeout within 1s, got retry=%v err=%v after %v", retry, err, time.Since(start))
	}
}

// The incoming-webhook bodies as each product documents them, decoded strictly.
type mattermostBody struct {
	Text        string `json:"text"`
	Channel     string `json:"channel"`
	Username    string `json:"username"`
	IconURL     string `json:"icon_url"`
	IconEmoji   string `json:"icon_emoji"`
	Attachments []struct {
		Fallback  string `json:"fallback"`
		Color     string `json:"color"`
		Pretext   string `json:"pretext"`
		Text      string `json:"text"`
		Title     string `json:"title"`
		TitleLink string `json:"title_link"`
		Fields    []struct {
			Short bool   `json:"short"`
			Title string `json:"title"`
			Value string `json:"value"`
		} `json:"fields"`
	} `json:"attachments"`
}

type rocketChatBody struct {
	Text        string `json:"text"`
	Channel     string `json:"channel"`
	Alias       string `json:"alias"`
	Emoji       string `json:"emoji"`
	Avatar      string `json:"avatar"`
	Attachments []struct {
		Fallback  string `json:"fallback"`
		Color     string `json:"color"`
		Text      string `json:"text"`
		Title     string `json:"title"`
		TitleLink string `json:"title_link"`
		Fields    []struct {
			Short bool   `json:"short"`
			Title string `json:"title"`
			Value string `json:"value"`
		} `json:"fields"`
	} `json:"attachments"`
}

type slackWebhookBody struct {
	Text        string                `json:"text"`
	Channel     string                `json:"channel"`
	Username    string                `json:"username"`
	IconEmoji   string                `json:"icon_emoji"`
	Blocks      json.RawMessage       `json:"blocks"`
	Attachments []slackapi.Attachment `json:"attachments"`
	// slack-go always writes these two.
	ReplaceOriginal bool `json:"replace_original"`
	DeleteOriginal  bool `json:"delete_original"`
}

func TestCompatibleWebhookPayloads(t *testing.T) {
	tests := []struct {
		flavor string
		into   func() any
		check  func(t *testing.T, v any)
	}{
		{"mattermost", func() any { return &mattermostBody{} }, func(t *testing.T, v any) {
			b := v.(*mattermostBody)
			if b.Username != "vigia" || b.IconEmoji != ":rotating_light:" || len(b.Attachments) != 2 {
				t.Fatalf("body: %+v", b)
			}
			a := b.Attachments[0]
			if a.Color != "#D32F2F" || a.Title != "SEI fora do ar em mgi-prod" || a.TitleLink != "https://wiki.exemplo/sei-down" || len(a.Fields) != 3 {
				t.Errorf("attachment: %+v", a)
			}
			for _, want := range []string{"**SEI fora do ar em mgi-prod**", "[Procedimento](https://wiki.exemplo/sei-down)", "«<b>Erro</b> & falha»"} {
				if !strings.Contains(a.Text, want) {
					t.Errorf("text lacks %q: %s", want, a.Text)
				}
			}
			if !strings.Contains(b.Text, "[Abrir o vigia](http://vigia.exemplo:9470/)") {
				t.Errorf("text: %s", b.Text)
			}
		}},
		{"rocketchat", func() any { return &rocketChatBody{} }, func(t *testing.T, v any) {
			b := v.(*rocketChatBody)
			if b.Alias != "vigia" || b.Emoji != ":rotating_light:" || len(b.Attachments) != 2 {
				t.Fatalf("body: %+v", b)
			}
			a := b.Attachments[0]
			if a.Color != "#D32F2F" || !strings.Contains(a.Text, "*SEI fora do ar em mgi-prod*") || strings.Contains(a.Text, "**") {
				t.Errorf("attachment: %+v", a)
			}
		}},
		{"slack", func() any { return &slackWebhookBody{} }, func(t *testing.T, v any) {
			b := v.(*slackWebhookBody)
			if b.Username != "vigia" || len(b.Blocks) == 0 || len(b.Attachments) != 2 || b.Attachments[1].Color != "#F9A825" {
				t.Fatalf("body: %+v", b)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.flavor, func(t *testing.T) {
			var body []byte
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ = io.ReadAll(r.Body)
				_, _ = w.Write([]byte("ok"))
			}))
			t.Cleanup(srv.Close)
			n, err := slack.New(config.SlackReceiver{WebhookURL: probe.Secret(srv.URL + "/hooks/SeCrEtHoOk"), Flavor: tt.flavor, Username: "vigia", IconEmoji: ":rotating_light:"}, slack.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := n.Notify(context.Background(), firingGroup()); err != nil {
				t.Fatal(err)
			}
			v := tt.into()
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(v); err != nil {
				t.Fatalf("%s body outside its documented format: %v\n%s", tt.flavor, err, body)
			}
			tt.check(t, v)
		})
	}
}

func TestWebhookErrorsKeepTheURLSecret(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("no_team"))
	}))
	t.Cleanup(srv.Close)
	n, err := slack.New(config.SlackReceiver{WebhookURL: probe.Secret(srv.URL + "/hooks/SeCrEtHoOk"), Flavor: "mattermost"}, slack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	retry, err := n.Notify(context.Background(), firingGroup())
	if err == nil || retry || strings.Contains(err.Error(), "SeCrEtHoOk") || !strings.Contains(err.Error(), "404") {
		t.Fatalf("retry=%v err=%v", retry, err)
	}
}
