package store

import (
	"context"
	"database/sql"
	"errors"

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
