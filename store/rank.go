package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/optiq/optiq/app"
)

// rankVersion names the rules the packed rank column was computed by:
// app.RankVersion (KindRank and PathClass) and packRank's layout here.
// Change packVersion when the layout changes; a tenant whose column was
// computed by other rules computes it again when it is opened.
const (
	packVersion     = 1
	rankVersion     = app.RankVersion*1000 + packVersion
	metaRankVersion = "rank_version"
)

// syncRanks recomputes every symbol's rank when the stored ranks were
// computed by rules other than this binary's (rankVersion), or by a
// binary that did not record them (every database before the record
// began, once). One UPDATE in one transaction, at open: the workspace
// waits for it, as for migrations.
func syncRanks(ctx context.Context, db *DB) error {
	have, err := metaValue(ctx, db.read, metaRankVersion)
	if err == nil && have == rankVersion {
		return nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		// As migration 0003: a symbol without its file row gets rank 0.
		if _, err := tx.ExecContext(ctx, `UPDATE symbols SET rank = COALESCE((SELECT optiq_symbol_rank(symbols.kind, f.path, f.generated) FROM files f WHERE f.id = symbols.file_id), 0)`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, metaRankVersion, rankVersion)
		return err
	})
}
