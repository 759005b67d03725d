package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/collectors/probe"
)

// defaultAddr is where a local vigia answers (config.DefaultListen).
const defaultAddr = "http://127.0.0.1:9470"

// apiFlags are the daemon address and token shared by the API clients (alerts, silence, check).
type apiFlags struct {
	addr    string
	token   string
	timeout time.Duration
}

func (a *apiFlags) register(fs *flag.FlagSet) {
	addr := os.Getenv("VIGIA_ADDR")
	if addr == "" {
		addr = defaultAddr
	}
	fs.StringVar(&a.addr, "addr", addr, "vigia's address (env VIGIA_ADDR)")
	fs.StringVar(&a.token, "token", "", "API token for changes (default: env VIGIA_API_TOKEN; prefer the env, flags show in ps)")
	fs.DurationVar(&a.timeout, "api-timeout", 10*time.Second, "how long to wait for vigia")
}

func (a *apiFlags) client() (*apiClient, error) {
	base := strings.TrimRight(a.addr, "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--addr %q: want an http(s) URL like %s", probe.SafeURL(a.addr), defaultAddr)
	}
	tok := a.token
	if tok == "" {
		tok = os.Getenv("VIGIA_API_TOKEN")
	}
	return &apiClient{base: base, token: probe.Secret(tok), hc: &http.Client{Timeout: a.timeout}}, nil
}

// apiClient talks to the daemon's JSON API.
type apiClient struct {
	base  string
	token probe.Secret
	hc    *http.Client
}

// apiError is an answer of the API that is not a success.
type apiError struct {
	Status int
	Msg    string
}

func (e *apiError) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("vigia answered HTTP %d", e.Status)
	}
	return fmt.Sprintf("vigia answered HTTP %d: %s", e.Status, e.Msg)
}

// do sends a request and decodes a JSON answer into out (when not nil). Errors never carry the
// token, and name the address without credentials.
func (c *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "vigia-cli/"+version)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token.Reveal())
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return &unreachableError{Addr: probe.SafeURL(c.base), Reason: transportReason(err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read vigia's answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		return &apiError{Status: resp.StatusCode, Msg: e.Error}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("vigia's answer to %s %s is not the expected JSON: %w", method, path, err)
	}
	return nil
}

// unreachableError is a daemon that did not answer.
type unreachableError struct{ Addr, Reason string }

func (e *unreachableError) Error() string {
	return fmt.Sprintf("vigia at %s did not answer: %s", e.Addr, e.Reason)
}

// transportReason keeps the useful end of a transport error without the URL net/http puts
// in front of it.
func transportReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
		return "timed out"
	}
	return err.Error()
}

func (c *apiClient) alerts(ctx context.Context, q url.Values) ([]alerting.Alert, error) {
	path := "/api/v1/alerts"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out []alerting.Alert
	err := c.do(ctx, http.MethodGet, path, nil, &out)
	return out, err
}

// outputFlag is -o table|json.
func outputFlag(fs *flag.FlagSet) *string {
	o := fs.String("o", "table", "output: table or json")
	return o
}

func checkOutput(o string) error {
	if o != "table" && o != "json" {
		return fmt.Errorf("-o must be table or json, not %q", o)
	}
	return nil
}

func writeJSONTo(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// when formats a time for tables, in the local zone.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

var severityPT = map[string]string{"critical": "crítico", "warning": "aviso", "info": "informativo"}
var alertStatePT = map[string]string{"firing": "disparado", "pending": "pendente"}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func alertsCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("alerts", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var api apiFlags
	api.register(fs)
	state := fs.String("state", "", "only alerts in this state: firing or pending")
	instance := fs.String("instance", "", "only alerts of this instance")
	alertname := fs.String("alertname", "", "only alerts of this rule")
	silenced := fs.String("silenced", "", "true: only silenced alerts; false: only the ones that notify")
	out := outputFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: vigia alerts [flags]\n\nLists the pending and firing alerts of a running vigia.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := checkOutput(*out); err != nil {
		fmt.Fprintln(stderr, "vigia alerts:", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vigia alerts: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	q := url.Values{}
	for k, v := range map[string]string{"state": *state, "instance": *instance, "alertname": *alertname, "silenced": *silenced} {
		if v != "" {
			q.Set(k, v)
		}
	}
	c, err := api.client()
	if err != nil {
		fmt.Fprintln(stderr, "vigia alerts:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), api.timeout)
	defer cancel()
	list, err := c.alerts(ctx, q)
	if err != nil {
		fmt.Fprintln(stderr, "vigia alerts:", err)
		return 1
	}
	if *out == "json" {
		if list == nil {
			list = []alerting.Alert{}
		}
		if err := writeJSONTo(stdout, list); err != nil {
			fmt.Fprintln(stderr, "vigia alerts:", err)
			return 1
		}
		return 0
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "Nenhum alerta ativo.")
		return 0
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if (a.State == alerting.StateFiring) != (b.State == alerting.StateFiring) {
			return a.State == alerting.StateFiring
		}
		if x, y := sevRank(a.Labels["severity"]), sevRank(b.Labels["severity"]); x != y {
			return x < y
		}
		return a.ActiveAt.Before(b.ActiveAt)
	})
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ALERTA\tINSTÂNCIA\tSEVERIDADE\tESTADO\tDESDE\tSILENCIADO\tRESUMO")
	for _, a := range list {
		since := a.StartsAt
		if since.IsZero() {
			since = a.ActiveAt
		}
		mute := "não"
		switch {
		case a.Silenced:
			mute = "sim (" + strings.Join(a.SilencedBy, ",") + ")"
		case a.Inhibited:
			mute = "inibido"
		}
		name := a.Labels["alertname"]
		if item := a.Labels["module"] + a.Labels["component"]; item != "" {
			name += "/" + item
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, orDash(a.Labels["instance"]),
			lookupPT(severityPT, a.Labels["severity"]), lookupPT(alertStatePT, a.State), when(since), mute,
			oneLine(a.Annotations["summary"]))
	}
	_ = tw.Flush()
	return 0
}

func sevRank(s string) int {
	switch s {
	case "critical":
		return 0
	case "warning":
		return 1
	}
	return 2
}

func lookupPT(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return v
	}
	return orDash(k)
}

// oneLine keeps table cells on one line.
func oneLine(s string) string {
	return orDash(strings.Join(strings.Fields(s), " "))
}
