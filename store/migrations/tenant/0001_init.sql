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
	created_at    INTEGER NOT NULL
) STRICT;

-- content is a sealed blob; path, language and size are documented plaintext.
CREATE TABLE files (
	id          INTEGER PRIMARY KEY,
	repo_id     TEXT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
	path        TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	language    TEXT NOT NULL DEFAULT '',
	size        INTEGER NOT NULL,
	content     BLOB NOT NULL,
	UNIQUE (repo_id, path)
) STRICT;

-- signature and doc are sealed blobs; the rest is documented plaintext.
CREATE TABLE symbols (
	id        INTEGER PRIMARY KEY,
	file_id   INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
	name      TEXT NOT NULL,
	kind      TEXT NOT NULL,
	container TEXT NOT NULL DEFAULT '',
	line      INTEGER NOT NULL,
	end_line  INTEGER NOT NULL,
	signature BLOB,
	doc       BLOB
) STRICT;
CREATE INDEX symbols_file ON symbols(file_id);

CREATE TABLE index_sessions (
	id              TEXT PRIMARY KEY,
	repo_id         TEXT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
	base_generation INTEGER NOT NULL,
	need            TEXT NOT NULL, -- JSON array of paths
	drop_paths      TEXT NOT NULL, -- JSON array of paths
	created_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE staged_files (
	session_id  TEXT NOT NULL REFERENCES index_sessions(id) ON DELETE CASCADE,
	path        TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	language    TEXT NOT NULL,
	size        INTEGER NOT NULL,
	content     BLOB NOT NULL,
	symbols     BLOB NOT NULL, -- JSON of the file's encrypted symbols
	PRIMARY KEY (session_id, path)
) STRICT;
