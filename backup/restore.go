package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
)

// Restored says what Restore did.
type Restored struct {
	Manifest Manifest `json:"manifest"`
	// Previous is where the data directory's former databases were moved
	// ("" if it had none); delete it once the restored server works.
	Previous string `json:"previous,omitempty"`
}

// Restore replaces the databases of dataDir with the backup in from. The
// server must be stopped (the data directory lock is taken). The backup is
// verified first; the former control.db and tenants/ are moved aside, not
// deleted; derived indexes are not restored, so each workspace rebuilds
// its index from data.db when it is next opened. Encrypted backups need
// the identities matching their recipient.
func Restore(ctx context.Context, from, dataDir string, ids []age.Identity) (Restored, error) {
	m, _, err := Verify(ctx, from, ids)
	if err != nil {
		return Restored{}, err
	}
	if m.Encrypted && len(ids) == 0 {
		return Restored{}, errors.New("the backup is encrypted: pass the age identity file that matches its recipient with --identity")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return Restored{}, fmt.Errorf("create %s: %w", dataDir, err)
	}
	unlock, err := LockDataDir(dataDir)
	if err != nil {
		return Restored{}, err
	}
	defer unlock()

	staging := filepath.Join(dataDir, ".restore-"+newSuffix())
	if err := os.Mkdir(staging, 0o700); err != nil {
		return Restored{}, err
	}
	defer os.RemoveAll(staging)
	for _, f := range m.Files {
		rel := strings.TrimSuffix(f.Path, ".age")
		src, dst := filepath.Join(from, filepath.FromSlash(f.Path)), filepath.Join(staging, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return Restored{}, err
		}
		if m.Encrypted {
			err = decryptFile(src, dst, ids)
		} else {
			err = copyFile(src, dst)
		}
		if err != nil {
			return Restored{}, fmt.Errorf("restore %s: %w", rel, err)
		}
		if err := IntegrityCheck(ctx, dst); err != nil {
			return Restored{}, fmt.Errorf("restore %s: %w", rel, err)
		}
	}
	if err := os.MkdirAll(filepath.Join(staging, "tenants"), 0o700); err != nil {
		return Restored{}, err
	}
	syncTree(staging)

	var r Restored
	r.Manifest = m
	aside := filepath.Join(dataDir, ".pre-restore-"+time.Now().UTC().Format(stampLayout))
	for _, name := range []string{"control.db", "control.db-wal", "control.db-shm", "tenants"} {
		old := filepath.Join(dataDir, name)
		if _, err := os.Lstat(old); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if r.Previous == "" {
			if err := os.Mkdir(aside, 0o700); err != nil {
				return r, err
			}
			r.Previous = aside
		}
		if err := os.Rename(old, filepath.Join(aside, name)); err != nil {
			return r, fmt.Errorf("move the current %s aside: %w", name, err)
		}
	}
	for _, name := range []string{"control.db", "tenants"} {
		if err := os.Rename(filepath.Join(staging, name), filepath.Join(dataDir, name)); err != nil {
			return r, fmt.Errorf("move the restored %s into place: %w (the former files are in %s)", name, err, aside)
		}
	}
	syncDir(dataDir)
	return r, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
