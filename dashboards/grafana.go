package dashboards

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// Defaults of the install commands.
const (
	DefaultGrafanaFolderUID   = "vigia"
	DefaultGrafanaFolderTitle = "vigia"
	defaultTimeout            = 30 * time.Second
	maxErrorBody              = 2 << 10
)

// GrafanaOptions say where and how to install the Grafana dashboards.
type GrafanaOptions struct {
	// URL is Grafana's base URL (https://grafana.exemplo, or with a sub-path).
	URL string
	// Token is a service account token (or API key) with permission to write dashboards and,
	// unless the folder exists, to create folders (the Editor role has both).
	Token probe.Secret
	// FolderUID is the folder the dashboards go to; it is created, titled FolderTitle, when
	// missing. Defaults: "vigia" and "vigia".
	FolderUID   string
	FolderTitle string
	// Client defaults to an http.Client with a 30 s timeout.
	Client *http.Client
}

// GrafanaResult is Grafana's answer for one dashboard.
type GrafanaResult struct {
	File    string
	UID     string
	URL     string // as Grafana returns it: a path under its base URL
	Status  string
	Version int
}

// InstallGrafana creates the folder if needed and saves every embedded dashboard into it with
// POST /api/dashboards/db, overwriting the dashboards of the same uid (a re-install updates them).
// It stops at the first dashboard Grafana refuses and returns what was installed before it.
func InstallGrafana(ctx context.Context, o GrafanaOptions) ([]GrafanaResult, error) {
	base, err := baseURL("grafana", o.URL)
	if err != nil {
		return nil, err
	}
	if o.Token == "" {
		return nil, errors.New("dashboards: grafana: no token: create a service account token with the Editor role and pass it in VIGIA_GRAFANA_TOKEN")
	}
	if o.FolderUID == "" {
		o.FolderUID = DefaultGrafanaFolderUID
	}
	if o.FolderTitle == "" {
		o.FolderTitle = DefaultGrafanaFolderTitle
	}
	c := apiClient{base: base, client: o.Client, auth: "Bearer " + o.Token.Reveal(), secret: o.Token.Reveal(), tool: "grafana"}
	if err := c.ensureFolder(ctx, o.FolderUID, o.FolderTitle); err != nil {
		return nil, err
	}
	dashboards, err := GrafanaDashboards()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(dashboards))
	for n := range dashboards {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []GrafanaResult
	for _, name := range names {
		var dash map[string]any
		if err := json.Unmarshal(dashboards[name], &dash); err != nil {
			return out, fmt.Errorf("dashboards: grafana: embedded %s: %w", name, err)
		}
		// Grafana matches on uid when id is null: the first install creates, later ones update.
		dash["id"] = nil
		body := map[string]any{
			"dashboard": dash,
			"folderUid": o.FolderUID,
			"overwrite": true,
			"message":   "vigia dashboards install",
		}
		var res struct {
			UID     string `json:"uid"`
			URL     string `json:"url"`
			Status  string `json:"status"`
			Version int    `json:"version"`
		}
		if err := c.do(ctx, http.MethodPost, "/api/dashboards/db", body, &res); err != nil {
			return out, fmt.Errorf("dashboards: grafana: save %s: %w", name, err)
		}
		out = append(out, GrafanaResult{File: name, UID: res.UID, URL: res.URL, Status: res.Status, Version: res.Version})
	}
	return out, nil
}

func (c apiClient) ensureFolder(ctx context.Context, uid, title string) error {
	err := c.do(ctx, http.MethodGet, "/api/folders/"+url.PathEscape(uid), nil, nil)
	var se *statusError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se) && se.status == http.StatusNotFound:
	default:
		return fmt.Errorf("dashboards: grafana: look up folder %q: %w", uid, err)
	}
	if err := c.do(ctx, http.MethodPost, "/api/folders", map[string]string{"uid": uid, "title": title}, nil); err != nil {
		return fmt.Errorf("dashboards: grafana: create folder %q: %w", uid, err)
	}
	return nil
}

// apiClient is the little both APIs need: JSON in, JSON out, a token that never shows in an error.
type apiClient struct {
	base   *url.URL
	client *http.Client
	auth   string // Authorization header value
	secret string // scrubbed from error texts
	tool   string
	header http.Header
}

// statusError is a non-2xx answer.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

func (c apiClient) httpClient() *http.Client {
	if c.client != nil {
		return c.client
	}
	return &http.Client{Timeout: defaultTimeout}
}

func (c apiClient) url(p string) string {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + p
	return u.String()
}

func (c apiClient) do(ctx context.Context, method, p string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url(p), body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.send(req, out)
}

func (c apiClient) send(req *http.Request, out any) error {
	req.Header.Set("Accept", "application/json")
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	res, err := c.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %s", req.Method, probe.SafeURL(req.URL.String()), c.scrub(err.Error()))
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
		return &statusError{status: res.StatusCode, msg: fmt.Sprintf("%s %s: HTTP %d: %s%s", req.Method,
			probe.SafeURL(req.URL.String()), res.StatusCode, c.scrub(apiMessage(b)), hint(c.tool, res.StatusCode))}
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, res.Body)
		return nil
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode the answer: %w", req.Method, probe.SafeURL(req.URL.String()), err)
	}
	return nil
}

func (c apiClient) scrub(s string) string {
	if c.secret != "" {
		s = strings.ReplaceAll(s, c.secret, "<secret>")
	}
	return s
}

// apiMessage is the message field Grafana and Kibana put in their error bodies, or the body.
func apiMessage(b []byte) string {
	var e struct {
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Message != "" {
		if e.Error != "" && e.Error != e.Message {
			return e.Error + ": " + e.Message
		}
		return e.Message
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "(empty body)"
	}
	return s
}

func hint(tool string, status int) string {
	switch status {
	case http.StatusUnauthorized:
		return " (the credentials were refused: check the token or API key)"
	case http.StatusForbidden:
		if tool == "grafana" {
			return " (the token lacks permission: give its service account the Editor role, or dashboards:write and folders:create)"
		}
		return " (the credentials lack permission: the user or API key needs the saved objects management privilege in this space)"
	case http.StatusNotFound:
		return " (is the URL Grafana's or Kibana's base URL, including any sub-path?)"
	}
	return ""
}

func baseURL(tool, raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("dashboards: %s: no URL given", tool)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("dashboards: %s: %q is not an http(s) URL", tool, probe.SafeURL(raw))
	}
	if u.User != nil {
		return nil, fmt.Errorf("dashboards: %s: put credentials in the token or key options, not in the URL %s", tool, probe.SafeURL(raw))
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}
