package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/vigia-sei/vigia/collectors"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
	"github.com/vigia-sei/vigia/internal/daemon"
)

// probeCmd runs probers once against one instance and prints the Results, for an operator
// debugging an instance (like blackbox_exporter's debug=true).
func probeCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "instance base URL (the SEI is at URL/sei/)")
	which := fs.String("probe", "all", "version, health, modules, synthetic, http, or all (comma-separated list allowed)")
	out := fs.String("o", "text", "output: text or json")
	cfgFile := fs.String("config", "", "take probe settings (TLS, search, scenario, user agent) from this config")
	user := fs.String("user", "", "monitoring account for logged-in probes")
	passEnv := fs.String("password-env", "SEI_MON_PASS", "environment variable holding the account's password")
	orgao := fs.String("orgao", "0", "órgão id of the account")
	search := fs.String("search", "", "protocol number for the synthetic quick search")
	timeout := fs.Duration("timeout", 60*time.Second, "deadline per probe")
	insecure := fs.Bool("insecure", false, "accept any TLS certificate")
	name := fs.String("name", "probe", "instance name to report")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *url == "" {
		fmt.Fprintln(stderr, "vigia probe: --url is required")
		return 2
	}
	cfg, err := oneShotConfig(*cfgFile)
	if err != nil {
		fmt.Fprintln(stderr, "vigia probe:", err)
		return 2
	}
	if *insecure {
		cfg.Global.TLS.InsecureSkipVerify = true
	}
	if *search != "" {
		cfg.Probes.Synthetic.Search = *search
	}
	t := probe.Target{Name: *name, URL: strings.TrimRight(*url, "/")}
	if *user != "" {
		t.Credentials = probe.Credentials{Username: *user, Password: probe.Secret(os.Getenv(*passEnv)), Orgao: *orgao}
	}
	names, err := probeNames(*which)
	if err != nil {
		fmt.Fprintln(stderr, "vigia probe:", err)
		return 2
	}
	var results []probe.Result
	for _, n := range names {
		p, err := daemon.NewProber(cfg, n, nil, daemon.ProberShared{})
		if err != nil {
			fmt.Fprintln(stderr, "vigia probe:", err)
			return 2
		}
		results = append(results, collectors.RunProbe(context.Background(), p, t, *timeout))
	}
	if *out == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(results)
	} else {
		for _, r := range results {
			printResult(stdout, r)
		}
	}
	for _, r := range results {
		if !r.OK {
			return 1
		}
	}
	return 0
}

func oneShotConfig(file string) (*config.Config, error) {
	if file != "" {
		return config.Load(file)
	}
	return config.Parse("defaults", []byte("{}"), os.LookupEnv)
}

func probeNames(s string) ([]string, error) {
	if s == "all" {
		return []string{probe.Health, probe.Version, probe.Modules, probe.Synthetic}, nil
	}
	var out []string
	for _, n := range strings.Split(s, ",") {
		switch n = strings.TrimSpace(n); n {
		case probe.HTTP, probe.Health, probe.Version, probe.Modules, probe.Synthetic:
			out = append(out, n)
		default:
			return nil, fmt.Errorf("unknown probe %q: use version, health, modules, synthetic, http or all", n)
		}
	}
	return out, nil
}

func printResult(w io.Writer, r probe.Result) {
	status := "OK"
	if !r.OK {
		status = "FALHA"
	}
	fmt.Fprintf(w, "== %s: %s em %s", r.Probe, status, r.Duration.Round(time.Millisecond))
	if r.State != "" {
		fmt.Fprintf(w, " (estado: %s)", r.State)
	}
	fmt.Fprintln(w)
	if r.Error != "" {
		fmt.Fprintf(w, "   erro: %s\n", r.Error)
	}
	for _, v := range r.Versions {
		fmt.Fprintf(w, "   versão %-8s %-12s fonte=%s confiança=%s\n", v.Component, v.Version, v.Source, v.Confidence)
	}
	for _, d := range r.Drift {
		fmt.Fprintf(w, "   deriva %-8s observada=%s desejada=%s nível=%s (%s)\n", d.Component, d.Observed, d.Desired, d.Level, d.Against)
	}
	for _, m := range r.Modules {
		fmt.Fprintf(w, "   módulo %-22s %-8s no_ar=%s compatível=%s\n", m.Name, m.Version, tri(m.Up), tri(m.Compatible))
	}
	for _, s := range r.Steps {
		mark := "ok"
		if !s.OK {
			mark = "FALHOU: " + s.Error
		}
		fmt.Fprintf(w, "   passo %-22s %8s  %s\n", s.Name, s.Duration.Round(time.Millisecond), mark)
	}
	keys := make([]string, 0, len(r.Values))
	for k := range r.Values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "   %s = %g\n", k, r.Values[k])
	}
	if e := r.Evidence; e != nil {
		fmt.Fprintf(w, "   evidência: passo=%s status=%d url=%s\n   %s\n", e.Step, e.Status, e.URL, e.Excerpt)
	}
}

func tri(b *bool) string {
	switch {
	case b == nil:
		return "?"
	case *b:
		return "sim"
	default:
		return "não"
	}
}
