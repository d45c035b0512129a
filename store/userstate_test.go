package store_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/optiq/optiq/app"
)

func TestSetUserDisabled(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "data"))
	ada, _, err := st.CreateUser(ctx, "ada@example.com", "a long enough passphrase", app.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	bob, _, err := st.CreateUser(ctx, "bob@example.com", "a long enough passphrase", app.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetUserDisabled(ctx, ada.ID, true); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("disabling the last admin: %v", err)
	}
	if err := st.SetUserDisabled(ctx, "u_nobody", true); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("disabling nobody: %v", err)
	}
	tok, err := st.IssueToken(ctx, bob.ID, app.TokenOptions{Name: "cli", Kind: app.CredSession})
	if err != nil {
		t.Fatal(err)
	}
	gen, _ := st.SessionGen(ctx, bob.ID)
	if err := st.SetUserDisabled(ctx, bob.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(ctx, "bob@example.com", "a long enough passphrase"); app.ErrorCode(err) != app.EUNAUTHENTICATED {
		t.Fatalf("a disabled account signs in: %v", err)
	}
	if _, err := st.ResolveToken(ctx, tok); err == nil {
		t.Fatal("a disabled account's token still works")
	}
	if g, _ := st.SessionGen(ctx, bob.ID); g != -1 {
		t.Fatalf("session generation of a disabled account: %d", g)
	}
	if u, _ := st.User(ctx, bob.ID); !u.Disabled {
		t.Fatal("user not marked disabled")
	}
	if err := st.SetUserDisabled(ctx, bob.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(ctx, "bob@example.com", "a long enough passphrase"); err != nil {
		t.Fatalf("an enabled account cannot sign in: %v", err)
	}
	if g, _ := st.SessionGen(ctx, bob.ID); g == gen {
		t.Fatal("old browser sessions survive a disable and enable")
	}
	entries, err := st.AuditLog(ctx, app.AuditFilter{Target: bob.ID})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	if !slices.Contains(actions, app.AuditUserDisable) || !slices.Contains(actions, app.AuditUserEnable) {
		t.Fatalf("audit actions for bob: %q", actions)
	}
}

func TestChangePasswordAndSignIns(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "data"))
	const pw, next = "a long enough passphrase", "another long passphrase"
	u, _, err := st.CreateUser(ctx, "ada@example.com", pw, app.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	cliTok, _ := st.IssueToken(ctx, u.ID, app.TokenOptions{Name: "cli login", Kind: app.CredSession})
	_, key, err := st.CreateAPIKey(ctx, app.Principal{UserID: u.ID, Role: app.RoleAdmin, Kind: app.CredSession}, "ci", []string{app.ScopeSearchRead}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	list, err := st.SignIns(ctx, u.ID)
	if err != nil || len(list) != 1 || list[0].Kind != app.CredSession || list[0].Name != "cli login" {
		t.Fatalf("sign-ins: %+v %v", list, err)
	}
	for _, c := range []struct{ current, next, code string }{
		{"wrong passphrase here", next, app.EINVALID},
		{pw, "short", app.EINVALID},
		{pw, pw, app.EINVALID},
	} {
		if _, err := st.ChangePassword(ctx, u.ID, c.current, c.next); app.ErrorCode(err) != c.code {
			t.Errorf("ChangePassword(%q, %q): %v", c.current, c.next, err)
		}
	}
	gen0, _ := st.SessionGen(ctx, u.ID)
	gen, err := st.ChangePassword(ctx, u.ID, pw, next)
	if err != nil || gen != gen0+1 {
		t.Fatalf("change: gen %d (was %d), %v", gen, gen0, err)
	}
	if _, err := st.Authenticate(ctx, "ada@example.com", pw); err == nil {
		t.Fatal("the old password still works")
	}
	if _, err := st.Authenticate(ctx, "ada@example.com", next); err != nil {
		t.Fatalf("the new password: %v", err)
	}
	if _, err := st.ResolveToken(ctx, cliTok); err == nil {
		t.Fatal("the CLI session survived the password change")
	}
	if _, err := st.ResolveToken(ctx, key); err != nil {
		t.Fatalf("the API key stopped working: %v", err)
	}
	if list, _ := st.SignIns(ctx, u.ID); len(list) != 0 {
		t.Fatalf("sign-ins after the change: %+v", list)
	}

	tok2, _ := st.IssueToken(ctx, u.ID, app.TokenOptions{Name: "cli login", Kind: app.CredSession})
	list, _ = st.SignIns(ctx, u.ID)
	if len(list) != 1 {
		t.Fatalf("sign-ins: %+v", list)
	}
	other, _, _ := st.CreateUser(ctx, "bob@example.com", pw, app.RoleMember)
	if err := st.RevokeSignIn(ctx, other.ID, list[0].ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("revoking another user's sign-in: %v", err)
	}
	if err := st.RevokeSignIn(ctx, u.ID, list[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ResolveToken(ctx, tok2); err == nil {
		t.Fatal("a revoked sign-in still works")
	}
}
