// Command vigia watches a fleet of SEI instances: it probes version drift, health, modules and
// synthetic logins, exposes Prometheus metrics, ships events and routes alerts.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "run the daemon", runCmd},
		{"validate", "check a config file and list every problem", validateCmd},
		{"dashboards", "list, export or install the Grafana, Prometheus, Kibana and Zabbix files", dashboardsCmd},
		{"check", "Nagios/Icinga plugin: judge one instance (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)", checkCmd},
		{"alerts", "list the running vigia's active alerts", alertsCmd},
		{"silence", "add, list or expire silences on the running vigia", silenceCmd},
		{"probe", "probe one instance once and print what each prober found", probeCmd},
		{"version", "print the version", func(_ []string, stdout, _ io.Writer) int {
			fmt.Fprintf(stdout, "vigia %s\n", version)
			return 0
		}},
	}
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "vigia: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: vigia <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'vigia <command> -h' for the flags of a command.")
}

// logFlags are shared by commands that log.
type logFlags struct {
	format, level string
}

func (l *logFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.format, "log.format", "logfmt", "log format: logfmt or json")
	fs.StringVar(&l.level, "log.level", "info", "log level: debug, info, warn, error")
}

func (l *logFlags) logger(w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(l.level)); err != nil {
		return nil, fmt.Errorf("--log.level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(l.format) {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "logfmt", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, errors.New("--log.format must be logfmt or json")
}
