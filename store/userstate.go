package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/optiq/optiq/app"
)

// SetUserDisabled disables or re-enables an account. A disabled account
// cannot sign in, and its sessions, tokens and API keys stop working at
// once (they are checked against the account on every request); enabling
// it again revives its API keys, not its ended sessions. The last enabled
// admin cannot be disabled.
func (s *Store) SetUserDisabled(ctx context.Context, userID string, disabled bool) error {
	return s.control.Tx(ctx, func(tx *sql.Tx) error {
		var role string
		var cur bool
		if err := tx.QueryRowContext(ctx, `SELECT role, disabled FROM users WHERE id = ?`, userID).Scan(&role, &cur); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return app.Errorf(app.ENOTFOUND, "user not found")
			}
			return err
		}
		if cur == disabled {
			return nil
		}
		if disabled && role == app.RoleAdmin {
			var admins int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0`).Scan(&admins); err != nil {
				return err
			}
			if admins <= 1 {
				return app.Errorf(app.ECONFLICT, "this is the last admin: make someone else admin first")
			}
		}
		// A new session generation ends the account's browser sessions.
		if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled = ?, session_gen = session_gen + 1 WHERE id = ?`, disabled, userID); err != nil {
			return err
		}
		action := app.AuditUserEnable
		if disabled {
			action = app.AuditUserDisable
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Action: action, Target: userID})
	})
}

// ChangePassword replaces a user's password after checking the current one
// (failures count towards the account lockout, as at sign-in). Every other
// sign-in of the account ends: browser sessions (a new session
// generation), CLI sessions and OAuth refresh tokens; API keys stay. It
// returns the new session generation, so the caller can keep its own
// browser session.
func (s *Store) ChangePassword(ctx context.Context, userID, current, next string) (int64, error) {
	if err := s.checkLockout(ctx, accountKey(userID)); err != nil {
		return 0, err
	}
	var hash string
	if err := s.control.read.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ?`, userID).Scan(&hash); err != nil {
		return 0, mapError(err)
	}
	if hash == ssoPasswordHash {
		return 0, app.Errorf(app.EINVALID, "this account signs in with single sign-on and has no password to change")
	}
	if !checkPassword(hash, current) {
		if err := s.loginFailed(ctx, accountKey(userID), userID, "password change"); err != nil {
			return 0, err
		}
		return 0, app.Errorf(app.EINVALID, "current password is wrong")
	}
	if err := app.ValidatePassword(next); err != nil {
		return 0, app.Errorf(app.EINVALID, "new %s", app.ErrorMessage(err))
	}
	if next == current {
		return 0, app.Errorf(app.EINVALID, "new password is the same as the current one")
	}
	var gen int64
	err := s.control.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, session_gen = session_gen + 1 WHERE id = ?`, hashPassword(next), userID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT session_gen FROM users WHERE id = ?`, userID).Scan(&gen); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE user_id = ? AND kind <> ?`, userID, app.CredAPIKey); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE oauth_refresh SET revoked = 1 WHERE user_id = ?`, userID); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Action: app.AuditPasswordChange, Target: userID})
	})
	return gen, err
}

// SignIns lists a user's CLI sign-ins (password and OAuth logins), newest
// first. API keys are listed by APIKeys; browser sessions are not tracked
// per user.
func (s *Store) SignIns(ctx context.Context, userID string) ([]app.SignIn, error) {
	rows, err := s.control.read.QueryContext(ctx, `SELECT id, kind, name, created_at, expires_at, last_used_at FROM tokens
		WHERE user_id = ? AND kind IN (?, ?) ORDER BY created_at DESC, id`, userID, app.CredSession, app.CredOAuth)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []app.SignIn{}
	for rows.Next() {
		var si app.SignIn
		var created int64
		var expires, used sql.NullInt64
		if err := rows.Scan(&si.ID, &si.Kind, &si.Name, &created, &expires, &used); err != nil {
			return nil, err
		}
		si.CreatedAt = time.Unix(created, 0).UTC()
		if expires.Valid {
			si.ExpiresAt = time.Unix(expires.Int64, 0).UTC()
		}
		if used.Valid {
			si.LastUsedAt = time.Unix(used.Int64, 0).UTC()
		}
		out = append(out, si)
	}
	return out, rows.Err()
}

// RevokeSignIn ends one of the user's CLI sign-ins.
func (s *Store) RevokeSignIn(ctx context.Context, userID, id string) error {
	return s.control.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE id = ? AND user_id = ? AND kind IN (?, ?)`, id, userID, app.CredSession, app.CredOAuth)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "no such session: list them with GET /api/v1/me/sessions")
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Action: app.AuditSessionRevoke, Target: userID, Detail: map[string]string{"session": id}})
	})
}
