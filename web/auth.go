package web

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/optiq/optiq/app"
)

// LoginRequest is the body of POST /api/v1/auth/login. Session asks for a
// browser cookie session instead of a bearer token.
type LoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Session  bool   `json:"session,omitempty"`
}

// LoginResponse answers a sign-in step. When MFARequired is set, nothing
// is signed in yet: send the Challenge with a code to /auth/login/mfa.
type LoginResponse struct {
	Token       string          `json:"token,omitempty"`
	CSRFToken   string          `json:"csrf_token,omitempty"`
	User        app.User        `json:"user"`
	Workspaces  []app.Workspace `json:"workspaces"`
	MFARequired bool            `json:"mfa_required,omitempty"`
	Challenge   string          `json:"challenge,omitempty"`
	Methods     []string        `json:"methods,omitempty"`
	// EnrolRequired: the instance requires MFA and this account has none;
	// the credential issued may only enrol.
	EnrolRequired bool `json:"enrol_required,omitempty"`
}

// MFALoginRequest completes a challenged sign-in.
type MFALoginRequest struct {
	Challenge string `json:"challenge"`
	Method    string `json:"method,omitempty"` // totp (default), sms or backup
	Code      string `json:"code"`
	Session   bool   `json:"session,omitempty"`
}

func requireJSON(c *fiber.Ctx) error {
	// A cross-site HTML form cannot send application/json without a
	// CORS preflight, which this server never grants.
	if !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) {
		return app.Errorf(app.EINVALID, "send a JSON body with Content-Type: application/json")
	}
	return nil
}

func (s *Server) login(c *fiber.Ctx, _ *call) error {
	var req LoginRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Email == "" || req.Password == "" {
		return app.Errorf(app.EINVALID, "email and password are required")
	}
	if req.Session {
		if err := requireJSON(c); err != nil {
			return err
		}
	}
	res, err := s.cfg.Accounts.Login(c.UserContext(), req.Email, req.Password)
	if err != nil {
		s.log.WarnContext(c.UserContext(), "login failed", "request_id", requestID(c), "remote", clientIP(c), "code", app.ErrorCode(err))
		return err
	}
	if res.Challenge != "" {
		return c.JSON(LoginResponse{MFARequired: true, Challenge: res.Challenge, Methods: res.Methods})
	}
	return s.signedIn(c, res.User, req.Session, res.Enrol)
}

// signedIn issues the credential of a completed sign-in.
func (s *Server) signedIn(c *fiber.Ctx, u app.User, session, enrolling bool) error {
	ctx := c.UserContext()
	out := LoginResponse{User: u, EnrolRequired: enrolling}
	var err error
	if session {
		if out.CSRFToken, err = s.startSession(c, u, enrolling); err != nil {
			return err
		}
	} else {
		out.Token, err = s.cfg.Accounts.IssueToken(ctx, u.ID, app.TokenOptions{Name: "cli login", Kind: app.CredSession, TTL: sessionTTL,
			AuthAt: time.Now(), Enrolling: enrolling})
		if err != nil {
			return err
		}
	}
	if out.Workspaces, err = s.cfg.Accounts.Workspaces(ctx, u.ID); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "login", "request_id", requestID(c), "user", u.ID, "cookie", session)
	return c.JSON(out)
}

func (s *Server) loginMFA(c *fiber.Ctx, _ *call) error {
	var req MFALoginRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Challenge == "" || req.Code == "" {
		return app.Errorf(app.EINVALID, "challenge and code are required")
	}
	if req.Session {
		if err := requireJSON(c); err != nil {
			return err
		}
	}
	u, err := s.cfg.Accounts.LoginMFA(c.UserContext(), req.Challenge, req.Method, req.Code)
	if err != nil {
		return err
	}
	return s.signedIn(c, u, req.Session, false)
}

func (s *Server) loginSMS(c *fiber.Ctx, _ *call) error {
	var req struct {
		Challenge string `json:"challenge"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Challenge == "" {
		return app.Errorf(app.EINVALID, "challenge is required")
	}
	if err := s.cfg.Accounts.SendLoginSMS(c.UserContext(), req.Challenge); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) logout(c *fiber.Ctx, r *call) error {
	ctx := c.UserContext()
	if r.p.Kind == app.CredCookie {
		if err := s.id.sm.Destroy(ctx); err != nil {
			return err
		}
	} else if err := s.cfg.Accounts.RevokeToken(ctx, r.p); err != nil {
		return err
	}
	if err := s.cfg.Accounts.Audit(ctx, app.AuditEntry{Action: app.AuditLogout, Target: r.p.UserID, Detail: map[string]string{"credential": r.p.Kind}}); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) logoutAll(c *fiber.Ctx, r *call) error {
	ctx := c.UserContext()
	if err := s.cfg.Accounts.LogoutEverywhere(ctx, r.p.UserID); err != nil {
		return err
	}
	if r.p.Kind == app.CredCookie {
		if err := s.id.sm.Destroy(ctx); err != nil {
			return err
		}
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// ReauthRequest confirms the user's identity for sensitive operations.
type ReauthRequest struct {
	Password string `json:"password"`
	Method   string `json:"method,omitempty"`
	Code     string `json:"code,omitempty"`
}

func (s *Server) reauth(c *fiber.Ctx, r *call) error {
	var req ReauthRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Password == "" {
		return app.Errorf(app.EINVALID, "password is required")
	}
	ctx := c.UserContext()
	if err := s.cfg.Accounts.Reauthenticate(ctx, r.p, req.Password, req.Method, req.Code); err != nil {
		return err
	}
	if r.p.Kind == app.CredCookie {
		// A privilege change: new session token, fresh sign-in time.
		if err := s.id.sm.RenewToken(ctx); err != nil {
			return err
		}
		s.id.sm.Put(ctx, skAuthAt, time.Now().Unix())
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) csrf(c *fiber.Ctx, r *call) error {
	if r.p.Kind != app.CredCookie {
		return c.JSON(fiber.Map{"csrf_token": ""})
	}
	return c.JSON(fiber.Map{"csrf_token": s.csrfToken(c)})
}

// MeResponse describes the caller.
type MeResponse struct {
	UserID        string          `json:"user_id"`
	Email         string          `json:"email,omitempty"`
	Role          string          `json:"role"`
	Scopes        []string        `json:"scopes,omitempty"`
	Credential    string          `json:"credential"`
	EnrolRequired bool            `json:"enrol_required,omitempty"`
	Workspaces    []app.Workspace `json:"workspaces"`
}

func (s *Server) me(c *fiber.Ctx, r *call) error {
	wss, err := s.cfg.Accounts.Workspaces(c.UserContext(), r.p.UserID)
	if err != nil {
		return err
	}
	if r.p.Workspace != "" {
		kept := wss[:0]
		for _, w := range wss {
			if w.ID == r.p.Workspace {
				kept = append(kept, w)
			}
		}
		wss = kept
	}
	u, err := s.cfg.Accounts.User(c.UserContext(), r.p.UserID)
	if err != nil {
		return err
	}
	return c.JSON(MeResponse{UserID: r.p.UserID, Email: u.Email, Role: r.p.Role, Scopes: r.p.Scopes, Credential: r.p.Kind,
		EnrolRequired: r.p.Enrolling, Workspaces: wss})
}

func (s *Server) deleteMe(c *fiber.Ctx, r *call) error {
	if err := s.cfg.Accounts.DeleteUser(c.UserContext(), r.p.UserID); err != nil {
		return err
	}
	if r.p.Kind == app.CredCookie {
		s.id.sm.Destroy(c.UserContext())
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) mfaStatus(c *fiber.Ctx, r *call) error {
	st, err := s.cfg.Accounts.MFAStatus(c.UserContext(), r.p.UserID)
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (s *Server) totpEnrol(c *fiber.Ctx, r *call) error {
	e, err := s.cfg.Accounts.EnrolTOTP(c.UserContext(), r.p.UserID)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(e)
}

// CodeRequest carries a one-time code.
type CodeRequest struct {
	Code string `json:"code"`
}

// BackupCodesResponse shows backup codes once.
type BackupCodesResponse struct {
	BackupCodes []string `json:"backup_codes,omitempty"`
}

func (s *Server) enrolled(c *fiber.Ctx, codes []string) error {
	if s.id.sm.GetBool(c.UserContext(), skEnrolling) {
		s.id.sm.Put(c.UserContext(), skEnrolling, false)
	}
	return c.JSON(BackupCodesResponse{BackupCodes: codes})
}

func (s *Server) totpConfirm(c *fiber.Ctx, r *call) error {
	var req CodeRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	codes, err := s.cfg.Accounts.ConfirmTOTP(c.UserContext(), r.p.UserID, req.Code)
	if err != nil {
		return err
	}
	return s.enrolled(c, codes)
}

func (s *Server) smsEnrol(c *fiber.Ctx, r *call) error {
	var req struct {
		Phone string `json:"phone"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if err := s.cfg.Accounts.EnrolSMS(c.UserContext(), r.p.UserID, req.Phone); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusAccepted)
}

func (s *Server) smsConfirm(c *fiber.Ctx, r *call) error {
	var req CodeRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	codes, err := s.cfg.Accounts.ConfirmSMS(c.UserContext(), r.p.UserID, req.Code)
	if err != nil {
		return err
	}
	return s.enrolled(c, codes)
}

func (s *Server) mfaDisable(c *fiber.Ctx, r *call) error {
	if err := s.cfg.Accounts.DisableMFA(c.UserContext(), r.p.UserID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) backupCodes(c *fiber.Ctx, r *call) error {
	codes, err := s.cfg.Accounts.RegenerateBackupCodes(c.UserContext(), r.p.UserID)
	if err != nil {
		return err
	}
	return c.JSON(BackupCodesResponse{BackupCodes: codes})
}

// CreateAPIKeyRequest creates a scoped API key. ExpiresIn is a Go
// duration ("720h"); empty means no expiry.
type CreateAPIKeyRequest struct {
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	Workspace string   `json:"workspace,omitempty"`
	ExpiresIn string   `json:"expires_in,omitempty"`
}

// CreateAPIKeyResponse shows the key's secret once.
type CreateAPIKeyResponse struct {
	app.APIKey
	Key string `json:"key"`
}

func (s *Server) createAPIKey(c *fiber.Ctx, r *call) error {
	var req CreateAPIKeyRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	var ttl time.Duration
	if req.ExpiresIn != "" {
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil || d <= 0 {
			return app.Errorf(app.EINVALID, "expires_in must be a positive duration such as 720h")
		}
		ttl = d
	}
	k, secret, err := s.cfg.Accounts.CreateAPIKey(c.UserContext(), r.p, req.Name, req.Scopes, req.Workspace, ttl)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(CreateAPIKeyResponse{APIKey: k, Key: secret})
}

func (s *Server) listAPIKeys(c *fiber.Ctx, r *call) error {
	keys, err := s.cfg.Accounts.APIKeys(c.UserContext(), r.p.UserID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"api_keys": keys})
}

func (s *Server) revokeAPIKey(c *fiber.Ctx, r *call) error {
	if err := s.cfg.Accounts.RevokeAPIKey(c.UserContext(), r.p.UserID, c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) listWorkspaces(c *fiber.Ctx, r *call) error {
	wss, err := s.cfg.Accounts.Workspaces(c.UserContext(), r.p.UserID)
	if err != nil {
		return err
	}
	if r.p.Workspace != "" {
		kept := wss[:0]
		for _, w := range wss {
			if w.ID == r.p.Workspace {
				kept = append(kept, w)
			}
		}
		wss = kept
	}
	return c.JSON(fiber.Map{"workspaces": wss})
}

func (s *Server) createWorkspace(c *fiber.Ctx, r *call) error {
	var req struct {
		Name string `json:"name"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	ws, err := s.cfg.Accounts.CreateWorkspace(c.UserContext(), r.p.UserID, req.Name)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(ws)
}

func (s *Server) listMembers(c *fiber.Ctx, r *call) error {
	ms, err := s.cfg.Accounts.Members(c.UserContext(), r.tenant.Workspace().ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"members": ms})
}

// MemberRequest adds a member or changes a role.
type MemberRequest struct {
	Email string `json:"email,omitempty"`
	Role  string `json:"role"`
}

func (s *Server) addMember(c *fiber.Ctx, r *call) error {
	var req MemberRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	ws := r.tenant.Workspace()
	m, err := s.cfg.Accounts.AddMember(c.UserContext(), ws.ID, ws.Role, req.Email, req.Role)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(m)
}

func (s *Server) setMemberRole(c *fiber.Ctx, r *call) error {
	var req MemberRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	ws := r.tenant.Workspace()
	if err := s.cfg.Accounts.SetMemberRole(c.UserContext(), ws.ID, ws.Role, c.Params("user"), req.Role); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) removeMember(c *fiber.Ctx, r *call) error {
	ws := r.tenant.Workspace()
	if err := s.cfg.Accounts.RemoveMember(c.UserContext(), ws.ID, ws.Role, c.Params("user")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) listUsers(c *fiber.Ctx, _ *call) error {
	us, err := s.cfg.Accounts.Users(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"users": us})
}

func (s *Server) setUserRole(c *fiber.Ctx, _ *call) error {
	var req struct {
		Role string `json:"role"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if err := s.cfg.Accounts.SetUserRole(c.UserContext(), c.Params("id"), req.Role); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) deleteUser(c *fiber.Ctx, _ *call) error {
	if err := s.cfg.Accounts.DeleteUser(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) getSettings(c *fiber.Ctx, _ *call) error {
	st, err := s.cfg.Accounts.Settings(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (s *Server) putSettings(c *fiber.Ctx, _ *call) error {
	var st app.Settings
	if err := decode(c, &st); err != nil {
		return err
	}
	if err := s.cfg.Accounts.SetSettings(c.UserContext(), st); err != nil {
		return err
	}
	return c.JSON(st)
}

func parseTimeParam(v, name string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	return time.Time{}, app.Errorf(app.EINVALID, "%s must be an RFC 3339 time, a date (2006-01-02) or Unix seconds", name)
}

func (s *Server) auditLog(c *fiber.Ctx, _ *call) error {
	f := app.AuditFilter{Actor: c.Query("actor"), Action: c.Query("action"), Target: c.Query("target")}
	var err error
	if f.Since, err = parseTimeParam(c.Query("since"), "since"); err != nil {
		return err
	}
	if f.Until, err = parseTimeParam(c.Query("until"), "until"); err != nil {
		return err
	}
	if l := c.Query("limit"); l != "" {
		if f.Limit, err = strconv.Atoi(l); err != nil || f.Limit < 1 {
			return app.Errorf(app.EINVALID, "limit must be a positive number")
		}
	}
	entries, err := s.cfg.Accounts.AuditLog(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"entries": entries})
}

var _ = url.QueryEscape
