package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/optiq/optiq/app"
)

// TestPrefixWithFewFilteredOrPending: names starting with the query are
// ranked right when a filter keeps only a few of thousands of them, all
// ranked below the rest, and while an index session of every file is
// pending whose rows (in the name index but not searchable) rank above
// every live one.
func TestPrefixWithFewFilteredOrPending(t *testing.T) {
	_, tn, repo := setup(t)
	ctx := context.Background()
	files := map[string][]sym{}
	for f := range 100 {
		var syms []sym
		for i := range 50 {
			syms = append(syms, sym{fmt.Sprintf("sAlpha%02d%02d", f, i), "constant"})
		}
		files[fmt.Sprintf("pkg/dir%03d/file.go", f)] = syms
	}
	index(t, tn, repo.ID, files, "v1")
	// Three Python variables among the 5,000 constants that start with
	// "salpha": kind ranks them last.
	var manifest []app.FileFingerprint
	for p := range files {
		manifest = append(manifest, app.FileFingerprint{Path: p, Fingerprint: fp(p + "v1")})
	}
	py := map[string]string{"p/a.py": "sAlphaPy1", "p/ab.py": "sAlphaPy2", "p/abc.py": "sAlphaPy3"}
	for p := range py {
		manifest = append(manifest, app.FileFingerprint{Path: p, Fingerprint: fp(p)})
	}
	plan, err := tn.BeginIndex(ctx, repo.ID, manifest, app.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ups []app.FileUpload
	for p, name := range py {
		ups = append(ups, app.FileUpload{Path: p, Fingerprint: fp(p), Language: "python", Size: 1, Content: []byte("sealed"),
			Symbols: []app.EncryptedSymbol{{Name: name, Kind: "variable", Line: 1, EndLine: 1}}})
	}
	if err := tn.Upload(ctx, repo.ID, plan.SessionID, ups); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.CommitIndex(ctx, repo.ID, plan.SessionID); err != nil {
		t.Fatal(err)
	}

	want := []string{"sAlphaPy1@p/a.py", "sAlphaPy2@p/ab.py", "sAlphaPy3@p/abc.py"}
	for _, q := range []string{"salpha lang:python", "sal lang:python", "salpha -path:pkg/", "sAlphaP"} {
		if got := results(t, tn, q); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q, want %q", q, got, want)
		}
	}
	before := map[string][]string{}
	queries := []string{"salpha", "salpha00", "sal lang:python", "salpha -path:dir000"}
	for _, q := range queries {
		before[q] = results(t, tn, q)
		if len(before[q]) == 0 {
			t.Fatalf("%s: no results", q)
		}
	}

	// A session re-uploading every file, not committed: its functions
	// rank above every live symbol, and no search may return them.
	var all []app.FileFingerprint
	for p := range files {
		all = append(all, app.FileFingerprint{Path: p, Fingerprint: fp(p + "v2")})
	}
	if plan, err = tn.BeginIndex(ctx, repo.ID, all, app.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	ups = ups[:0]
	for p, syms := range files {
		up := app.FileUpload{Path: p, Fingerprint: fp(p + "v2"), Language: "go", Size: 1, Content: []byte("sealed")}
		for i, s := range syms {
			up.Symbols = append(up.Symbols, app.EncryptedSymbol{Name: s.name + "x", Kind: "function", Line: i + 1, EndLine: i + 1})
		}
		ups = append(ups, up)
	}
	if err := tn.Upload(ctx, repo.ID, plan.SessionID, ups); err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		if got := results(t, tn, q); !reflect.DeepEqual(got, before[q]) {
			t.Errorf("%s with a session pending:\n got %q\nwant %q", q, got, before[q])
		}
	}
}
