package main

import (
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/optiq/optiq/app"
)

// TestSensitiveOperationsNeedARecentSignIn ages a CLI login past the
// re-authentication window and checks that API key creation, role changes
// and account deletion ask for reauth_required until `optiq reauth`.
func TestSensitiveOperationsNeedARecentSignIn(t *testing.T) {
	ts := startServer(t)
	ada := newUser(t, ts, "ada@example.com", app.RoleMember)
	newUser(t, ts, "bob@example.com", app.RoleMember)
	ada.ok("", "workspace", "create", "team")
	ada.ok("", "members", "add", "bob@example.com", "--role", "viewer", "--workspace", "team")
	var ms struct {
		Members []app.Member `json:"members"`
	}
	json.Unmarshal([]byte(ada.ok("", "members", "list", "--workspace", "team", "--json")), &ms)
	var bob string
	for _, m := range ms.Members {
		if m.Email == "bob@example.com" {
			bob = m.UserID
		}
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(ts.data, "control.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE tokens SET auth_at = auth_at - 600`); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"apikey", "create", "--name", "ci", "--scope", "search:read"},
		{"members", "role", bob, "user", "--workspace", "team"},
		{"mfa", "backup-codes"},
		{"mfa", "disable"},
	} {
		r := ada.run("", args...)
		if r.code == 0 || !strings.Contains(r.stderr, "reauth_required") {
			t.Errorf("optiq %s with an old sign-in: %+v", strings.Join(args, " "), r)
		}
	}
	if r := ada.run("wrong password\n", "reauth", "--password-stdin"); r.code != exitAuth {
		t.Errorf("reauth with a wrong password: %+v", r)
	}
	ada.ok("a long enough passphrase for ada@example.com\n", "reauth", "--password-stdin")
	ada.ok("", "apikey", "create", "--name", "ci", "--scope", "search:read")
	ada.ok("", "members", "role", bob, "user", "--workspace", "team")
	json.Unmarshal([]byte(ada.ok("", "members", "list", "--workspace", "team", "--json")), &ms)
	for _, m := range ms.Members {
		if m.UserID == bob && m.Role != app.WSUser {
			t.Errorf("role not changed: %+v", m)
		}
	}
}
