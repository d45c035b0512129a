package store

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"time"

	"github.com/optiq/optiq/app"
)

// SSO state: claimed and verified domains, IdP connections with the SP key
// sealed, SSO identities, sent request ids and used assertion ids.

// ssoPasswordHash marks an account created by SSO: it matches no password.
const ssoPasswordHash = "!sso"

func (s *Store) spKeyAAD(connID string) []byte { return []byte("optiq/v1 sso sp key " + connID) }

func actorOf(ctx context.Context) string {
	p, _ := app.PrincipalFrom(ctx)
	return p.UserID
}

// ClaimSSODomain implements app.SSOStore. Claiming again returns the
// existing claim (and its token) unchanged.
func (s *Store) ClaimSSODomain(ctx context.Context, domain string) (app.SSODomain, error) {
	domain, err := app.NormalizeDomain(domain)
	if err != nil {
		return app.SSODomain{}, err
	}
	if d, err := s.SSODomain(ctx, domain); err == nil {
		return d, nil
	}
	var raw [20]byte
	rand.Read(raw[:])
	token := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw[:]))
	err = s.control.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sso_domains (domain, token, created_by, created_at) VALUES (?,?,?,?)`,
			domain, token, actorOf(ctx), s.now()); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Action: app.AuditSSODomainClaim, Target: domain})
	})
	if err != nil {
		return app.SSODomain{}, err
	}
	return s.SSODomain(ctx, domain)
}

const ssoDomainCols = `d.domain, d.token, d.created_by, d.created_at, d.verified_by, d.verified_at, d.method, cd.connection_id`

func scanSSODomain(sc interface{ Scan(...any) error }) (app.SSODomain, error) {
	var d app.SSODomain
	var created int64
	var by, method, conn sql.NullString
	var at sql.NullInt64
	if err := sc.Scan(&d.Domain, &d.Token, &d.CreatedBy, &created, &by, &at, &method, &conn); err != nil {
		return d, err
	}
	d.CreatedAt = time.Unix(created, 0).UTC()
	d.VerifiedBy, d.Method, d.Connection = by.String, method.String, conn.String
	if at.Valid {
		d.VerifiedAt = time.Unix(at.Int64, 0).UTC()
	}
	d.FillInstructions()
	return d, nil
}

// SSODomain implements app.SSOStore.
func (s *Store) SSODomain(ctx context.Context, domain string) (app.SSODomain, error) {
	d, err := scanSSODomain(s.control.read.QueryRowContext(ctx, `SELECT `+ssoDomainCols+`
		FROM sso_domains d LEFT JOIN sso_connection_domains cd ON cd.domain = d.domain WHERE d.domain = ?`, strings.ToLower(domain)))
	if errors.Is(err, sql.ErrNoRows) {
		return d, app.Errorf(app.ENOTFOUND, "domain %q has not been claimed: claim it first", domain)
	}
	return d, err
}

// SSODomains implements app.SSOStore.
func (s *Store) SSODomains(ctx context.Context) ([]app.SSODomain, error) {
	rows, err := s.control.read.QueryContext(ctx, `SELECT `+ssoDomainCols+`
		FROM sso_domains d LEFT JOIN sso_connection_domains cd ON cd.domain = d.domain ORDER BY d.domain`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []app.SSODomain{}
	for rows.Next() {
		d, err := scanSSODomain(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// MarkSSODomainVerified implements app.SSOStore.
func (s *Store) MarkSSODomainVerified(ctx context.Context, domain, method string) (app.SSODomain, error) {
	d, err := s.SSODomain(ctx, domain)
	if err != nil {
		return d, err
	}
	err = s.control.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE sso_domains SET verified_by = ?, verified_at = ?, method = ? WHERE domain = ?`,
			actorOf(ctx), s.now(), method, d.Domain); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Action: app.AuditSSODomainVerify, Target: d.Domain, Detail: map[string]string{"method": method}})
	})
	if err != nil {
		return d, err
	}
	return s.SSODomain(ctx, d.Domain)
}

// DeleteSSODomain implements app.SSOStore. A domain a connection uses must
// be removed from the connection first.
func (s *Store) DeleteSSODomain(ctx context.Context, domain string) error {
	d, err := s.SSODomain(ctx, domain)
	if err != nil {
		return err
	}
	if d.Connection != "" {
		return app.Errorf(app.ECONFLICT, "domain %s is used by SSO connection %s: remove it from the connection first", d.Domain, d.Connection)
	}
	return s.control.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sso_domains WHERE domain = ?`, d.Domain); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Action: app.AuditSSODomainDelete, Target: d.Domain})
	})
}

// checkDomains enforces: every domain verified, by the acting admin, and
// not used by another connection.
func (s *Store) checkDomains(ctx context.Context, tx *sql.Tx, c app.SSOConnection) error {
	actor := actorOf(ctx)
	for _, dom := range c.Domains {
		var by, conn sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT d.verified_by, cd.connection_id FROM sso_domains d LEFT JOIN sso_connection_domains cd ON cd.domain = d.domain WHERE d.domain = ?`, dom).
			Scan(&by, &conn)
		if errors.Is(err, sql.ErrNoRows) {
			return app.Errorf(app.EFORBIDDEN, "domain %s is not verified: claim and verify it first (optiq admin sso domain add/verify)", dom)
		}
		if err != nil {
			return err
		}
		if !by.Valid || by.String == "" {
			return app.Errorf(app.EFORBIDDEN, "domain %s is not verified yet: publish the TXT record or file and run verify", dom)
		}
		if by.String != actor {
			return app.Errorf(app.EFORBIDDEN, "domain %s was verified by another admin: only the admin who verified a domain can configure SSO for it (verify it yourself to take it over)", dom)
		}
		if conn.Valid && conn.String != c.ID {
			return app.Errorf(app.ECONFLICT, "domain %s already signs in with SSO connection %s", dom, conn.String)
		}
	}
	for _, g := range c.Groups {
		if g.Workspace == "" {
			continue
		}
		var personal bool
		err := tx.QueryRowContext(ctx, `SELECT personal FROM workspaces WHERE id = ?`, g.Workspace).Scan(&personal)
		if errors.Is(err, sql.ErrNoRows) {
			return app.Errorf(app.EINVALID, "group %q maps to workspace %q, which does not exist (use the workspace id)", g.Group, g.Workspace)
		}
		if err != nil {
			return err
		}
		if personal {
			return app.Errorf(app.EINVALID, "group %q maps to a personal workspace: map groups to team workspaces", g.Group)
		}
	}
	return nil
}

// ssoConfig is the JSON column: everything but identity and secrets.
type ssoConfig struct {
	BaseURL           string               `json:"base_url"`
	IdPEntityID       string               `json:"idp_entity_id"`
	Mapping           app.AttributeMapping `json:"mapping"`
	Groups            []app.GroupRole      `json:"group_roles"`
	Enabled           bool                 `json:"enabled"`
	AllowIdPInitiated bool                 `json:"allow_idp_initiated"`
	AllowPassword     bool                 `json:"allow_password"`
	JIT               bool                 `json:"jit"`
	SyncOnLogin       bool                 `json:"sync_on_login"`
}

func configOf(c app.SSOConnection) string {
	b, _ := json.Marshal(ssoConfig{BaseURL: c.BaseURL, IdPEntityID: c.IdPEntityID, Mapping: c.Mapping, Groups: c.Groups, Enabled: c.Enabled,
		AllowIdPInitiated: c.AllowIdPInitiated, AllowPassword: c.AllowPassword, JIT: c.JIT, SyncOnLogin: c.SyncOnLogin})
	return string(b)
}

// newSPKeyPair generates the SP's RSA key (XML encryption needs RSA) and a
// self-signed certificate; IdPs pin the certificate, not a CA.
func newSPKeyPair(name string, now time.Time) (app.SPKeyPair, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return app.SPKeyPair{}, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "Optiq SAML service provider " + name},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return app.SPKeyPair{}, err
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return app.SPKeyPair{}, err
	}
	return app.SPKeyPair{Key: pk, Cert: der}, nil
}

func setConnectionDomains(ctx context.Context, tx *sql.Tx, c app.SSOConnection) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM sso_connection_domains WHERE connection_id = ?`, c.ID); err != nil {
		return err
	}
	for _, d := range c.Domains {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sso_connection_domains (domain, connection_id) VALUES (?,?)`, d, c.ID); err != nil {
			return err
		}
	}
	return nil
}

func connectionDetail(c app.SSOConnection, op string) map[string]string {
	return map[string]string{"op": op, "name": c.Name, "domains": strings.Join(c.Domains, ","), "idp": c.IdPEntityID,
		"enabled": boolString(c.Enabled), "jit": boolString(c.JIT), "sync_on_login": boolString(c.SyncOnLogin),
		"allow_password": boolString(c.AllowPassword), "allow_idp_initiated": boolString(c.AllowIdPInitiated),
		"group_roles": func() string { b, _ := json.Marshal(c.Groups); return string(b) }()}
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// CreateSSOConnection implements app.SSOStore.
func (s *Store) CreateSSOConnection(ctx context.Context, c app.SSOConnection) (app.SSOConnection, error) {
	if err := c.Validate(); err != nil {
		return c, err
	}
	now := s.opts.Now()
	c.ID = newID("sso_")
	kp, err := newSPKeyPair(c.Name, now)
	if err != nil {
		return c, err
	}
	err = s.control.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkDomains(ctx, tx, c); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sso_connections (id, name, config, idp_metadata, sp_cert, sp_key_sealed, created_by, created_at, updated_at)
			VALUES (?,?,?,?,?,?,?,?,?)`, c.ID, c.Name, configOf(c), c.IdPMetadata, kp.Cert, s.sealer.Seal(kp.Key, s.spKeyAAD(c.ID)),
			actorOf(ctx), now.Unix(), now.Unix()); err != nil {
			return err
		}
		if err := setConnectionDomains(ctx, tx, c); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Action: app.AuditSSOConnection, Target: c.ID, Detail: connectionDetail(c, "create")})
	})
	if err != nil {
		return c, err
	}
	out, _, err := s.SSOConnection(ctx, c.ID)
	return out, err
}

// UpdateSSOConnection implements app.SSOStore: the SP key pair is kept.
func (s *Store) UpdateSSOConnection(ctx context.Context, c app.SSOConnection) (app.SSOConnection, error) {
	if err := c.Validate(); err != nil {
		return c, err
	}
	err := s.control.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkDomains(ctx, tx, c); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE sso_connections SET name = ?, config = ?, idp_metadata = ?, updated_at = ? WHERE id = ?`,
			c.Name, configOf(c), c.IdPMetadata, s.now(), c.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "SSO connection %q not found", c.ID)
		}
		if err := setConnectionDomains(ctx, tx, c); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Action: app.AuditSSOConnection, Target: c.ID, Detail: connectionDetail(c, "update")})
	})
	if err != nil {
		return c, err
	}
	out, _, err := s.SSOConnection(ctx, c.ID)
	return out, err
}

// DeleteSSOConnection implements app.SSOStore. SSO users keep their
// accounts; they can no longer sign in until another way is set up.
func (s *Store) DeleteSSOConnection(ctx context.Context, id string) error {
	return s.control.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sso_connections WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "SSO connection %q not found", id)
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Action: app.AuditSSOConnection, Target: id, Detail: map[string]string{"op": "delete"}})
	})
}

const ssoConnCols = `id, name, config, idp_metadata, sp_cert, sp_key_sealed, created_by, created_at, updated_at`

func (s *Store) scanConnection(ctx context.Context, sc interface{ Scan(...any) error }) (app.SSOConnection, app.SPKeyPair, error) {
	var c app.SSOConnection
	var kp app.SPKeyPair
	var cfg string
	var sealed []byte
	var created, updated int64
	if err := sc.Scan(&c.ID, &c.Name, &cfg, &c.IdPMetadata, &kp.Cert, &sealed, &c.CreatedBy, &created, &updated); err != nil {
		return c, kp, err
	}
	var conf ssoConfig
	if err := json.Unmarshal([]byte(cfg), &conf); err != nil {
		return c, kp, err
	}
	c.BaseURL, c.IdPEntityID, c.Mapping, c.Groups = conf.BaseURL, conf.IdPEntityID, conf.Mapping, conf.Groups
	c.Enabled, c.AllowIdPInitiated, c.AllowPassword, c.JIT, c.SyncOnLogin = conf.Enabled, conf.AllowIdPInitiated, conf.AllowPassword, conf.JIT, conf.SyncOnLogin
	c.CreatedAt, c.UpdatedAt = time.Unix(created, 0).UTC(), time.Unix(updated, 0).UTC()
	c.SPCertificatePEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: kp.Cert}))
	key, err := s.sealer.Open(sealed, s.spKeyAAD(c.ID))
	if err != nil {
		return c, kp, err
	}
	kp.Key = key
	rows, err := s.control.read.QueryContext(ctx, `SELECT domain FROM sso_connection_domains WHERE connection_id = ? ORDER BY domain`, c.ID)
	if err != nil {
		return c, kp, err
	}
	defer rows.Close()
	c.Domains = []string{}
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return c, kp, err
		}
		c.Domains = append(c.Domains, d)
	}
	return c, kp, rows.Err()
}

// SSOConnection implements app.SSOStore.
func (s *Store) SSOConnection(ctx context.Context, id string) (app.SSOConnection, app.SPKeyPair, error) {
	c, kp, err := s.scanConnection(ctx, s.control.read.QueryRowContext(ctx, `SELECT `+ssoConnCols+` FROM sso_connections WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, kp, app.Errorf(app.ENOTFOUND, "SSO connection %q not found", id)
	}
	return c, kp, err
}

// SSOConnections implements app.SSOStore.
func (s *Store) SSOConnections(ctx context.Context) ([]app.SSOConnection, error) {
	rows, err := s.control.read.QueryContext(ctx, `SELECT id FROM sso_connections ORDER BY name, id`)
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
	out := []app.SSOConnection{}
	for _, id := range ids {
		c, _, err := s.SSOConnection(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// SSOConnectionFor implements app.SSOStore.
func (s *Store) SSOConnectionFor(ctx context.Context, email string) (app.SSOConnection, bool, error) {
	var id string
	err := s.control.read.QueryRowContext(ctx, `SELECT connection_id FROM sso_connection_domains WHERE domain = ?`, app.EmailDomain(email)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return app.SSOConnection{}, false, nil
	}
	if err != nil {
		return app.SSOConnection{}, false, err
	}
	c, _, err := s.SSOConnection(ctx, id)
	if err != nil {
		return c, false, err
	}
	return c, c.Enabled, nil
}

// RememberSSORequest implements app.SSOStore.
func (s *Store) RememberSSORequest(ctx context.Context, connID, requestID, next string, ttl time.Duration) error {
	now := s.now()
	_, err := s.control.write.ExecContext(ctx, `DELETE FROM sso_requests WHERE expires_at <= ?`, now)
	if err != nil {
		return err
	}
	_, err = s.control.write.ExecContext(ctx, `INSERT INTO sso_requests (id, connection_id, next, expires_at) VALUES (?,?,?,?)`,
		requestID, connID, next, now+int64(ttl/time.Second))
	return mapError(err)
}

// TakeSSORequest implements app.SSOStore.
func (s *Store) TakeSSORequest(ctx context.Context, connID, requestID string) (string, bool, error) {
	var next string
	err := s.control.write.QueryRowContext(ctx, `DELETE FROM sso_requests WHERE id = ? AND connection_id = ? AND expires_at > ? RETURNING next`,
		requestID, connID, s.now()).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return next, err == nil, err
}

// UseAssertion implements app.SSOStore: the replay cache.
func (s *Store) UseAssertion(ctx context.Context, connID, assertionID string, until time.Time) error {
	now := s.now()
	if _, err := s.control.write.ExecContext(ctx, `DELETE FROM sso_assertions WHERE expires_at <= ?`, now); err != nil {
		return err
	}
	_, err := s.control.write.ExecContext(ctx, `INSERT INTO sso_assertions (connection_id, assertion_id, expires_at) VALUES (?,?,?)`,
		connID, assertionID, max(until.Unix(), now+60))
	if app.ErrorCode(mapError(err)) == app.ECONFLICT {
		return app.Errorf(app.EUNAUTHENTICATED, "this SAML assertion was already used (replay refused): sign in again from the start")
	}
	return mapError(err)
}

// SSOSignInFailed implements app.SSOStore.
func (s *Store) SSOSignInFailed(ctx context.Context, connID, reason string) error {
	return s.Audit(ctx, app.AuditEntry{Action: app.AuditSSOLoginFailed, Target: connID, Detail: map[string]string{"reason": reason}})
}

// SSOSignIn implements app.SSOStore: find the account by subject, then by
// e-mail address (linking it); create it if JIT is on; apply the group
// mappings for new accounts and, with sync on, at every sign-in.
func (s *Store) SSOSignIn(ctx context.Context, c app.SSOConnection, id app.SSOIdentity) (app.User, error) {
	if !c.Enabled {
		return app.User{}, app.Errorf(app.EFORBIDDEN, "SSO connection %q is disabled", c.Name)
	}
	if !containsDomain(c.Domains, app.EmailDomain(id.Email)) {
		return app.User{}, app.Errorf(app.EFORBIDDEN, "the identity provider asserted %s, whose domain is not one this connection serves (%s)",
			app.EmailDomain(id.Email), strings.Join(c.Domains, ", "))
	}
	subject := s.emailH.Sum("sso:" + c.ID + ":" + id.Subject)
	groupsJSON, _ := json.Marshal(id.Groups)
	var userID string
	err := s.control.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		created, linked := false, false
		err := tx.QueryRowContext(ctx, `SELECT user_id FROM sso_users WHERE connection_id = ? AND subject_hash = ?`, c.ID, subject).Scan(&userID)
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.QueryRowContext(ctx, `SELECT id FROM users WHERE email_hash = ?`, s.emailH.Sum(id.Email)).Scan(&userID)
			linked = err == nil
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if !c.JIT {
				return app.Errorf(app.EFORBIDDEN, "no Optiq account for %s, and this connection does not create accounts: ask an admin", id.Email)
			}
			if userID, err = s.provision(ctx, tx, id.Email); err != nil {
				return err
			}
			created = true
		case err != nil:
			return err
		}
		var disabled bool
		if err := tx.QueryRowContext(ctx, `SELECT disabled FROM users WHERE id = ?`, userID).Scan(&disabled); err != nil {
			return err
		}
		if disabled {
			return app.Errorf(app.EFORBIDDEN, "this account is disabled")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sso_users (user_id, connection_id, subject_hash, display_name, groups, created_at, last_login_at) VALUES (?,?,?,?,?,?,?)
			ON CONFLICT (user_id) DO UPDATE SET connection_id = excluded.connection_id, subject_hash = excluded.subject_hash, last_login_at = excluded.last_login_at`,
			userID, c.ID, subject, id.Name, string(groupsJSON), now, now); err != nil {
			return err
		}
		if created {
			if err := s.appendAudit(ctx, tx, app.AuditEntry{Actor: userID, Action: app.AuditSSOProvision, Target: userID,
				Detail: map[string]string{"connection": c.ID, "groups": strings.Join(id.Groups, ",")}}); err != nil {
				return err
			}
		} else if linked {
			if err := s.appendAudit(ctx, tx, app.AuditEntry{Actor: userID, Action: app.AuditSSOProvision, Target: userID,
				Detail: map[string]string{"connection": c.ID, "linked": "existing account"}}); err != nil {
				return err
			}
		}
		if created || c.SyncOnLogin {
			if err := s.syncSSOUser(ctx, tx, c, userID, id, string(groupsJSON)); err != nil {
				return err
			}
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Actor: userID, Action: app.AuditSSOLogin, Target: userID,
			Detail: map[string]string{"method": "saml", "connection": c.ID}})
	})
	if err != nil {
		return app.User{}, err
	}
	return s.User(ctx, userID)
}

func containsDomain(ds []string, d string) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}

// provision creates an SSO account (no usable password) with its personal
// workspace.
func (s *Store) provision(ctx context.Context, tx *sql.Tx, email string) (string, error) {
	now := s.now()
	uid, wid := newID("u_"), newID("w_")
	if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, email_hash, email_sealed, password_hash, role, created_at) VALUES (?,?,?,?,?,?)`,
		uid, s.emailH.Sum(email), s.sealer.Seal([]byte(email), s.emailAAD(uid)), ssoPasswordHash, app.RoleMember, now); err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO workspaces (id, name, personal, created_at) VALUES (?,?,1,?)`, wid, "personal", now); err != nil {
		return "", err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES (?,?,?,?)`, wid, uid, app.WSOwner, now)
	return uid, err
}

// syncSSOUser applies the display name, group memberships and instance
// role. It never removes the last owner of a workspace nor demotes the
// last admin: those stay and the skip is audited.
func (s *Store) syncSSOUser(ctx context.Context, tx *sql.Tx, c app.SSOConnection, userID string, id app.SSOIdentity, groupsJSON string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE sso_users SET display_name = ?, groups = ? WHERE user_id = ?`, id.Name, groupsJSON, userID); err != nil {
		return err
	}
	grant := app.ResolveRoles(c.Groups, id.Groups)
	audit := func(action, ws string, d map[string]string) error {
		d["source"] = "sso"
		d["connection"] = c.ID
		return s.appendAudit(ctx, tx, app.AuditEntry{Actor: userID, Action: action, Target: userID, Workspace: ws, Detail: d})
	}
	for ws, want := range grant.Workspaces {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT role FROM memberships WHERE workspace_id = ? AND user_id = ?`, ws, userID).Scan(&cur)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM workspaces WHERE id = ?`, ws).Scan(&exists); err != nil {
			return err
		}
		switch {
		case cur == want || exists == 0:
		case cur == "":
			if _, err := tx.ExecContext(ctx, `INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES (?,?,?,?)`, ws, userID, want, s.now()); err != nil {
				return err
			}
			if err := audit(app.AuditMemberAdd, ws, map[string]string{"role": want}); err != nil {
				return err
			}
		default:
			if cur == app.WSOwner {
				var owners int
				if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM memberships WHERE workspace_id = ? AND role = 'owner'`, ws).Scan(&owners); err != nil {
					return err
				}
				if owners <= 1 {
					if err := audit(app.AuditSSOSync, ws, map[string]string{"skipped": "last owner kept", "wanted": want}); err != nil {
						return err
					}
					continue
				}
			}
			if want == "" {
				_, err = tx.ExecContext(ctx, `DELETE FROM memberships WHERE workspace_id = ? AND user_id = ?`, ws, userID)
				if err == nil {
					err = audit(app.AuditMemberRemove, ws, map[string]string{"from": cur})
				}
			} else {
				_, err = tx.ExecContext(ctx, `UPDATE memberships SET role = ? WHERE workspace_id = ? AND user_id = ?`, want, ws, userID)
				if err == nil {
					err = audit(app.AuditMemberRole, ws, map[string]string{"from": cur, "to": want})
				}
			}
			if err != nil {
				return err
			}
		}
	}
	if grant.InstanceRole != "" {
		var cur string
		if err := tx.QueryRowContext(ctx, `SELECT role FROM users WHERE id = ?`, userID).Scan(&cur); err != nil {
			return err
		}
		if cur != grant.InstanceRole {
			if cur == app.RoleAdmin {
				var admins int
				if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0`).Scan(&admins); err != nil {
					return err
				}
				if admins <= 1 {
					return audit(app.AuditSSOSync, "", map[string]string{"skipped": "last admin kept"})
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE users SET role = ? WHERE id = ?`, grant.InstanceRole, userID); err != nil {
				return err
			}
			if err := audit(app.AuditUserRole, "", map[string]string{"from": cur, "to": grant.InstanceRole}); err != nil {
				return err
			}
		}
	}
	return nil
}

// SSODisplayName returns the display name the IdP last sent for userID.
func (s *Store) SSODisplayName(ctx context.Context, userID string) (string, error) {
	var n string
	err := s.control.read.QueryRowContext(ctx, `SELECT display_name FROM sso_users WHERE user_id = ?`, userID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return n, err
}

var _ app.SSOStore = (*Store)(nil)
