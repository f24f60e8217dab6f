package cli

import (
	"context"
	"log/slog"

	"github.com/errata-tool/errata/classify/redact"
	"github.com/errata-tool/errata/store"
)

// Everything errata prints as a log line or an error passes through
// scrub: secrets it recognises (tokens, API keys, passwords in URLs and
// DSNs) are masked, wherever they came from (an issue, a config value, a
// flag, a driver error). Commands still avoid putting secrets in messages;
// this is the last line of defence, in one place.
func scrub(s string) string {
	return store.RedactURL(redact.String(s))
}

// scrubHandler masks secrets in a log record's message and string values.
type scrubHandler struct{ slog.Handler }

func (h scrubHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, scrub(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(scrubAttr(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h scrubHandler) WithAttrs(as []slog.Attr) slog.Handler {
	for i := range as {
		as[i] = scrubAttr(as[i])
	}
	return scrubHandler{h.Handler.WithAttrs(as)}
}

func (h scrubHandler) WithGroup(name string) slog.Handler {
	return scrubHandler{h.Handler.WithGroup(name)}
}

func scrubAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, scrub(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]slog.Attr, len(g))
		for i := range g {
			out[i] = scrubAttr(g[i])
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, scrub(err.Error()))
		}
		return slog.String(a.Key, scrub(v.String()))
	}
	return slog.Attr{Key: a.Key, Value: v}
}
