package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/optiq/optiq/app"
)

// TestSSOStoreRules: domain ownership, request ids used once and only
// before they expire, the assertion replay cache, JIT and linking, and
// sync that keeps the last owner.
func TestSSOStoreRules(t *testing.T) {
	st, clk, _, _ := openClockStore(t)
	bg := context.Background()
	admin, _, err := st.CreateUser(bg, "root@ops.example", "a long enough passphrase", app.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	other, _, _ := st.CreateUser(bg, "other@ops.example", "a long enough passphrase", app.RoleAdmin)
	as := func(u app.User) context.Context {
		return app.WithPrincipal(bg, app.Principal{UserID: u.ID, Role: u.Role})
	}
	team, err := st.CreateWorkspace(bg, admin.ID, "team")
	if err != nil {
		t.Fatal(err)
	}

	conn := app.SSOConnection{Name: "IdP", Domains: []string{"corp.example"}, BaseURL: "https://optiq.example", IdPMetadata: "<x/>",
		Mapping: app.AttributePresets[app.PresetOkta], Enabled: true, JIT: true, SyncOnLogin: true,
		Groups: []app.GroupRole{{Group: "owners", Workspace: team.ID, Role: app.WSOwner}, {Group: "eng", Workspace: team.ID, Role: app.WSUser}}}
	if _, err := st.CreateSSOConnection(as(admin), conn); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("unclaimed domain: %v", err)
	}
	if _, err := st.ClaimSSODomain(as(admin), "corp.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateSSOConnection(as(admin), conn); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("unverified domain: %v", err)
	}
	if _, err := st.MarkSSODomainVerified(as(admin), "corp.example", app.VerifyDNS); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateSSOConnection(as(other), conn); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("domain verified by another admin: %v", err)
	}
	bad := conn
	bad.Groups = []app.GroupRole{{Group: "x", Workspace: "w_nope", Role: app.WSUser}}
	if _, err := st.CreateSSOConnection(as(admin), bad); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("unknown workspace: %v", err)
	}
	c, err := st.CreateSSOConnection(as(admin), conn)
	if err != nil {
		t.Fatal(err)
	}

	// Request ids: once, and not after expiry.
	st.RememberSSORequest(bg, c.ID, "id-1", "/next", time.Minute)
	st.RememberSSORequest(bg, c.ID, "id-2", "/", time.Minute)
	if next, ok, _ := st.TakeSSORequest(bg, c.ID, "id-1"); !ok || next != "/next" {
		t.Fatal("request id not found")
	}
	if _, ok, _ := st.TakeSSORequest(bg, c.ID, "id-1"); ok {
		t.Fatal("request id answered twice")
	}
	clk.Add(2 * time.Minute)
	if _, ok, _ := st.TakeSSORequest(bg, c.ID, "id-2"); ok {
		t.Fatal("expired request id accepted")
	}

	// Replay cache.
	until := clk.Now().Add(5 * time.Minute)
	if err := st.UseAssertion(bg, c.ID, "a-1", until); err != nil {
		t.Fatal(err)
	}
	if err := st.UseAssertion(bg, c.ID, "a-1", until); app.ErrorCode(err) != app.EUNAUTHENTICATED {
		t.Fatalf("replay: %v", err)
	}

	// JIT: the first owner via SSO; a password account of the domain is
	// linked, not duplicated.
	u, err := st.SSOSignIn(bg, c, app.SSOIdentity{Subject: "s-1", Email: "ann@corp.example", Name: "Ann", Groups: []string{"owners"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(bg, "ann@corp.example", "!sso"); err == nil {
		t.Fatal("an SSO account accepted a password")
	}
	// Ann leaves "owners" but the admin (creator) still owns team: demotion
	// applies. Then removing the admin's ownership would leave Ann last.
	if err := st.SetMemberRole(bg, team.ID, app.WSOwner, admin.ID, app.WSUser); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SSOSignIn(bg, c, app.SSOIdentity{Subject: "s-1", Email: "ann@corp.example", Groups: []string{"eng"}}); err != nil {
		t.Fatal(err)
	}
	ws, _ := st.WorkspaceRole(bg, u.ID, team.ID)
	if ws.Role != app.WSOwner {
		t.Fatalf("last owner demoted by sync: %q", ws.Role)
	}
	pw, _, _ := st.CreateUser(bg, "ben@corp.example", "a long enough passphrase", app.RoleMember)
	linked, err := st.SSOSignIn(bg, c, app.SSOIdentity{Subject: "s-2", Email: "ben@corp.example", Groups: []string{"eng"}})
	if err != nil || linked.ID != pw.ID {
		t.Fatalf("existing account not linked: %v %v", linked.ID, err)
	}
	if _, err := st.SSOSignIn(bg, c, app.SSOIdentity{Subject: "s-3", Email: "x@other.example"}); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("foreign domain: %v", err)
	}
	noJIT := c
	noJIT.JIT = false
	if _, err := st.SSOSignIn(bg, noJIT, app.SSOIdentity{Subject: "s-4", Email: "new@corp.example"}); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("JIT off: %v", err)
	}
	if err := st.DeleteSSODomain(as(admin), "corp.example"); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("domain in use deleted: %v", err)
	}
	if n, problems, err := st.VerifyAudit(bg); err != nil || len(problems) > 0 || n == 0 {
		t.Fatalf("audit chain: %d %v %v", n, problems, err)
	}
}
