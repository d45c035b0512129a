CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	email_hash    BLOB NOT NULL UNIQUE, -- HMAC(pepper, normalised address)
	email_sealed  BLOB NOT NULL,        -- the address, sealed under the master key
	password_hash TEXT NOT NULL,        -- argon2id, PHC string
	role          TEXT NOT NULL CHECK (role IN ('admin', 'member')),
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE workspaces (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	personal   INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE memberships (
	workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
	user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'user', 'viewer')),
	created_at   INTEGER NOT NULL,
	PRIMARY KEY (workspace_id, user_id)
) STRICT;
CREATE INDEX memberships_user ON memberships(user_id);

-- Bearer credentials: CLI sessions and API keys, "optiq_<id>_<secret>".
CREATE TABLE tokens (
	id           TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	kind         TEXT NOT NULL,
	name         TEXT NOT NULL DEFAULT '',
	secret_hash  BLOB NOT NULL,
	scopes       TEXT,            -- comma separated; NULL means all of the user's rights
	workspace_id TEXT,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER,
	last_used_at INTEGER
) STRICT;
CREATE INDEX tokens_user ON tokens(user_id);
