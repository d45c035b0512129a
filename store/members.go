package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/optiq/optiq/app"
)

// CreateAPIKey implements app.Accounts. The secret is returned once.
func (s *Store) CreateAPIKey(ctx context.Context, p app.Principal, name string, scopes []string, workspace string, ttl time.Duration) (app.APIKey, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > app.MaxNameLen {
		return app.APIKey{}, "", app.Errorf(app.EINVALID, "give the key a name of 1-%d characters", app.MaxNameLen)
	}
	if len(scopes) == 0 {
		return app.APIKey{}, "", app.Errorf(app.EINVALID, "give the key at least one scope: %s", strings.Join(app.AllScopes, ", "))
	}
	scopes = slices.Clone(scopes)
	slices.Sort(scopes)
	scopes = slices.Compact(scopes)
	for _, sc := range scopes {
		if !app.ValidScope(sc) {
			return app.APIKey{}, "", app.Errorf(app.EINVALID, "unknown scope %q: use %s", sc, strings.Join(app.AllScopes, ", "))
		}
	}
	if ttl < 0 {
		return app.APIKey{}, "", app.Errorf(app.EINVALID, "expiry must be in the future")
	}
	if workspace != "" {
		ws, err := s.WorkspaceRole(ctx, p.UserID, workspace)
		if err != nil {
			return app.APIKey{}, "", err
		}
		workspace = ws.ID
	}
	secret, err := s.IssueToken(ctx, p.UserID, app.TokenOptions{Name: name, Kind: app.CredAPIKey, Scopes: scopes, Workspace: workspace, TTL: ttl})
	if err != nil {
		return app.APIKey{}, "", err
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(secret, tokenPrefix), "_")
	k := app.APIKey{ID: id, Name: name, Scopes: scopes, Workspace: workspace, CreatedAt: s.opts.Now().UTC().Truncate(time.Second)}
	if ttl > 0 {
		k.ExpiresAt = s.opts.Now().Add(ttl).UTC().Truncate(time.Second)
	}
	err = s.Audit(ctx, app.AuditEntry{Actor: p.UserID, Action: app.AuditAPIKeyCreate, Target: id, Workspace: workspace,
		Detail: map[string]string{"name": name, "scopes": strings.Join(scopes, ",")}})
	return k, secret, err
}

// APIKeys implements app.Accounts.
func (s *Store) APIKeys(ctx context.Context, userID string) ([]app.APIKey, error) {
	rows, err := s.control.read.QueryContext(ctx, `SELECT id, name, scopes, workspace_id, created_at, expires_at, last_used_at FROM tokens
		WHERE user_id = ? AND kind = ? ORDER BY created_at, id`, userID, app.CredAPIKey)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []app.APIKey{}
	for rows.Next() {
		var k app.APIKey
		var scopes, ws sql.NullString
		var created int64
		var expires, used sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Name, &scopes, &ws, &created, &expires, &used); err != nil {
			return nil, err
		}
		k.Scopes = []string{}
		if scopes.String != "" {
			k.Scopes = strings.Split(scopes.String, ",")
		}
		k.Workspace = ws.String
		k.CreatedAt = time.Unix(created, 0).UTC()
		if expires.Valid {
			k.ExpiresAt = time.Unix(expires.Int64, 0).UTC()
		}
		if used.Valid {
			k.LastUsedAt = time.Unix(used.Int64, 0).UTC()
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeAPIKey implements app.Accounts.
func (s *Store) RevokeAPIKey(ctx context.Context, userID, id string) error {
	return s.control.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE id = ? AND user_id = ? AND kind = ?`, id, userID, app.CredAPIKey)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "API key %q not found", id)
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Action: app.AuditAPIKeyRevoke, Target: id})
	})
}

// CreateWorkspace implements app.Accounts: a team workspace owned by userID.
func (s *Store) CreateWorkspace(ctx context.Context, userID, name string) (app.Workspace, error) {
	if err := app.ValidateName("workspace", name); err != nil {
		return app.Workspace{}, err
	}
	if name == "personal" {
		return app.Workspace{}, app.Errorf(app.EINVALID, "\"personal\" names your own workspace: choose another name")
	}
	now := s.opts.Now()
	ws := app.Workspace{ID: newID("w_"), Name: name, CreatedAt: now.UTC().Truncate(time.Second), Role: app.WSOwner}
	err := s.control.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO workspaces (id, name, personal, created_at) VALUES (?,?,0,?)`, ws.ID, name, now.Unix()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES (?,?,?,?)`, ws.ID, userID, app.WSOwner, now.Unix()); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Actor: userID, Action: app.AuditWorkspaceCreate, Target: ws.ID, Workspace: ws.ID, Detail: map[string]string{"name": name}})
	})
	return ws, err
}

// Members implements app.Accounts.
func (s *Store) Members(ctx context.Context, ws string) ([]app.Member, error) {
	rows, err := s.control.read.QueryContext(ctx, `SELECT user_id, role, created_at FROM memberships WHERE workspace_id = ? ORDER BY created_at, user_id`, ws)
	if err != nil {
		return nil, err
	}
	var out []app.Member
	for rows.Next() {
		var m app.Member
		var created int64
		if err := rows.Scan(&m.UserID, &m.Role, &created); err != nil {
			rows.Close()
			return nil, err
		}
		m.CreatedAt = time.Unix(created, 0).UTC()
		out = append(out, m)
	}
	rows.Close()
	for i := range out {
		u, err := s.User(ctx, out[i].UserID)
		if err != nil {
			return nil, err
		}
		out[i].Email = u.Email
	}
	return out, nil
}

func memberRole(ctx context.Context, tx *sql.Tx, ws, userID string) (role string, personal bool, err error) {
	err = tx.QueryRowContext(ctx, `SELECT m.role, w.personal FROM memberships m JOIN workspaces w ON w.id = m.workspace_id WHERE m.workspace_id = ? AND m.user_id = ?`, ws, userID).Scan(&role, &personal)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, app.Errorf(app.ENOTFOUND, "%s is not a member of this workspace", userID)
	}
	return role, personal, err
}

// lastOwner refuses to take the owner role from the workspace's last owner.
func lastOwner(ctx context.Context, tx *sql.Tx, ws string) error {
	var owners int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM memberships WHERE workspace_id = ? AND role = 'owner'`, ws).Scan(&owners); err != nil {
		return err
	}
	if owners <= 1 {
		return app.Errorf(app.ECONFLICT, "a workspace needs an owner: make someone else owner first")
	}
	return nil
}

// AddMember implements app.Accounts: invite an existing user by e-mail.
func (s *Store) AddMember(ctx context.Context, ws, actorRole, email, role string) (app.Member, error) {
	if role == "" {
		role = app.WSUser
	}
	if err := app.CanSetMemberRole(actorRole, "", role); err != nil {
		return app.Member{}, err
	}
	norm, err := app.NormalizeEmail(email)
	if err != nil {
		return app.Member{}, err
	}
	userID, err := s.lookupUser(ctx, norm)
	if err != nil {
		return app.Member{}, err
	}
	if userID == "" {
		return app.Member{}, app.Errorf(app.ENOTFOUND, "no account has that e-mail address: ask an admin to create it first")
	}
	now := s.opts.Now()
	err = s.control.Tx(ctx, func(tx *sql.Tx) error {
		var personal bool
		if err := tx.QueryRowContext(ctx, `SELECT personal FROM workspaces WHERE id = ?`, ws).Scan(&personal); err != nil {
			return err
		}
		if personal {
			return app.Errorf(app.EINVALID, "a personal workspace has one member: create a team workspace with `optiq workspace create`")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES (?,?,?,?)`, ws, userID, role, now.Unix()); err != nil {
			if app.ErrorCode(mapError(err)) == app.ECONFLICT {
				return app.Errorf(app.ECONFLICT, "already a member: change the role instead")
			}
			return err
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Action: app.AuditMemberAdd, Target: userID, Workspace: ws, Detail: map[string]string{"role": role}})
	})
	if err != nil {
		return app.Member{}, err
	}
	return app.Member{UserID: userID, Email: norm, Role: role, CreatedAt: now.UTC().Truncate(time.Second)}, nil
}

// SetMemberRole implements app.Accounts.
func (s *Store) SetMemberRole(ctx context.Context, ws, actorRole, userID, role string) error {
	if !app.ValidWorkspaceRole(role) {
		return app.Errorf(app.EINVALID, "invalid workspace role %q: use owner, admin, user or viewer", role)
	}
	return s.control.Tx(ctx, func(tx *sql.Tx) error {
		cur, personal, err := memberRole(ctx, tx, ws, userID)
		if err != nil {
			return err
		}
		if err := app.CanSetMemberRole(actorRole, cur, role); err != nil {
			return err
		}
		if cur == role {
			return nil
		}
		if personal {
			return app.Errorf(app.EINVALID, "roles in a personal workspace cannot change")
		}
		if cur == app.WSOwner {
			if err := lastOwner(ctx, tx, ws); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE memberships SET role = ? WHERE workspace_id = ? AND user_id = ?`, role, ws, userID); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Action: app.AuditMemberRole, Target: userID, Workspace: ws, Detail: map[string]string{"from": cur, "to": role}})
	})
}

// RemoveMember implements app.Accounts.
func (s *Store) RemoveMember(ctx context.Context, ws, actorRole, userID string) error {
	return s.control.Tx(ctx, func(tx *sql.Tx) error {
		cur, _, err := memberRole(ctx, tx, ws, userID)
		if err != nil {
			return err
		}
		if err := app.CanSetMemberRole(actorRole, cur, ""); err != nil {
			return err
		}
		if cur == app.WSOwner {
			if err := lastOwner(ctx, tx, ws); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM memberships WHERE workspace_id = ? AND user_id = ?`, ws, userID); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Action: app.AuditMemberRemove, Target: userID, Workspace: ws, Detail: map[string]string{"role": cur}})
	})
}

var _ = fmt.Sprint
