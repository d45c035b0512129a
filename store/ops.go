package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// This file holds what the server's operations need from the data
// directory: readiness probes, the cleanup of abandoned index sessions and
// the sizes reported as metrics.

// ProbeWrite makes a round trip through control.db: it writes the current
// time into a one-row table through the writer connection and reads it
// back through the reader pool. The table holds nothing else and is
// created on first use, so the probe never touches product data.
func (s *Store) ProbeWrite(ctx context.Context) error {
	stamp := time.Now().UnixNano()
	err := s.control.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS readiness_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL) STRICT`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO readiness_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at`, stamp)
		return err
	})
	if err != nil {
		return fmt.Errorf("control database write: %w", err)
	}
	var got int64
	if err := s.control.read.QueryRowContext(ctx, `SELECT at FROM readiness_probe WHERE id = 1`).Scan(&got); err != nil {
		return fmt.Errorf("control database read: %w", err)
	}
	if got != stamp {
		return fmt.Errorf("control database read back %d after writing %d", got, stamp)
	}
	return nil
}

// WorkspaceIDs lists every workspace id.
func (s *Store) WorkspaceIDs(ctx context.Context) ([]string, error) {
	return queryStrings(ctx, s.control.read, `SELECT id FROM workspaces ORDER BY id`)
}

// ProbeTenant opens one workspace's data.db (the first by id) and reads
// from it. It returns the workspace probed, "" when there is none.
func (s *Store) ProbeTenant(ctx context.Context) (string, error) {
	var id string
	err := s.control.read.QueryRowContext(ctx, `SELECT id FROM workspaces ORDER BY id LIMIT 1`).Scan(&id)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("list workspaces: %w", err)
	}
	t, err := s.tenants.acquire(ctx, id)
	if err != nil {
		return id, fmt.Errorf("open workspace %s: %w", id, err)
	}
	defer s.tenants.release(t)
	var n int
	if err := t.db.read.QueryRowContext(ctx, `SELECT count(*) FROM repos`).Scan(&n); err != nil {
		return id, fmt.Errorf("read workspace %s: %w", id, err)
	}
	return id, nil
}

// CleanupIndexSessions deletes index sessions begun more than maxAge ago
// in every workspace, with the files they staged (ON DELETE CASCADE). A
// client that comes back later starts a new session. It returns how many
// sessions were deleted.
func (s *Store) CleanupIndexSessions(ctx context.Context, maxAge time.Duration) (int64, error) {
	ids, err := s.WorkspaceIDs(ctx)
	if err != nil {
		return 0, err
	}
	cutoff := s.opts.Now().Add(-maxAge).Unix()
	var total int64
	for _, id := range ids {
		if _, err := os.Stat(filepath.Join(s.tenantDir(id), "data.db")); err != nil {
			continue // never opened: nothing staged
		}
		t, err := s.tenants.acquire(ctx, id)
		if err != nil {
			return total, fmt.Errorf("open workspace %s: %w", id, err)
		}
		var n int64
		err = t.db.Tx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM index_sessions WHERE created_at < ?`, cutoff)
			if err == nil {
				n, err = res.RowsAffected()
			}
			return err
		})
		s.tenants.release(t)
		if err != nil {
			return total, fmt.Errorf("workspace %s: %w", id, err)
		}
		total += n
	}
	return total, nil
}

// WorkspaceSize is the disk use of one workspace.
type WorkspaceSize struct {
	Data  int64 // data.db with its WAL
	Index int64 // derived indexes (lexical and vectors)
}

// WorkspaceSizes returns the disk use of every workspace directory.
func (s *Store) WorkspaceSizes() (map[string]WorkspaceSize, error) {
	entries, err := os.ReadDir(filepath.Join(s.dir, "tenants"))
	if err != nil {
		return nil, err
	}
	out := map[string]WorkspaceSize{}
	for _, e := range entries {
		if !e.IsDir() || !wsIDRE.MatchString(e.Name()) {
			continue
		}
		var sz WorkspaceSize
		root := filepath.Join(s.dir, "tenants", e.Name())
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			if strings.HasPrefix(rel, "data.db") {
				sz.Data += fi.Size()
			} else {
				sz.Index += fi.Size()
			}
			return nil
		})
		out[e.Name()] = sz
	}
	return out, nil
}
