package store_test

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/seal"
	"github.com/optiq/optiq/search"
	"github.com/optiq/optiq/store"
)

func openStoreAt(t *testing.T, dir string, now func() time.Time) *store.Store {
	t.Helper()
	mk, err := seal.CreateMasterKey(dir + ".master.key")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), dir, store.Options{
		Sealer: mk.Sealer(), EmailPepper: mk.Pepper("email"), Logger: slog.New(slog.DiscardHandler), Now: now,
		OpenIndex: func(d string) (app.LexicalIndex, error) { return search.OpenLexical(filepath.Join(d, "lexical")) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestProbes(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	st := openStoreAt(t, dir, nil)
	if err := st.ProbeWrite(ctx); err != nil {
		t.Fatal(err)
	}
	if ws, err := st.ProbeTenant(ctx); err != nil || ws != "" {
		t.Fatalf("no workspaces: %q %v", ws, err)
	}
	_, ws, err := st.CreateUser(ctx, "ada@example.com", "a long passphrase", app.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.ProbeTenant(ctx); err != nil || got != ws.ID {
		t.Fatalf("ProbeTenant = %q %v, want %s", got, err, ws.ID)
	}

	// Another connection holds the write lock (as a stuck process would):
	// the probe fails within its deadline instead of hanging.
	other, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "control.db")+"?_pragma=busy_timeout(100)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(1)
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	start := time.Now()
	err = st.ProbeWrite(pctx)
	cancel()
	if err == nil || !strings.Contains(err.Error(), "control database write") {
		t.Fatalf("probe with the database locked: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("probe took %v", d)
	}
	conn.ExecContext(ctx, `ROLLBACK`)
	conn.Close()
	if err := st.ProbeWrite(ctx); err != nil {
		t.Fatalf("after the lock is released: %v", err)
	}
}

func TestCleanupIndexSessions(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	st := openStoreAt(t, filepath.Join(t.TempDir(), "data"), clk.Now)
	u, ws, err := st.CreateUser(ctx, "ada@example.com", "a long passphrase", app.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	tn, err := st.Open(ctx, app.Principal{UserID: u.ID, Role: u.Role}, ws.ID, app.PermIndex)
	if err != nil {
		t.Fatal(err)
	}
	defer tn.Close()
	repo, err := tn.CreateRepo(ctx, "demo", make([]byte, 16), false)
	if err != nil {
		t.Fatal(err)
	}
	index(t, tn, repo.ID, map[string][]sym{"a.go": {{"Live", "function"}}}, "v1")
	plan, err := tn.BeginIndex(ctx, repo.ID, []app.FileFingerprint{{Path: "a.go", Fingerprint: fp("v2")}}, app.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tn.Upload(ctx, repo.ID, plan.SessionID, []app.FileUpload{{Path: "a.go", Fingerprint: fp("v2"), Language: "go", Size: 1, Content: []byte("x"),
		Symbols: []app.EncryptedSymbol{{Name: "Pending", Kind: "function", Line: 1, EndLine: 1}}}}); err != nil {
		t.Fatal(err)
	}

	clk.Add(23 * time.Hour)
	if n, err := st.CleanupIndexSessions(ctx, 24*time.Hour); err != nil || n != 0 {
		t.Fatalf("young session: deleted %d, %v", n, err)
	}
	clk.Add(2 * time.Hour)
	if n, err := st.CleanupIndexSessions(ctx, 24*time.Hour); err != nil || n != 1 {
		t.Fatalf("abandoned session: deleted %d, %v", n, err)
	}
	// Its staged file went with it; the live data is untouched.
	if _, err := tn.CommitIndex(ctx, repo.ID, plan.SessionID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("commit of a cleaned-up session: %v", err)
	}
	if got := results(t, tn, "sym:Live"); len(got) != 1 {
		t.Fatalf("live symbol after cleanup: %v", got)
	}
	r, _ := tn.Repo(ctx, "demo")
	if r.Files != 1 {
		t.Fatalf("repo after cleanup: %+v", r)
	}
	// A new run starts afresh and commits.
	index(t, tn, repo.ID, map[string][]sym{"a.go": {{"Again", "function"}}}, "v3")
	if got := results(t, tn, "sym:Again"); len(got) != 1 {
		t.Fatalf("after re-indexing: %v", got)
	}

	sizes, err := st.WorkspaceSizes()
	if err != nil {
		t.Fatal(err)
	}
	if sz := sizes[ws.ID]; sz.Data == 0 || sz.Index == 0 || len(sizes) != 1 {
		t.Fatalf("sizes %+v", sizes)
	}
}
