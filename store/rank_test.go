package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/store"
)

// TestSymbolRankPinned pins the packed rank. If it fails, the rules changed
// (app.KindRank, app.PathClass or the packing): change app.RankVersion (or
// store's packVersion) so that stored ranks are computed again, then
// update this table.
func TestSymbolRankPinned(t *testing.T) {
	if store.RankVersion != 1001 {
		t.Fatalf("rank version %d: update this table for it", store.RankVersion)
	}
	// One path per branch of app.PathClass.
	paths := map[string]int{
		"a/b.go": 0, "a/b_test.go": 1, "test_x.py": 1, "a/x.test.js": 1, "a/x.spec.ts": 1, "a/x_test.py": 1,
		"test/a.c": 1, "a/tests/b.c": 1, "a/testdata/b.go": 1, "a/__tests__/b.js": 1,
		"vendor/a.go": 2, "a/node_modules/b.js": 2, "third_party/a.c": 2, "a/b.pb.go": 2, "a/x_generated.go": 2,
		"a/x.gen.go": 2, "zz_generated.deepcopy.go": 2, "a/x.min.js": 2,
	}
	kinds := map[string]int{
		app.KindClass: 0, app.KindStruct: 0, app.KindInterface: 0, app.KindEnum: 0, app.KindType: 0, app.KindFunction: 0, app.KindMethod: 0,
		app.KindPackage: 1, app.KindConstant: 1, app.KindMacro: 1,
		app.KindField: 2, app.KindVariable: 2,
		app.KindFile: 3, "label": 3,
	}
	for kind, k := range kinds {
		for p, class := range paths {
			for _, generated := range []bool{false, true} {
				c := class
				if generated {
					c = 2
				}
				want := int64(k*3+c)<<32 | int64(len(p))
				if got := store.SymbolRank(kind, p, generated); got != want {
					t.Errorf("%s in %s (generated %v): rank %#x, pinned %#x", kind, p, generated, got, want)
				}
			}
		}
	}
}

// TestRanksRecomputedWhenRulesChange: a workspace whose ranks were
// computed by other rules, or that never recorded which, computes them
// again when opened; one that recorded this binary's rules is left alone.
func TestRanksRecomputedWhenRulesChange(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st := openStore(t, dir)
	u, ws, err := st.CreateUser(ctx, "ada@example.com", "a long passphrase", app.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	dbFile := filepath.Join(dir, "tenants", ws.ID, "data.db")
	// session opens the workspace (computing ranks if needed), searches
	// and closes it.
	session := func(fn func(app.Tenant)) {
		t.Helper()
		st := openStore(t, dir)
		defer st.Close()
		tn, err := st.Open(ctx, app.Principal{UserID: u.ID, Role: u.Role}, ws.ID, app.PermIndex)
		if err != nil {
			t.Fatal(err)
		}
		defer tn.Close()
		fn(tn)
	}
	sqlite := func(stmt string) int64 {
		t.Helper()
		db, err := sql.Open("sqlite", dbFile)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
		var v int64
		if err := db.QueryRow(`SELECT COALESCE((SELECT value FROM meta WHERE key = 'rank_version'), -1)`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	before := map[string][]string{}
	session(func(tn app.Tenant) {
		rankCorpus(t, tn, 11)
		for _, q := range rankQueries {
			before[q] = results(t, tn, q)
		}
	})
	if v := sqlite(`SELECT 1`); v != store.RankVersion {
		t.Fatalf("rank version recorded %d, want %d", v, store.RankVersion)
	}
	checkRanks(t, dbFile)

	for _, stale := range []string{
		`UPDATE meta SET value = 1 WHERE key = 'rank_version'`,
		`DELETE FROM meta WHERE key = 'rank_version'`,
	} {
		sqlite(`UPDATE symbols SET rank = 0; ` + stale)
		session(func(tn app.Tenant) {
			for _, q := range rankQueries {
				if got := results(t, tn, q); !reflect.DeepEqual(got, before[q]) {
					t.Errorf("%s after %q:\n got %q\nwant %q", q, stale, got, before[q])
				}
			}
		})
		checkRanks(t, dbFile)
		if v := sqlite(`SELECT 1`); v != store.RankVersion {
			t.Fatalf("after %q: rank version %d, want %d", stale, v, store.RankVersion)
		}
	}

	// Recorded as this binary's: opening does not rewrite the column.
	sqlite(`UPDATE symbols SET rank = 0`)
	session(func(app.Tenant) {})
	var nonzero int
	db, err := sql.Open("sqlite", dbFile)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(`SELECT count(*) FROM symbols WHERE rank != 0`).Scan(&nonzero); err != nil || nonzero != 0 {
		t.Fatalf("ranks rewritten on an open with the same rules: %d nonzero, %v", nonzero, err)
	}
}
