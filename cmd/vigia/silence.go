package main

import (
	"context"
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
)

func silenceCmd(args []string, stdout, stderr io.Writer) int {
	usage := func() {
		fmt.Fprintln(stderr, `Usage: vigia silence <add|list|expire> [flags]

  add     mute matching alerts for a window:
            vigia silence add --match instance=mgi-prod --duration 2h --comment "troca de disco"
            vigia silence add --match environment=homolog --cron "0 2 * * SUN" --duration 2h --comment "janela semanal"
  list    list silences (expired ones with --all)
  expire  end silences now: vigia silence expire ID...

Run 'vigia silence <subcommand> -h' for its flags. The address comes from --addr or VIGIA_ADDR,
the token for add and expire from VIGIA_API_TOKEN (or --token).`)
	}
	if len(args) == 0 {
		usage()
		return 2
	}
	switch args[0] {
	case "add":
		return silenceAdd(args[1:], stdout, stderr)
	case "list", "ls":
		return silenceList(args[1:], stdout, stderr)
	case "expire", "rm":
		return silenceExpire(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		usage()
		return 0
	}
	fmt.Fprintf(stderr, "vigia silence: unknown subcommand %q\n\n", args[0])
	usage()
	return 2
}

// kvFlag collects repeated name=value flags.
type kvFlag map[string]string

func (k kvFlag) String() string {
	parts := make([]string, 0, len(k))
	for n, v := range k {
		parts = append(parts, n+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func (k kvFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return fmt.Errorf("want label=value, got %q", s)
	}
	if _, dup := k[name]; dup {
		return fmt.Errorf("label %q given twice", name)
	}
	k[name] = value
	return nil
}

// timeFlag parses RFC 3339 or "YYYY-MM-DD HH:MM" in the local time zone.
type timeFlag struct{ t time.Time }

func (f *timeFlag) String() string {
	if f == nil || f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f *timeFlag) Set(s string) error {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		var t time.Time
		var err error
		if layout == time.RFC3339 {
			t, err = time.Parse(layout, s)
		} else {
			t, err = time.ParseInLocation(layout, s, time.Local)
		}
		if err == nil {
			f.t = t
			return nil
		}
	}
	return fmt.Errorf("%q: use RFC 3339 (2026-03-02T22:00:00-03:00) or \"2026-03-02 22:00\" (local time)", s)
}

func silenceAdd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("silence add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var api apiFlags
	api.register(fs)
	match, matchRE := kvFlag{}, kvFlag{}
	fs.Var(match, "match", "label=value the alerts must have (repeatable): instance, owner, environment, alertname, severity, ...")
	fs.Var(matchRE, "match-re", "label=regexp (anchored) the alerts must match (repeatable)")
	var starts, ends timeFlag
	fs.Var(&starts, "starts-at", "start of the window (default now)")
	fs.Var(&ends, "ends-at", "end of the window (or --duration)")
	duration := fs.Duration("duration", 0, "length of the window from its start, e.g. 2h; with --cron, of each recurring window")
	cronSpec := fs.String("cron", "", "start of each recurring window, a 5-field cron spec like \"0 2 * * SUN\"")
	tz := fs.String("time-zone", "", "time zone of --cron (default vigia's, America/Sao_Paulo)")
	comment := fs.String("comment", "", "why: a ticket, the maintenance (required)")
	createdBy := fs.String("created-by", os.Getenv("USER"), "who is silencing (default $USER)")
	out := outputFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(msg string) int {
		fmt.Fprintln(stderr, "vigia silence add:", msg)
		return 2
	}
	switch {
	case checkOutput(*out) != nil:
		return fail(checkOutput(*out).Error())
	case fs.NArg() > 0:
		return fail(fmt.Sprintf("unexpected argument %q (matchers go in --match label=value)", fs.Arg(0)))
	case len(match) == 0 && len(matchRE) == 0:
		return fail("give at least one --match or --match-re: a silence without matchers would mute everything")
	case strings.TrimSpace(*comment) == "":
		return fail("--comment is required: say why (a ticket, the maintenance)")
	case *cronSpec != "" && *duration <= 0:
		return fail("--cron needs --duration, the length of each window")
	case *cronSpec == "" && *duration <= 0 && ends.t.IsZero():
		return fail("give --duration or --ends-at")
	case *cronSpec == "" && *duration > 0 && !ends.t.IsZero():
		return fail("give --duration or --ends-at, not both")
	case *duration < 0:
		return fail("--duration must be positive")
	}
	s := alerting.Silence{Match: match, MatchRE: matchRE, StartsAt: starts.t, EndsAt: ends.t, Cron: *cronSpec,
		TimeZone: *tz, Comment: *comment, CreatedBy: *createdBy}
	if len(matchRE) == 0 {
		s.MatchRE = nil
	}
	if len(match) == 0 {
		s.Match = nil
	}
	if *cronSpec != "" {
		s.Duration = *duration
	} else if *duration > 0 {
		from := starts.t
		if from.IsZero() {
			from = time.Now()
		}
		s.EndsAt = from.Add(*duration)
	}
	c, err := api.client()
	if err != nil {
		return fail(err.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), api.timeout)
	defer cancel()
	var stored alerting.Silence
	if err := c.do(ctx, http.MethodPost, "/api/v1/silences", s, &stored); err != nil {
		fmt.Fprintln(stderr, "vigia silence add:", explainAPIError(err))
		return 1
	}
	if *out == "json" {
		_ = writeJSONTo(stdout, stored)
		return 0
	}
	fmt.Fprintf(stdout, "Silêncio %s criado (%s).\n", stored.ID, silenceWindow(stored))
	return 0
}

// explainAPIError adds what to do about the refusals operators meet.
func explainAPIError(err error) string {
	var ae *apiError
	if !errors.As(err, &ae) {
		return err.Error()
	}
	switch ae.Status {
	case http.StatusUnauthorized:
		return ae.Error() + " (set VIGIA_API_TOKEN to the daemon's server.api_token)"
	case http.StatusNotFound:
		if ae.Msg == "" {
			return ae.Error() + " (is alerting configured on this vigia? the silence API needs it)"
		}
	}
	return ae.Error()
}

var silenceStatePT = map[string]string{"active": "ativo", "pending": "agendado", "waiting": "aguardando janela", "expired": "expirado"}

// silenceWindow says when a silence mutes, in a few words.
func silenceWindow(s alerting.Silence) string {
	state := lookupPT(silenceStatePT, s.State)
	if s.Cron != "" {
		w := fmt.Sprintf("%s; janelas \"%s\" de %s", state, s.Cron, shortDuration(s.Duration))
		if s.NextWindow != nil {
			w += ", próxima " + when(*s.NextWindow)
		}
		return w
	}
	if s.State == alerting.SilencePending {
		return fmt.Sprintf("%s; de %s até %s", state, when(s.StartsAt), when(s.EndsAt))
	}
	return fmt.Sprintf("%s até %s", state, when(s.EndsAt))
}

func matchersText(s alerting.Silence) string {
	var parts []string
	for k, v := range s.Match {
		parts = append(parts, k+"="+v)
	}
	for k, v := range s.MatchRE {
		parts = append(parts, k+"=~"+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func silenceList(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("silence list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var api apiFlags
	api.register(fs)
	all := fs.Bool("all", false, "include expired silences")
	state := fs.String("state", "", "only silences in this state: active, pending, waiting, expired")
	out := outputFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := checkOutput(*out); err != nil {
		fmt.Fprintln(stderr, "vigia silence list:", err)
		return 2
	}
	if _, ok := silenceStatePT[*state]; *state != "" && !ok {
		fmt.Fprintf(stderr, "vigia silence list: --state must be active, pending, waiting or expired, not %q\n", *state)
		return 2
	}
	c, err := api.client()
	if err != nil {
		fmt.Fprintln(stderr, "vigia silence list:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), api.timeout)
	defer cancel()
	var list []alerting.Silence
	if err := c.do(ctx, http.MethodGet, "/api/v1/silences", nil, &list); err != nil {
		fmt.Fprintln(stderr, "vigia silence list:", explainAPIError(err))
		return 1
	}
	shown := []alerting.Silence{}
	for _, s := range list {
		if *state != "" && s.State != *state || *state == "" && !*all && s.State == alerting.SilenceExpired {
			continue
		}
		shown = append(shown, s)
	}
	if *out == "json" {
		_ = writeJSONTo(stdout, shown)
		return 0
	}
	if len(shown) == 0 {
		fmt.Fprintln(stdout, "Nenhum silêncio.")
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tESTADO\tCONDIÇÃO\tJANELA\tORIGEM\tCRIADO POR\tCOMENTÁRIO")
	for _, s := range shown {
		window := when(s.StartsAt) + " → " + when(s.EndsAt)
		if s.Cron != "" {
			window = fmt.Sprintf("\"%s\" por %s", s.Cron, shortDuration(s.Duration))
			if s.NextWindow != nil {
				window += ", próxima " + when(*s.NextWindow)
			}
		}
		source := s.Source
		if source == alerting.SilenceFromConfig {
			source = "configuração"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, lookupPT(silenceStatePT, s.State), matchersText(s),
			window, orDash(source), orDash(s.CreatedBy), oneLine(s.Comment))
	}
	_ = tw.Flush()
	return 0
}

func silenceExpire(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("silence expire", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var api apiFlags
	api.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "Usage: vigia silence expire [flags] ID...")
		return 2
	}
	c, err := api.client()
	if err != nil {
		fmt.Fprintln(stderr, "vigia silence expire:", err)
		return 2
	}
	code := 0
	for _, id := range fs.Args() {
		ctx, cancel := context.WithTimeout(context.Background(), api.timeout)
		var s alerting.Silence
		err := c.do(ctx, http.MethodDelete, "/api/v1/silences/"+url.PathEscape(id), nil, &s)
		cancel()
		if err != nil {
			fmt.Fprintf(stderr, "vigia silence expire %s: %s\n", id, explainAPIError(err))
			code = 1
			continue
		}
		fmt.Fprintf(stdout, "Silêncio %s expirado.\n", s.ID)
	}
	return code
}

// shortDuration writes 2h instead of 2h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
