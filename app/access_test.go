package app_test

import (
	"testing"
	"time"

	"github.com/optiq/optiq/app"
)

func TestWorkspaceRoleMatrix(t *testing.T) {
	want := map[string][]app.Permission{
		app.WSOwner:  {app.PermRead, app.PermIndex, app.PermManage, app.PermOwn},
		app.WSAdmin:  {app.PermRead, app.PermIndex, app.PermManage},
		app.WSUser:   {app.PermRead, app.PermIndex},
		app.WSViewer: {app.PermRead},
		"":           {},
		"root":       {},
	}
	all := []app.Permission{app.PermRead, app.PermIndex, app.PermManage, app.PermOwn}
	for role, perms := range want {
		for _, p := range all {
			has := false
			for _, q := range perms {
				has = has || q == p
			}
			if app.RoleAllows(role, p) != has {
				t.Errorf("RoleAllows(%q, %q) = %v", role, p, !has)
			}
		}
	}
}

func TestAuthorize(t *testing.T) {
	now := time.Now()
	member := app.Principal{UserID: "u_1", Role: app.RoleMember, Kind: app.CredSession, AuthAt: now}
	admin := member
	admin.Role = app.RoleAdmin
	stale := member
	stale.AuthAt = now.Add(-app.ReauthWindow - time.Second)
	cookie := member
	cookie.Kind = app.CredCookie
	key := app.Principal{UserID: "u_1", Role: app.RoleAdmin, Kind: app.CredAPIKey, Scopes: []string{app.ScopeSearchRead}}
	adminKey := key
	adminKey.Scopes = []string{app.ScopeAdmin}
	enrolling := member
	enrolling.Enrolling = true
	anon := app.Principal{}

	tests := []struct {
		name string
		p    app.Principal
		ep   string
		want string
	}{
		{"public route, anonymous", anon, app.EpLogin, ""},
		{"private route, anonymous", anon, app.EpMe, app.EUNAUTHENTICATED},
		{"search with the scope", key, app.EpSearch, ""},
		{"index without the scope", key, app.EpIndexBegin, app.EFORBIDDEN},
		{"admin scope implies others", adminKey, app.EpIndexBegin, ""},
		{"audit needs instance admin", member, app.EpAuditList, app.EFORBIDDEN},
		{"audit as admin", admin, app.EpAuditList, ""},
		{"audit with a key lacking audit:read", key, app.EpAuditList, app.EFORBIDDEN},
		{"API key cannot create API keys", adminKey, app.EpAPIKeyCreate, app.EFORBIDDEN},
		{"API keys need a fresh sign-in", stale, app.EpAPIKeyCreate, app.EREAUTH},
		{"API keys with a fresh sign-in", member, app.EpAPIKeyCreate, ""},
		{"disabling MFA needs a fresh sign-in", stale, app.EpMFADisable, app.EREAUTH},
		{"backup codes need a fresh sign-in", stale, app.EpBackupCodes, app.EREAUTH},
		{"role change needs a fresh sign-in", stale, app.EpMemberRole, app.EREAUTH},
		{"instance role change needs admin", member, app.EpUserRole, app.EFORBIDDEN},
		{"stale admin changing roles", func() app.Principal { p := stale; p.Role = app.RoleAdmin; return p }(), app.EpUserRole, app.EREAUTH},
		{"enrolling may enrol", enrolling, app.EpTOTPEnrol, ""},
		{"enrolling may not search", enrolling, app.EpSearch, app.EFORBIDDEN},
		{"consent needs a browser", member, app.EpOAuthConsent, app.EFORBIDDEN},
		{"consent in a browser", cookie, app.EpOAuthConsent, ""},
		{"key cannot manage members' roles", adminKey, app.EpMemberRole, app.EFORBIDDEN},
	}
	for _, tt := range tests {
		err := app.Authorize(tt.p, app.EndpointAccess(tt.ep), now)
		if got := app.ErrorCode(err); got != tt.want {
			t.Errorf("%s: got %q, want %q (%v)", tt.name, got, tt.want, err)
		}
	}
}

func TestEveryEndpointHasARule(t *testing.T) {
	for ep, a := range app.Endpoints {
		if a.Public && (a.Scope != "" || a.Perm != "" || a.Admin || a.Reauth) {
			t.Errorf("%s: public endpoints cannot require anything", ep)
		}
		if a.Perm != "" && a.Scope == "" && !a.Interactive {
			t.Errorf("%s: workspace endpoints must name an API key scope", ep)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("an endpoint missing from the matrix did not panic")
		}
	}()
	app.EndpointAccess("no.such.endpoint")
}

func TestMemberRoleRules(t *testing.T) {
	tests := []struct {
		actor, cur, next string
		want             string
	}{
		{app.WSAdmin, "", app.WSUser, ""},
		{app.WSAdmin, app.WSUser, app.WSViewer, ""},
		{app.WSAdmin, "", app.WSOwner, app.EFORBIDDEN},
		{app.WSAdmin, app.WSOwner, app.WSUser, app.EFORBIDDEN},
		{app.WSAdmin, app.WSOwner, "", app.EFORBIDDEN},
		{app.WSOwner, app.WSUser, app.WSOwner, ""},
		{app.WSOwner, app.WSOwner, app.WSAdmin, ""},
		{app.WSOwner, "", "superuser", app.EINVALID},
	}
	for _, tt := range tests {
		if got := app.ErrorCode(app.CanSetMemberRole(tt.actor, tt.cur, tt.next)); got != tt.want {
			t.Errorf("%s sets %q → %q: got %q, want %q", tt.actor, tt.cur, tt.next, got, tt.want)
		}
	}
}
