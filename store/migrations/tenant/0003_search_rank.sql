-- Search ranks a symbol within its match tier by kind, path class and path
-- length, then path and line (app.Ranking). rank packs the first three, so
-- that each tier's best rows come from the index in order:
-- (KindRank(kind) * 3 + pathClass(path, generated)) << 32 | len(path).
-- Files never change path or generated flag once stored, so neither does
-- rank. optiq_symbol_rank is the Go function that computes it at insert.
ALTER TABLE symbols ADD COLUMN rank INTEGER NOT NULL DEFAULT 0;
-- A symbol whose file row is missing (damage from outside) gets rank 0
-- rather than failing the migration and locking the workspace out.
UPDATE symbols SET rank = COALESCE((SELECT optiq_symbol_rank(symbols.kind, f.path, f.generated) FROM files f WHERE f.id = symbols.file_id), 0);
-- symbols_lname is a prefix of symbols_rank.
DROP INDEX symbols_lname;
CREATE INDEX symbols_rank ON symbols(lname, rank);
