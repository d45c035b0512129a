package web

import (
	"bytes"
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/optiq/optiq/app"
)

// This file is the operational edge: the client address behind trusted
// proxies, CORS, deep readiness and Prometheus metrics.

// ReadyCheck is the result of one readiness check, as /readyz reports it.
type ReadyCheck struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Error  string `json:"error,omitempty"`
	Detail any    `json:"detail,omitempty"`
}

// ReadyResponse is the body of /readyz.
type ReadyResponse struct {
	Status string       `json:"status"`           // "ready" or "unavailable"
	Checks []ReadyCheck `json:"checks,omitempty"` // for local operators and admins
}

// ops is the server's operational state.
type ops struct {
	proxies  []netip.Prefix
	origins  []string
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// ParseTrustedProxies parses trusted_proxies: CIDRs or single addresses.
func ParseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, app.Errorf(app.EINVALID, "trusted proxy %q is neither an address nor a CIDR (e.g. 10.0.0.0/8)", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// ValidOrigin checks one cors_origins entry: scheme://host[:port], no
// path, no wildcard.
func ValidOrigin(o string) error {
	scheme, rest, ok := strings.Cut(o, "://")
	if !ok || (scheme != "https" && scheme != "http") || rest == "" || strings.ContainsAny(rest, "/?#*@ ") {
		return app.Errorf(app.EINVALID, "CORS origin %q must be scheme://host[:port] with no path or wildcard, e.g. https://code.example.com", o)
	}
	return nil
}

func newOps(cfg Config) *ops {
	o := &ops{proxies: cfg.TrustedProxies, origins: cfg.CORSOrigins, registry: prometheus.NewRegistry()}
	o.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "optiq_http_requests_total", Help: "HTTP requests by route, method and status code.",
	}, []string{"route", "method", "code"})
	o.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "optiq_http_request_duration_seconds", Help: "HTTP request latency by route, method and status code.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route", "method", "code"})
	o.registry.MustRegister(o.requests, o.latency, prometheus.NewGoCollector(),
		prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	for _, c := range cfg.Collectors {
		o.registry.MustRegister(c)
	}
	return o
}

func (o *ops) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range o.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr finds the real client address: the TCP peer, unless the peer
// is a trusted proxy, in which case X-Forwarded-For is read from the right
// (the hop the proxy itself saw) past every trusted proxy. Entries further
// left are written by the client and never believed.
func (s *Server) clientAddr(c *fiber.Ctx) error {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	client := peer
	if len(s.ops.proxies) > 0 && s.ops.trusted(peer) {
		var hops []string
		for _, h := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
			hops = append(hops, strings.Split(string(h), ",")...)
		}
		for i := len(hops) - 1; i >= 0; i-- {
			a, ok := parseHop(hops[i])
			if !ok {
				break // garbage: keep the last hop we could trust
			}
			client = a.Unmap()
			if !s.ops.trusted(client) {
				break
			}
		}
	}
	c.Locals("client_ip", client.String())
	return c.Next()
}

// parseHop reads one X-Forwarded-For entry: an address, or an address
// with a port ("203.0.113.7:5123", "[2001:db8::1]:443"), as some proxies
// write them.
func parseHop(h string) (netip.Addr, bool) {
	h = strings.TrimSpace(h)
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1] // [2001:db8::1] without a port
	}
	a, err := netip.ParseAddr(h)
	if err != nil {
		ap, err := netip.ParseAddrPort(h)
		if err != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	return a.WithZone(""), true // a zone would make one client many
}

// clientIP is the request's client address (see clientAddr).
func clientIP(c *fiber.Ctx) string {
	if ip, _ := c.Locals("client_ip").(string); ip != "" {
		return ip
	}
	return c.IP()
}

// cors denies cross-origin use by default: only origins in the allow-list
// get Access-Control-Allow-Origin, and a preflight from any other origin is
// refused. Credentials (cookies) are never allowed cross-origin; API calls
// from an allowed origin send a bearer token.
func (s *Server) cors(c *fiber.Ctx) error {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return c.Next()
	}
	c.Vary(fiber.HeaderOrigin)
	allowed := slices.Contains(s.ops.origins, origin)
	h := &c.Response().Header
	if c.Method() == fiber.MethodOptions && c.Get(fiber.HeaderAccessControlRequestMethod) != "" {
		if !allowed {
			return app.Errorf(app.EFORBIDDEN, "cross-origin requests from %q are not allowed: an admin can add it to cors_origins in the server config", origin)
		}
		h.Set(fiber.HeaderAccessControlAllowOrigin, origin)
		h.Set(fiber.HeaderAccessControlAllowMethods, "GET, POST, PUT, PATCH, DELETE")
		h.Set(fiber.HeaderAccessControlAllowHeaders, "Authorization, Content-Type, "+requestIDHdr)
		h.Set(fiber.HeaderAccessControlMaxAge, "600")
		return c.SendStatus(fiber.StatusNoContent)
	}
	if allowed {
		h.Set(fiber.HeaderAccessControlAllowOrigin, origin)
		h.Set(fiber.HeaderAccessControlExposeHeaders, "X-Request-ID, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After")
	}
	return c.Next()
}

// observe counts every request and its latency by route template (never
// the raw path, which would make a series per workspace or repo).
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		status = statusFor(err)
	}
	route := c.Route().Path
	if status == fiber.StatusNotFound && route == "/" && c.Path() != "/" {
		route = "unmatched"
	}
	code := strconv.Itoa(status)
	s.ops.requests.WithLabelValues(route, c.Method(), code).Inc()
	s.ops.latency.WithLabelValues(route, c.Method(), code).Observe(time.Since(start).Seconds())
	return err
}

// localOperator reports whether a request comes from the machine itself:
// a loopback peer, not forwarded, and not a trusted proxy (a reverse proxy
// on the same host need not add X-Forwarded-For, so with trusted proxies
// configured a bare loopback request may come from anywhere).
func (s *Server) localOperator(c *fiber.Ctx) bool {
	a, err := netip.ParseAddr(c.Context().RemoteIP().String())
	if err != nil || !a.Unmap().IsLoopback() || s.ops.trusted(a.Unmap()) {
		return false
	}
	return c.Get(fiber.HeaderXForwardedFor) == "" && c.Get("Forwarded") == ""
}

// metrics serves the Prometheus text format to local operators (see
// localOperator) and to an instance admin's credential with the
// metrics:read scope.
func (s *Server) metrics(c *fiber.Ctx, r *call) error {
	if !s.localOperator(c) {
		if r.p.UserID == "" {
			return app.Errorf(app.EUNAUTHENTICATED, "metrics are served to loopback clients, or to an instance admin's API key with the %q scope", app.ScopeMetrics)
		}
		if !r.p.Allows(app.ScopeMetrics) || r.p.Role != app.RoleAdmin {
			return app.Errorf(app.EFORBIDDEN, "metrics need an instance admin's credential with the %q scope", app.ScopeMetrics)
		}
	}
	mfs, err := s.ops.registry.Gather()
	if err != nil && len(mfs) == 0 {
		return app.WrapError(app.EINTERNAL, err, "gather metrics")
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return app.WrapError(app.EINTERNAL, err, "encode metrics")
		}
	}
	c.Set(fiber.HeaderContentType, string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	return c.Send(buf.Bytes())
}

// readiness runs the deep checks; any failure answers 503 and names it.
func (s *Server) readiness(c *fiber.Ctx, r *call) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 10*time.Second)
	defer cancel()
	checks := s.cfg.Readiness(ctx)
	resp := ReadyResponse{Status: "ready", Checks: checks}
	status := fiber.StatusOK
	for _, ch := range checks {
		if !ch.OK {
			resp.Status, status = "unavailable", fiber.StatusServiceUnavailable
		}
	}
	// The checks name workspaces, paths and backups: local operators and
	// instance admins see them, anyone else the status alone.
	if !s.localOperator(c) && r.p.Role != app.RoleAdmin {
		resp.Checks = nil
	}
	return c.Status(status).JSON(resp)
}

// runJob runs a scheduled job now (the admin's "back up now") and answers
// with its status once it has finished.
func (s *Server) runJob(c *fiber.Ctx, r *call) error {
	if s.cfg.RunJob == nil {
		return app.Errorf(app.ENOTFOUND, "this server runs no scheduled jobs")
	}
	name := c.Params("name")
	st, err := s.cfg.RunJob(c.UserContext(), name)
	if err != nil {
		return err
	}
	if err := s.cfg.Accounts.Audit(c.UserContext(), app.AuditEntry{Action: app.AuditJobRun, Target: name}); err != nil {
		return err
	}
	return c.JSON(st)
}
