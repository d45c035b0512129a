package app

import (
	"context"
	"slices"
	"time"
)

// Instance roles.
const (
	RoleAdmin  = "admin"
	RoleMember = "member"
)

// Workspace roles, strongest first.
const (
	WSOwner  = "owner"
	WSAdmin  = "admin"
	WSUser   = "user"
	WSViewer = "viewer"
)

// Permission is what an operation on a workspace needs.
type Permission string

const (
	PermRead   Permission = "read"   // search, list repos, read ciphertext
	PermIndex  Permission = "index"  // create repos, upload and commit index sessions
	PermManage Permission = "manage" // delete repos, manage members
	PermOwn    Permission = "own"    // delete the workspace, transfer ownership
)

// workspacePerms is the one permission matrix for workspace roles.
var workspacePerms = map[string][]Permission{
	WSOwner:  {PermRead, PermIndex, PermManage, PermOwn},
	WSAdmin:  {PermRead, PermIndex, PermManage},
	WSUser:   {PermRead, PermIndex},
	WSViewer: {PermRead},
}

// RoleAllows reports whether a workspace role grants perm.
func RoleAllows(role string, perm Permission) bool {
	return slices.Contains(workspacePerms[role], perm)
}

// ValidWorkspaceRole reports whether role is a workspace role.
func ValidWorkspaceRole(role string) bool {
	_, ok := workspacePerms[role]
	return ok
}

// API key scopes.
const (
	ScopeSearchRead = "search:read"
	ScopeReposWrite = "repos:write"
	ScopeIndexWrite = "index:write"
	ScopeAuditRead  = "audit:read"
	ScopeAdmin      = "admin"
	ScopeMetrics    = "metrics:read"
)

// AllScopes lists every API key scope, for validation and help texts.
var AllScopes = []string{ScopeSearchRead, ScopeReposWrite, ScopeIndexWrite, ScopeAuditRead, ScopeAdmin, ScopeMetrics}

// ValidScope reports whether s is an API key scope.
func ValidScope(s string) bool { return slices.Contains(AllScopes, s) }

// Credential kinds: how a principal signed in.
const (
	CredSession = "session" // CLI bearer token from a password login
	CredOAuth   = "oauth"   // CLI bearer token from the OAuth code flow
	CredAPIKey  = "apikey"  // scoped API key
	CredCookie  = "cookie"  // browser session cookie
)

// Principal is who a request acts for, resolved by authentication.
type Principal struct {
	UserID    string
	Email     string
	Role      string   // instance role
	Scopes    []string // nil: every scope the user has (interactive login)
	Workspace string   // non-empty: credential restricted to this workspace
	KeyID     string   // credential id (API key or session), for audit
	Kind      string   // Cred* constant
	// AuthAt is when the user last proved who they are (password, and MFA
	// if enrolled); sensitive operations need it to be recent.
	AuthAt time.Time
	// Enrolling marks a credential issued only so that the user can enrol
	// in MFA because the instance requires it; it opens nothing else.
	Enrolling bool
}

// Interactive reports whether the credential came from a person signing
// in (not an API key).
func (p Principal) Interactive() bool { return p.Kind != CredAPIKey }

// Allows reports whether the credential carries scope. Interactive logins
// (nil Scopes) carry every scope; ScopeAdmin implies all others.
func (p Principal) Allows(scope string) bool {
	if p.Scopes == nil {
		return true
	}
	return slices.Contains(p.Scopes, scope) || slices.Contains(p.Scopes, ScopeAdmin)
}

// IsAdmin reports whether the principal is an instance admin acting with
// admin rights.
func (p Principal) IsAdmin() bool { return p.Role == RoleAdmin && p.Allows(ScopeAdmin) }

type ctxKey int

const (
	principalKey ctxKey = iota
	requestIDKey
)

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey, p)
}

// PrincipalFrom returns the principal of ctx, if authenticated.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey).(Principal)
	return p, ok && p.UserID != ""
}

// WithRequestID returns ctx carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestIDFrom returns the request id of ctx or "".
func RequestIDFrom(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// Sealer encrypts server-side secrets at rest (TOTP seeds, e-mail
// addresses, SSO keys), bound to additional data naming what they belong to.
// Adapters get a Sealer, never the master key.
type Sealer interface {
	Seal(plaintext, aad []byte) []byte
	Open(sealed, aad []byte) ([]byte, error)
}

// Pepper computes keyed hashes for looking secrets up by value.
type Pepper interface {
	Sum(value string) []byte
}
