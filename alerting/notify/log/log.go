package log

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/config"
)

// Notifier logs groups.
type Notifier struct {
	log   *slog.Logger
	level slog.Level
}

// New logs at level through logger (slog.Default when nil).
func New(logger *slog.Logger, level slog.Level) *Notifier {
	if logger == nil {
		logger = slog.Default()
	}
	return &Notifier{log: logger, level: level}
}

// FromConfig builds the notifier of a log receiver; level is debug, info (default), warn or error.
func FromConfig(name string, c *config.LogReceiver, logger *slog.Logger) (*Notifier, error) {
	level := slog.LevelInfo
	if c != nil && c.Level != "" {
		if err := level.UnmarshalText([]byte(strings.ToUpper(c.Level))); err != nil {
			return nil, fmt.Errorf("receiver %s: log level %q: use debug, info, warn or error", name, c.Level)
		}
	}
	if logger == nil {
		logger = slog.Default()
	}
	return New(logger.With("receiver", name), level), nil
}

// Notify implements alerting.Notifier; it never fails.
func (n *Notifier) Notify(ctx context.Context, g *alerting.Group) (bool, error) {
	firing, resolved := len(g.Firing()), len(g.ResolvedAlerts())
	n.log.Log(ctx, n.level, "alert notification", "group_key", g.Key, "status", g.Status,
		"firing", firing, "resolved", resolved, "group", labelText(g.GroupLabels))
	for _, a := range g.Alerts {
		attrs := []any{"alertname", a.Name(), "instance", a.Labels["instance"], "state", a.State,
			"severity", a.Labels["severity"], "summary", a.Annotations["summary"]}
		if a.Value != nil {
			attrs = append(attrs, "value", *a.Value)
		}
		if a.Silenced || a.Inhibited {
			attrs = append(attrs, "silenced", a.Silenced, "inhibited", a.Inhibited)
		}
		n.log.Log(ctx, n.level, "alert", attrs...)
	}
	return false, nil
}

func labelText(l map[string]string) string {
	if len(l) == 0 {
		return "{}"
	}
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + l[k]
	}
	return "{" + strings.Join(parts, ",") + "}"
}
