-- Enterprise SSO (SAML 2.0): verified domains, IdP connections with the
-- service provider's sealed key, SSO identities, and the caches that stop
-- replayed assertions and unsolicited answers to requests never made.

-- A domain an admin claims. It is usable for SSO only once verified (DNS TXT
-- record or a file on the domain's web server) and only by the admin who
-- verified it.
CREATE TABLE sso_domains (
	domain      TEXT PRIMARY KEY,
	token       TEXT NOT NULL,
	created_by  TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	verified_by TEXT,
	verified_at INTEGER,
	method      TEXT
) STRICT;

-- One identity provider. config is JSON (mapping, group roles, options; no
-- secrets); the SP private key is sealed.
CREATE TABLE sso_connections (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL,
	config        TEXT NOT NULL,
	idp_metadata  TEXT NOT NULL,
	sp_cert       BLOB NOT NULL, -- DER
	sp_key_sealed BLOB NOT NULL, -- PKCS#8 DER, sealed
	created_by    TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
) STRICT;

-- Which connection a verified domain signs in with.
CREATE TABLE sso_connection_domains (
	domain        TEXT PRIMARY KEY REFERENCES sso_domains(domain) ON DELETE CASCADE,
	connection_id TEXT NOT NULL REFERENCES sso_connections(id) ON DELETE CASCADE
) STRICT;

-- A user as their IdP knows them: the subject (NameID) is looked up by
-- keyed hash, like e-mail addresses.
CREATE TABLE sso_users (
	user_id       TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	connection_id TEXT NOT NULL REFERENCES sso_connections(id) ON DELETE CASCADE,
	subject_hash  BLOB NOT NULL,
	display_name  TEXT NOT NULL DEFAULT '',
	groups        TEXT NOT NULL DEFAULT '[]',
	created_at    INTEGER NOT NULL,
	last_login_at INTEGER NOT NULL,
	UNIQUE (connection_id, subject_hash)
) STRICT;

-- Authentication requests this server sent (SP-initiated login): a response
-- must answer one of them, once.
CREATE TABLE sso_requests (
	id            TEXT PRIMARY KEY,
	connection_id TEXT NOT NULL REFERENCES sso_connections(id) ON DELETE CASCADE,
	next          TEXT NOT NULL,
	expires_at    INTEGER NOT NULL
) STRICT;

-- Assertion ids already accepted, kept until they would expire anyway.
CREATE TABLE sso_assertions (
	connection_id TEXT NOT NULL,
	assertion_id  TEXT NOT NULL,
	expires_at    INTEGER NOT NULL,
	PRIMARY KEY (connection_id, assertion_id)
) STRICT;
CREATE INDEX sso_assertions_expiry ON sso_assertions(expires_at);
