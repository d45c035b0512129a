// Package web is Optiq's HTTP edge: the fiber server with its API under
// /api/v1 (and, later, the bundled UI), its middleware (request ids,
// logging, authentication, errors as problem+json), TLS helpers, and the
// Client the CLI uses to talk to it.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/optiq/optiq/app"
)

// Config is what the server needs from the rest of the product.
type Config struct {
	Accounts app.Accounts
	Tenants  app.TenantOpener
	Logger   *slog.Logger
	// Version is reported by /healthz.
	Version string
	// Ready runs the deep readiness checks for /readyz; nil means ready.
	Ready func(ctx context.Context) error
	// DomainChecker verifies SSO domain claims; nil means real DNS and HTTPS.
	DomainChecker *app.DomainChecker
	// RateLimits are the request budgets (zero values: the defaults).
	RateLimits RateLimits
	// Now is the clock for rate limits (default time.Now).
	Now func() time.Time
	// Readiness runs the deep checks of /readyz (web/ops.go); it takes
	// precedence over Ready.
	Readiness func(ctx context.Context) []ReadyCheck
	// Collectors are extra Prometheus metrics for /metrics.
	Collectors []prometheus.Collector
	// CORSOrigins are the origins allowed cross-origin access (none by
	// default).
	CORSOrigins []string
	// RunJob runs a scheduled job (backup, cleanup) now and returns its
	// status; nil means there are no jobs to run.
	RunJob func(ctx context.Context, name string) (any, error)
	// TrustedProxies may set X-Forwarded-For (none by default).
	TrustedProxies []netip.Prefix
}

// Server is the HTTP server.
type Server struct {
	cfg Config
	app *fiber.App
	log *slog.Logger
	id  *identity // browser sessions (web/session.go)
	// general and auth count requests against the rate limits.
	general, auth *limiter
	ops           *ops // web/ops.go
}

// Body limits.
const (
	maxBody      = 64 << 20 // upload batches
	maxSmallBody = 64 << 10 // everything else
	sessionTTL   = 30 * 24 * time.Hour
	requestIDHdr = "X-Request-ID"
	problemJSON  = "application/problem+json"
	defaultLimit = 20
	maxLimit     = 200
)

// New builds the server and its routes.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	s.app = fiber.New(fiber.Config{
		AppName:               "optiq",
		DisableStartupMessage: true,
		BodyLimit:             maxBody,
		ReadTimeout:           2 * time.Minute,
		WriteTimeout:          2 * time.Minute,
		IdleTimeout:           2 * time.Minute,
		ErrorHandler:          s.errorHandler,
		// Fiber reuses request buffers; values kept past a handler are
		// copied explicitly, but immutable strings make that the default.
		Immutable: true,
	})
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	limits := cfg.RateLimits.withDefaults()
	s.general, s.auth = newLimiter(limits.PerMinute, cfg.Now), newLimiter(limits.AuthPerMinute, cfg.Now)
	s.ops = newOps(cfg)
	s.app.Use(s.clientAddr, s.requestContext, s.accessLog, s.observe, s.recover, securityHeaders, s.rateLimit, s.cors)
	s.routes()
	return s
}

// Serve serves on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting connections and waits for requests in flight.
func (s *Server) Shutdown(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) }

// Handler exposes the fiber app for tests.
func (s *Server) App() *fiber.App { return s.app }

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// requestContext gives every request an id (the client's, if well formed)
// and a context carrying it.
func (s *Server) requestContext(c *fiber.Ctx) error {
	id := c.Get(requestIDHdr)
	if !requestIDRE.MatchString(id) {
		id = newRequestID()
	}
	c.Set(requestIDHdr, id)
	c.Locals("request_id", id)
	c.SetUserContext(app.WithRequestID(context.Background(), id))
	return c.Next()
}

func (s *Server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		// The error handler has not run yet; it sets the real status.
		status = statusFor(err)
	}
	s.log.LogAttrs(c.UserContext(), slog.LevelInfo, "request",
		slog.String("request_id", requestID(c)),
		slog.String("method", c.Method()),
		slog.String("route", c.Route().Path),
		slog.Int("status", status),
		slog.Duration("duration", time.Since(start)),
		slog.String("remote", clientIP(c)),
	)
	return err
}

func (s *Server) recover(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.ErrorContext(c.UserContext(), "panic in handler", "request_id", requestID(c), "panic", r)
			err = app.Errorf(app.EINTERNAL, "internal error")
		}
	}()
	return c.Next()
}

func securityHeaders(c *fiber.Ctx) error {
	h := &c.Response().Header
	h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	return c.Next()
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals("request_id").(string)
	return id
}

// Problem is the problem+json body of every error response.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Code      string `json:"code"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
}

var codeStatus = map[string]int{
	app.EINVALID:         fiber.StatusBadRequest,
	app.EUNAUTHENTICATED: fiber.StatusUnauthorized,
	app.EFORBIDDEN:       fiber.StatusForbidden,
	app.ENOTFOUND:        fiber.StatusNotFound,
	app.ECONFLICT:        fiber.StatusConflict,
	app.ETOOLARGE:        fiber.StatusRequestEntityTooLarge,
	app.ERATELIMITED:     fiber.StatusTooManyRequests,
	app.EREAUTH:          fiber.StatusForbidden,
	app.EINTERNAL:        fiber.StatusInternalServerError,
}

func statusFor(err error) int {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	if st, ok := codeStatus[app.ErrorCode(err)]; ok {
		return st
	}
	return fiber.StatusInternalServerError
}

// errorHandler is the one place errors become HTTP responses.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	if requestID(c) == "" {
		// Refused before any middleware ran (e.g. an oversized body).
		id := newRequestID()
		c.Locals("request_id", id)
		c.Set(requestIDHdr, id)
	}
	code, msg := app.ErrorCode(err), app.ErrorMessage(err)
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code, msg = fiberCode(fe.Code), fe.Message
	}
	status := statusFor(err)
	var ae *app.Error
	switch {
	case code == app.EINTERNAL:
		s.log.ErrorContext(c.UserContext(), "internal error", "request_id", requestID(c), "route", c.Route().Path, "error", err)
	case errors.As(err, &ae) && ae.Err != nil:
		// A client error with an underlying cause (a constraint, say) is
		// worth a look; the cause never reaches the client.
		s.log.WarnContext(c.UserContext(), "request refused", "request_id", requestID(c), "route", c.Route().Path, "code", code, "error", err)
	}
	body, _ := json.Marshal(Problem{
		Type: "https://optiq.dev/problems/" + code, Title: strings.ReplaceAll(code, "_", " "),
		Status: status, Code: code, Detail: msg, RequestID: requestID(c),
	})
	c.Set(fiber.HeaderContentType, problemJSON)
	return c.Status(status).Send(body)
}

func fiberCode(status int) string {
	switch status {
	case fiber.StatusNotFound, fiber.StatusMethodNotAllowed:
		return app.ENOTFOUND
	case fiber.StatusRequestEntityTooLarge:
		return app.ETOOLARGE
	case fiber.StatusTooManyRequests:
		return app.ERATELIMITED
	case fiber.StatusUnauthorized:
		return app.EUNAUTHENTICATED
	case fiber.StatusForbidden:
		return app.EFORBIDDEN
	}
	if status >= 400 && status < 500 {
		return app.EINVALID
	}
	return app.EINTERNAL
}
