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
	// Not cut short by the request that opened the workspace: others wait
	// for the same open.
	ctx = context.WithoutCancel(ctx)
	return db.Tx(ctx, func(tx *sql.Tx) error {
		// As migration 0003: a symbol without its file row gets rank 0.
		// Rows whose rank stays are not written.
		if _, err := tx.ExecContext(ctx, `UPDATE symbols SET rank = r.v FROM (SELECT s.id, CASE WHEN f.id IS NULL THEN 0 ELSE optiq_symbol_rank(s.kind, f.path, f.generated) END AS v
			FROM symbols s LEFT JOIN files f ON f.id = s.file_id) r WHERE r.id = symbols.id AND symbols.rank IS NOT r.v`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, metaRankVersion, rankVersion)
		return err
	})
}
