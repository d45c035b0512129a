// Package store keeps Optiq's state in SQLite: control.db for accounts,
// credentials and workspaces, and one data.db per workspace (the tenant)
// for repos, files, symbols and sealed blobs. It also keeps each tenant's
// derived index in step with its data.db.
//
// Every file is opened the same way (busy_timeout first, WAL, foreign keys,
// synchronous=NORMAL) with a pool of readers and a single writer, and migrated
// with numbered, embedded SQL files tracked in PRAGMA user_version.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"runtime"
	"sort"
	"strings"

	"github.com/optiq/optiq/app"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations
var migrations embed.FS

// DB is one SQLite file with a reader pool and a single writer connection.
type DB struct {
	Path  string
	read  *sql.DB
	write *sql.DB
}

func dsn(file string, readOnly bool) string {
	v := url.Values{}
	// busy_timeout must come first so that the pragmas after it wait
	// rather than fail while another process holds a lock.
	v.Add("_pragma", "busy_timeout(10000)")
	v.Add("_pragma", "journal_mode(WAL)")
	v.Add("_pragma", "foreign_keys(1)")
	v.Add("_pragma", "synchronous(NORMAL)")
	v.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		v.Add("_pragma", "query_only(1)")
	} else {
		v.Set("_txlock", "immediate")
	}
	return "file:" + file + "?" + v.Encode()
}

// openDB opens (creating if needed) and migrates the SQLite file at file
// with the migrations under migrations/<set>.
func openDB(ctx context.Context, file, set string) (*DB, error) {
	w, err := sql.Open("sqlite", dsn(file, false))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	db := &DB{Path: file, write: w}
	if err := db.migrate(ctx, set); err != nil {
		w.Close()
		return nil, fmt.Errorf("migrate %s: %w", file, err)
	}
	r, err := sql.Open("sqlite", dsn(file, true))
	if err != nil {
		w.Close()
		return nil, err
	}
	n := max(4, runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	db.read = r
	return db, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.read.Close(), db.write.Close())
}

func (db *DB) migrate(ctx context.Context, set string) error {
	dir := path.Join("migrations", set)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	// user_version counts applied files, so the files must be numbered
	// 0001, 0002, … without gaps: a file numbered out of turn would be
	// skipped on databases that already ran the files after it.
	for i, n := range names {
		if want := fmt.Sprintf("%04d_", i+1); !strings.HasPrefix(n, want) || !strings.HasSuffix(n, ".sql") {
			return fmt.Errorf("migration %s/%s is out of sequence: expected a name starting with %s", set, n, want)
		}
	}
	var version int
	if err := db.write.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	if version > len(names) {
		return fmt.Errorf("database is at schema version %d, newer than this binary knows (%d): upgrade optiq", version, len(names))
	}
	for i := version; i < len(names); i++ {
		body, err := migrations.ReadFile(path.Join(dir, names[i]))
		if err != nil {
			return err
		}
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("%s: %w", names[i], err)
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Tx runs fn in one write transaction, committing if it returns nil.
func (db *DB) Tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return mapError(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return mapError(err)
	}
	return mapError(tx.Commit())
}

// mapError turns SQLite errors into app errors (constraint → conflict).
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var ae *app.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return app.WrapError(app.ENOTFOUND, err, "not found")
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return app.WrapError(app.ECONFLICT, err, "already exists")
		case sqlite3.SQLITE_FULL:
			return app.WrapError(app.EINTERNAL, err, "disk full")
		}
		if se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT {
			return app.WrapError(app.EINVALID, err, "constraint violated")
		}
	}
	return err
}

// placeholders returns "?,?,?" for n arguments.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
