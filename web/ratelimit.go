package web

import (
	"crypto/sha256"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/optiq/optiq/app"
)

// RateLimits are requests allowed per minute. Requests with a credential
// are counted per credential, others per client address; sign-in, MFA and
// token endpoints have their own, stricter budget per client address.
type RateLimits struct {
	PerMinute     int // every endpoint (default 12000: 200 a second)
	AuthPerMinute int // /api/v1/auth/*, /oauth/*, /signin, /sso/* (default 300)
}

func (r RateLimits) withDefaults() RateLimits {
	if r.PerMinute <= 0 {
		r.PerMinute = 12000
	}
	if r.AuthPerMinute <= 0 {
		r.AuthPerMinute = 300
	}
	return r
}

// window counts the requests of one key in one fixed minute.
type window struct {
	start time.Time
	n     int
}

// limiter is a fixed-window counter per key: simple, cheap, and its state
// maps directly onto the X-RateLimit headers.
type limiter struct {
	limit int
	mu    sync.Mutex
	keys  map[string]*window
	swept time.Time
	now   func() time.Time
}

func newLimiter(limit int, now func() time.Time) *limiter {
	return &limiter{limit: limit, keys: map[string]*window{}, now: now}
}

// take counts one request of key and returns how many remain and when the
// window resets; ok is false when the budget is spent.
func (l *limiter) take(key string) (remaining int, reset time.Time, ok bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		// Forget idle keys so that the map does not grow without bound.
		for k, w := range l.keys {
			if now.Sub(w.start) >= time.Minute {
				delete(l.keys, k)
			}
		}
		l.swept = now
	}
	w := l.keys[key]
	if w == nil || now.Sub(w.start) >= time.Minute {
		w = &window{start: now}
		l.keys[key] = w
	}
	reset = w.start.Add(time.Minute)
	if w.n >= l.limit {
		return 0, reset, false
	}
	w.n++
	return l.limit - w.n, reset, true
}

func isAuthPath(p string) bool {
	return strings.HasPrefix(p, "/api/v1/auth/") || strings.HasPrefix(p, "/oauth/") ||
		p == "/signin" || strings.HasPrefix(p, "/signin/") || strings.HasPrefix(p, "/sso/")
}

// rateLimit is the middleware: every response says the budget; a spent
// budget answers 429 with Retry-After.
func (s *Server) rateLimit(c *fiber.Ctx) error {
	if c.Path() == "/healthz" {
		return c.Next()
	}
	l, key := s.general, "ip:"+clientIP(c)
	if isAuthPath(c.Path()) {
		l = s.auth
	} else if h := c.Get(fiber.HeaderAuthorization); h != "" {
		sum := sha256.Sum256([]byte(h))
		key = "cred:" + string(sum[:16])
	} else if ck := c.Cookies(sessionCookie); ck != "" {
		sum := sha256.Sum256([]byte(ck))
		key = "cred:" + string(sum[:16])
	}
	remaining, reset, ok := l.take(key)
	secs := max(1, int(reset.Sub(l.now()).Seconds()+0.999))
	h := &c.Response().Header
	h.Set("X-RateLimit-Limit", strconv.Itoa(l.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", strconv.Itoa(secs))
	if !ok {
		h.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
		return app.Errorf(app.ERATELIMITED, "too many requests: try again in %d seconds", secs)
	}
	return c.Next()
}
