package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/seal"
	"github.com/optiq/optiq/search"
	"github.com/optiq/optiq/search/vector"
	"github.com/optiq/optiq/store"
)

func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	return openStoreWith(t, dir, nil)
}

// openStoreWith is openStore with options changed by change.
func openStoreWith(t *testing.T, dir string, change func(*store.Options)) *store.Store {
	t.Helper()
	keyFile := dir + ".master.key"
	mk, err := seal.LoadMasterKey(keyFile)
	if os.IsNotExist(err) {
		mk, err = seal.CreateMasterKey(keyFile)
	}
	if err != nil {
		t.Fatal(err)
	}
	opts := store.Options{
		Sealer: mk.Sealer(), EmailPepper: mk.Pepper("email"), Logger: slog.New(slog.DiscardHandler),
		OpenIndex: func(d string) (app.LexicalIndex, error) { return search.OpenLexical(filepath.Join(d, "lexical")) },
		Vectors:   vector.Indexes{},
	}
	if change != nil {
		change(&opts)
	}
	st, err := store.Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

type sym struct{ name, kind string }

func fp(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// index runs one index session: files maps path → symbols; every path not
// listed is dropped.
func index(t *testing.T, tn app.Tenant, repoID string, files map[string][]sym, version string) app.IndexCommit {
	t.Helper()
	ctx := context.Background()
	var manifest []app.FileFingerprint
	for p := range files {
		manifest = append(manifest, app.FileFingerprint{Path: p, Fingerprint: fp(p + version)})
	}
	plan, err := tn.BeginIndex(ctx, repoID, manifest, app.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ups []app.FileUpload
	for _, p := range plan.Need {
		up := app.FileUpload{Path: p, Fingerprint: fp(p + version), Language: "go", Size: 1, Content: []byte("sealed")}
		for i, s := range files[p] {
			up.Symbols = append(up.Symbols, app.EncryptedSymbol{Name: s.name, Kind: s.kind, Line: i + 1, EndLine: i + 1})
		}
		ups = append(ups, up)
	}
	if err := tn.Upload(ctx, repoID, plan.SessionID, ups); err != nil {
		t.Fatal(err)
	}
	res, err := tn.CommitIndex(ctx, repoID, plan.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func results(t *testing.T, tn app.Tenant, query string) []string {
	t.Helper()
	q, err := app.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	q.Limit = 20
	res, err := tn.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range res {
		if r.Kind == "file" {
			out = append(out, r.Path)
		} else {
			out = append(out, r.Name+"@"+r.Path)
		}
	}
	return out
}

func setup(t *testing.T) (*store.Store, app.Tenant, app.Repo) {
	t.Helper()
	st := openStore(t, t.TempDir())
	ctx := context.Background()
	u, ws, err := st.CreateUser(ctx, "ada@example.com", "a long passphrase", app.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	tn, err := st.Open(ctx, app.Principal{UserID: u.ID, Role: u.Role}, ws.ID, app.PermIndex)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tn.Close() })
	repo, err := tn.CreateRepo(ctx, "demo", make([]byte, 16), false)
	if err != nil {
		t.Fatal(err)
	}
	return st, tn, repo
}

func TestRankingOrder(t *testing.T) {
	_, tn, repo := setup(t)
	index(t, tn, repo.ID, map[string][]sym{
		"server/handler.go":             {{"HandleRequestLater", "function"}, {"HandleRequest", "function"}},
		"server/handler_test.go":        {{"HandleRequest", "function"}},
		"vendor/x/handler.go":           {{"HandleRequest", "function"}},
		"server/deep/nested/handler.go": {{"HandleRequest", "function"}},
		"a.go":                          {{"HandleRequest", "field"}},
		"b.go":                          {{"handlerequest", "variable"}},
		"server/raw.go":                 {{"HandleRawRequest", "function"}},
		"server/must.go":                {{"MustHandleRequest", "function"}},
		"server/typo.go":                {{"HandleRequst", "function"}},
		"server/unrelated.go":           {{"Unrelated", "function"}},
	}, "v1")
	want := []string{
		// exact (same case): definitions before fields; source (shorter
		// paths first), then tests, then vendored code
		"HandleRequest@server/handler.go",
		"HandleRequest@server/deep/nested/handler.go",
		"HandleRequest@server/handler_test.go",
		"HandleRequest@vendor/x/handler.go",
		"HandleRequest@a.go",
		"handlerequest@b.go",                   // exact ignoring case
		"HandleRequestLater@server/handler.go", // prefix
		"HandleRawRequest@server/raw.go",       // camel humps
		"MustHandleRequest@server/must.go",     // part
		"HandleRequst@server/typo.go",          // fuzzy
	}
	if got := results(t, tn, "HandleRequest"); !reflect.DeepEqual(got, want) {
		t.Errorf("ranking:\n got %q\nwant %q", got, want)
	}
	filters := map[string][]string{
		"HandleRequest kind:field":                               {"HandleRequest@a.go"},
		"HandleRequest -path:server -path:vendor -kind:variable": {"HandleRequest@a.go"},
		"sym:HandleRequest path:nested":                          {"HandleRequest@server/deep/nested/handler.go"},
		`"handlerequest" -path:server -path:vendor`:              {"handlerequest@b.go", "HandleRequest@a.go"},
		`"HandleRequest" -path:server -path:vendor`:              {"HandleRequest@a.go", "handlerequest@b.go"},
		// handler.go is an exact file-name match; handler_test.go is not.
		"kind:file handler":              {"server/handler.go", "server/deep/nested/handler.go", "vendor/x/handler.go", "server/handler_test.go"},
		"path:nested":                    {"server/deep/nested/handler.go"},
		"kind:variable":                  {"handlerequest@b.go"},
		"repo:demo Unrelated":            {"Unrelated@server/unrelated.go", "server/unrelated.go"},
		"repo:demo -repo:demo Unrelated": nil,
	}
	for q, want := range filters {
		if got := results(t, tn, q); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", q, got, want)
		}
	}
}

func TestIncrementalVocabulary(t *testing.T) {
	st, tn, repo := setup(t)
	files := map[string][]sym{
		"a.go": {{"Shared", "function"}, {"OnlyA", "function"}},
		"b.go": {{"Shared", "function"}, {"OnlyB", "type"}},
	}
	res := index(t, tn, repo.ID, files, "v1")
	if res.Files != 2 || res.Symbols != 4 || res.Generation != 1 {
		t.Fatalf("first commit: %+v", res)
	}
	// Drop b.go, change a.go: OnlyB disappears, Shared stays (a.go still
	// has it), OnlyA is renamed.
	res = index(t, tn, repo.ID, map[string][]sym{"a.go": {{"Shared", "function"}, {"RenamedA", "function"}}}, "v2")
	if res.Files != 1 || res.Symbols != 2 || res.Removed != 1 || res.Added != 1 {
		t.Fatalf("second commit: %+v", res)
	}
	for q, want := range map[string]int{"OnlyB": 0, "OnlyA": 0, "Shared": 1, "RenamedA": 1} {
		got := 0
		for _, r := range results(t, tn, "sym:"+q) {
			if r == q+"@a.go" || r == q+"@b.go" {
				got++
			}
		}
		if got != want {
			t.Errorf("%s: %d exact results, want %d", q, got, want)
		}
	}
	// The derived index is rebuilt from data.db when it goes missing, with
	// the same answers.
	before := results(t, tn, "Shared")
	tn.Close()
	st.Close()
	dirs, _ := filepath.Glob(filepath.Join(st.Dir(), "tenants", "*", "index"))
	if len(dirs) != 1 {
		t.Fatalf("index dirs: %v", dirs)
	}
	os.RemoveAll(dirs[0])
	st2 := openStore(t, st.Dir())
	u, err := st2.Authenticate(context.Background(), "ada@example.com", "a long passphrase")
	if err != nil {
		t.Fatal(err)
	}
	tn2, err := st2.Open(context.Background(), app.Principal{UserID: u.ID}, "personal", app.PermRead)
	if err != nil {
		t.Fatal(err)
	}
	defer tn2.Close()
	if after := results(t, tn2, "Shared"); !reflect.DeepEqual(after, before) || len(after) == 0 {
		t.Fatalf("after rebuild %q, before %q", after, before)
	}
}

func TestSessionsAreIsolatedUntilCommit(t *testing.T) {
	_, tn, repo := setup(t)
	index(t, tn, repo.ID, map[string][]sym{"a.go": {{"Before", "function"}}}, "v1")
	ctx := context.Background()
	plan, err := tn.BeginIndex(ctx, repo.ID, []app.FileFingerprint{{Path: "a.go", Fingerprint: fp("changed")}}, app.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = tn.Upload(ctx, repo.ID, plan.SessionID, []app.FileUpload{{Path: "a.go", Fingerprint: fp("changed"), Language: "go", Size: 1, Content: []byte("x"),
		Symbols: []app.EncryptedSymbol{{Name: "After", Kind: "function", Line: 1, EndLine: 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	// Not visible before the commit.
	if got := results(t, tn, "sym:After"); len(got) != 0 {
		t.Fatalf("pending upload visible: %v", got)
	}
	if got := results(t, tn, "sym:Before"); len(got) != 1 {
		t.Fatalf("live file hidden by a pending upload: %v", got)
	}
	r, _ := tn.Repo(ctx, "demo")
	if r.Files != 1 || r.Symbols != 1 {
		t.Fatalf("repo counts include pending rows: %+v", r)
	}
	// A second run resumes the same session rather than racing it: its
	// manifest no longer lists the change, so the pending a.go is dropped
	// and the commit changes nothing. The first run's commit then finds no
	// session and says to run again.
	plan2, err := tn.BeginIndex(ctx, repo.ID, []app.FileFingerprint{{Path: "a.go", Fingerprint: fp("a.gov1")}}, app.IndexOptions{})
	if err != nil || plan2.SessionID != plan.SessionID || len(plan2.Upload) != 0 {
		t.Fatalf("second plan: %+v %v", plan2, err)
	}
	if _, err := tn.CommitIndex(ctx, repo.ID, plan2.SessionID); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.CommitIndex(ctx, repo.ID, plan.SessionID); app.ErrorCode(err) != app.ENOTFOUND || !strings.Contains(err.Error(), "run optiq index again") {
		t.Fatalf("commit of a finished session: %v", err)
	}
	if got := results(t, tn, "sym:Before"); len(got) != 1 {
		t.Fatalf("after the second commit: %v", got)
	}
	if got := results(t, tn, "sym:After"); len(got) != 0 {
		t.Fatalf("discarded upload became visible: %v", got)
	}
}

func TestTenantAccess(t *testing.T) {
	st := openStore(t, t.TempDir())
	ctx := context.Background()
	ada, adaWS, _ := st.CreateUser(ctx, "ada@example.com", "a long passphrase", app.RoleAdmin)
	bob, _, _ := st.CreateUser(ctx, "bob@example.com", "a long passphrase", app.RoleMember)
	if _, err := st.Open(ctx, app.Principal{UserID: bob.ID}, adaWS.ID, app.PermRead); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("bob opened ada's workspace: %v", err)
	}
	if _, err := st.Open(ctx, app.Principal{}, adaWS.ID, app.PermRead); app.ErrorCode(err) != app.EUNAUTHENTICATED {
		t.Errorf("anonymous open: %v", err)
	}
	if _, err := st.Open(ctx, app.Principal{UserID: ada.ID, Workspace: "w_other"}, adaWS.ID, app.PermRead); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("credential restricted to another workspace: %v", err)
	}
	tn, err := st.Open(ctx, app.Principal{UserID: ada.ID}, "personal", app.PermOwn)
	if err != nil {
		t.Fatal(err)
	}
	tn.Close()
	if _, _, err := st.CreateUser(ctx, "ADA@example.com", "a long passphrase", app.RoleMember); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("duplicate e-mail: %v", err)
	}
	for i := range 3 {
		if _, err := st.Authenticate(ctx, "ada@example.com", fmt.Sprint("wrong", i)); app.ErrorCode(err) != app.EUNAUTHENTICATED {
			t.Errorf("wrong password: %v", err)
		}
	}
	if u, err := st.Authenticate(ctx, " Ada@Example.com ", "a long passphrase"); err != nil || u.ID != ada.ID {
		t.Errorf("login: %v", err)
	}
}

func TestGeneratedFilesAndModes(t *testing.T) {
	_, tn, repo := setup(t)
	ctx := context.Background()
	files := []app.FileUpload{
		{Path: "a/gen.go", Generated: true, Symbols: []app.EncryptedSymbol{{Name: "Config", Kind: "struct", Line: 1, EndLine: 1}}},
		{Path: "a/very/long/path/config.go", Symbols: []app.EncryptedSymbol{{Name: "Config", Kind: "struct", Line: 1, EndLine: 1}}},
	}
	var manifest []app.FileFingerprint
	for i := range files {
		files[i].Fingerprint, files[i].Language, files[i].Size, files[i].Content = fp(files[i].Path), "go", 1, []byte("x")
		manifest = append(manifest, app.FileFingerprint{Path: files[i].Path, Fingerprint: files[i].Fingerprint})
	}
	plan, err := tn.BeginIndex(ctx, repo.ID, manifest, app.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tn.Upload(ctx, repo.ID, plan.SessionID, files); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.CommitIndex(ctx, repo.ID, plan.SessionID); err != nil {
		t.Fatal(err)
	}
	// The generated file's definition ranks after the hand-written one
	// despite its shorter path; free text also finds the config.go file.
	want := []string{"Config@a/very/long/path/config.go", "Config@a/gen.go", "a/very/long/path/config.go"}
	if got := results(t, tn, "Config"); !reflect.DeepEqual(got, want) {
		t.Errorf("Config: got %q, want %q", got, want)
	}
	for mode, want := range map[string][]string{
		app.ModeSymbol: {"Config@a/very/long/path/config.go", "Config@a/gen.go"},
		app.ModePath:   {"a/very/long/path/config.go"},
	} {
		q, _ := app.ParseQuery("Config")
		q.Mode, q.Limit = mode, 10
		res, err := tn.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range res {
			if r.Kind == "file" {
				got = append(got, r.Path)
			} else {
				got = append(got, r.Name+"@"+r.Path)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("mode %s: got %q, want %q", mode, got, want)
		}
	}
}

// TestNamesAddedDuringUploadSurviveOtherCommits: a session's uploads add
// new names to the index early; another repo's commits that add and then
// delete the same name in between must not leave the name missing.
func TestNamesAddedDuringUploadSurviveOtherCommits(t *testing.T) {
	_, tn, repo1 := setup(t)
	ctx := context.Background()
	repo2, err := tn.CreateRepo(ctx, "other", make([]byte, 16), false)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := tn.BeginIndex(ctx, repo2.ID, []app.FileFingerprint{{Path: "z.go", Fingerprint: fp("z")}}, app.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = tn.Upload(ctx, repo2.ID, plan.SessionID, []app.FileUpload{{Path: "z.go", Fingerprint: fp("z"), Language: "go", Size: 1, Content: []byte("x"),
		Symbols: []app.EncryptedSymbol{{Name: "Zeppelin", Kind: "function", Line: 1, EndLine: 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	index(t, tn, repo1.ID, map[string][]sym{"a.go": {{"Zeppelin", "function"}}}, "v1")
	index(t, tn, repo1.ID, map[string][]sym{"a.go": {{"Other", "function"}}}, "v2")
	if _, err := tn.CommitIndex(ctx, repo2.ID, plan.SessionID); err != nil {
		t.Fatal(err)
	}
	if got := results(t, tn, "sym:Zeppelin"); !reflect.DeepEqual(got, []string{"Zeppelin@z.go"}) {
		t.Fatalf("got %q", got)
	}
}
