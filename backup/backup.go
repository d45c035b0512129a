// Package backup makes, lists, verifies, prunes and restores snapshots of
// an Optiq data directory: control.db and every tenants/<ws>/data.db,
// copied online with VACUUM INTO (a consistent snapshot while the server
// keeps writing), integrity-checked, described by a manifest of SHA-256
// sums and optionally encrypted to an administrator's age recipient.
//
// A snapshot is written into a temporary directory and renamed into
// DATA/backups/<stamp> only when complete, so a process killed mid-backup
// leaves a temporary directory (removed by the next run) and never a
// half-listed backup. Derived indexes are not backed up: they are rebuilt
// from the SQLite files.
package backup

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"filippo.io/age"
	_ "modernc.org/sqlite" // the SQLite driver
)

// ManifestName is the manifest file in every backup directory.
const ManifestName = "manifest.json"

// stampLayout names backup directories: sortable, UTC, no colons.
const stampLayout = "20060102T150405.000Z"

// Manifest describes one backup.
type Manifest struct {
	Format    int       `json:"format"`
	Created   time.Time `json:"created"`
	Encrypted bool      `json:"encrypted"` // files are age-encrypted (name + ".age")
	Files     []File    `json:"files"`
}

// File is one file of a backup.
type File struct {
	// Path is relative to the backup directory, with forward slashes:
	// "control.db" or "tenants/<ws>/data.db" (+ ".age" when encrypted).
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Info is a listed backup.
type Info struct {
	Name string `json:"name"`
	Dir  string `json:"dir"`
	Manifest
	Bytes int64 `json:"bytes"`
}

// Options configure Create.
type Options struct {
	// Recipient, if set, is an age recipient ("age1…"): every file is
	// encrypted to it and only the matching identity can restore.
	Recipient string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Dir returns the backups directory of a data directory.
func Dir(dataDir string) string { return filepath.Join(dataDir, "backups") }

// ParseRecipient checks an age recipient string.
func ParseRecipient(s string) (age.Recipient, error) {
	r, err := age.ParseX25519Recipient(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("backup encryption recipient %q is not an age X25519 recipient (age1…): %w", s, err)
	}
	return r, nil
}

// LoadIdentities reads age identities (AGE-SECRET-KEY-1…) from a file.
func LoadIdentities(file string) ([]age.Identity, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("age identity file: %w", err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("age identity file %s: %w", file, err)
	}
	return ids, nil
}

// sources lists the SQLite files of a data directory, relative to it.
func sources(dataDir string) ([]string, error) {
	if _, err := os.Stat(filepath.Join(dataDir, "control.db")); err != nil {
		return nil, fmt.Errorf("%s is not an Optiq data directory (no control.db): %w", dataDir, err)
	}
	out := []string{"control.db"}
	tenants, err := filepath.Glob(filepath.Join(dataDir, "tenants", "*", "data.db"))
	if err != nil {
		return nil, err
	}
	sort.Strings(tenants)
	for _, t := range tenants {
		ws := filepath.Base(filepath.Dir(t))
		if strings.HasPrefix(ws, ".") {
			continue
		}
		out = append(out, "tenants/"+ws+"/data.db")
	}
	return out, nil
}

// Create snapshots dataDir into DATA/backups/<stamp> and returns it. Only
// one backup of a data directory runs at a time; temporary directories
// left by an interrupted backup are removed first.
func Create(ctx context.Context, dataDir string, opts Options) (Info, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	var rcpt age.Recipient
	if opts.Recipient != "" {
		r, err := ParseRecipient(opts.Recipient)
		if err != nil {
			return Info{}, err
		}
		rcpt = r
	}
	srcs, err := sources(dataDir)
	if err != nil {
		return Info{}, err
	}
	root := Dir(dataDir)
	if err := os.MkdirAll(root, 0o700); err != nil {
		return Info{}, fmt.Errorf("create %s: %w", root, err)
	}
	unlock, err := lockFile(filepath.Join(root, ".lock"), "another backup of this data directory is running: wait for it to finish")
	if err != nil {
		return Info{}, err
	}
	defer unlock()
	removeTemporaries(root)

	created := opts.Now().UTC()
	name := created.Format(stampLayout)
	if _, err := os.Stat(filepath.Join(root, name)); err == nil {
		return Info{}, fmt.Errorf("backup %s already exists: try again in a moment", name)
	}
	tmp, err := os.MkdirTemp(root, ".tmp-"+name+"-")
	if err != nil {
		return Info{}, err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	m := Manifest{Format: 1, Created: created, Encrypted: rcpt != nil}
	for _, rel := range srcs {
		if err := ctx.Err(); err != nil {
			return Info{}, err
		}
		dst := filepath.Join(tmp, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return Info{}, err
		}
		if err := snapshot(ctx, filepath.Join(dataDir, filepath.FromSlash(rel)), dst); err != nil {
			return Info{}, fmt.Errorf("snapshot %s: %w", rel, err)
		}
		if err := IntegrityCheck(ctx, dst); err != nil {
			return Info{}, fmt.Errorf("snapshot %s: %w", rel, err)
		}
		if rcpt != nil {
			if err := encryptFile(dst, dst+".age", rcpt); err != nil {
				return Info{}, fmt.Errorf("encrypt %s: %w", rel, err)
			}
			if err := os.Remove(dst); err != nil {
				return Info{}, err
			}
			dst, rel = dst+".age", rel+".age"
		}
		sum, size, err := hashFile(dst)
		if err != nil {
			return Info{}, err
		}
		if err := syncFile(dst); err != nil {
			return Info{}, err
		}
		m.Files = append(m.Files, File{Path: rel, Size: size, SHA256: sum})
	}
	body, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, ManifestName), append(body, '\n'), 0o600); err != nil {
		return Info{}, err
	}
	if err := syncFile(filepath.Join(tmp, ManifestName)); err != nil {
		return Info{}, err
	}
	if err := syncTree(tmp); err != nil {
		return Info{}, err
	}
	final := filepath.Join(root, name)
	if err := os.Rename(tmp, final); err != nil {
		return Info{}, err
	}
	ok = true
	syncDir(root)
	return info(root, name, m), nil
}

// snapshot copies the live database src into dst with VACUUM INTO, which
// reads one consistent transaction of src while other connections write.
func snapshot(ctx context.Context, src, dst string) error {
	db, err := sql.Open("sqlite", "file:"+src+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	_, err = db.ExecContext(ctx, `VACUUM INTO ?`, dst)
	return err
}

// IntegrityCheck runs PRAGMA integrity_check on a SQLite file without
// changing it (opened immutable: no journal, no locks).
func IntegrityCheck(ctx context.Context, file string) error {
	if _, err := os.Stat(file); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+file+"?mode=ro&immutable=1")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("integrity check failed: %s", strings.Join(problems[:min(5, len(problems))], "; "))
	}
	return nil
}

func encryptFile(src, dst string, r age.Recipient) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	w, err := age.Encrypt(out, r)
	if err != nil {
		out.Close()
		return err
	}
	if _, err := io.Copy(w, in); err != nil {
		out.Close()
		return err
	}
	if err := w.Close(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func decryptFile(src, dst string, ids []age.Identity) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	r, err := age.Decrypt(in, ids...)
	if err != nil {
		return fmt.Errorf("decrypt %s: %w (is it the identity matching the backup recipient?)", filepath.Base(src), err)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return fmt.Errorf("decrypt %s: %w", filepath.Base(src), err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func hashFile(file string) (sum string, size int64, err error) {
	f, err := os.Open(file)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	size, err = io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), size, err
}

func syncFile(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// syncTree syncs every directory under root (files are synced as written).
func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			syncDir(p)
		}
		return nil
	})
}

// removeTemporaries deletes what interrupted backups left behind. The
// caller holds the backups lock, so none of them is in progress.
func removeTemporaries(root string) {
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), ".tmp-") {
			os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}

func info(root, name string, m Manifest) Info {
	in := Info{Name: name, Dir: filepath.Join(root, name), Manifest: m}
	for _, f := range m.Files {
		in.Bytes += f.Size
	}
	return in
}

// ReadManifest reads the manifest of the backup in dir.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return m, fmt.Errorf("%s is not a complete backup (no readable %s): %w", dir, ManifestName, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: manifest is corrupt: %w", dir, err)
	}
	if m.Format != 1 {
		return m, fmt.Errorf("%s: manifest format %d is unknown to this version of optiq: upgrade optiq", dir, m.Format)
	}
	for _, f := range m.Files {
		if !validRel(f.Path) {
			return m, fmt.Errorf("%s: manifest names an invalid path %q", dir, f.Path)
		}
	}
	return m, nil
}

// validRel accepts exactly the paths a backup contains, so that a crafted
// manifest cannot make restore write outside the data directory.
func validRel(p string) bool {
	p = strings.TrimSuffix(p, ".age")
	if p == "control.db" {
		return true
	}
	parts := strings.Split(p, "/")
	return len(parts) == 3 && parts[0] == "tenants" && parts[2] == "data.db" &&
		parts[1] != "" && !strings.HasPrefix(parts[1], ".") && !strings.ContainsAny(parts[1], `\`)
}

// List returns the complete backups of dataDir, oldest first. Temporary
// directories of running or interrupted backups are not listed.
func List(dataDir string) ([]Info, error) {
	root := Dir(dataDir)
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if _, err := time.Parse(stampLayout, e.Name()); err != nil {
			continue
		}
		m, err := ReadManifest(filepath.Join(root, e.Name()))
		if err != nil {
			continue
		}
		out = append(out, info(root, e.Name(), m))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Verify checks the backup in dir: every file in the manifest present
// with its size and SHA-256, nothing else present, and each database
// passing PRAGMA integrity_check. Encrypted backups are decrypted into a
// temporary directory for the integrity check when ids are given, else
// only their checksums are verified (checked reports which).
func Verify(ctx context.Context, dir string, ids []age.Identity) (m Manifest, integrityChecked bool, err error) {
	m, err = ReadManifest(dir)
	if err != nil {
		return m, false, err
	}
	if len(m.Files) == 0 || strings.TrimSuffix(m.Files[0].Path, ".age") != "control.db" {
		return m, false, fmt.Errorf("%s: manifest lists no control.db", dir)
	}
	listed := map[string]bool{ManifestName: true}
	var problems []string
	for _, f := range m.Files {
		listed[f.Path] = true
		sum, size, err := hashFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: %v", f.Path, err))
		case size != f.Size:
			problems = append(problems, fmt.Sprintf("%s: %d bytes, manifest says %d", f.Path, size, f.Size))
		case sum != f.SHA256:
			problems = append(problems, fmt.Sprintf("%s: SHA-256 differs from the manifest", f.Path))
		}
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			if !listed[filepath.ToSlash(rel)] {
				problems = append(problems, fmt.Sprintf("%s: not in the manifest", filepath.ToSlash(rel)))
			}
		}
		return nil
	})
	if len(problems) > 0 {
		return m, false, fmt.Errorf("backup %s is damaged: %s", dir, strings.Join(problems, "; "))
	}
	if m.Encrypted && len(ids) == 0 {
		return m, false, nil
	}
	scratch := ""
	if m.Encrypted {
		scratch, err = os.MkdirTemp("", "optiq-verify-")
		if err != nil {
			return m, false, err
		}
		defer os.RemoveAll(scratch)
	}
	for i, f := range m.Files {
		file := filepath.Join(dir, filepath.FromSlash(f.Path))
		if m.Encrypted {
			plain := filepath.Join(scratch, fmt.Sprintf("%d.db", i))
			if err := decryptFile(file, plain, ids); err != nil {
				return m, false, err
			}
			file = plain
		}
		if err := IntegrityCheck(ctx, file); err != nil {
			return m, false, fmt.Errorf("%s: %w", f.Path, err)
		}
		if scratch != "" {
			os.Remove(file)
		}
	}
	return m, true, nil
}

// Prune deletes backups created before now-retention, always keeping the
// newest, and returns the names deleted.
func Prune(dataDir string, retention time.Duration, now time.Time) ([]string, error) {
	all, err := List(dataDir)
	if err != nil || len(all) <= 1 {
		return nil, err
	}
	var removed []string
	for _, b := range all[:len(all)-1] {
		if now.Sub(b.Created) <= retention {
			continue
		}
		if err := os.RemoveAll(b.Dir); err != nil {
			return removed, fmt.Errorf("remove old backup %s: %w", b.Name, err)
		}
		removed = append(removed, b.Name)
	}
	return removed, nil
}

// Latest returns the newest complete backup, if any.
func Latest(dataDir string) (Info, bool, error) {
	all, err := List(dataDir)
	if err != nil || len(all) == 0 {
		return Info{}, false, err
	}
	return all[len(all)-1], true, nil
}

// lockFile takes an exclusive, non-blocking lock on file (created if
// needed). The kernel drops the lock when the process dies, so a killed
// process never leaves a stale lock.
func lockFile(file, busy string) (func(), error) {
	f, err := os.OpenFile(file, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", file, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errors.New(busy)
		}
		return nil, fmt.Errorf("lock %s: %w", file, err)
	}
	return func() { f.Close() }, nil
}

// LockDataDir marks dataDir as in use by a server (DATA/.lock) for as long
// as the returned function is not called. Restore refuses a locked data
// directory.
func LockDataDir(dataDir string) (func(), error) {
	return lockFile(filepath.Join(dataDir, ".lock"),
		"data directory "+dataDir+" is in use by a running optiq server: stop it first (systemctl stop optiq)")
}

// newSuffix returns a short random suffix for scratch names.
func newSuffix() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
