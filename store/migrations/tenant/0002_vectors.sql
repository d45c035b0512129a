-- Semantic search. A symbol's vector is its int8-quantised embedding
-- (plaintext, like names: DESIGN §4), computed by the client with the repo's
-- own model; the model itself is stored only sealed.
ALTER TABLE symbols ADD COLUMN vec BLOB;

ALTER TABLE repos ADD COLUMN model BLOB;                             -- sealed
ALTER TABLE repos ADD COLUMN model_id TEXT NOT NULL DEFAULT '';      -- keyed fingerprint of the model
ALTER TABLE repos ADD COLUMN model_dims INTEGER NOT NULL DEFAULT 0;

-- What an index session carries: the model its vectors come from (a new
-- one, uploaded to the session, or the repo's at the session's start), and
-- whether it replaces every file.
ALTER TABLE index_sessions ADD COLUMN model BLOB;
ALTER TABLE index_sessions ADD COLUMN model_id TEXT NOT NULL DEFAULT '';
ALTER TABLE index_sessions ADD COLUMN model_dims INTEGER NOT NULL DEFAULT 0;
ALTER TABLE index_sessions ADD COLUMN new_model INTEGER NOT NULL DEFAULT 0;
ALTER TABLE index_sessions ADD COLUMN no_embeddings INTEGER NOT NULL DEFAULT 0;

-- Counts the commits that changed vectors: the derived vector index files
-- record the count they reflect.
INSERT INTO meta (key, value) VALUES ('vector_version', 0);
