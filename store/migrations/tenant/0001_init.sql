CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) STRICT;
INSERT INTO meta (key, value) VALUES ('index_version', 0);

CREATE TABLE repos (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL UNIQUE,
	key_check     BLOB NOT NULL,
	no_embeddings INTEGER NOT NULL DEFAULT 0,
	generation    INTEGER NOT NULL DEFAULT 0,
	indexed_at    INTEGER,
	-- live totals, updated by each commit
	files         INTEGER NOT NULL DEFAULT 0,
	symbols       INTEGER NOT NULL DEFAULT 0,
	bytes         INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE index_sessions (
	id              TEXT PRIMARY KEY,
	repo_id         TEXT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
	base_generation INTEGER NOT NULL,
	need            TEXT NOT NULL, -- JSON array of paths
	drop_paths      TEXT NOT NULL, -- JSON array of paths
	created_at      INTEGER NOT NULL
) STRICT;

-- Files are uploaded straight into this table as pending rows of their
-- index session (session_id set); the commit deletes the rows they replace
-- and makes them live (session_id NULL) in one transaction. An abandoned
-- session's rows go with the session.
-- content is a sealed blob; path, language and size are documented plaintext.
CREATE TABLE files (
	id          INTEGER PRIMARY KEY,
	repo_id     TEXT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
	session_id  TEXT REFERENCES index_sessions(id) ON DELETE CASCADE,
	path        TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	language    TEXT NOT NULL DEFAULT '',
	size        INTEGER NOT NULL,
	generated   INTEGER NOT NULL DEFAULT 0, -- the client found a generated-code marker
	content     BLOB NOT NULL
) STRICT;
CREATE UNIQUE INDEX files_live ON files(repo_id, path) WHERE session_id IS NULL;
CREATE UNIQUE INDEX files_pending ON files(session_id, path) WHERE session_id IS NOT NULL;

-- signature and doc are sealed blobs; the rest is documented plaintext.
CREATE TABLE symbols (
	id        INTEGER PRIMARY KEY,
	file_id   INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
	name      TEXT NOT NULL,
	lname     TEXT NOT NULL, -- lower(name), the key into the name index
	kind      TEXT NOT NULL,
	container TEXT NOT NULL DEFAULT '',
	line      INTEGER NOT NULL,
	end_line  INTEGER NOT NULL,
	signature BLOB,
	doc       BLOB
) STRICT;
CREATE INDEX symbols_file ON symbols(file_id);
CREATE INDEX symbols_lname ON symbols(lname);

-- The vocabulary: how many live symbols carry each lower-case name. The
-- derived lexical index holds one document per row.
CREATE TABLE names (
	lname TEXT PRIMARY KEY,
	name  TEXT NOT NULL, -- one spelling
	n     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
