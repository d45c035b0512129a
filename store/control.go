package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/optiq/optiq/app"
	"golang.org/x/crypto/argon2"
)

// Options configure a Store.
type Options struct {
	// Sealer seals secrets at rest.
	Sealer app.Sealer
	// EmailPepper keys the e-mail lookup hash.
	EmailPepper app.Pepper
	// OpenIndex opens a tenant's derived lexical index in dir. Nil means
	// tenants have no lexical index (search answers from nothing).
	OpenIndex func(dir string) (app.LexicalIndex, error)
	// Vectors makes the derived vector indexes of semantic search. Nil
	// means no semantic search.
	Vectors app.VectorIndexes
	// MaxOpenTenants caps the tenant files kept open (default 64).
	MaxOpenTenants int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives operational events (default slog.Default()).
	Logger *slog.Logger
	// SMS sends one-time codes by text message; nil disables SMS MFA.
	SMS app.SMSSender
}

// Store is an Optiq data directory: control.db plus tenant files.
type Store struct {
	dir     string
	control *DB
	sealer  app.Sealer
	emailH  app.Pepper
	opts    Options
	tenants *tenantCache
}

// Open opens the data directory dir, creating and migrating it as needed.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	if opts.Sealer == nil || opts.EmailPepper == nil {
		return nil, errors.New("store: a sealer and an e-mail pepper are required")
	}
	if opts.MaxOpenTenants <= 0 {
		opts.MaxOpenTenants = 64
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := os.MkdirAll(filepath.Join(dir, "tenants"), 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	os.Chmod(dir, 0o700)
	db, err := openDB(ctx, filepath.Join(dir, "control.db"), "control")
	if err != nil {
		return nil, err
	}
	s := &Store{
		dir:     dir,
		control: db,
		sealer:  opts.Sealer,
		emailH:  opts.EmailPepper,
		opts:    opts,
	}
	s.tenants = newTenantCache(s, opts.MaxOpenTenants)
	return s, nil
}

// Close closes every open file.
func (s *Store) Close() error {
	return errors.Join(s.tenants.closeAll(), s.control.Close())
}

// Dir returns the data directory.
func (s *Store) Dir() string { return s.dir }

func (s *Store) now() int64 { return s.opts.Now().Unix() }

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns a random id with a type prefix, e.g. "u_k3j5...".
func newID(prefix string) string {
	var b [10]byte
	rand.Read(b[:])
	return prefix + strings.ToLower(idEncoding.EncodeToString(b[:]))
}

// Argon2id parameters (OWASP's first recommended set, RFC 9106 compatible).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

func hashPassword(pw string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func checkPassword(encoded, pw string) bool {
	var version, mem, t int
	var threads uint8
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &threads); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, uint32(t), uint32(mem), threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when a login names no account, so that the
// response time does not reveal whether an address is registered.
var dummyHash = hashPassword("optiq timing equaliser")

func (s *Store) emailAAD(userID string) []byte { return []byte("optiq/v1 user email " + userID) }

// CreateUser implements app.Accounts.
func (s *Store) CreateUser(ctx context.Context, email, password, role string) (app.User, app.Workspace, error) {
	email, err := app.NormalizeEmail(email)
	if err != nil {
		return app.User{}, app.Workspace{}, err
	}
	if err := app.ValidatePassword(password); err != nil {
		return app.User{}, app.Workspace{}, err
	}
	if role != app.RoleAdmin && role != app.RoleMember {
		return app.User{}, app.Workspace{}, app.Errorf(app.EINVALID, "invalid role %q: use admin or member", role)
	}
	now := s.opts.Now()
	u := app.User{ID: newID("u_"), Email: email, Role: role, CreatedAt: now.UTC()}
	ws := app.Workspace{ID: newID("w_"), Name: "personal", Personal: true, CreatedAt: now.UTC(), Role: app.WSOwner}
	hash := hashPassword(password)
	err = s.control.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email_hash, email_sealed, password_hash, role, created_at) VALUES (?,?,?,?,?,?)`,
			u.ID, s.emailH.Sum(email), s.sealer.Seal([]byte(email), s.emailAAD(u.ID)), hash, role, now.Unix())
		if err != nil {
			if app.ErrorCode(mapError(err)) == app.ECONFLICT {
				return app.Errorf(app.ECONFLICT, "a user with that e-mail address already exists")
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO workspaces (id, name, personal, created_at) VALUES (?,?,1,?)`, ws.ID, ws.Name, now.Unix()); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES (?,?,?,?)`, ws.ID, u.ID, app.WSOwner, now.Unix())
		return err
	})
	if err != nil {
		return app.User{}, app.Workspace{}, err
	}
	return u, ws, nil
}

// Authenticate implements app.Accounts.
func (s *Store) Authenticate(ctx context.Context, email, password string) (app.User, error) {
	fail := app.Errorf(app.EUNAUTHENTICATED, "wrong e-mail address or password")
	email, err := app.NormalizeEmail(email)
	if err != nil {
		checkPassword(dummyHash, password)
		return app.User{}, fail
	}
	var u app.User
	var hash string
	var created int64
	err = s.control.read.QueryRowContext(ctx, `SELECT id, password_hash, role, disabled, created_at FROM users WHERE email_hash = ?`,
		s.emailH.Sum(email)).Scan(&u.ID, &hash, &u.Role, &u.Disabled, &created)
	if errors.Is(err, sql.ErrNoRows) {
		checkPassword(dummyHash, password)
		return app.User{}, fail
	}
	if err != nil {
		return app.User{}, err
	}
	if !checkPassword(hash, password) || u.Disabled {
		return app.User{}, fail
	}
	u.Email = email
	u.CreatedAt = time.Unix(created, 0).UTC()
	return u, nil
}

// User returns a user by id, with the e-mail address unsealed.
func (s *Store) User(ctx context.Context, id string) (app.User, error) {
	var u app.User
	var sealed []byte
	var created int64
	err := s.control.read.QueryRowContext(ctx, `SELECT id, email_sealed, role, disabled, created_at FROM users WHERE id = ?`, id).
		Scan(&u.ID, &sealed, &u.Role, &u.Disabled, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return u, app.Errorf(app.ENOTFOUND, "user not found")
	}
	if err != nil {
		return u, err
	}
	email, err := s.sealer.Open(sealed, s.emailAAD(u.ID))
	if err != nil {
		return u, fmt.Errorf("unseal e-mail of %s: %w", u.ID, err)
	}
	u.Email = string(email)
	u.CreatedAt = time.Unix(created, 0).UTC()
	return u, nil
}

const tokenPrefix = "optiq_"

func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// IssueToken implements app.Accounts.
func (s *Store) IssueToken(ctx context.Context, userID string, o app.TokenOptions) (string, error) {
	id := strings.TrimPrefix(newID(""), "")
	var raw [32]byte
	rand.Read(raw[:])
	secret := base64.RawURLEncoding.EncodeToString(raw[:])
	var scopes, ws any
	if o.Scopes != nil {
		scopes = strings.Join(o.Scopes, ",")
	}
	if o.Workspace != "" {
		ws = o.Workspace
	}
	var expires, authAt, family any
	if o.TTL > 0 {
		expires = s.opts.Now().Add(o.TTL).Unix()
	}
	if !o.AuthAt.IsZero() {
		authAt = o.AuthAt.Unix()
	}
	if o.Family != "" {
		family = o.Family
	}
	_, err := s.control.write.ExecContext(ctx, `INSERT INTO tokens (id, user_id, kind, name, secret_hash, scopes, workspace_id, created_at, expires_at, auth_at, family, enrolling) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		id, userID, o.Kind, o.Name, hashSecret(secret), scopes, ws, s.now(), expires, authAt, family, o.Enrolling)
	if err != nil {
		return "", mapError(err)
	}
	return tokenPrefix + id + "_" + secret, nil
}

// ResolveToken implements app.Accounts.
func (s *Store) ResolveToken(ctx context.Context, token string) (app.Principal, error) {
	fail := app.Errorf(app.EUNAUTHENTICATED, "invalid or expired credential: log in again with `optiq login`")
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok {
		return app.Principal{}, fail
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || id == "" || secret == "" {
		return app.Principal{}, fail
	}
	var p app.Principal
	var hash []byte
	var scopes, ws sql.NullString
	var expires, lastUsed, authAt sql.NullInt64
	var disabled bool
	err := s.control.read.QueryRowContext(ctx, `SELECT t.user_id, t.secret_hash, t.scopes, t.workspace_id, t.expires_at, t.last_used_at, t.kind, t.auth_at, t.enrolling, u.role, u.disabled
		FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?`, id).
		Scan(&p.UserID, &hash, &scopes, &ws, &expires, &lastUsed, &p.Kind, &authAt, &p.Enrolling, &p.Role, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		hashSecret(secret)
		return app.Principal{}, fail
	}
	if err != nil {
		return app.Principal{}, err
	}
	now := s.now()
	if subtle.ConstantTimeCompare(hash, hashSecret(secret)) != 1 || disabled || (expires.Valid && expires.Int64 <= now) {
		return app.Principal{}, fail
	}
	if scopes.Valid {
		p.Scopes = strings.Split(scopes.String, ",")
		if scopes.String == "" {
			p.Scopes = []string{}
		}
	}
	p.Workspace = ws.String
	p.KeyID = id
	if authAt.Valid {
		p.AuthAt = time.Unix(authAt.Int64, 0)
	}
	// Record use at most once a minute: a write per request would serialise
	// every read behind the single writer.
	if !lastUsed.Valid || now-lastUsed.Int64 >= 60 {
		s.control.write.ExecContext(ctx, `UPDATE tokens SET last_used_at = ? WHERE id = ?`, now, id)
	}
	return p, nil
}

// RevokeToken implements app.Accounts.
func (s *Store) RevokeToken(ctx context.Context, p app.Principal) error {
	_, err := s.control.write.ExecContext(ctx, `DELETE FROM tokens WHERE id = ? AND user_id = ?`, p.KeyID, p.UserID)
	return mapError(err)
}

// Workspaces implements app.Accounts.
func (s *Store) Workspaces(ctx context.Context, userID string) ([]app.Workspace, error) {
	rows, err := s.control.read.QueryContext(ctx, `SELECT w.id, w.name, w.personal, w.created_at, m.role
		FROM memberships m JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = ? ORDER BY w.personal DESC, w.name`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []app.Workspace
	for rows.Next() {
		var w app.Workspace
		var created int64
		if err := rows.Scan(&w.ID, &w.Name, &w.Personal, &created, &w.Role); err != nil {
			return nil, err
		}
		w.CreatedAt = time.Unix(created, 0).UTC()
		out = append(out, w)
	}
	return out, rows.Err()
}

// WorkspaceRole implements app.Accounts: ref is a workspace id, or a name
// among the user's workspaces ("personal" is the user's own).
func (s *Store) WorkspaceRole(ctx context.Context, userID, ref string) (app.Workspace, error) {
	all, err := s.Workspaces(ctx, userID)
	if err != nil {
		return app.Workspace{}, err
	}
	for _, w := range all {
		if w.ID == ref {
			return w, nil
		}
	}
	var found []app.Workspace
	for _, w := range all {
		if w.Name == ref {
			found = append(found, w)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return app.Workspace{}, app.Errorf(app.ENOTFOUND, "workspace %q not found", ref)
	default:
		return app.Workspace{}, app.Errorf(app.ECONFLICT, "several workspaces are named %q: use the workspace id", ref)
	}
}

var _ app.Accounts = (*Store)(nil)

// Ping checks that control.db answers reads and writes.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	if err := s.control.read.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return fmt.Errorf("control database read: %w", err)
	}
	if _, err := s.control.write.ExecContext(ctx, `PRAGMA user_version`); err != nil {
		return fmt.Errorf("control database write: %w", err)
	}
	return nil
}
