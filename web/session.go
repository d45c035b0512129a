package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gofiber/fiber/v2"

	"github.com/optiq/optiq/app"
)

// Browser sessions: scs keeps the session state, control.db stores it
// (under a hash of the token), and fiber carries the cookie. The CLI never
// uses cookies; it sends bearer tokens.
const (
	sessionCookie      = "__Host-optiq_session"
	sessionIdleTimeout = 2 * time.Hour
	sessionLifetime    = 12 * time.Hour
	csrfHeader         = "X-CSRF-Token"
	csrfField          = "csrf_token"
)

// Session keys.
const (
	skUser      = "user"
	skAuthAt    = "auth_at"
	skGen       = "gen"
	skCSRF      = "csrf"
	skEnrolling = "enrolling"
)

// sessionStore adapts app.Accounts to scs.CtxStore.
type sessionStore struct{ a app.Accounts }

func (st sessionStore) Find(token string) ([]byte, bool, error) {
	return st.FindCtx(context.Background(), token)
}
func (st sessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return st.CommitCtx(context.Background(), token, b, expiry)
}
func (st sessionStore) Delete(token string) error { return st.DeleteCtx(context.Background(), token) }
func (st sessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	return st.a.FindSession(ctx, token)
}
func (st sessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	return st.a.CommitSession(ctx, token, b, expiry)
}
func (st sessionStore) DeleteCtx(ctx context.Context, token string) error {
	return st.a.DeleteSession(ctx, token)
}

// identity is the server's authentication state.
type identity struct {
	sm *scs.SessionManager
}

func newIdentity(a app.Accounts) *identity {
	sm := scs.New()
	sm.Store = sessionStore{a}
	sm.IdleTimeout = sessionIdleTimeout
	sm.Lifetime = sessionLifetime
	sm.Cookie.Name = sessionCookie
	return &identity{sm: sm}
}

func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// loadSession puts the browser session (if the request has a cookie) into
// the request context.
func (s *Server) loadSession(c *fiber.Ctx) error {
	tok := c.Cookies(sessionCookie)
	ctx, err := s.id.sm.Load(c.UserContext(), tok)
	if err != nil {
		return err
	}
	c.SetUserContext(ctx)
	c.Locals("session_loaded", true)
	return nil
}

// sessionPrincipal returns the user of the browser session, if any.
func (s *Server) sessionPrincipal(c *fiber.Ctx) (app.Principal, error) {
	ctx := c.UserContext()
	userID := s.id.sm.GetString(ctx, skUser)
	if userID == "" {
		return app.Principal{}, nil
	}
	gen, err := s.cfg.Accounts.SessionGen(ctx, userID)
	if err != nil {
		return app.Principal{}, err
	}
	if gen != s.id.sm.GetInt64(ctx, skGen) {
		// Ended by "log out everywhere", or the account is gone.
		if err := s.id.sm.Destroy(ctx); err != nil {
			return app.Principal{}, err
		}
		return app.Principal{}, nil
	}
	u, err := s.cfg.Accounts.User(ctx, userID)
	if err != nil {
		return app.Principal{}, err
	}
	h := sha256.Sum256([]byte(s.id.sm.Token(ctx)))
	return app.Principal{
		UserID: u.ID, Email: u.Email, Role: u.Role, Kind: app.CredCookie,
		KeyID:     "s_" + hex.EncodeToString(h[:8]),
		AuthAt:    time.Unix(s.id.sm.GetInt64(ctx, skAuthAt), 0),
		Enrolling: s.id.sm.GetBool(ctx, skEnrolling),
	}, nil
}

// startSession signs the browser in as u: a new session token (no
// fixation), the session generation, a fresh CSRF token.
func (s *Server) startSession(c *fiber.Ctx, u app.User, enrolling bool) (string, error) {
	ctx := c.UserContext()
	gen, err := s.cfg.Accounts.SessionGen(ctx, u.ID)
	if err != nil {
		return "", err
	}
	if err := s.id.sm.RenewToken(ctx); err != nil {
		return "", err
	}
	csrf := randomToken()
	s.id.sm.Put(ctx, skUser, u.ID)
	s.id.sm.Put(ctx, skGen, gen)
	s.id.sm.Put(ctx, skAuthAt, time.Now().Unix())
	s.id.sm.Put(ctx, skCSRF, csrf)
	s.id.sm.Put(ctx, skEnrolling, enrolling)
	return csrf, nil
}

// csrfToken returns the session's CSRF token, creating one (and so an
// anonymous session) if needed.
func (s *Server) csrfToken(c *fiber.Ctx) string {
	ctx := c.UserContext()
	t := s.id.sm.GetString(ctx, skCSRF)
	if t == "" {
		t = randomToken()
		s.id.sm.Put(ctx, skCSRF, t)
	}
	return t
}

// checkCSRF protects cookie-authenticated writes: the browser must say the
// request is same-origin (Fetch metadata and Origin, when sent), and the
// request must carry the session's CSRF token, which a cross-site page
// cannot read.
func (s *Server) checkCSRF(c *fiber.Ctx, token string) error {
	switch c.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return app.Errorf(app.EFORBIDDEN, "cross-site request refused")
	}
	if o := c.Get(fiber.HeaderOrigin); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != c.Hostname() {
			return app.Errorf(app.EFORBIDDEN, "cross-origin request refused")
		}
	}
	want := s.id.sm.GetString(c.UserContext(), skCSRF)
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(token)) != 1 {
		return app.Errorf(app.EFORBIDDEN, "missing or wrong CSRF token: send the %s header with the token from GET /api/v1/auth/csrf", csrfHeader)
	}
	return nil
}

// saveSession writes the session back and sets (or clears) the cookie.
func (s *Server) saveSession(c *fiber.Ctx) error {
	if c.Locals("session_loaded") == nil {
		return nil
	}
	ctx := c.UserContext()
	switch s.id.sm.Status(ctx) {
	case scs.Destroyed:
		c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", Secure: true, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
			Expires: time.Unix(1, 0), MaxAge: -1})
		return nil
	case scs.Unmodified:
		// Touch existing signed-in sessions so the idle timeout slides.
		if s.id.sm.Token(ctx) == "" || s.id.sm.GetString(ctx, skUser) == "" {
			return nil
		}
	}
	tok, expiry, err := s.id.sm.Commit(ctx)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: tok, Path: "/", Secure: true, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
		Expires: expiry})
	return nil
}
