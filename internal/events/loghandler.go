package events

import (
	"context"
	"log/slog"
	"slices"
)

// LogHandler returns a handler that passes every record to next and, when log events are enabled
// (outputs.elasticsearch.log_events or outputs.file.log_events), also records warnings and errors
// as events of dataset vigia.log. Without log events it returns next itself.
func (p *Pipeline) LogHandler(next slog.Handler) slog.Handler {
	if !p.logEvents {
		return next
	}
	return &logTee{next: next, p: p}
}

type logTee struct {
	next   slog.Handler
	p      *Pipeline
	attrs  []slog.Attr // from WithAttrs, already nested in their groups
	groups []string
}

func (h *logTee) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn || h.next.Enabled(ctx, l)
}

func (h *logTee) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		attrs := slices.Clone(h.attrs)
		var own []slog.Attr
		r.Attrs(func(a slog.Attr) bool { own = append(own, a); return true })
		attrs = append(attrs, nest(h.groups, own)...)
		if ev, err := h.p.enc.Log(r.Time, r.Level, r.Message, attrs); err == nil {
			h.p.put(ev)
		}
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *logTee) WithAttrs(as []slog.Attr) slog.Handler {
	return &logTee{next: h.next.WithAttrs(as), p: h.p, attrs: append(slices.Clone(h.attrs), nest(h.groups, as)...), groups: h.groups}
}

func (h *logTee) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &logTee{next: h.next.WithGroup(name), p: h.p, attrs: h.attrs, groups: append(slices.Clone(h.groups), name)}
}

// nest wraps attrs in the open groups, innermost last.
func nest(groups []string, attrs []slog.Attr) []slog.Attr {
	if len(groups) == 0 || len(attrs) == 0 {
		return attrs
	}
	for i := len(groups) - 1; i >= 0; i-- {
		anys := make([]any, len(attrs))
		for j, a := range attrs {
			anys[j] = a
		}
		attrs = []slog.Attr{slog.Group(groups[i], anys...)}
	}
	return attrs
}
