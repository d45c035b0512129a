-- Identity: sessions, lockout, MFA, OAuth, settings and the audit log.

-- Bumped by "log out everywhere": browser sessions carry the generation
-- they were created in.
ALTER TABLE users ADD COLUMN session_gen INTEGER NOT NULL DEFAULT 0;
-- When the holder of a bearer token last proved who they are.
ALTER TABLE tokens ADD COLUMN auth_at INTEGER;
-- OAuth refresh family that issued the token, to revoke on reuse.
ALTER TABLE tokens ADD COLUMN family TEXT;
-- A credential that may only enrol MFA.
ALTER TABLE tokens ADD COLUMN enrolling INTEGER NOT NULL DEFAULT 0;

-- scs browser sessions, keyed by SHA-256 of the session token.
CREATE TABLE sessions (
	token_hash BLOB PRIMARY KEY,
	data       BLOB NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_expiry ON sessions(expires_at);

-- Failed sign-ins per account ("u:<id>") and per client address ("a:<addr>").
CREATE TABLE login_failures (
	key          TEXT PRIMARY KEY,
	failures     INTEGER NOT NULL,
	locked_until INTEGER NOT NULL,
	last_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE mfa_totp (
	user_id       TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	secret_sealed BLOB NOT NULL,
	confirmed     INTEGER NOT NULL DEFAULT 0,
	last_step     INTEGER NOT NULL DEFAULT 0, -- last accepted time step: replays are refused
	created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE mfa_sms (
	user_id      TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	phone_sealed BLOB NOT NULL,
	confirmed    INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE backup_codes (
	user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	code_hash  BLOB NOT NULL,
	created_at INTEGER NOT NULL,
	used_at    INTEGER,
	PRIMARY KEY (user_id, code_hash)
) STRICT;

-- One-time codes sent by SMS (enrolment or sign-in), hashed.
CREATE TABLE sms_codes (
	user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	purpose    TEXT NOT NULL,
	code_hash  BLOB NOT NULL,
	expires_at INTEGER NOT NULL,
	attempts   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (user_id, purpose)
) STRICT;

-- Password accepted, second factor pending.
CREATE TABLE mfa_challenges (
	id_hash    BLOB PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	expires_at INTEGER NOT NULL,
	attempts   INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

CREATE TABLE oauth_codes (
	code_hash    BLOB PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	client_id    TEXT NOT NULL,
	redirect_uri TEXT NOT NULL,
	challenge    TEXT NOT NULL,
	expires_at   INTEGER NOT NULL,
	used_at      INTEGER
) STRICT;

CREATE TABLE oauth_refresh (
	id          TEXT PRIMARY KEY,
	family      TEXT NOT NULL,
	user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	secret_hash BLOB NOT NULL,
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	rotated_at  INTEGER,
	revoked     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX oauth_refresh_family ON oauth_refresh(family);

-- Append-only and hash-chained: hash = SHA-256(prev_hash || canonical row).
CREATE TABLE audit_log (
	seq          INTEGER PRIMARY KEY,
	at           INTEGER NOT NULL,
	actor        TEXT NOT NULL,
	action       TEXT NOT NULL,
	target       TEXT NOT NULL,
	workspace_id TEXT NOT NULL,
	remote       TEXT NOT NULL,
	request_id   TEXT NOT NULL,
	detail       TEXT NOT NULL,
	prev_hash    BLOB NOT NULL,
	hash         BLOB NOT NULL
) STRICT;
CREATE INDEX audit_log_actor ON audit_log(actor, seq);
CREATE INDEX audit_log_action ON audit_log(action, seq);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
