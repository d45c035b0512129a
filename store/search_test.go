package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/store"
)

// rankCorpus indexes a generated corpus built for ties: names in several
// spellings, every kind, paths of equal length in each path class, files
// marked generated, and several symbols on one line.
func rankCorpus(t *testing.T, tn app.Tenant, seed uint64) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 1))
	words := []string{"handle", "Handle", "HANDLE", "handleRequest", "HandleRequest", "handle_request", "HandleRequst",
		"getUser", "GetUserName", "getusername", "HTTPServer", "httpServer", "httpserver", "Get", "get", "String", "string", "Stringer", "ToString", "mainLoop", "main", "Main", "hndlReq"}
	kinds := []string{app.KindFunction, app.KindMethod, app.KindType, app.KindField, app.KindConstant, app.KindVariable, app.KindPackage, "other"}
	dirs := []string{"a", "b", "vendor", "test", "src/x", "src/y"}
	bases := []string{"x.go", "y.go", "x_test.go", "y_test.go", "x.pb.go", "handle.go", "main.go", "string.go"}
	for r := range 2 {
		repo, err := tn.CreateRepo(ctx, fmt.Sprintf("r%d", r), make([]byte, 16), false)
		if err != nil {
			t.Fatal(err)
		}
		var manifest []app.FileFingerprint
		var ups []app.FileUpload
		for _, d := range dirs {
			for _, b := range bases {
				p := d + "/" + b
				up := app.FileUpload{Path: p, Fingerprint: fp(p), Language: "go", Size: 1, Content: []byte("sealed"), Generated: rng.IntN(6) == 0}
				if rng.IntN(4) == 0 {
					up.Language = "python"
				}
				for range 6 + rng.IntN(20) {
					line := 1 + rng.IntN(4)
					up.Symbols = append(up.Symbols, app.EncryptedSymbol{Name: words[rng.IntN(len(words))], Kind: kinds[rng.IntN(len(kinds))], Line: line, EndLine: line})
				}
				manifest = append(manifest, app.FileFingerprint{Path: p, Fingerprint: fp(p)})
				ups = append(ups, up)
			}
		}
		plan, err := tn.BeginIndex(ctx, repo.ID, manifest, app.IndexOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := tn.Upload(ctx, repo.ID, plan.SessionID, ups); err != nil {
			t.Fatal(err)
		}
		if _, err := tn.CommitIndex(ctx, repo.ID, plan.SessionID); err != nil {
			t.Fatal(err)
		}
	}
}

var rankQueries = []string{
	"handle", "Handle", "HANDLE", "hand", "Hand", "handleRequest", "handlerequest", "HandleRequest", "handle_request",
	"handleReq", "hndlReq", "getUsr", "GetUserName", "getuser", "String", "string", "str", "Stringer", "ToString",
	"main", "Main", "mai", "handel", "Strng", `"handle"`, `"Handle"`, "handle Handle", "handle get", "sym:main",
	"handle lang:go", "handle -path:_test", "String kind:function", "main -kind:variable", "handle path:src",
	"userName", "UserName", "nameUser", "server", "Server", "httpServ", "HTTPServ", "serverHTTP",
	"main repo:r1", "handle -path:vendor -path:src", "main -path:X.GO", "string -path:y", "x -path:_test.go", "x -path:a/", "Get -repo:r0 lang:python", "handle -handleRequest", "file:x main",
	"hand kind:field", "str -path:x lang:python", "ha -handle", "h", "s",
}

// TestBestSymbolsMatchReference checks the ranked SQL fetch (each tier
// group's best rows, ordered by the rank column in SQL, and the exact-name
// shortcut) against fetching every row and sorting by app.Ranking.Compare.
func TestBestSymbolsMatchReference(t *testing.T) {
	_, tn, _ := setup(t)
	rankCorpus(t, tn, 7)
	ctx := context.Background()
	for _, text := range rankQueries {
		for _, limit := range []int{1, 5, 20, 200} {
			q, err := app.ParseQuery(text)
			if err != nil {
				t.Fatal(err)
			}
			q.Limit = limit
			ref, err := store.ReferenceSymbols(ctx, tn, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, keep := range []int{limit, 300} {
				got, err := store.BestSymbols(ctx, tn, q, keep)
				if err != nil {
					t.Fatal(err)
				}
				n := min(len(ref), keep)
				if len(got) < n {
					t.Fatalf("%s (limit %d, keep %d): %d candidates, want at least %d", text, limit, keep, len(got), n)
				}
				for i := range n {
					if got[i].Rank != ref[i].Rank {
						t.Fatalf("%s (limit %d, keep %d) #%d: got %+v, want %+v", text, limit, keep, i, got[i], ref[i])
					}
				}
			}
			// Each search, with its shortcuts, gives the page the plain
			// way gives.
			sameAsReference(t, tn, q, text)
		}
	}
}

// TestRankMigration opens a data.db from before the rank column: the
// migration backfills it as inserts compute it, and searches give the same
// results as before the upgrade.
func TestRankMigration(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	ctx := context.Background()
	u, ws, err := st.CreateUser(ctx, "ada@example.com", "a long passphrase", app.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	open := func(st *store.Store) app.Tenant {
		tn, err := st.Open(ctx, app.Principal{UserID: u.ID, Role: u.Role}, ws.ID, app.PermIndex)
		if err != nil {
			t.Fatal(err)
		}
		return tn
	}
	tn := open(st)
	rankCorpus(t, tn, 11)
	before := map[string][]string{}
	for _, q := range rankQueries {
		before[q] = results(t, tn, q)
	}
	tn.Close()
	st.Close()
	dbFile := filepath.Join(dir, "tenants", ws.ID, "data.db")
	checkRanks(t, dbFile) // as uploads set them

	// Back to schema version 2: no rank column, the old name index.
	db, err := sql.Open("sqlite", dbFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DROP INDEX symbols_rank; ALTER TABLE symbols DROP COLUMN rank; CREATE INDEX symbols_lname ON symbols(lname); PRAGMA user_version = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	st = openStore(t, dir)
	tn = open(st)
	for _, q := range rankQueries {
		if got := results(t, tn, q); !reflect.DeepEqual(got, before[q]) {
			t.Errorf("%s after the upgrade:\n got %q\nwant %q", q, got, before[q])
		}
	}
	tn.Close()
	st.Close()
	checkRanks(t, dbFile)
	db, err = sql.Open("sqlite", dbFile)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil || version < 3 {
		t.Fatalf("user_version %d, %v", version, err)
	}
}

// TestExcludedPathsMatchIndex checks -path: filters applied to the lexical
// index's hits against the index applying them, over more files than one
// round of hits holds.
func TestExcludedPathsMatchIndex(t *testing.T) {
	_, tn, repo := setup(t)
	files := map[string][]sym{}
	for i := range 150 {
		files[fmt.Sprintf("pkg/f%03d/handler.go", i)] = []sym{{"serve", "function"}}
		files[fmt.Sprintf("pkg/f%03d/handler_test.go", i)] = []sym{{"serve", "function"}}
		files[fmt.Sprintf("Pkg/G%03d/handler.pb.go", i)] = []sym{{"serve", "function"}}
	}
	files["pkg/a\nb/handler.go"] = []sym{{"serve", "function"}}
	index(t, tn, repo.ID, files, "v1")
	for _, text := range []string{"handler -path:_test", "handler -path:f1", "handler -path:PKG/G -path:_test", "handler -path:g0 -path:f0",
		"handler -path:b/handler", "handler -path:a/handler.go", "handler -path:handler", "handler path:f1 -path:_test", "handler -path:f1*"} {
		for _, limit := range []int{1, 20, 60} {
			q, err := app.ParseQuery(text)
			if err != nil {
				t.Fatal(err)
			}
			q.Limit = limit
			sameAsReference(t, tn, q, text)
		}
	}
}

// TestExactNameBeyondIndexHits: a name equal to the query is found even
// when more names than the lexical index returns also match it.
func TestExactNameBeyondIndexHits(t *testing.T) {
	_, tn, repo := setup(t)
	var many []sym
	for i := range 700 {
		many = append(many, sym{fmt.Sprintf("aZeta%03d", i), "function"})
	}
	index(t, tn, repo.ID, map[string][]sym{"a.go": many, "z.go": {{"Zeta", "type"}}}, "v1")
	for _, q := range []string{"Zeta", "zeta", `"Zeta"`} {
		if got := results(t, tn, q); len(got) == 0 || got[0] != "Zeta@z.go" {
			t.Errorf("%s: got %q, want Zeta@z.go first", q, got)
		}
	}
}

// checkRanks checks every symbol's rank column against store.SymbolRank.
func checkRanks(t *testing.T, dbFile string) {
	t.Helper()
	db, err := sql.Open("sqlite", dbFile)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT s.kind, f.path, f.generated, s.rank FROM symbols s JOIN files f ON f.id = s.file_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var kind, path string
		var generated bool
		var rank int64
		if err := rows.Scan(&kind, &path, &generated, &rank); err != nil {
			t.Fatal(err)
		}
		if want := store.SymbolRank(kind, path, generated); rank != want {
			t.Fatalf("%s in %s (generated %v): rank %d, want %d", kind, path, generated, rank, want)
		}
		n++
	}
	if err := rows.Err(); err != nil || n == 0 {
		t.Fatalf("%d symbols, %v", n, err)
	}
}

// TestExclusionThatRemovesMostHits: a -path: exclusion that drops nearly
// every hit of the rest of the query still finds what is left (the
// exclusions go back to the lexical index instead of reading ever more
// hits).
func TestExclusionThatRemovesMostHits(t *testing.T) {
	_, tn, repo := setup(t)
	ctx := context.Background()
	const n = 33000
	var manifest []app.FileFingerprint
	for i := range n {
		p := fmt.Sprintf("pkg/f%05d/handler_test.go", i)
		manifest = append(manifest, app.FileFingerprint{Path: p, Fingerprint: fp(p)})
	}
	manifest = append(manifest, app.FileFingerprint{Path: "cmd/handler.go", Fingerprint: fp("cmd/handler.go")})
	plan, err := tn.BeginIndex(ctx, repo.ID, manifest, app.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ups []app.FileUpload
	for i, p := range plan.Need {
		ups = append(ups, app.FileUpload{Path: p, Fingerprint: fp(p), Language: "go", Size: 1, Content: []byte("sealed"),
			Symbols: []app.EncryptedSymbol{{Name: "serve", Kind: "function", Line: 1, EndLine: 1}}})
		if len(ups) == 1000 || i == len(plan.Need)-1 {
			if err := tn.Upload(ctx, repo.ID, plan.SessionID, ups); err != nil {
				t.Fatal(err)
			}
			ups = ups[:0]
		}
	}
	if _, err := tn.CommitIndex(ctx, repo.ID, plan.SessionID); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{app.ModePath, app.ModeAuto} {
		for _, text := range []string{"handler -path:_test", "-path:_test"} {
			q, _ := app.ParseQuery(text)
			q.Mode = mode
			res, err := tn.Search(ctx, q)
			if err != nil || len(res) != 1 || res[0].Path != "cmd/handler.go" {
				t.Errorf("%q (mode %q): %d results, %v", text, mode, len(res), err)
			}
		}
	}
}

// sameAsReference checks that a search gives the page the plain way (every
// row of every tier, sorted by Ranking.Compare) gives.
func sameAsReference(t *testing.T, tn app.Tenant, q app.Query, text string) {
	t.Helper()
	ctx := context.Background()
	res, err := tn.Search(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	want, err := store.ReferenceSearch(ctx, tn, q)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("%s (limit %d):\n got %v\nwant %v", text, q.Limit, res, want)
	}
}

// TestPrefixBeyondIndexHits: the best symbols whose names start with the
// query are found when more names than the lexical index returns start
// with it, whichever names those are.
func TestPrefixBeyondIndexHits(t *testing.T) {
	_, tn, repo := setup(t)
	var many []sym
	for i := range 700 {
		many = append(many, sym{fmt.Sprintf("zeta%03d", i), "constant"})
	}
	index(t, tn, repo.ID, map[string][]sym{
		"vendor/pkg/many.go": many,
		"a.go":               {{"Zeta699", "function"}, {"zetaName", "variable"}},
		"b.go":               {{"zeta350", "type"}},
		"c.go":               {{"zet", "variable"}},
		"d.go":               {{"Grüße", "function"}, {"grünkohl", "function"}, {"grx", "function"}, {"gruen", "function"}},
	}, "v1")
	for query, want := range map[string][]string{
		"zet":   {"zet@c.go", "Zeta699@a.go", "zeta350@b.go", "zeta000@vendor/pkg/many.go"},
		"ZETA6": {"Zeta699@a.go"},
		"grü":   {"Grüße@d.go", "grünkohl@d.go"},
		"GRÜ":   {"Grüße@d.go", "grünkohl@d.go"},
	} {
		got := results(t, tn, query)
		if len(got) < len(want) || !reflect.DeepEqual(got[:len(want)], want) {
			t.Errorf("%s: got %q, want %q first", query, got, want)
		}
	}
	if got := results(t, tn, "grü"); len(got) != 2 {
		t.Errorf("grü: got %q, want only the names starting with it", got)
	}
}

// TestTypoFindsNearNames: a name with a typo finds the names within one
// edit of it (two from 8 runes) that start with the same rune, ranked as
// every fuzzy match is, by kind and path: a name two edits away that is a
// function ranks above a variable one edit away.
func TestTypoFindsNearNames(t *testing.T) {
	_, tn, repo := setup(t)
	index(t, tn, repo.ID, map[string][]sym{
		"a.go":          {{"ReadFull", "function"}, {"Open", "function"}, {"Grüße", "function"}},
		"pkg/long/b.go": {{"ReadFile", "variable"}, {"ReadFrom", "function"}, {"WriteFile", "function"}, {"Opel", "variable"}, {"Over", "function"}, {"Grüß", "variable"}},
		"c.go":          {{"rEADfIEL", "constant"}}, // a transposition and a substitution from ReadFilx
	}, "v1")
	for query, want := range map[string][]string{
		"ReadFilx": {"ReadFull@a.go", "rEADfIEL@c.go", "ReadFile@pkg/long/b.go"}, // ReadFrom is 3 edits away
		"ReadFile": {"ReadFile@pkg/long/b.go", "ReadFull@a.go", "rEADfIEL@c.go"}, // the exact name first
		"Opex":     {"Open@a.go", "Opel@pkg/long/b.go"},                          // Over is 2 edits away
		"Grüßx":    {"Grüße@a.go", "Grüß@pkg/long/b.go"},                         // runes, not bytes
		"Gürße":    {"Grüße@a.go"},                                               // transposed runes of two bytes
	} {
		if got := results(t, tn, query); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q, want %q", query, got, want)
		}
	}
}

// TestOnePartTermsMatchEverySpellingAlike checks what lets a tier group
// skip reading spellings: a term of one identifier part and 3 bytes or
// more matches every spelling of a name (its case, where its parts break)
// at one tier, unless it equals the name.
func TestOnePartTermsMatchEverySpellingAlike(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	words := []string{"main", "init", "read", "file", "io", "ctl", "x", "é", "http", "server", "s"}
	spell := func(lower string) string {
		b := []rune(lower)
		for i := range b {
			if rng.IntN(2) == 0 {
				b[i] = []rune(strings.ToUpper(string(b[i])))[0]
			}
		}
		return string(b)
	}
	for range 3000 {
		var lname string
		for range 1 + rng.IntN(3) {
			lname += words[rng.IntN(len(words))]
		}
		var query string
		if rng.IntN(2) == 0 {
			i := rng.IntN(len(lname))
			query = lname[i:min(len(lname), i+3+rng.IntN(5))]
		} else {
			query = words[rng.IntN(len(words))] + words[rng.IntN(len(words))]
		}
		query = spell(query)
		if len(app.IdentParts(query)) > 1 || len(strings.ToLower(query)) < 3 || strings.ToLower(query) == lname {
			continue
		}
		first := spell(lname)
		for range 5 {
			other := spell(lname)
			if a, b := app.MatchTier(query, first), app.MatchTier(query, other); a != b {
				t.Fatalf("%q matches %q at tier %d, %q at %d", query, first, a, other, b)
			}
		}
	}
}
