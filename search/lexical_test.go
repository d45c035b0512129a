package search_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/search"
)

func TestIdentParts(t *testing.T) {
	tests := map[string][]string{
		"HandleRequest":      {"handle", "request"},
		"handle_request":     {"handle", "request"},
		"HTTPServerError":    {"http", "server", "error"},
		"parseJSON2Go":       {"parse", "json", "2", "go"},
		"x":                  {"x"},
		"__init__":           {"init"},
		"net/http/server.go": {"net", "http", "server", "go"},
		"":                   nil,
	}
	for in, want := range tests {
		if got := search.IdentParts(in); !reflect.DeepEqual(got, want) {
			t.Errorf("IdentParts(%q) = %v, want %v", in, got, want)
		}
	}
}

func openIndex(t *testing.T, docs []app.IndexDoc) *search.Lexical {
	t.Helper()
	l, err := search.OpenLexical(filepath.Join(t.TempDir(), "lexical"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	for i := range docs {
		if docs[i].ID == "" {
			docs[i].ID = fmt.Sprintf("s%d", i+1)
		}
		if docs[i].RepoID == "" {
			docs[i].RepoID = "r1"
		}
		if docs[i].Language == "" {
			docs[i].Language = "go"
		}
	}
	if err := l.Apply(context.Background(), app.IndexChange{Version: 7, Add: docs}); err != nil {
		t.Fatal(err)
	}
	return l
}

func names(t *testing.T, l *search.Lexical, docs []app.IndexDoc, query string) []string {
	t.Helper()
	q, err := app.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	q.Limit = 10
	hits, err := l.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]app.IndexDoc{}
	for _, d := range docs {
		byID[d.ID] = d
	}
	var out []string
	for _, h := range hits {
		d := byID[h.ID]
		if d.Name == "" {
			out = append(out, d.Path)
		} else {
			out = append(out, d.Name+"@"+d.Path)
		}
	}
	return out
}

func TestRankingOrder(t *testing.T) {
	docs := []app.IndexDoc{
		{Name: "HandleRequestLater", Kind: "function", Path: "server/handler.go"},
		{Name: "HandleRequest", Kind: "function", Path: "server/handler_test.go"},
		{Name: "HandleRequest", Kind: "function", Path: "vendor/x/handler.go"},
		{Name: "HandleRequest", Kind: "function", Path: "server/deep/nested/handler.go"},
		{Name: "HandleRequest", Kind: "function", Path: "server/handler.go"},
		{Name: "HandleRequest", Kind: "field", Path: "a.go"},
		{Name: "handlerequest", Kind: "variable", Path: "b.go"},
		{Name: "HandleRawRequest", Kind: "function", Path: "server/raw.go"},
		{Name: "MustHandleRequest", Kind: "function", Path: "server/must.go"},
		{Name: "HandleRequst", Kind: "function", Path: "server/typo.go"},
		{Name: "Unrelated", Kind: "function", Path: "server/unrelated.go"},
	}
	l := openIndex(t, docs)
	want := []string{
		// exact (same case): definitions before fields; source, then
		// shorter paths, then tests, then vendor
		"HandleRequest@server/handler.go",
		"HandleRequest@server/deep/nested/handler.go",
		"HandleRequest@server/handler_test.go",
		"HandleRequest@vendor/x/handler.go",
		"HandleRequest@a.go",
		// exact ignoring case
		"handlerequest@b.go",
		// prefix
		"HandleRequestLater@server/handler.go",
		// camel humps
		"HandleRawRequest@server/raw.go",
		// part / substring
		"MustHandleRequest@server/must.go",
		// fuzzy
		"HandleRequst@server/typo.go",
	}
	if got := names(t, l, docs, "HandleRequest"); !reflect.DeepEqual(got, want) {
		t.Errorf("ranking:\n got %q\nwant %q", got, want)
	}
	if v, _ := l.Version(); v != 7 {
		t.Errorf("version = %d", v)
	}
}

func TestFiltersAndPaths(t *testing.T) {
	docs := []app.IndexDoc{
		{Name: "Reader", Kind: "interface", Path: "io/io.go"},
		{Name: "Reader", Kind: "struct", Path: "bufio/bufio.go"},
		{Name: "Reader", Kind: "class", Path: "lib/reader.py", Language: "python"},
		{Name: "Reader", Kind: "struct", Path: "io/io_test.go"},
		{ID: "f1", Kind: "file", Path: "net/http/server.go"},
		{ID: "f2", Kind: "file", Path: "net/http/client.go"},
		{Name: "Reader", Kind: "struct", Path: "other.go", RepoID: "r2"},
	}
	l := openIndex(t, docs)
	cases := map[string][]string{
		"Reader lang:python":                 {"Reader@lib/reader.py"},
		"Reader -lang:go":                    {"Reader@lib/reader.py"},
		"sym:Reader kind:interface":          {"Reader@io/io.go"},
		"Reader -path:_test.go -lang:python": {"Reader@io/io.go", "Reader@other.go", "Reader@bufio/bufio.go"},
		"path:net/http":                      {"net/http/client.go", "net/http/server.go"},
		"server.go":                          {"net/http/server.go"},
		`"reader" kind:class`:                {"Reader@lib/reader.py"},
	}
	for q, want := range cases {
		if got := names(t, l, docs, q); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", q, got, want)
		}
	}
}

func TestApplyDeleteAndReset(t *testing.T) {
	docs := []app.IndexDoc{{Name: "Alpha", Kind: "function", Path: "a.go"}, {Name: "Beta", Kind: "function", Path: "b.go"}}
	l := openIndex(t, docs)
	if err := l.Apply(context.Background(), app.IndexChange{Version: 8, Delete: []string{"s1"}}); err != nil {
		t.Fatal(err)
	}
	if got := names(t, l, docs, "Alpha"); len(got) != 0 {
		t.Errorf("deleted doc still found: %v", got)
	}
	if got := names(t, l, docs, "Beta"); len(got) != 1 {
		t.Errorf("Beta: %v", got)
	}
	if err := l.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v, _ := l.Version(); v != 0 {
		t.Errorf("version after reset = %d", v)
	}
	if got := names(t, l, docs, "Beta"); len(got) != 0 {
		t.Errorf("Beta after reset: %v", got)
	}
}
