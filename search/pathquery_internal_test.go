package search

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/optiq/optiq/app"
)

// TestSubstringQuery: the dictionary walk finds the files whose lower-case
// path contains the text, special characters included (the wildcard query
// *sub* it replaces missed backslashes).
func TestSubstringQuery(t *testing.T) {
	l, err := OpenLexical(filepath.Join(t.TempDir(), "lexical"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	paths := []string{"net/http/server.go", "net/http/server_test.go", "vendor/x.pb.go", "a*b/c?.go", `x\y.go`,
		"Ünïcode/ÄB.go", "cmd/go/main.go", "README.md", "a/b/c/d/e/f.txt", "pkg/a\nb/handler.go"}
	var ch app.IndexChange
	ch.Version = 1
	for i, p := range paths {
		ch.AddFiles = append(ch.AddFiles, app.FileDoc{ID: fmt.Sprintf("f%d", i), Path: p, RepoID: "r1", Language: "go"})
	}
	if err := l.Apply(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	subs := []string{"zzz", "/", ".", "*", "?", `\`, "ä", "http/ser", "_test.go", "readme"}
	for _, p := range paths {
		lp := []rune(strings.ToLower(p))
		for i := range lp {
			for n := 1; n <= 5 && i+n <= len(lp); n++ {
				subs = append(subs, string(lp[i:i+n]))
			}
		}
	}
	ids := func(q query.Query) []string {
		t.Helper()
		res, err := l.search(context.Background(), query.NewConjunctionQuery([]query.Query{term(fType, "f"), q}), 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range res.Hits {
			out = append(out, h.ID)
		}
		slices.Sort(out)
		return out
	}
	checked := 0
	for _, s := range subs {
		var want []string
		for i, p := range paths {
			if strings.Contains(strings.ToLower(p), s) {
				want = append(want, fmt.Sprintf("f%d", i))
			}
		}
		slices.Sort(want)
		if got := ids(l.pathContains(s)); !slices.Equal(got, want) {
			t.Errorf("%q: got %v, want %v", s, got, want)
		}
		if len(want) > 0 {
			checked++
		}
	}
	if checked < 100 {
		t.Fatalf("only %d substrings matched anything", checked)
	}
	// Terms are cached per segment: a file added or removed later is
	// found or not.
	if err := l.Apply(context.Background(), app.IndexChange{Version: 2, AddFiles: []app.FileDoc{{ID: "new", Path: "net/http/transport.go", RepoID: "r1"}},
		DeleteFiles: []string{"f0"}}); err != nil {
		t.Fatal(err)
	}
	if got := ids(l.pathContains("http/")); !slices.Equal(got, []string{"f1", "new"}) {
		t.Errorf("after a change: %v", got)
	}
}

// TestSegmentTermsByField: the cache keeps each field's terms apart.
func TestSegmentTermsByField(t *testing.T) {
	l, err := OpenLexical(filepath.Join(t.TempDir(), "lexical"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ch := app.IndexChange{Version: 1, AddFiles: []app.FileDoc{{ID: "f", Path: "Net/HTTP/server.go", RepoID: "r1"}}}
	if err := l.Apply(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	ai, _ := l.idx.Advanced()
	r, err := ai.(*scorch.Scorch).Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	segs := r.(*scorch.IndexSnapshot).Segments()
	var c segmentTerms
	x, err := c.get(segs[0].Segment(), fPathX, segs)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := c.get(segs[0].Segment(), fRepo, segs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(x, []string{"net/http/server.go"}) || !slices.Equal(repo, []string{"r1"}) {
		t.Errorf("path terms %q, repo terms %q", x, repo)
	}
}
