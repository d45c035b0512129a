package backup_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	_ "modernc.org/sqlite"

	"github.com/optiq/optiq/backup"
)

// makeData creates a data directory with control.db and two tenant files,
// each holding rows rows of payload bytes, in WAL mode like the server's.
func makeData(t testing.TB, rows, payload int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	for _, rel := range []string{"control.db", "tenants/w_aaaaaaaaaaaaaaaa/data.db", "tenants/w_bbbbbbbbbbbbbbbb/data.db"} {
		file := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
			t.Fatal(err)
		}
		db := openDB(t, file)
		exec1(t, db, `CREATE TABLE kv (k INTEGER PRIMARY KEY, v BLOB NOT NULL)`)
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			b := make([]byte, payload)
			rand.Read(b)
			if _, err := tx.Exec(`INSERT INTO kv VALUES (?, ?)`, i, b); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	return dir
}

func openDB(t testing.TB, file string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	return db
}

func exec1(t testing.TB, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func count(t testing.TB, file string) int {
	t.Helper()
	// Read-only and immutable, so counting changes nothing (a backup copy
	// must keep its checksum).
	db, err := sql.Open("sqlite", "file:"+file+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM kv`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateListVerify(t *testing.T) {
	ctx := context.Background()
	data := makeData(t, 50, 100)
	// A write connection stays open during the backup, as in the server.
	live := openDB(t, filepath.Join(data, "control.db"))
	defer live.Close()
	exec1(t, live, `INSERT INTO kv VALUES (1000, x'00')`)

	b, err := backup.Create(ctx, data, backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range b.Files {
		paths = append(paths, f.Path)
		if len(f.SHA256) != 64 || f.Size == 0 {
			t.Errorf("%s: sum %q size %d", f.Path, f.SHA256, f.Size)
		}
	}
	want := []string{"control.db", "tenants/w_aaaaaaaaaaaaaaaa/data.db", "tenants/w_bbbbbbbbbbbbbbbb/data.db"}
	if !slices.Equal(paths, want) {
		t.Fatalf("files %v, want %v", paths, want)
	}
	if n := count(t, filepath.Join(b.Dir, "control.db")); n != 51 {
		t.Errorf("control.db copy has %d rows, want 51 (the committed write included)", n)
	}
	list, err := backup.List(data)
	if err != nil || len(list) != 1 || list[0].Name != b.Name {
		t.Fatalf("List = %v, %v", list, err)
	}
	if _, checked, err := backup.Verify(ctx, b.Dir, nil); err != nil || !checked {
		t.Fatalf("Verify = %v, %v", checked, err)
	}

	// A changed byte, a missing file and an extra file are each reported.
	victim := filepath.Join(b.Dir, "tenants", "w_aaaaaaaaaaaaaaaa", "data.db")
	orig, _ := os.ReadFile(victim)
	bad := slices.Clone(orig)
	bad[len(bad)/2] ^= 0xff
	os.WriteFile(victim, bad, 0o600)
	if _, _, err := backup.Verify(ctx, b.Dir, nil); err == nil || !strings.Contains(err.Error(), "w_aaaaaaaaaaaaaaaa/data.db: SHA-256") {
		t.Errorf("tampered file: %v", err)
	}
	os.WriteFile(victim, orig, 0o600)
	os.WriteFile(filepath.Join(b.Dir, "extra"), []byte("x"), 0o600)
	if _, _, err := backup.Verify(ctx, b.Dir, nil); err == nil || !strings.Contains(err.Error(), "extra: not in the manifest") {
		t.Errorf("extra file: %v", err)
	}
	os.Remove(filepath.Join(b.Dir, "extra"))
	os.Remove(victim)
	if _, _, err := backup.Verify(ctx, b.Dir, nil); err == nil || !strings.Contains(err.Error(), "w_aaaaaaaaaaaaaaaa/data.db") {
		t.Errorf("missing file: %v", err)
	}
}

func TestIntegrityCheckFindsCorruption(t *testing.T) {
	data := makeData(t, 400, 200)
	file := filepath.Join(data, "control.db")
	db := openDB(t, file)
	exec1(t, db, `PRAGMA wal_checkpoint(TRUNCATE)`)
	exec1(t, db, `CREATE INDEX kv_v ON kv(v)`)
	exec1(t, db, `PRAGMA wal_checkpoint(TRUNCATE)`)
	db.Close()
	if err := backup.IntegrityCheck(context.Background(), file); err != nil {
		t.Fatalf("healthy file: %v", err)
	}
	// Scribble over the middle of the file (index and table pages).
	b, _ := os.ReadFile(file)
	for i := len(b) / 2; i < len(b)/2+8192 && i < len(b); i++ {
		b[i] = 0x5a
	}
	os.WriteFile(file, b, 0o600)
	if err := backup.IntegrityCheck(context.Background(), file); err == nil {
		t.Fatal("a scribbled-over file passed the integrity check")
	}
}

func TestEncryptedBackup(t *testing.T) {
	ctx := context.Background()
	data := makeData(t, 20, 64)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Create(ctx, data, backup.Options{Recipient: "age1nonsense"}); err == nil || !strings.Contains(err.Error(), "age X25519 recipient") {
		t.Fatalf("bad recipient: %v", err)
	}
	b, err := backup.Create(ctx, data, backup.Options{Recipient: id.Recipient().String()})
	if err != nil {
		t.Fatal(err)
	}
	if !b.Encrypted {
		t.Fatal("manifest does not say encrypted")
	}
	// No plaintext SQLite file in the backup.
	filepath.WalkDir(b.Dir, func(p string, d os.DirEntry, err error) error {
		if d.IsDir() || d.Name() == backup.ManifestName {
			return nil
		}
		if !strings.HasSuffix(p, ".age") {
			t.Errorf("%s is not encrypted", p)
		}
		head := make([]byte, 16)
		f, _ := os.Open(p)
		f.Read(head)
		f.Close()
		if strings.HasPrefix(string(head), "SQLite format 3") {
			t.Errorf("%s holds a plaintext database", p)
		}
		return nil
	})
	if _, checked, err := backup.Verify(ctx, b.Dir, nil); err != nil || checked {
		t.Fatalf("Verify without identity = %v, %v; want checksums only", checked, err)
	}
	if _, checked, err := backup.Verify(ctx, b.Dir, []age.Identity{id}); err != nil || !checked {
		t.Fatalf("Verify with identity = %v, %v", checked, err)
	}
	other, _ := age.GenerateX25519Identity()
	if _, _, err := backup.Verify(ctx, b.Dir, []age.Identity{other}); err == nil {
		t.Fatal("Verify with the wrong identity succeeded")
	}
	target := filepath.Join(t.TempDir(), "restored")
	if _, err := backup.Restore(ctx, b.Dir, target, nil); err == nil || !strings.Contains(err.Error(), "--identity") {
		t.Fatalf("restore of an encrypted backup without identity: %v", err)
	}
	if _, err := backup.Restore(ctx, b.Dir, target, []age.Identity{id}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, filepath.Join(target, "tenants", "w_bbbbbbbbbbbbbbbb", "data.db")); n != 20 {
		t.Fatalf("restored tenant has %d rows, want 20", n)
	}
}

func TestPrune(t *testing.T) {
	data := makeData(t, 1, 10)
	base := time.Date(2026, 1, 10, 3, 0, 0, 0, time.UTC)
	var names []string
	for _, daysAgo := range []int{9, 8, 3, 1} {
		at := base.AddDate(0, 0, -daysAgo)
		b, err := backup.Create(context.Background(), data, backup.Options{Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, b.Name)
	}
	removed, err := backup.Prune(data, 7*24*time.Hour, base)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, names[:2]) {
		t.Fatalf("removed %v, want %v", removed, names[:2])
	}
	left, _ := backup.List(data)
	if len(left) != 2 || left[0].Name != names[2] {
		t.Fatalf("left %v", left)
	}
	// The newest backup is kept however old it is.
	removed, _ = backup.Prune(data, time.Hour, base.AddDate(1, 0, 0))
	left, _ = backup.List(data)
	if len(removed) != 1 || len(left) != 1 || left[0].Name != names[3] {
		t.Fatalf("removed %v, left %v", removed, left)
	}
}

func TestRestore(t *testing.T) {
	ctx := context.Background()
	data := makeData(t, 30, 32)
	b, err := backup.Create(ctx, data, backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Changes after the backup, and a derived index directory.
	db := openDB(t, filepath.Join(data, "tenants", "w_aaaaaaaaaaaaaaaa", "data.db"))
	exec1(t, db, `DELETE FROM kv`)
	db.Close()
	idx := filepath.Join(data, "tenants", "w_aaaaaaaaaaaaaaaa", "index")
	os.MkdirAll(idx, 0o700)
	os.WriteFile(filepath.Join(idx, "segment"), []byte("derived"), 0o600)
	os.WriteFile(filepath.Join(data, "tenants", "w_aaaaaaaaaaaaaaaa", "vectors-8.idx"), []byte("derived"), 0o600)

	// Refused while a server holds the data directory.
	unlock, err := backup.LockDataDir(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Restore(ctx, b.Dir, data, nil); err == nil || !strings.Contains(err.Error(), "stop it first") {
		t.Fatalf("restore onto a running server's data: %v", err)
	}
	unlock()

	r, err := backup.Restore(ctx, b.Dir, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, filepath.Join(data, "tenants", "w_aaaaaaaaaaaaaaaa", "data.db")); n != 30 {
		t.Fatalf("restored tenant has %d rows, want 30", n)
	}
	for _, p := range []string{idx, filepath.Join(data, "tenants", "w_aaaaaaaaaaaaaaaa", "vectors-8.idx")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("derived %s survived the restore", p)
		}
	}
	if r.Previous == "" {
		t.Fatal("no record of where the former data went")
	}
	if n := count(t, filepath.Join(r.Previous, "tenants", "w_aaaaaaaaaaaaaaaa", "data.db")); n != 0 {
		t.Fatalf("the former data was not kept aside: %d rows", n)
	}
	// The backup itself is untouched and still lists.
	if list, _ := backup.List(data); len(list) != 1 {
		t.Fatalf("backups after restore: %v", list)
	}
	// A damaged backup is refused before anything is touched.
	os.Remove(filepath.Join(b.Dir, "control.db"))
	if _, err := backup.Restore(ctx, b.Dir, data, nil); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("restore from a damaged backup: %v", err)
	}
	if n := count(t, filepath.Join(data, "tenants", "w_aaaaaaaaaaaaaaaa", "data.db")); n != 30 {
		t.Fatal("a refused restore changed the data")
	}
}

// TestKilledBackup kills a process in the middle of a backup (SIGKILL, no
// chance to clean up) and checks that no partial backup is listed, that
// the source databases are intact and that the next backup succeeds and
// removes the leftovers.
func TestKilledBackup(t *testing.T) {
	if dir := os.Getenv("OPTIQ_BACKUP_HELPER"); dir != "" {
		for {
			if _, err := backup.Create(context.Background(), dir, backup.Options{}); err != nil {
				os.Exit(3)
			}
		}
	}
	ctx := context.Background()
	data := makeData(t, 2000, 8<<10) // ~16 MB per file: each backup takes a while
	first, err := backup.Create(ctx, data, backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledBackup$")
	cmd.Env = append(os.Environ(), "OPTIQ_BACKUP_HELPER="+data)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it as soon as it has started a second backup: its temporary
	// directory exists and the snapshot is being written.
	deadline := time.Now().Add(30 * time.Second)
	for {
		tmps, _ := filepath.Glob(filepath.Join(data, "backups", ".tmp-*", "control.db"))
		if len(tmps) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the helper never started a backup")
		}
		time.Sleep(time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	left, _ := filepath.Glob(filepath.Join(data, "backups", ".tmp-*"))
	if len(left) == 0 {
		t.Fatal("the kill did not land mid-backup (no temporary directory left); the test proves nothing")
	}
	list, err := backup.List(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range list {
		if _, _, err := backup.Verify(ctx, b.Dir, nil); err != nil {
			t.Errorf("listed backup %s does not verify: %v", b.Name, err)
		}
	}
	if len(list) == 0 || list[0].Name != first.Name {
		t.Fatalf("the complete backup is not listed: %v", list)
	}
	for _, rel := range []string{"control.db", "tenants/w_aaaaaaaaaaaaaaaa/data.db"} {
		if err := backup.IntegrityCheck(ctx, filepath.Join(data, filepath.FromSlash(rel))); err != nil {
			t.Errorf("source %s after the kill: %v", rel, err)
		}
	}
	if _, err := backup.Create(ctx, data, backup.Options{}); err != nil {
		t.Fatalf("backup after the kill: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(data, "backups", ".tmp-*")); len(left) != 0 {
		t.Fatalf("leftovers not removed: %v", left)
	}
}
