package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/seal"
	"github.com/optiq/optiq/store"
)

// clock is a settable time source for expiry and lockout tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fileSMS records texts instead of sending them.
type fileSMS struct {
	mu   sync.Mutex
	last map[string]string
}

func (f *fileSMS) Send(_ context.Context, phone, msg string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last[phone] = msg
	return nil
}

func (f *fileSMS) code(phone string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.last[phone]
	i := strings.Index(m, "code is ")
	return m[i+8 : i+14]
}

func openClockStore(t *testing.T) (*store.Store, *clock, *fileSMS, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	mk, err := seal.CreateMasterKey(dir + ".master.key")
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now().Truncate(time.Second)}
	sms := &fileSMS{last: map[string]string{}}
	st, err := store.Open(context.Background(), dir, store.Options{
		Sealer: mk.Sealer(), EmailPepper: mk.Pepper("email"), Logger: slog.New(slog.DiscardHandler), Now: clk.Now, SMS: sms,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, clk, sms, dir
}

func s256(v string) string {
	h := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func TestOAuthCodesArePKCEBoundSingleUseAndShortLived(t *testing.T) {
	st, clk, _, _ := openClockStore(t)
	ctx := context.Background()
	u, _, err := st.CreateUser(ctx, "ada@example.com", "a long passphrase", app.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	verifier := strings.Repeat("v", 50)
	const redirect = "http://127.0.0.1:5555/callback"
	grant := func(method, challenge string) (string, error) {
		return st.AuthorizeOAuth(ctx, app.OAuthCode{UserID: u.ID, ClientID: "optiq-cli", RedirectURI: redirect, Challenge: challenge, ChallengeMeth: method})
	}
	if _, err := grant("plain", verifier); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("plain challenge: %v", err)
	}
	if _, err := grant("", ""); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("missing challenge: %v", err)
	}
	if _, err := grant("S256", ""); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("S256 without a challenge: %v", err)
	}

	code, err := grant("S256", s256(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ExchangeOAuthCode(ctx, code, strings.Repeat("w", 50), "optiq-cli", redirect); app.ErrorCode(err) != app.EUNAUTHENTICATED {
		t.Errorf("wrong verifier: %v", err)
	}
	if _, err := st.ExchangeOAuthCode(ctx, code, verifier, "optiq-cli", redirect); app.ErrorCode(err) != app.EUNAUTHENTICATED {
		t.Errorf("a code tried with a wrong verifier must be burnt: %v", err)
	}

	code, _ = grant("S256", s256(verifier))
	if _, err := st.ExchangeOAuthCode(ctx, code, verifier, "optiq-cli", "http://127.0.0.1:6666/callback"); app.ErrorCode(err) != app.EUNAUTHENTICATED {
		t.Errorf("other redirect_uri: %v", err)
	}

	code, _ = grant("S256", s256(verifier))
	tok, err := st.ExchangeOAuthCode(ctx, code, verifier, "optiq-cli", redirect)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := st.ResolveToken(ctx, tok.AccessToken); err != nil || p.UserID != u.ID || p.Kind != app.CredOAuth {
		t.Fatalf("access token: %+v %v", p, err)
	}
	if _, err := st.ExchangeOAuthCode(ctx, code, verifier, "optiq-cli", redirect); app.ErrorCode(err) != app.EUNAUTHENTICATED {
		t.Errorf("reused code: %v", err)
	}

	code, _ = grant("S256", s256(verifier))
	clk.Add(61 * time.Second)
	if _, err := st.ExchangeOAuthCode(ctx, code, verifier, "optiq-cli", redirect); app.ErrorCode(err) != app.EUNAUTHENTICATED {
		t.Errorf("expired code: %v", err)
	}

	// Refresh tokens rotate; presenting a rotated one revokes the family.
	r1, err := st.RefreshOAuth(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ResolveToken(ctx, tok.AccessToken); err == nil {
		t.Error("the old access token survived a refresh")
	}
	r2, err := st.RefreshOAuth(ctx, r1.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RefreshOAuth(ctx, r1.RefreshToken); app.ErrorCode(err) != app.EUNAUTHENTICATED {
		t.Errorf("reused refresh token: %v", err)
	}
	if _, err := st.ResolveToken(ctx, r2.AccessToken); err == nil {
		t.Error("reuse of a rotated refresh token did not revoke the family's access token")
	}
	if _, err := st.RefreshOAuth(ctx, r2.RefreshToken); app.ErrorCode(err) != app.EUNAUTHENTICATED {
		t.Errorf("the newest refresh token of a revoked family still works: %v", err)
	}
}

func TestLockoutBacksOffPerAccountAndAddress(t *testing.T) {
	st, clk, _, _ := openClockStore(t)
	ctx := app.WithClient(context.Background(), "192.0.2.7")
	if _, _, err := st.CreateUser(ctx, "ada@example.com", "a long passphrase", app.RoleMember); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := st.Login(ctx, "ada@example.com", "wrong"); app.ErrorCode(err) != app.EUNAUTHENTICATED {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if _, err := st.Login(ctx, "ada@example.com", "a long passphrase"); app.ErrorCode(err) != app.ERATELIMITED {
		t.Fatalf("right password while locked: %v", err)
	}
	clk.Add(2 * time.Second)
	if _, err := st.Login(ctx, "ada@example.com", "wrong"); app.ErrorCode(err) != app.EUNAUTHENTICATED {
		t.Fatal(err)
	}
	// The 6th failure doubles the wait: 1 s is not enough now.
	clk.Add(time.Second)
	if _, err := st.Login(ctx, "ada@example.com", "a long passphrase"); app.ErrorCode(err) != app.ERATELIMITED {
		t.Fatalf("backoff did not grow: %v", err)
	}
	clk.Add(2 * time.Second)
	if _, err := st.Login(ctx, "ada@example.com", "a long passphrase"); err != nil {
		t.Fatalf("after the wait: %v", err)
	}

	// Per address: many accounts (existing or not) from one address.
	for i := range 20 {
		st.Login(ctx, "nobody"+string(rune('a'+i))+"@example.com", "wrong")
	}
	if _, err := st.Login(ctx, "ada@example.com", "a long passphrase"); app.ErrorCode(err) != app.ERATELIMITED {
		t.Fatalf("address lockout: %v", err)
	}
	other := app.WithClient(context.Background(), "192.0.2.8")
	if _, err := st.Login(other, "ada@example.com", "a long passphrase"); err != nil {
		t.Fatalf("another address is not locked: %v", err)
	}
}

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTOTPAndBackupCodes(t *testing.T) {
	st, clk, _, _ := openClockStore(t)
	ctx := context.Background()
	u, _, _ := st.CreateUser(ctx, "ada@example.com", "a long passphrase", app.RoleMember)
	e, err := st.EnrolTOTP(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.URI, "otpauth://totp/") || !bytes.HasPrefix(e.QRPNG, []byte("\x89PNG")) {
		t.Fatalf("enrolment: %q", e.URI)
	}
	codes, err := st.ConfirmTOTP(ctx, u.ID, totpCode(t, e.Secret, clk.Now()))
	if err != nil || len(codes) != 10 {
		t.Fatalf("confirm: %v %d", err, len(codes))
	}
	login := func(method, code string) error {
		res, err := st.Login(ctx, "ada@example.com", "a long passphrase")
		if err != nil {
			t.Fatal(err)
		}
		if res.Challenge == "" {
			t.Fatal("no MFA challenge")
		}
		_, err = st.LoginMFA(ctx, res.Challenge, method, code)
		return err
	}
	// The confirming code's step is used: a replay is refused, the next
	// step (within the ±1 skew) is accepted once.
	if err := login("totp", totpCode(t, e.Secret, clk.Now())); err == nil {
		t.Error("replayed TOTP code accepted")
	}
	next := totpCode(t, e.Secret, clk.Now().Add(30*time.Second))
	if err := login("totp", next); err != nil {
		t.Errorf("next step: %v", err)
	}
	if err := login("totp", next); err == nil {
		t.Error("replayed TOTP code accepted")
	}
	clk.Add(5 * time.Minute)
	if err := login("totp", totpCode(t, e.Secret, clk.Now().Add(-90*time.Second))); err == nil {
		t.Error("code 3 steps old accepted")
	}
	if err := login("backup", codes[0]); err != nil {
		t.Errorf("backup code: %v", err)
	}
	if err := login("backup", codes[0]); err == nil {
		t.Error("backup code used twice")
	}
	if st2, _ := st.MFAStatus(ctx, u.ID); st2.BackupCodesLeft != 9 {
		t.Errorf("backup codes left: %d", st2.BackupCodesLeft)
	}
}

// TestTOTPInteropWithOathtool checks codes from an independent
// implementation (oathtool, RFC 6238) against the server.
func TestTOTPInteropWithOathtool(t *testing.T) {
	oath, err := exec.LookPath("oathtool")
	if err != nil {
		t.Skip("oathtool not installed (Debian package oathtool): skipping the TOTP interoperability test")
	}
	st, clk, _, _ := openClockStore(t)
	ctx := context.Background()
	u, _, _ := st.CreateUser(ctx, "ada@example.com", "a long passphrase", app.RoleMember)
	e, err := st.EnrolTOTP(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	// oathtool is given the store's clock (not "now", which moves on and
	// can cross a 30-second step while the store's clock stands still).
	code := func(offset time.Duration) string {
		at := "@" + strconv.FormatInt(clk.Now().Add(offset).Unix(), 10)
		out, err := exec.Command(oath, "--totp", "-b", "-N", at, e.Secret).Output()
		if err != nil {
			t.Fatalf("oathtool: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	if _, err := st.ConfirmTOTP(ctx, u.ID, code(0)); err != nil {
		t.Fatalf("oathtool code refused at enrolment: %v", err)
	}
	res, _ := st.Login(ctx, "ada@example.com", "a long passphrase")
	if _, err := st.LoginMFA(ctx, res.Challenge, "totp", code(0)); err == nil {
		t.Error("replayed oathtool code accepted")
	}
	c2 := code(30 * time.Second)
	if _, err := st.LoginMFA(ctx, res.Challenge, "totp", c2); err != nil {
		t.Errorf("oathtool code for the next step refused: %v", err)
	}
	res, _ = st.Login(ctx, "ada@example.com", "a long passphrase")
	if _, err := st.LoginMFA(ctx, res.Challenge, "totp", c2); err == nil {
		t.Error("replayed oathtool code accepted")
	}
}

func TestSMSCodes(t *testing.T) {
	st, clk, sms, _ := openClockStore(t)
	ctx := context.Background()
	u, _, _ := st.CreateUser(ctx, "ada@example.com", "a long passphrase", app.RoleMember)
	const phone = "+4915123456789"
	if err := st.EnrolSMS(ctx, u.ID, "12345"); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("bad number: %v", err)
	}
	if err := st.EnrolSMS(ctx, u.ID, phone); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ConfirmSMS(ctx, u.ID, "000000x"); err == nil {
		t.Error("wrong code accepted")
	}
	codes, err := st.ConfirmSMS(ctx, u.ID, sms.code(phone))
	if err != nil || len(codes) != 10 {
		t.Fatalf("confirm: %v", err)
	}
	res, _ := st.Login(ctx, "ada@example.com", "a long passphrase")
	if err := st.SendLoginSMS(ctx, res.Challenge); err != nil {
		t.Fatal(err)
	}
	c := sms.code(phone)
	clk.Add(6 * time.Minute)
	if _, err := st.LoginMFA(ctx, res.Challenge, "sms", c); err == nil {
		t.Error("expired SMS code accepted")
	}
	res, _ = st.Login(ctx, "ada@example.com", "a long passphrase")
	st.SendLoginSMS(ctx, res.Challenge)
	c = sms.code(phone)
	if _, err := st.LoginMFA(ctx, res.Challenge, "sms", c); err != nil {
		t.Errorf("SMS code: %v", err)
	}
	res, _ = st.Login(ctx, "ada@example.com", "a long passphrase")
	if _, err := st.LoginMFA(ctx, res.Challenge, "sms", c); err == nil {
		t.Error("SMS code used twice")
	}
}

func TestEmailNeverStoredInTheClear(t *testing.T) {
	st, _, _, dir := openClockStore(t)
	ctx := context.Background()
	const email = "grace.hopper.unique@example.com"
	if _, _, err := st.CreateUser(ctx, email, "a long passphrase", app.RoleMember); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Login(ctx, email, "wrong password"); err == nil {
		t.Fatal("wrong password accepted")
	}
	st.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "control.db*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if bytes.Contains(bytes.ToLower(b), []byte("grace.hopper")) {
			t.Errorf("%s holds the e-mail address in the clear", filepath.Base(f))
		}
	}
	if len(files) == 0 {
		t.Fatal("no control.db")
	}
}

func TestDeleteUserRemovesPersonalWorkspaceFiles(t *testing.T) {
	st, _, _, dir := openClockStore(t)
	ctx := context.Background()
	admin, _, _ := st.CreateUser(ctx, "root@example.com", "a long passphrase", app.RoleAdmin)
	u, ws, _ := st.CreateUser(ctx, "ada@example.com", "a long passphrase", app.RoleMember)
	tn, err := st.Open(ctx, app.Principal{UserID: u.ID}, ws.ID, app.PermIndex)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.CreateRepo(ctx, "demo", bytes.Repeat([]byte{1}, 16), false); err != nil {
		t.Fatal(err)
	}
	tn.Close()
	wsDir := filepath.Join(dir, "tenants", ws.ID)
	if _, err := os.Stat(wsDir); err != nil {
		t.Fatal(err)
	}
	team, err := st.CreateWorkspace(ctx, u.ID, "team")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteUser(ctx, u.ID); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("the last owner of a team workspace was deleted: %v", err)
	}
	if _, err := st.AddMember(ctx, team.ID, app.WSOwner, "root@example.com", app.WSOwner); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(wsDir); !os.IsNotExist(err) {
		t.Errorf("personal workspace files left behind: %v", err)
	}
	if _, err := st.User(ctx, u.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("user still there: %v", err)
	}
	if err := st.DeleteUser(ctx, admin.ID); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("the last admin was deleted: %v", err)
	}
}

func TestMembersKeepAnOwner(t *testing.T) {
	st, _, _, _ := openClockStore(t)
	ctx := context.Background()
	a, _, _ := st.CreateUser(ctx, "ada@example.com", "a long passphrase", app.RoleMember)
	b, _, _ := st.CreateUser(ctx, "bob@example.com", "a long passphrase", app.RoleMember)
	team, _ := st.CreateWorkspace(ctx, a.ID, "team")
	if _, err := st.AddMember(ctx, team.ID, app.WSAdmin, "bob@example.com", app.WSOwner); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Errorf("an admin made an owner: %v", err)
	}
	if _, err := st.AddMember(ctx, team.ID, app.WSOwner, "nobody@example.com", app.WSUser); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("unknown e-mail: %v", err)
	}
	if _, err := st.AddMember(ctx, team.ID, app.WSOwner, "bob@example.com", app.WSUser); err != nil {
		t.Fatal(err)
	}
	if err := st.SetMemberRole(ctx, team.ID, app.WSOwner, a.ID, app.WSAdmin); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("last owner demoted: %v", err)
	}
	if err := st.RemoveMember(ctx, team.ID, app.WSOwner, a.ID); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("last owner removed: %v", err)
	}
	if err := st.SetMemberRole(ctx, team.ID, app.WSOwner, b.ID, app.WSOwner); err != nil {
		t.Fatal(err)
	}
	if err := st.RemoveMember(ctx, team.ID, app.WSOwner, a.ID); err != nil {
		t.Errorf("an owner left while another remains: %v", err)
	}
}

// TestAuditChainDetectsTampering edits, deletes and reorders rows with raw
// SQL, as someone with write access to control.db could, and checks that
// verification names the row.
func TestAuditChainDetectsTampering(t *testing.T) {
	for _, tc := range []struct {
		name, sql, want string
	}{
		{"edit", `UPDATE audit_log SET actor = 'u_someoneelse' WHERE seq = 3`, "row 3: content does not match"},
		{"edit detail", `UPDATE audit_log SET detail = '{"role":"viewer"}' WHERE seq = 4`, "row 4: content does not match"},
		{"delete", `DELETE FROM audit_log WHERE seq = 3`, "row 4: row 3 before it was deleted"},
		{"reorder", `UPDATE audit_log SET seq = 100 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = 100`, "row 3: does not follow row 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _, _, dir := openClockStore(t)
			ctx := context.Background()
			a, _, _ := st.CreateUser(ctx, "ada@example.com", "a long passphrase", app.RoleMember)
			st.CreateUser(ctx, "bob@example.com", "a long passphrase", app.RoleMember)
			team, _ := st.CreateWorkspace(ctx, a.ID, "team")
			for _, r := range []string{app.WSUser, app.WSAdmin} {
				if r == app.WSUser {
					st.AddMember(ctx, team.ID, app.WSOwner, "bob@example.com", r)
				}
			}
			st.Login(ctx, "ada@example.com", "a long passphrase")
			st.Login(ctx, "ada@example.com", "wrong")
			st.Login(ctx, "bob@example.com", "a long passphrase")
			n, problems, err := st.VerifyAudit(ctx)
			if err != nil || len(problems) != 0 || n < 5 {
				t.Fatalf("fresh chain: %d rows, %v, %v", n, problems, err)
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			db, err := sql.Open("sqlite", filepath.Join(dir, "control.db"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`DELETE FROM audit_log WHERE seq = 1`); err == nil {
				t.Fatal("the append-only trigger let a row be deleted")
			}
			for _, q := range []string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`, tc.sql} {
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			db.Close()
			mk, _ := seal.LoadMasterKey(dir + ".master.key")
			st2, err := store.Open(ctx, dir, store.Options{Sealer: mk.Sealer(), EmailPepper: mk.Pepper("email"), Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			defer st2.Close()
			_, problems, err = st2.VerifyAudit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var all []string
			for _, p := range problems {
				all = append(all, p.String())
			}
			if !strings.Contains(strings.Join(all, "\n"), tc.want) {
				t.Errorf("problems %q do not name the row (%q)", all, tc.want)
			}
		})
	}
}
