package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/web"
)

// lockedBuffer collects log output written from the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// liveServer serves cfg over plain HTTP on 127.0.0.1 (real TCP peers, so
// that client addresses are real) and returns its base URL.
func liveServer(t *testing.T, cfg web.Config) string {
	t.Helper()
	srv := web.New(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return "http://" + ln.Addr().String()
}

type reply struct {
	status int
	header http.Header
	body   string
}

func send(t *testing.T, method, url string, hdr map[string]string, body string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

var securityHeaderSet = map[string]string{
	"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
	"X-Frame-Options":           "DENY",
	"X-Content-Type-Options":    "nosniff",
	"Referrer-Policy":           "no-referrer",
}

// TestHeadersOnEveryRouteGroup checks the security headers, the request id
// and the rate-limit headers on each group of routes (health, API, sign-in
// and token endpoints, HTML pages, metrics, unknown paths), then the 429
// with Retry-After once each budget is spent.
func TestHeadersOnEveryRouteGroup(t *testing.T) {
	st := newTestStore(t)
	base := liveServer(t, web.Config{Accounts: st, Tenants: st, Logger: slog.New(slog.DiscardHandler),
		RateLimits: web.RateLimits{PerMinute: 8, AuthPerMinute: 4}})
	groups := []struct {
		name, method, path string
		limit              string
	}{
		{"health", "GET", "/readyz", "8"},
		{"api", "GET", "/api/v1/me", "8"},
		{"api workspace", "GET", "/api/v1/workspaces/w_x/repos", "8"},
		{"metrics", "GET", "/metrics", "8"},
		{"unknown", "GET", "/no/such/page", "8"},
		{"auth", "POST", "/api/v1/auth/login", "4"},
		{"oauth", "POST", "/oauth/token", "4"},
		{"ui page", "GET", "/signin", "4"},
	}
	for _, g := range groups {
		r := send(t, g.method, base+g.path, map[string]string{"Content-Type": "application/json"}, "{}")
		for k, v := range securityHeaderSet {
			if r.header.Get(k) != v {
				t.Errorf("%s %s: %s = %q, want %q", g.name, g.path, k, r.header.Get(k), v)
			}
		}
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", g.name, csp)
		}
		if r.header.Get("X-Request-ID") == "" {
			t.Errorf("%s: no request id", g.name)
		}
		if r.header.Get("X-RateLimit-Limit") != g.limit || r.header.Get("X-RateLimit-Remaining") == "" || r.header.Get("X-RateLimit-Reset") == "" {
			t.Errorf("%s %s: rate-limit headers %v", g.name, g.path, r.header)
		}
	}
	// /healthz carries the security headers too (it is exempt from rate
	// limits so that a busy client cannot make the service look dead).
	r := send(t, "GET", base+"/healthz", nil, "")
	if r.status != 200 || r.header.Get("X-Frame-Options") != "DENY" || r.header.Get("X-Request-ID") == "" {
		t.Fatalf("healthz: %d %v", r.status, r.header)
	}

	// Spend both budgets: the next request gets 429 with Retry-After.
	for _, path := range []string{"/api/v1/me", "/api/v1/auth/login"} {
		var last reply
		for range 10 {
			last = send(t, "POST", base+path, map[string]string{"Content-Type": "application/json"}, "{}")
			if last.status == http.StatusTooManyRequests {
				break
			}
		}
		if last.status != http.StatusTooManyRequests || last.header.Get("Retry-After") == "" || last.header.Get("X-RateLimit-Remaining") != "0" {
			t.Fatalf("%s: no 429 after the limit: %d %v", path, last.status, last.header)
		}
		if !strings.Contains(last.body, `"code":"rate_limited"`) || last.header.Get("X-Frame-Options") != "DENY" {
			t.Fatalf("%s: 429 body %s headers %v", path, last.body, last.header)
		}
	}
}

func TestCORS(t *testing.T) {
	st := newTestStore(t)
	base := liveServer(t, web.Config{Accounts: st, Tenants: st, Logger: slog.New(slog.DiscardHandler),
		CORSOrigins: []string{"https://code.example.com"}})
	preflight := func(origin string) reply {
		return send(t, "OPTIONS", base+"/api/v1/workspaces/w_x/search", map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}, "")
	}
	ok := preflight("https://code.example.com")
	if ok.status != http.StatusNoContent || ok.header.Get("Access-Control-Allow-Origin") != "https://code.example.com" ||
		!strings.Contains(ok.header.Get("Access-Control-Allow-Headers"), "Authorization") || ok.header.Get("Vary") != "Origin" {
		t.Fatalf("allowed preflight: %d %v", ok.status, ok.header)
	}
	if ok.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatal("credentials allowed cross-origin")
	}
	for _, origin := range []string{"https://evil.example", "https://code.example.com.evil.example", "null"} {
		no := preflight(origin)
		if no.status != http.StatusForbidden || no.header.Get("Access-Control-Allow-Origin") != "" || !strings.Contains(no.body, "cors_origins") {
			t.Fatalf("denied preflight from %s: %d %v %s", origin, no.status, no.header, no.body)
		}
	}
	// Actual requests: the allowed origin may read the answer, others not.
	if r := send(t, "GET", base+"/readyz", map[string]string{"Origin": "https://code.example.com"}, ""); r.header.Get("Access-Control-Allow-Origin") != "https://code.example.com" ||
		!strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "X-RateLimit-Remaining") {
		t.Fatalf("allowed origin: %v", r.header)
	}
	if r := send(t, "GET", base+"/readyz", map[string]string{"Origin": "https://evil.example"}, ""); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("denied origin got %q", r.header.Get("Access-Control-Allow-Origin"))
	}
	// With no allow-list every cross-origin preflight is refused.
	base2 := liveServer(t, web.Config{Accounts: st, Tenants: st, Logger: slog.New(slog.DiscardHandler)})
	r := send(t, "OPTIONS", base2+"/api/v1/me", map[string]string{"Origin": "https://code.example.com", "Access-Control-Request-Method": "GET"}, "")
	if r.status != http.StatusForbidden || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("default: %d %v", r.status, r.header)
	}
	for _, bad := range []string{"*", "https://x.example/path", "code.example.com", "ftp://x.example"} {
		if web.ValidOrigin(bad) == nil {
			t.Errorf("origin %q accepted", bad)
		}
	}
	if err := web.ValidOrigin("https://code.example.com:8443"); err != nil {
		t.Error(err)
	}
}

// TestTrustedProxies checks that X-Forwarded-For is believed only from a
// trusted proxy, read from the right, and that rate limits and logs use
// the address it yields.
func TestTrustedProxies(t *testing.T) {
	st := newTestStore(t)
	var logs lockedBuffer
	proxies, err := web.ParseTrustedProxies([]string{"127.0.0.0/8", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	base := liveServer(t, web.Config{Accounts: st, Tenants: st, Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		RateLimits: web.RateLimits{PerMinute: 2}, TrustedProxies: proxies})
	get := func(xff string) int {
		return send(t, "GET", base+"/readyz", map[string]string{"X-Forwarded-For": xff}, "").status
	}
	// The left entry is whatever the client sent; the right one is what
	// the proxy saw. Two clients behind the proxy have separate budgets.
	if get("1.1.1.1, 203.0.113.7") != 200 || get("2.2.2.2, 203.0.113.7") != 200 {
		t.Fatal("first requests refused")
	}
	if s := get("3.3.3.3, 203.0.113.7"); s != http.StatusTooManyRequests {
		t.Fatalf("a spoofed left entry escaped the budget of 203.0.113.7: %d", s)
	}
	if s := get("203.0.113.8"); s != 200 {
		t.Fatalf("another client behind the proxy: %d", s)
	}
	// Entries with ports name the same client (some proxies write them);
	// a trusted proxy's own entry is walked past.
	if s := get("203.0.113.8:5123, 127.0.0.1:8080"); s != 200 {
		t.Fatalf("second request of 203.0.113.8: %d", s)
	}
	if s := get("[2001:db8::1]:443, 203.0.113.8:6000"); s != http.StatusTooManyRequests {
		t.Fatalf("an entry with a port escaped the budget of 203.0.113.8: %d", s)
	}
	// A bracketed IPv6 address with or without a port, or with a zone, is
	// one client.
	for i, xff := range []string{"[2001:db8::9]", "[2001:db8::9]:80", "2001:db8::9%eth0"} {
		want := []int{200, 200, http.StatusTooManyRequests}[i]
		if s := get(xff); s != want {
			t.Fatalf("%s: %d, want %d", xff, s, want)
		}
	}
	if !strings.Contains(logs.String(), `"remote":"203.0.113.7"`) {
		t.Fatalf("log lines do not carry the forwarded client address:\n%s", logs.String())
	}
	if _, err := web.ParseTrustedProxies([]string{"10.0.0.0/33"}); err == nil {
		t.Fatal("bad CIDR accepted")
	}

	// Without trusted proxies the header is ignored: every request counts
	// against the peer (127.0.0.1), whatever it claims.
	var logs2 lockedBuffer
	base2 := liveServer(t, web.Config{Accounts: st, Tenants: st, Logger: slog.New(slog.NewJSONHandler(&logs2, nil)),
		RateLimits: web.RateLimits{PerMinute: 2}})
	for i, want := range []int{200, 200, 429} {
		xff := []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"}[i]
		if s := send(t, "GET", base2+"/readyz", map[string]string{"X-Forwarded-For": xff}, "").status; s != want {
			t.Fatalf("untrusted X-Forwarded-For %s: %d, want %d", xff, s, want)
		}
	}
	if strings.Contains(logs2.String(), "198.51.100.") || !strings.Contains(logs2.String(), `"remote":"127.0.0.1"`) {
		t.Fatalf("an untrusted X-Forwarded-For reached the logs:\n%s", logs2.String())
	}
}

func TestMetrics(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	admin, _, err := st.CreateUser(ctx, "admin@example.com", "a long passphrase", app.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	member, _, err := st.CreateUser(ctx, "member@example.com", "a long passphrase", app.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	key := func(u app.User, scopes ...string) string {
		tok, err := st.IssueToken(ctx, u.ID, app.TokenOptions{Name: "scrape", Kind: app.CredAPIKey, Scopes: scopes})
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok
	}
	jobRuns := prometheus.NewCounter(prometheus.CounterOpts{Name: "optiq_test_job_runs_total", Help: "test"})
	jobRuns.Add(3)
	proxies, _ := web.ParseTrustedProxies([]string{"127.0.0.1"})
	base := liveServer(t, web.Config{Accounts: st, Tenants: st, Logger: slog.New(slog.DiscardHandler),
		Collectors: []prometheus.Collector{jobRuns}, TrustedProxies: proxies})
	send(t, "GET", base+"/readyz", nil, "")
	send(t, "GET", base+"/api/v1/workspaces/w_aaaaaaaaaaaaaaaa/repos", nil, "")

	// Loopback, no credential: refused here, where 127.0.0.1 is a trusted
	// proxy (a proxy on the same host may forward without saying so).
	if r := send(t, "GET", base+"/metrics", nil, ""); r.status != http.StatusUnauthorized {
		t.Fatalf("anonymous loopback scrape through a trusted proxy: %d", r.status)
	}
	r := send(t, "GET", base+"/metrics", map[string]string{"Authorization": key(admin, app.ScopeMetrics)}, "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("admin scrape: %d %v %s", r.status, r.header, r.body)
	}
	for _, want := range []string{
		`optiq_http_requests_total{code="200",method="GET",route="/readyz"} 1`,
		`optiq_http_requests_total{code="401",method="GET",route="/api/v1/workspaces/:ws/repos"} 1`,
		`optiq_http_request_duration_seconds_bucket{code="200",method="GET",route="/readyz",le="+Inf"} 1`,
		`optiq_test_job_runs_total 3`,
		`go_goroutines `,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// A client outside, seen through the trusted proxy.
	outside := map[string]string{"X-Forwarded-For": "203.0.113.7"}
	if r := send(t, "GET", base+"/metrics", outside, ""); r.status != http.StatusUnauthorized {
		t.Fatalf("anonymous outside scrape: %d", r.status)
	}
	for name, auth := range map[string]string{
		"admin key without the scope": key(admin, app.ScopeSearchRead),
		"member key with the scope":   key(member, app.ScopeMetrics),
	} {
		outside["Authorization"] = auth
		if r := send(t, "GET", base+"/metrics", outside, ""); r.status != http.StatusForbidden {
			t.Errorf("%s: %d", name, r.status)
		}
	}
	outside["Authorization"] = key(admin, app.ScopeMetrics)
	if r := send(t, "GET", base+"/metrics", outside, ""); r.status != 200 || !strings.Contains(r.body, "optiq_http_requests_total") {
		t.Fatalf("admin metrics key: %d", r.status)
	}
	// Without trusted proxies a bare loopback client is a local operator;
	// a loopback peer that forwards for someone else is not.
	base2 := liveServer(t, web.Config{Accounts: st, Tenants: st, Logger: slog.New(slog.DiscardHandler)})
	if r := send(t, "GET", base2+"/metrics", nil, ""); r.status != 200 {
		t.Fatalf("local scrape: %d", r.status)
	}
	if r := send(t, "GET", base2+"/metrics", map[string]string{"X-Forwarded-For": "203.0.113.7"}, ""); r.status != http.StatusUnauthorized {
		t.Fatalf("forwarded request from a local proxy not listed as trusted: %d", r.status)
	}
}

func TestReadinessBody(t *testing.T) {
	st := newTestStore(t)
	var mu sync.Mutex
	failing := ""
	base := liveServer(t, web.Config{Accounts: st, Tenants: st, Logger: slog.New(slog.DiscardHandler),
		Readiness: func(ctx context.Context) []web.ReadyCheck {
			mu.Lock()
			defer mu.Unlock()
			var out []web.ReadyCheck
			for _, n := range []string{"control_db", "disk"} {
				c := web.ReadyCheck{Name: n, OK: n != failing}
				if !c.OK {
					c.Error = n + " is broken"
				}
				out = append(out, c)
			}
			return out
		}})
	check := func(wantStatus int, wantBody string) web.ReadyResponse {
		r := send(t, "GET", base+"/readyz", nil, "")
		var body web.ReadyResponse
		if err := json.Unmarshal([]byte(r.body), &body); err != nil {
			t.Fatal(err)
		}
		if r.status != wantStatus || body.Status != wantBody || len(body.Checks) != 2 {
			t.Fatalf("readyz: %d %s", r.status, r.body)
		}
		return body
	}
	check(200, "ready")
	mu.Lock()
	failing = "disk"
	mu.Unlock()
	body := check(503, "unavailable")
	if !body.Checks[0].OK || body.Checks[1].OK || body.Checks[1].Error != "disk is broken" {
		t.Fatalf("checks: %+v", body.Checks)
	}
	// Anyone but a local operator or an admin gets the status alone.
	r := send(t, "GET", base+"/readyz", map[string]string{"X-Forwarded-For": "203.0.113.7"}, "")
	if r.status != 503 || !strings.Contains(r.body, `"unavailable"`) || strings.Contains(r.body, "disk") {
		t.Fatalf("readyz for a remote client: %d %s", r.status, r.body)
	}
}
