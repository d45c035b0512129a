package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
)

// Redacted is what a secret prints as.
const Redacted = "[REDACTED]"

// Secret is a string that must never reach a log, an error message or a
// JSON document by accident: every way of printing it (String, Format,
// slog, JSON, text) gives Redacted. Reveal returns the value for the one
// place that needs it (an Authorization header, a hash). Secrets are never
// part of request or response bodies.
type Secret string

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (Secret) String() string { return Redacted }

// GoString implements fmt.GoStringer (%#v).
func (Secret) GoString() string { return Redacted }

// Format implements fmt.Formatter, so %s, %v, %q, %x and the rest all
// print the mask.
func (Secret) Format(f fmt.State, _ rune) { io.WriteString(f, Redacted) }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON implements json.Marshaler.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler (TOML, YAML, map keys).
func (Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// secretKeys are the attribute names whose values a log never shows,
// whatever their type.
var secretKeys = []string{"password", "passwd", "passphrase", "token", "secret", "authorization", "cookie", "api_key", "apikey", "private_key", "otp"}

// SecretKey reports whether a log attribute or config key names a secret.
func SecretKey(key string) bool {
	k := strings.ToLower(key)
	for _, s := range secretKeys {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// credentialRE finds credentials inside free text: Optiq API keys and
// tokens, and bearer headers.
var credentialRE = regexp.MustCompile(`optiq_[A-Za-z0-9]+_[A-Za-z0-9_-]+|(?i:bearer\s+)[A-Za-z0-9._~+/=-]+`)

// RedactingHandler wraps a slog handler so that attributes with
// secret-looking keys (password, token, secret, authorization, cookie, …)
// and credentials embedded in string values are replaced by Redacted
// before they are written.
func RedactingHandler(h slog.Handler) slog.Handler { return redactHandler{h} }

type redactHandler struct{ h slog.Handler }

func (r redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, credentialRE.ReplaceAllString(rec.Message, Redacted), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = redactAttr(a)
	}
	return redactHandler{r.h.WithAttrs(red)}
}

func (r redactHandler) WithGroup(name string) slog.Handler { return redactHandler{r.h.WithGroup(name)} }

func redactAttr(a slog.Attr) slog.Attr {
	if SecretKey(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		g := v.Group()
		red := make([]any, len(g))
		for i, x := range g {
			red[i] = redactAttr(x)
		}
		return slog.Group(a.Key, red...)
	case slog.KindString:
		return slog.String(a.Key, credentialRE.ReplaceAllString(v.String(), Redacted))
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, credentialRE.ReplaceAllString(err.Error(), Redacted))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
