package app

import (
	"fmt"
	"time"
)

// ReauthWindow is how recent a sign-in must be for sensitive operations
// (disabling MFA, regenerating backup codes, creating API keys, changing
// roles, deleting accounts).
const ReauthWindow = 5 * time.Minute

// Access is what one endpoint requires. Workspace permissions are enforced
// by TenantOpener.Open (or, for membership, by the same RoleAllows rule);
// everything else is decided by Authorize.
type Access struct {
	Public      bool       // no credential needed
	Scope       string     // API key scope ("" = any credential)
	Perm        Permission // workspace permission ("" = not a workspace endpoint)
	Admin       bool       // instance admin only
	Interactive bool       // a person's own sign-in, never an API key
	Reauth      bool       // signed in (password + MFA) within ReauthWindow
	Enrolment   bool       // open to a credential that may only enrol MFA
	Browser     bool       // a browser session only (HTML forms)
}

// Endpoint names: one per API operation. The web route table refers to
// these, so the matrix below covers every endpoint.
const (
	EpHealth         = "health"
	EpReady          = "ready"
	EpMetrics        = "metrics"
	EpLogin          = "auth.login"
	EpLoginMFA       = "auth.login.mfa"
	EpLoginSMS       = "auth.login.sms"
	EpLogout         = "auth.logout"
	EpLogoutAll      = "auth.logout_all"
	EpReauth         = "auth.reauth"
	EpCSRF           = "auth.csrf"
	EpMe             = "me"
	EpDeleteMe       = "me.delete"
	EpMFAStatus      = "mfa.status"
	EpTOTPEnrol      = "mfa.totp.enrol"
	EpTOTPConfirm    = "mfa.totp.confirm"
	EpSMSEnrol       = "mfa.sms.enrol"
	EpSMSConfirm     = "mfa.sms.confirm"
	EpMFADisable     = "mfa.disable"
	EpBackupCodes    = "mfa.backup_codes"
	EpAPIKeyCreate   = "apikeys.create"
	EpAPIKeyList     = "apikeys.list"
	EpAPIKeyRevoke   = "apikeys.revoke"
	EpWorkspaceList  = "workspaces.list"
	EpWorkspaceNew   = "workspaces.create"
	EpMemberList     = "members.list"
	EpMemberAdd      = "members.add"
	EpMemberRole     = "members.role"
	EpMemberRemove   = "members.remove"
	EpUserList       = "users.list"
	EpUserRole       = "users.role"
	EpUserDelete     = "users.delete"
	EpSettingsGet    = "settings.get"
	EpSettingsPut    = "settings.put"
	EpAuditList      = "audit.list"
	EpRepoList       = "repos.list"
	EpRepoCreate     = "repos.create"
	EpRepoGet        = "repos.get"
	EpRepoDelete     = "repos.delete"
	EpIndexBegin     = "index.begin"
	EpIndexUpload    = "index.upload"
	EpIndexCommit    = "index.commit"
	EpIndexModel     = "index.model"
	EpModelGet       = "models.get"
	EpFileGet        = "files.get"
	EpFileBatch      = "files.batch"
	EpSearch         = "search"
	EpSignInPage     = "ui.signin"
	EpSignIn         = "ui.signin.post"
	EpOAuthAuthorize = "oauth.authorize"
	EpOAuthConsent   = "oauth.consent"
	EpOAuthToken     = "oauth.token"
	EpUIAsset        = "ui.asset"
	EpUIConfig       = "ui.config"
	EpUserCreate     = "users.create"
	EpUserDisable    = "users.disable"
	EpJobRun         = "jobs.run"
	EpPasswordChange = "me.password"
	EpSignInList     = "me.sessions"
	EpSignInRevoke   = "me.sessions.revoke"
)

// Endpoints is the permission matrix: every endpoint and what it needs.
var Endpoints = map[string]Access{
	EpHealth: {Public: true},
	EpReady:  {Public: true},
	// Metrics: loopback clients without a credential, else an instance
	// admin's credential with ScopeMetrics; checked by the handler because
	// the rule depends on the client address (web/ops.go).
	EpMetrics:        {Public: true},
	EpLogin:          {Public: true},
	EpLoginMFA:       {Public: true},
	EpLoginSMS:       {Public: true},
	EpSignInPage:     {Public: true},
	EpSignIn:         {Public: true},
	EpUIAsset:        {Public: true}, // the web UI's static files
	EpUIConfig:       {Public: true}, // what the sign-in page offers (SSO or not)
	EpOAuthAuthorize: {Public: true}, // signs the user in with a cookie session first
	EpOAuthConsent:   {Interactive: true, Browser: true},
	EpOAuthToken:     {Public: true}, // the code or refresh token is the credential
	EpLogout:         {Enrolment: true},
	EpLogoutAll:      {Interactive: true, Enrolment: true},
	EpReauth:         {Interactive: true},
	EpCSRF:           {Interactive: true, Enrolment: true},
	EpMe:             {Enrolment: true},
	EpDeleteMe:       {Interactive: true, Reauth: true},
	EpMFAStatus:      {Interactive: true, Enrolment: true},
	EpTOTPEnrol:      {Interactive: true, Enrolment: true},
	EpTOTPConfirm:    {Interactive: true, Enrolment: true},
	EpSMSEnrol:       {Interactive: true, Enrolment: true},
	EpSMSConfirm:     {Interactive: true, Enrolment: true},
	EpMFADisable:     {Interactive: true, Reauth: true},
	EpBackupCodes:    {Interactive: true, Reauth: true},
	EpAPIKeyCreate:   {Interactive: true, Reauth: true},
	EpAPIKeyList:     {Interactive: true},
	EpAPIKeyRevoke:   {Interactive: true},
	EpWorkspaceList:  {},
	EpWorkspaceNew:   {Interactive: true},
	EpMemberList:     {Scope: ScopeSearchRead, Perm: PermRead},
	EpMemberAdd:      {Scope: ScopeAdmin, Perm: PermManage},
	EpMemberRole:     {Interactive: true, Reauth: true, Perm: PermManage},
	EpMemberRemove:   {Scope: ScopeAdmin, Perm: PermManage},
	EpUserList:       {Scope: ScopeAdmin, Admin: true},
	EpUserRole:       {Admin: true, Interactive: true, Reauth: true},
	EpUserDelete:     {Admin: true, Interactive: true, Reauth: true},
	EpUserCreate:     {Admin: true, Interactive: true, Reauth: true},
	EpUserDisable:    {Admin: true, Interactive: true, Reauth: true},
	EpJobRun:         {Scope: ScopeAdmin, Admin: true},
	EpPasswordChange: {Interactive: true}, // the current password is the check
	EpSignInList:     {Interactive: true},
	EpSignInRevoke:   {Interactive: true},
	EpSettingsGet:    {Scope: ScopeAdmin, Admin: true},
	EpSettingsPut:    {Admin: true, Interactive: true, Reauth: true},
	EpAuditList:      {Scope: ScopeAuditRead, Admin: true},
	EpRepoList:       {Scope: ScopeSearchRead, Perm: PermRead},
	EpRepoCreate:     {Scope: ScopeReposWrite, Perm: PermIndex},
	EpRepoGet:        {Scope: ScopeSearchRead, Perm: PermRead},
	EpRepoDelete:     {Scope: ScopeReposWrite, Perm: PermManage},
	EpIndexBegin:     {Scope: ScopeIndexWrite, Perm: PermIndex},
	EpIndexUpload:    {Scope: ScopeIndexWrite, Perm: PermIndex},
	EpIndexCommit:    {Scope: ScopeIndexWrite, Perm: PermIndex},
	EpIndexModel:     {Scope: ScopeIndexWrite, Perm: PermIndex},
	EpModelGet:       {Scope: ScopeSearchRead, Perm: PermRead},
	EpFileGet:        {Scope: ScopeSearchRead, Perm: PermRead},
	EpFileBatch:      {Scope: ScopeSearchRead, Perm: PermRead},
	EpSearch:         {Scope: ScopeSearchRead, Perm: PermRead},
}

// EndpointAccess returns the rule for endpoint; it panics on an endpoint
// missing from the matrix so that a route cannot be added without one.
func EndpointAccess(endpoint string) Access {
	a, ok := Endpoints[endpoint]
	if !ok {
		panic(fmt.Sprintf("endpoint %q is not in the permission matrix", endpoint))
	}
	return a
}

// Authorize decides everything about a request except the workspace role:
// whether a credential is needed and present, its scope, its kind, the
// instance role and the freshness of the sign-in. p is the zero Principal
// for anonymous requests.
func Authorize(p Principal, a Access, now time.Time) error {
	if a.Public {
		return nil
	}
	if p.UserID == "" {
		return Errorf(EUNAUTHENTICATED, "sign in first: run `optiq login URL`, or send an API key as 'Authorization: Bearer optiq_…'")
	}
	if p.Enrolling && !a.Enrolment {
		return Errorf(EFORBIDDEN, "this server requires multi-factor authentication: enrol with `optiq mfa enrol` before anything else")
	}
	if (a.Interactive || a.Reauth) && !p.Interactive() {
		return Errorf(EFORBIDDEN, "API keys cannot do this: sign in as yourself")
	}
	if a.Browser && p.Kind != CredCookie {
		return Errorf(EFORBIDDEN, "this needs a browser session")
	}
	if a.Scope != "" && !p.Allows(a.Scope) {
		return Errorf(EFORBIDDEN, "this credential lacks the %q scope", a.Scope)
	}
	if a.Admin && p.Role != RoleAdmin {
		return Errorf(EFORBIDDEN, "only instance admins can do this")
	}
	if a.Reauth && (p.AuthAt.IsZero() || now.Sub(p.AuthAt) > ReauthWindow) {
		return Errorf(EREAUTH, "confirm it is you: sign in again (password, and MFA code if enrolled) within the last %v", ReauthWindow)
	}
	return nil
}

// CanSetMemberRole applies the membership rules beyond PermManage: only
// owners grant, change or take away the owner role.
func CanSetMemberRole(actorRole, targetCurrent, targetNew string) error {
	if !ValidWorkspaceRole(targetNew) && targetNew != "" {
		return Errorf(EINVALID, "invalid workspace role %q: use owner, admin, user or viewer", targetNew)
	}
	if (targetCurrent == WSOwner || targetNew == WSOwner) && !RoleAllows(actorRole, PermOwn) {
		return Errorf(EFORBIDDEN, "only workspace owners can grant or change the owner role")
	}
	return nil
}
