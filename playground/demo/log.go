package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
)

// narratedLogger returns a logger whose Info records and above are told in
// the narration as "  <source> │ msg key=value…", and which also logs to
// also (nil: only the narration). It is how the playground's build
// progress, the gateway's app processes and the load tester's runs show up
// in the story.
func narratedLogger(n *narrator, source string, also *slog.Logger) *slog.Logger {
	h := &narrationHandler{n: n, source: source}
	if also == nil {
		return slog.New(h)
	}
	return slog.New(fanout{h, also.Handler()})
}

// narrationHandler writes records to a narrator.
type narrationHandler struct {
	n      *narrator
	source string
	attrs  []slog.Attr
}

// quietAttrs are left out of the narration: addresses and process IDs
// say nothing about the story.
var quietAttrs = []string{"address", "metrics", "pid"}

func (h *narrationHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelInfo
}

func (h *narrationHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	write := func(a slog.Attr) bool {
		if !slices.Contains(quietAttrs, a.Key) {
			fmt.Fprintf(&b, " %s=%s", a.Key, a.Value.String())
		}
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	h.n.say("%s%s", tag(h.source), b.String())
	return nil
}

func (h *narrationHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &narrationHandler{n: h.n, source: h.source, attrs: append(slices.Clone(h.attrs), attrs...)}
}

// WithGroup is not needed by the loggers of the playground: groups are
// flattened.
func (h *narrationHandler) WithGroup(string) slog.Handler { return h }

// fanout sends every record to both of its handlers.
type fanout [2]slog.Handler

func (f fanout) Enabled(ctx context.Context, level slog.Level) bool {
	return f[0].Enabled(ctx, level) || f[1].Enabled(ctx, level)
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			errs = append(errs, h.Handle(ctx, r.Clone()))
		}
	}
	return errors.Join(errs...)
}

func (f fanout) WithAttrs(attrs []slog.Attr) slog.Handler {
	return fanout{f[0].WithAttrs(attrs), f[1].WithAttrs(attrs)}
}

func (f fanout) WithGroup(name string) slog.Handler {
	return fanout{f[0].WithGroup(name), f[1].WithGroup(name)}
}
