package search_test

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/search"
)

func openIndex(t *testing.T, ch app.IndexChange) *search.Lexical {
	t.Helper()
	l, err := search.OpenLexical(filepath.Join(t.TempDir(), "lexical"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := l.Apply(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	return l
}

func names(t *testing.T, l *search.Lexical, query string) []string {
	t.Helper()
	q, err := app.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	hits, err := l.Names(context.Background(), q.Text(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range hits {
		out = append(out, h.Name)
	}
	slices.Sort(out)
	return out
}

func TestNamesMatching(t *testing.T) {
	l := openIndex(t, app.IndexChange{Version: 3, AddNames: []string{
		"HandleRequest", "HandleRequestLater", "HandleRawRequest", "MustHandleRequest", "HandleRequst", "Unrelated", "parseJSON", "XMLHttpRequest",
	}})
	cases := map[string][]string{
		"HandleRequest":   {"HandleRawRequest", "HandleRequest", "HandleRequestLater", "HandleRequst", "MustHandleRequest"},
		`"handlerequest"`: {"HandleRequest"},
		"handreq":         nil,
		"HandReq":         {"HandleRawRequest", "HandleRequest", "HandleRequestLater", "HandleRequst", "MustHandleRequest"},
		"json":            {"parseJSON"},
		"parse json":      {"parseJSON"},
		"Unrelatd":        {"Unrelated"},
		"request xml":     {"XMLHttpRequest"},
	}
	for q, want := range cases {
		if got := names(t, l, q); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q, want %q", q, got, want)
		}
	}
	if v, _ := l.Version(); v != 3 {
		t.Errorf("version = %d", v)
	}
}

func TestFilesMatching(t *testing.T) {
	l := openIndex(t, app.IndexChange{Version: 1, AddFiles: []app.FileDoc{
		{ID: "f1", RepoID: "r1", Path: "net/http/server.go", Language: "go"},
		{ID: "f2", RepoID: "r1", Path: "net/http/server_test.go", Language: "go"},
		{ID: "f3", RepoID: "r2", Path: "lib/server.py", Language: "python"},
		{ID: "f4", RepoID: "r1", Path: "README.md"},
	}})
	cases := []struct {
		query string
		repos []string
		want  []string
	}{
		{query: "server", want: []string{"f1", "f2", "f3"}},
		{query: "server -path:_test.go", want: []string{"f1", "f3"}},
		{query: "server lang:python", want: []string{"f3"}},
		{query: "server", repos: []string{"r2"}, want: []string{"f3"}},
		{query: "path:net/http", want: []string{"f1", "f2"}},
		{query: "server.go", want: []string{"f1", "f3"}[:1]},
		{query: "readme", want: []string{"f4"}},
		{query: "lang:go", want: []string{"f1", "f2"}},
	}
	for _, c := range cases {
		q, err := app.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		q.RepoIDs = c.repos
		hits, err := l.Files(context.Background(), q, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range hits {
			got = append(got, h.ID)
		}
		slices.Sort(got)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %v: got %v, want %v", c.query, c.repos, got, c.want)
		}
	}
}

func TestApplyDeleteAndReset(t *testing.T) {
	l := openIndex(t, app.IndexChange{Version: 1, AddNames: []string{"Alpha", "Beta"}, AddFiles: []app.FileDoc{{ID: "f1", Path: "a.go"}}})
	if err := l.Apply(context.Background(), app.IndexChange{Version: 2, DeleteNames: []string{"alpha"}, DeleteFiles: []string{"f1"}}); err != nil {
		t.Fatal(err)
	}
	if got := names(t, l, "Alpha"); len(got) != 0 {
		t.Errorf("deleted name still found: %v", got)
	}
	if got := names(t, l, "Beta"); len(got) != 1 {
		t.Errorf("Beta: %v", got)
	}
	if n, _ := l.DocCount(); n != 1 {
		t.Errorf("doc count %d, want 1", n)
	}
	if err := l.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v, _ := l.Version(); v != 0 {
		t.Errorf("version after reset = %d", v)
	}
	if got := names(t, l, "Beta"); len(got) != 0 {
		t.Errorf("Beta after reset: %v", got)
	}
}

func TestLargeApplyIsBatched(t *testing.T) {
	ch := app.IndexChange{Version: 9, AddNames: manyNames(45000)}
	l := openIndex(t, ch)
	if n, _ := l.DocCount(); n != 45000 {
		t.Fatalf("doc count %d", n)
	}
	if v, _ := l.Version(); v != 9 {
		t.Fatalf("version %d", v)
	}
}

func itoa(i int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
		if i == 0 {
			return string(b)
		}
	}
}

func TestPrefixLengths(t *testing.T) {
	l := openIndex(t, app.IndexChange{Version: 1, AddNames: []string{"abcdefgh", "ab", "Xyzzy"}})
	for q, want := range map[string][]string{
		"a": {"ab", "abcdefgh"}, "abc": {"abcdefgh"}, "abcd": {"abcdefgh"}, "abcde": {"abcdefgh"}, "abcdefgh": {"abcdefgh"},
		"ab": {"ab", "abcdefgh"}, "xyzz": {"Xyzzy"}, "xyzzy": {"Xyzzy"},
	} {
		if got := names(t, l, q); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q, want %q", q, got, want)
		}
	}
}

func TestAbbreviations(t *testing.T) {
	l := openIndex(t, app.IndexChange{Version: 1, AddNames: []string{"HandleRequest", "HelpDialog", "ConfigLoader", "Unrelated"}})
	for q, want := range map[string][]string{
		"hndlReq": {"HandleRequest"},
		"cfgLdr":  {"ConfigLoader"},
		"hlpDlg":  {"HelpDialog"},
	} {
		if got := names(t, l, q); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q, want %q", q, got, want)
		}
	}
}

// TestLargeApplyIsMerged: a change of many documents leaves the index in
// one segment (each segment costs every dictionary scan once more), and
// what it holds is unchanged.
func TestLargeApplyIsMerged(t *testing.T) {
	ch := app.IndexChange{Version: 4, AddNames: manyNames(90000)}
	l := openIndex(t, ch)
	if n := l.Segments(); n != 1 {
		t.Errorf("%d segments after a large apply, want 1", n)
	}
	if n, _ := l.DocCount(); n != 90000 {
		t.Errorf("doc count %d", n)
	}
	if got := names(t, l, `"Namez25"`); !reflect.DeepEqual(got, []string{"Namez25"}) {
		t.Errorf("Namez25: %q", got)
	}
	if v, _ := l.Version(); v != 4 {
		t.Errorf("version %d", v)
	}
}

// manyNames returns n distinct names.
func manyNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = "Name" + string(rune('a'+i%26)) + itoa(i)
	}
	return names
}
