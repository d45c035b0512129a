package store

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/optiq/optiq/app"
)

// Lockout: after a few free failures, each further failed sign-in doubles
// the wait, per account and per client address. Counts decay after an
// hour without failures.
const (
	accountFreeFailures = 5
	addressFreeFailures = 20
	maxLockout          = 15 * time.Minute
	failureMemory       = time.Hour
	challengeTTL        = 5 * time.Minute
	maxCodeAttempts     = 5
)

func lockoutFor(failures, free int) time.Duration {
	if failures < free {
		return 0
	}
	d := time.Duration(math.Pow(2, float64(failures-free))) * time.Second
	return min(d, maxLockout)
}

// checkLockout refuses while key is locked.
func (s *Store) checkLockout(ctx context.Context, keys ...string) error {
	now := s.now()
	for _, k := range keys {
		var until int64
		err := s.control.read.QueryRowContext(ctx, `SELECT locked_until FROM login_failures WHERE key = ?`, k).Scan(&until)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return err
		}
		if until > now {
			return app.Errorf(app.ERATELIMITED, "too many failed sign-ins: try again in %d seconds", until-now)
		}
	}
	return nil
}

// recordFailure counts a failed sign-in against each key.
func (s *Store) recordFailure(ctx context.Context, tx *sql.Tx, key string, free int) error {
	now := s.now()
	var failures, last int64
	err := tx.QueryRowContext(ctx, `SELECT failures, last_at FROM login_failures WHERE key = ?`, key).Scan(&failures, &last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if now-last > int64(failureMemory/time.Second) {
		failures = 0
	}
	failures++
	until := now + int64(lockoutFor(int(failures), free)/time.Second)
	_, err = tx.ExecContext(ctx, `INSERT INTO login_failures (key, failures, locked_until, last_at) VALUES (?,?,?,?)
		ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until, last_at = excluded.last_at`,
		key, failures, until, now)
	return err
}

func accountKey(userID string) string { return "u:" + userID }
func addressKey(addr string) string   { return "a:" + addr }

// lookupUser returns the id of the account with email, or "".
func (s *Store) lookupUser(ctx context.Context, email string) (string, error) {
	var id string
	err := s.control.read.QueryRowContext(ctx, `SELECT id FROM users WHERE email_hash = ?`, s.emailH.Sum(email)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// loginFailed records a failed attempt (lockout counters and audit).
func (s *Store) loginFailed(ctx context.Context, userKey, actor, reason string) error {
	return s.control.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.recordFailure(ctx, tx, userKey, accountFreeFailures); err != nil {
			return err
		}
		if addr := app.ClientFrom(ctx); addr != "" {
			if err := s.recordFailure(ctx, tx, addressKey(addr), addressFreeFailures); err != nil {
				return err
			}
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Actor: actor, Action: app.AuditLoginFailed, Target: actor, Detail: map[string]string{"reason": reason}})
	})
}

// Login implements app.Accounts.
func (s *Store) Login(ctx context.Context, email, password string) (app.LoginResult, error) {
	norm, err := app.NormalizeEmail(email)
	if err != nil {
		norm = email
	}
	userID, err := s.lookupUser(ctx, norm)
	if err != nil {
		return app.LoginResult{}, err
	}
	// Unknown addresses are counted under a key derived from the address,
	// so that locking out looks the same whether or not an account exists.
	userKey := "e:" + hex.EncodeToString(s.emailH.Sum(norm))[:24]
	if userID != "" {
		userKey = accountKey(userID)
	}
	keys := []string{userKey}
	if addr := app.ClientFrom(ctx); addr != "" {
		keys = append(keys, addressKey(addr))
	}
	if err := s.checkLockout(ctx, keys...); err != nil {
		return app.LoginResult{}, err
	}
	u, err := s.Authenticate(ctx, email, password)
	if err != nil {
		if app.ErrorCode(err) == app.EUNAUTHENTICATED {
			if ferr := s.loginFailed(ctx, userKey, userID, "password"); ferr != nil {
				return app.LoginResult{}, ferr
			}
		}
		return app.LoginResult{}, err
	}
	if _, err := s.control.write.ExecContext(ctx, `DELETE FROM login_failures WHERE key = ?`, userKey); err != nil {
		return app.LoginResult{}, err
	}
	st, err := s.MFAStatus(ctx, u.ID)
	if err != nil {
		return app.LoginResult{}, err
	}
	res := app.LoginResult{User: u}
	if st.Enabled() {
		var raw [32]byte
		rand.Read(raw[:])
		res.Challenge = "optiqc_" + base64.RawURLEncoding.EncodeToString(raw[:])
		if st.TOTP {
			res.Methods = append(res.Methods, app.MFATOTP)
		}
		if st.SMS {
			res.Methods = append(res.Methods, app.MFASMS)
		}
		if st.BackupCodesLeft > 0 {
			res.Methods = append(res.Methods, app.MFABackup)
		}
		_, err := s.control.write.ExecContext(ctx, `INSERT INTO mfa_challenges (id_hash, user_id, expires_at) VALUES (?,?,?)`,
			hashSecret(res.Challenge), u.ID, s.opts.Now().Add(challengeTTL).Unix())
		return res, mapError(err)
	}
	res.Enrol = st.Required
	detail := map[string]string{"method": "password"}
	if res.Enrol {
		detail["enrolment_required"] = "true"
	}
	return res, s.Audit(ctx, app.AuditEntry{Actor: u.ID, Action: app.AuditLogin, Target: u.ID, Detail: detail})
}

// LoginMFA implements app.Accounts.
func (s *Store) LoginMFA(ctx context.Context, challenge, method, code string) (app.User, error) {
	fail := app.Errorf(app.EUNAUTHENTICATED, "sign-in expired or too many wrong codes: sign in again")
	var userID string
	var expires, attempts int64
	err := s.control.read.QueryRowContext(ctx, `SELECT user_id, expires_at, attempts FROM mfa_challenges WHERE id_hash = ?`, hashSecret(challenge)).
		Scan(&userID, &expires, &attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return app.User{}, fail
	}
	if err != nil {
		return app.User{}, err
	}
	if expires <= s.now() || attempts >= maxCodeAttempts {
		return app.User{}, fail
	}
	if err := s.checkLockout(ctx, accountKey(userID)); err != nil {
		return app.User{}, err
	}
	ok, err := s.checkSecondFactor(ctx, userID, method, code, "login")
	if err != nil {
		return app.User{}, err
	}
	if !ok {
		err := s.control.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE mfa_challenges SET attempts = attempts + 1 WHERE id_hash = ?`, hashSecret(challenge)); err != nil {
				return err
			}
			if err := s.recordFailure(ctx, tx, accountKey(userID), accountFreeFailures); err != nil {
				return err
			}
			return s.appendAudit(ctx, tx, app.AuditEntry{Actor: userID, Action: app.AuditMFAFailed, Target: userID, Detail: map[string]string{"method": method}})
		})
		if err != nil {
			return app.User{}, err
		}
		return app.User{}, app.Errorf(app.EUNAUTHENTICATED, "wrong or already used code")
	}
	err = s.control.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM mfa_challenges WHERE id_hash = ?`, hashSecret(challenge)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key = ?`, accountKey(userID)); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Actor: userID, Action: app.AuditLogin, Target: userID, Detail: map[string]string{"method": "password+" + method}})
	})
	if err != nil {
		return app.User{}, err
	}
	return s.User(ctx, userID)
}

// Reauthenticate implements app.Accounts.
func (s *Store) Reauthenticate(ctx context.Context, p app.Principal, password, method, code string) error {
	if err := s.checkLockout(ctx, accountKey(p.UserID)); err != nil {
		return err
	}
	var hash string
	if err := s.control.read.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ?`, p.UserID).Scan(&hash); err != nil {
		return mapError(err)
	}
	if !checkPassword(hash, password) {
		if err := s.loginFailed(ctx, accountKey(p.UserID), p.UserID, "reauth password"); err != nil {
			return err
		}
		return app.Errorf(app.EUNAUTHENTICATED, "wrong password")
	}
	st, err := s.MFAStatus(ctx, p.UserID)
	if err != nil {
		return err
	}
	if st.Enabled() {
		if code == "" {
			return app.Errorf(app.EINVALID, "this account has MFA: give a code too")
		}
		ok, err := s.checkSecondFactor(ctx, p.UserID, method, code, "login")
		if err != nil {
			return err
		}
		if !ok {
			if err := s.loginFailed(ctx, accountKey(p.UserID), p.UserID, "reauth code"); err != nil {
				return err
			}
			return app.Errorf(app.EUNAUTHENTICATED, "wrong or already used code")
		}
	}
	if err := s.TouchAuth(ctx, p); err != nil {
		return err
	}
	return s.Audit(ctx, app.AuditEntry{Action: app.AuditReauth, Target: p.UserID})
}

// TouchAuth implements app.Accounts.
func (s *Store) TouchAuth(ctx context.Context, p app.Principal) error {
	if p.Kind == app.CredCookie || p.KeyID == "" {
		return nil // the web layer keeps this in the session
	}
	_, err := s.control.write.ExecContext(ctx, `UPDATE tokens SET auth_at = ? WHERE id = ? AND user_id = ?`, s.now(), p.KeyID, p.UserID)
	return mapError(err)
}

// LogoutEverywhere implements app.Accounts.
func (s *Store) LogoutEverywhere(ctx context.Context, userID string) error {
	return s.control.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET session_gen = session_gen + 1 WHERE id = ?`, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE user_id = ? AND kind <> ?`, userID, app.CredAPIKey); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE oauth_refresh SET revoked = 1 WHERE user_id = ?`, userID); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Action: app.AuditLogoutAll, Target: userID})
	})
}

// SessionGen implements app.Accounts.
func (s *Store) SessionGen(ctx context.Context, userID string) (int64, error) {
	var gen int64
	var disabled bool
	err := s.control.read.QueryRowContext(ctx, `SELECT session_gen, disabled FROM users WHERE id = ?`, userID).Scan(&gen, &disabled)
	if errors.Is(err, sql.ErrNoRows) || disabled {
		return -1, nil
	}
	return gen, err
}

// FindSession implements app.Accounts (the scs store).
func (s *Store) FindSession(ctx context.Context, token string) ([]byte, bool, error) {
	var data []byte
	err := s.control.read.QueryRowContext(ctx, `SELECT data FROM sessions WHERE token_hash = ? AND expires_at > ?`, hashSecret(token), s.opts.Now().UnixMilli()).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	return data, err == nil, err
}

// CommitSession implements app.Accounts.
func (s *Store) CommitSession(ctx context.Context, token string, data []byte, expiry time.Time) error {
	_, err := s.control.write.ExecContext(ctx, `INSERT INTO sessions (token_hash, data, expires_at) VALUES (?,?,?)
		ON CONFLICT (token_hash) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`, hashSecret(token), data, expiry.UnixMilli())
	return mapError(err)
}

// DeleteSession implements app.Accounts.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	_, err := s.control.write.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hashSecret(token))
	return mapError(err)
}

// CleanupExpired deletes expired sessions, challenges, codes and tokens.
func (s *Store) CleanupExpired(ctx context.Context) error {
	now := s.now()
	return s.control.Tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM sessions WHERE expires_at <= ?*1000`,
			`DELETE FROM mfa_challenges WHERE expires_at <= ?`,
			`DELETE FROM sms_codes WHERE expires_at <= ?`,
			`DELETE FROM oauth_codes WHERE expires_at <= ?`,
			`DELETE FROM oauth_refresh WHERE expires_at <= ?`,
			`DELETE FROM tokens WHERE expires_at IS NOT NULL AND expires_at <= ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// Users implements app.Accounts.
func (s *Store) Users(ctx context.Context) ([]app.User, error) {
	rows, err := s.control.read.QueryContext(ctx, `SELECT id FROM users ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := []app.User{}
	for _, id := range ids {
		u, err := s.User(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// SetUserRole implements app.Accounts. The last admin cannot be demoted.
func (s *Store) SetUserRole(ctx context.Context, userID, role string) error {
	if role != app.RoleAdmin && role != app.RoleMember {
		return app.Errorf(app.EINVALID, "invalid role %q: use admin or member", role)
	}
	return s.control.Tx(ctx, func(tx *sql.Tx) error {
		var cur string
		if err := tx.QueryRowContext(ctx, `SELECT role FROM users WHERE id = ?`, userID).Scan(&cur); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return app.Errorf(app.ENOTFOUND, "user not found")
			}
			return err
		}
		if cur == role {
			return nil
		}
		if cur == app.RoleAdmin {
			var admins int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0`).Scan(&admins); err != nil {
				return err
			}
			if admins <= 1 {
				return app.Errorf(app.ECONFLICT, "this is the last admin: make someone else admin first")
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET role = ? WHERE id = ?`, role, userID); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Action: app.AuditUserRole, Target: userID, Detail: map[string]string{"from": cur, "to": role}})
	})
}

// DeleteUser implements app.Accounts: the account, its credentials, its
// memberships and its personal workspace (database and index files) go.
// A user who is the last owner of a team workspace must hand it over first.
func (s *Store) DeleteUser(ctx context.Context, userID string) error {
	var personal []string
	err := s.control.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE id = ?`, userID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return app.Errorf(app.ENOTFOUND, "user not found")
		}
		var sole string
		err := tx.QueryRowContext(ctx, `SELECT w.name FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
			WHERE m.user_id = ? AND m.role = 'owner' AND w.personal = 0
			AND (SELECT count(*) FROM memberships o WHERE o.workspace_id = m.workspace_id AND o.role = 'owner') = 1 LIMIT 1`, userID).Scan(&sole)
		if err == nil {
			return app.Errorf(app.ECONFLICT, "this account is the last owner of workspace %q: make someone else owner first", sole)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var role string
		if err := tx.QueryRowContext(ctx, `SELECT role FROM users WHERE id = ?`, userID).Scan(&role); err != nil {
			return err
		}
		if role == app.RoleAdmin {
			var admins int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0`).Scan(&admins); err != nil {
				return err
			}
			if admins <= 1 {
				return app.Errorf(app.ECONFLICT, "this is the last admin: make someone else admin first")
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT w.id FROM memberships m JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = ? AND w.personal = 1 AND m.role = 'owner'`, userID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			personal = append(personal, id)
		}
		rows.Close()
		for _, id := range personal {
			if _, err := tx.ExecContext(ctx, `DELETE FROM workspaces WHERE id = ?`, id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, userID); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Action: app.AuditUserDelete, Target: userID, Detail: map[string]string{"workspaces_deleted": fmt.Sprint(len(personal))}})
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range personal {
		if !wsIDRE.MatchString(id) {
			continue
		}
		s.tenants.forget(id)
		if err := os.RemoveAll(s.tenantDir(id)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Settings implements app.Accounts.
func (s *Store) Settings(ctx context.Context) (app.Settings, error) {
	var v string
	err := s.control.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'require_mfa'`).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return app.Settings{}, err
	}
	return app.Settings{RequireMFA: v == "true"}, nil
}

// SetSettings implements app.Accounts.
func (s *Store) SetSettings(ctx context.Context, st app.Settings) error {
	return s.control.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('require_mfa', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
			fmt.Sprint(st.RequireMFA)); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Action: app.AuditSettings, Target: "require_mfa", Detail: map[string]string{"require_mfa": fmt.Sprint(st.RequireMFA)}})
	})
}

func constantEqual(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
