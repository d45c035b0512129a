package web

import (
	"bytes"
	"html/template"
	"net"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/optiq/optiq/app"
)

// OAuth 2.0 authorization code flow with PKCE for the CLI (RFC 6749,
// RFC 7636, RFC 8252 loopback redirects). The CLI is a public client: it
// proves possession with the S256 code verifier; "plain" is refused.

// CLIClientID is the OAuth client id of the Optiq CLI.
const CLIClientID = "optiq-cli"

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Optiq — {{.Title}}</title></head>
<body><main>
<h1>{{.Title}}</h1>
{{if .Error}}<p role="alert"><strong>{{.Error}}</strong></p>{{end}}
{{if eq .Kind "signin"}}
<form method="post" action="/signin">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<input type="hidden" name="next" value="{{.Next}}">
<p><label>E-mail <input type="email" name="email" autocomplete="username" required></label></p>
<p><label>Password <input type="password" name="password" autocomplete="current-password" required></label></p>
<p><button type="submit">Sign in</button></p>
</form>
{{else if eq .Kind "mfa"}}
<form method="post" action="/signin">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<input type="hidden" name="next" value="{{.Next}}">
<input type="hidden" name="challenge" value="{{.Challenge}}">
<p><label>Method <select name="method">{{range .Methods}}<option value="{{.}}">{{.}}</option>{{end}}</select></label></p>
<p><label>Code <input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" required></label></p>
<p><button type="submit">Verify</button></p>
</form>
{{else if eq .Kind "consent"}}
<p>Allow the Optiq command-line tool on this computer to act as <strong>{{.Email}}</strong>?</p>
<p>It will be able to do everything you can do, until you sign out with <code>optiq logout</code>.</p>
<form method="post" action="/oauth/authorize">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
{{range $k, $v := .Params}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<p><button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button></p>
</form>
{{else}}
<p>{{.Message}}</p>
{{end}}
</main></body></html>
`))

type page struct {
	Kind, Title, Error, Message string
	CSRF, Next, Challenge       string
	Email                       string
	Methods                     []string
	Params                      map[string]string
}

func (s *Server) render(c *fiber.Ctx, status int, p page) error {
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, p); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(b.Bytes())
}

// safeNext keeps post-sign-in redirects on this server.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/api/v1/me"
	}
	return next
}

func (s *Server) signInPage(c *fiber.Ctx, r *call) error {
	return s.render(c, fiber.StatusOK, page{Kind: "signin", Title: "Sign in", CSRF: s.csrfToken(c), Next: safeNext(c.Query("next"))})
}

// signIn handles the sign-in form: password, then (if enrolled) the
// second factor, then a cookie session.
func (s *Server) signIn(c *fiber.Ctx, r *call) error {
	next := safeNext(c.FormValue("next"))
	if err := s.checkCSRF(c, c.FormValue(csrfField)); err != nil {
		return s.render(c, fiber.StatusForbidden, page{Kind: "signin", Title: "Sign in", Error: "The form expired: please sign in again.", CSRF: s.csrfToken(c), Next: next})
	}
	ctx := c.UserContext()
	var u app.User
	if ch := c.FormValue("challenge"); ch != "" {
		var err error
		u, err = s.cfg.Accounts.LoginMFA(ctx, ch, c.FormValue("method"), c.FormValue("code"))
		if err != nil {
			return s.render(c, statusFor(err), page{Kind: "signin", Title: "Sign in", Error: app.ErrorMessage(err), CSRF: s.csrfToken(c), Next: next})
		}
	} else {
		res, err := s.cfg.Accounts.Login(ctx, c.FormValue("email"), c.FormValue("password"))
		if err != nil {
			return s.render(c, statusFor(err), page{Kind: "signin", Title: "Sign in", Error: app.ErrorMessage(err), CSRF: s.csrfToken(c), Next: next})
		}
		if res.Challenge != "" {
			return s.render(c, fiber.StatusOK, page{Kind: "mfa", Title: "Second factor", CSRF: s.csrfToken(c), Next: next, Challenge: res.Challenge, Methods: res.Methods})
		}
		if res.Enrol {
			return s.render(c, fiber.StatusForbidden, page{Title: "MFA required", Message: "This server requires multi-factor authentication: enrol with `optiq mfa enrol` first."})
		}
		u = res.User
	}
	if _, err := s.startSession(c, u, false); err != nil {
		return err
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

// authRequest is a validated authorization request.
type authRequest struct {
	clientID, redirectURI, challenge, method, state string
}

// loopbackRedirect accepts only http loopback redirect URIs (RFC 8252 §7.3).
func loopbackRedirect(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Fragment != "" || u.Port() == "" {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func parseAuthRequest(get func(string) string) (authRequest, error) {
	a := authRequest{clientID: get("client_id"), redirectURI: get("redirect_uri"), challenge: get("code_challenge"),
		method: get("code_challenge_method"), state: get("state")}
	switch {
	case get("response_type") != "code":
		return a, app.Errorf(app.EINVALID, "unsupported_response_type: only response_type=code is supported")
	case a.clientID != CLIClientID:
		return a, app.Errorf(app.EINVALID, "invalid_client: unknown client_id")
	case !loopbackRedirect(a.redirectURI):
		return a, app.Errorf(app.EINVALID, "invalid_request: redirect_uri must be an http loopback address with a port")
	case a.challenge == "":
		return a, app.Errorf(app.EINVALID, "invalid_request: PKCE code_challenge is required")
	case a.method != "S256":
		return a, app.Errorf(app.EINVALID, "invalid_request: code_challenge_method must be S256 (plain is not accepted)")
	case len(a.challenge) != 43:
		return a, app.Errorf(app.EINVALID, "invalid_request: code_challenge must be a base64url SHA-256")
	}
	return a, nil
}

func (a authRequest) params() map[string]string {
	return map[string]string{"response_type": "code", "client_id": a.clientID, "redirect_uri": a.redirectURI,
		"code_challenge": a.challenge, "code_challenge_method": a.method, "state": a.state}
}

func (s *Server) oauthAuthorize(c *fiber.Ctx, r *call) error {
	a, err := parseAuthRequest(func(k string) string { return c.Query(k) })
	if err != nil {
		return err
	}
	if r.p.UserID == "" || r.p.Kind != app.CredCookie {
		return c.Redirect("/signin?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
	}
	return s.render(c, fiber.StatusOK, page{Kind: "consent", Title: "Authorize the Optiq CLI", Email: r.p.Email, CSRF: s.csrfToken(c), Params: a.params()})
}

func (s *Server) oauthConsent(c *fiber.Ctx, r *call) error {
	if r.p.Kind != app.CredCookie {
		return app.Errorf(app.EFORBIDDEN, "sign in with the browser to authorize the CLI")
	}
	if err := s.checkCSRF(c, c.FormValue(csrfField)); err != nil {
		return err
	}
	a, err := parseAuthRequest(func(k string) string { return c.FormValue(k) })
	if err != nil {
		return err
	}
	to, _ := url.Parse(a.redirectURI)
	q := to.Query()
	if a.state != "" {
		q.Set("state", a.state)
	}
	if c.FormValue("decision") != "allow" {
		q.Set("error", "access_denied")
	} else {
		code, err := s.cfg.Accounts.AuthorizeOAuth(c.UserContext(), app.OAuthCode{UserID: r.p.UserID, ClientID: a.clientID,
			RedirectURI: a.redirectURI, Challenge: a.challenge, ChallengeMeth: a.method})
		if err != nil {
			return err
		}
		q.Set("code", code)
	}
	to.RawQuery = q.Encode()
	// Browsers apply form-action to the redirect that answers a form: allow
	// this one loopback origin.
	c.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self' "+to.Scheme+"://"+to.Host)
	return c.Redirect(to.String(), fiber.StatusSeeOther)
}

// oauthToken is the token endpoint: it takes form or JSON parameters.
func (s *Server) oauthToken(c *fiber.Ctx, _ *call) error {
	get := func(k string) string { return c.FormValue(k) }
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) {
		var m map[string]string
		if err := decode(c, &m); err != nil {
			return err
		}
		get = func(k string) string { return m[k] }
	}
	ctx := c.UserContext()
	var t app.OAuthTokens
	var err error
	switch get("grant_type") {
	case "authorization_code":
		if get("code") == "" || get("code_verifier") == "" {
			return app.Errorf(app.EINVALID, "invalid_request: code and code_verifier are required")
		}
		t, err = s.cfg.Accounts.ExchangeOAuthCode(ctx, get("code"), get("code_verifier"), get("client_id"), get("redirect_uri"))
	case "refresh_token":
		if get("refresh_token") == "" {
			return app.Errorf(app.EINVALID, "invalid_request: refresh_token is required")
		}
		t, err = s.cfg.Accounts.RefreshOAuth(ctx, get("refresh_token"))
	default:
		return app.Errorf(app.EINVALID, "unsupported_grant_type: use authorization_code or refresh_token")
	}
	if err != nil {
		return err
	}
	return c.JSON(t)
}
