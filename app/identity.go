package app

import (
	"context"
	"time"
)

// Audit actions. They are stable: admins filter on them.
const (
	AuditLogin           = "auth.login"
	AuditLoginFailed     = "auth.login_failed"
	AuditLogout          = "auth.logout"
	AuditLogoutAll       = "auth.logout_all"
	AuditReauth          = "auth.reauth"
	AuditMFAEnrol        = "mfa.enrol"
	AuditMFADisable      = "mfa.disable"
	AuditMFAFailed       = "mfa.failed"
	AuditBackupCodeUsed  = "mfa.backup_code_used"
	AuditBackupCodesNew  = "mfa.backup_codes_regenerated"
	AuditAPIKeyCreate    = "apikey.create"
	AuditAPIKeyRevoke    = "apikey.revoke"
	AuditWorkspaceCreate = "workspace.create"
	AuditMemberAdd       = "member.add"
	AuditMemberRole      = "member.role"
	AuditMemberRemove    = "member.remove"
	AuditUserRole        = "user.role"
	AuditUserDelete      = "user.delete"
	AuditUserCreate      = "user.create"
	AuditUserDisable     = "user.disable"
	AuditJobRun          = "job.run"
	AuditUserEnable      = "user.enable"
	AuditPasswordChange  = "user.password"
	AuditSessionRevoke   = "session.revoke"
	AuditSettings        = "settings.change"
	AuditRepoCreate      = "repo.create"
	AuditRepoDelete      = "repo.delete"
	AuditOAuthGrant      = "oauth.grant"
	AuditOAuthReuse      = "oauth.refresh_reused"
)

// AuditEntry is one row of the append-only, hash-chained audit log. Detail
// holds names and ids, never secret values.
type AuditEntry struct {
	Seq       int64             `json:"seq"`
	At        time.Time         `json:"at"`
	Actor     string            `json:"actor"` // user id, or "" for anonymous
	Action    string            `json:"action"`
	Target    string            `json:"target,omitempty"`
	Workspace string            `json:"workspace,omitempty"`
	Remote    string            `json:"remote,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	Detail    map[string]string `json:"detail,omitempty"`
	Hash      string            `json:"hash,omitempty"`
}

// AuditFilter selects audit entries; zero fields match everything.
type AuditFilter struct {
	Actor  string
	Action string
	Target string
	Since  time.Time
	Until  time.Time
	Limit  int
}

// APIKey describes a scoped API key (never its secret).
type APIKey struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Scopes     []string  `json:"scopes"`
	Workspace  string    `json:"workspace,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// SignIn is one of a user's signed-in credentials other than API keys: a
// CLI login (password or OAuth) or, listed by the web server, the browser
// asking.
type SignIn struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"` // CredSession, CredOAuth or CredCookie
	Name       string    `json:"name,omitempty"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	Current    bool      `json:"current,omitempty"`
}

// Member is a user's membership of a workspace.
type Member struct {
	UserID    string    `json:"user_id"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// MFAStatus says which second factors a user has.
type MFAStatus struct {
	TOTP            bool `json:"totp"`
	SMS             bool `json:"sms"`
	BackupCodesLeft int  `json:"backup_codes_left"`
	Required        bool `json:"required"` // the instance requires MFA
}

// Enabled reports whether any second factor is active.
func (m MFAStatus) Enabled() bool { return m.TOTP || m.SMS }

// TOTPEnrolment is what a user needs to add Optiq to an authenticator app.
type TOTPEnrolment struct {
	Secret string `json:"secret"` // base32, shown once
	URI    string `json:"uri"`    // otpauth://
	QRPNG  []byte `json:"qr_png"` // the URI as a QR code
}

// MFA methods.
const (
	MFATOTP   = "totp"
	MFASMS    = "sms"
	MFABackup = "backup"
)

// LoginResult is the first step of a sign-in. Either the user is signed in
// (Challenge empty) or a second factor is needed: Challenge is a short-lived
// token to present with the code.
type LoginResult struct {
	User      User
	Challenge string
	Methods   []string
	// Enrol is set when the instance requires MFA and the user has none:
	// the credential issued may only enrol.
	Enrol bool
}

// Settings are instance-wide options set by admins.
type Settings struct {
	RequireMFA bool `json:"require_mfa"`
}

// SMSSender delivers one-time codes by text message.
type SMSSender interface {
	Send(ctx context.Context, phone, message string) error
}

// Session is the server-side state of a browser session.
type Session struct {
	UserID string
	AuthAt time.Time
	Gen    int64
}

// OAuthCode is an authorization request approved by a signed-in user.
type OAuthCode struct {
	UserID        string
	ClientID      string
	RedirectURI   string
	Challenge     string // S256 code challenge
	ChallengeMeth string
}

// OAuthTokens answer a token request.
type OAuthTokens struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	UserID       string `json:"user_id"`
}

type clientKey struct{}

// WithClient returns ctx carrying the client's network address, for
// lockout and audit.
func WithClient(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientKey{}, addr)
}

// ClientFrom returns the client address of ctx or "".
func ClientFrom(ctx context.Context) string {
	s, _ := ctx.Value(clientKey{}).(string)
	return s
}
