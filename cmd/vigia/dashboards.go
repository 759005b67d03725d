package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/dashboards"

	"github.com/vigia-sei/vigia/internal/tlsroots"
)

const dashboardsUsage = `Usage:
  vigia dashboards list                 list the embedded files
  vigia dashboards export DIR           write them under DIR (grafana/, prometheus/, kibana/, zabbix/)
  vigia dashboards install [flags]      install the Grafana dashboards and/or the Kibana saved objects

Secrets come from the environment, never from flags:
  VIGIA_GRAFANA_TOKEN    Grafana service account token (Editor role)
  VIGIA_KIBANA_API_KEY   Kibana/Elasticsearch API key (encoded form), or
  VIGIA_KIBANA_PASSWORD  password of --kibana-user`

func dashboardsCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, dashboardsUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "list":
		for _, n := range dashboards.Names() {
			fmt.Fprintln(stdout, n)
		}
		return 0
	case "export":
		return dashboardsExport(args[1:], stdout, stderr)
	case "install":
		return dashboardsInstall(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "vigia dashboards: unknown subcommand %q\n\n%s\n", args[0], dashboardsUsage)
	return 2
}

func dashboardsExport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dashboards export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, "Usage: vigia dashboards export DIR") }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	dir := fs.Arg(0)
	if err := dashboards.Export(dir); err != nil {
		fmt.Fprintln(stderr, "vigia:", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %d files under %s\n", len(dashboards.Names()), dir)
	return 0
}

func dashboardsInstall(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dashboards install", flag.ContinueOnError)
	fs.SetOutput(stderr)
	grafanaURL := fs.String("grafana-url", os.Getenv("VIGIA_GRAFANA_URL"), "Grafana base URL (env VIGIA_GRAFANA_URL); token in VIGIA_GRAFANA_TOKEN")
	folder := fs.String("grafana-folder", dashboards.DefaultGrafanaFolderUID, "uid of the Grafana folder, created when missing")
	folderTitle := fs.String("grafana-folder-title", dashboards.DefaultGrafanaFolderTitle, "title of the folder when it is created")
	kibanaURL := fs.String("kibana-url", os.Getenv("VIGIA_KIBANA_URL"), "Kibana base URL (env VIGIA_KIBANA_URL); API key in VIGIA_KIBANA_API_KEY")
	space := fs.String("kibana-space", "", "Kibana space to import into (default space when empty)")
	kibanaUser := fs.String("kibana-user", "", "Kibana user for basic auth (password in VIGIA_KIBANA_PASSWORD) instead of an API key")
	caFile := fs.String("ca-file", "", "PEM bundle trusted in addition to the system roots (private CAs)")
	timeout := fs.Duration("timeout", 30*time.Second, "bound on each HTTP request")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: vigia dashboards install [flags]\n\n"+dashboardsUsage[strings.Index(dashboardsUsage, "Secrets"):]+"\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || (*grafanaURL == "" && *kibanaURL == "") {
		fmt.Fprintln(stderr, "vigia dashboards install: give --grafana-url, --kibana-url or both")
		return 2
	}
	client, err := httpClient(*caFile, *timeout)
	if err != nil {
		fmt.Fprintln(stderr, "vigia:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	code := 0
	if *grafanaURL != "" {
		res, err := dashboards.InstallGrafana(ctx, dashboards.GrafanaOptions{
			URL: *grafanaURL, Token: probe.Secret(os.Getenv("VIGIA_GRAFANA_TOKEN")),
			FolderUID: *folder, FolderTitle: *folderTitle, Client: client,
		})
		for _, r := range res {
			fmt.Fprintf(stdout, "grafana: %s → %s (version %d)\n", r.File, strings.TrimRight(*grafanaURL, "/")+"/"+strings.TrimLeft(trimBasePath(r.URL, *grafanaURL), "/"), r.Version)
		}
		if err != nil {
			fmt.Fprintln(stderr, "vigia:", err)
			code = 1
		}
	}
	if *kibanaURL != "" {
		res, err := dashboards.InstallKibana(ctx, dashboards.KibanaOptions{
			URL: *kibanaURL, Space: *space, APIKey: probe.Secret(os.Getenv("VIGIA_KIBANA_API_KEY")),
			Username: *kibanaUser, Password: probe.Secret(os.Getenv("VIGIA_KIBANA_PASSWORD")), Client: client,
		})
		if res.SuccessCount > 0 {
			where := "the default space"
			if *space != "" {
				where = "space " + *space
			}
			fmt.Fprintf(stdout, "kibana: %d saved objects imported into %s\n", res.SuccessCount, where)
		}
		if err != nil {
			fmt.Fprintln(stderr, "vigia:", err)
			code = 1
		}
	}
	return code
}

// trimBasePath drops the path of Grafana's base URL from a URL Grafana returned (Grafana's
// answers include its sub-path), so the two join without repeating it.
func trimBasePath(u, base string) string {
	i := strings.Index(base, "://")
	if i < 0 {
		return u
	}
	rest := base[i+3:]
	j := strings.Index(rest, "/")
	if j < 0 {
		return u
	}
	return strings.TrimPrefix(u, strings.TrimRight(rest[j:], "/"))
}

func httpClient(caFile string, timeout time.Duration) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if caFile != "" {
		pool, err := tlsroots.Pool(caFile)
		if err != nil {
			return nil, fmt.Errorf("--ca-file: %w", err)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}
