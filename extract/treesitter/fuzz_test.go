package treesitter_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/optiq/optiq/extract/treesitter"
)

// FuzzSymbols feeds random bytes and cut-up real files to every grammar:
// the parser must return symbols or an error, never crash, hang or report
// lines outside the file.
//
//	go test -run '^$' -fuzz '^FuzzSymbols$' -fuzztime 10s ./extract/treesitter
func FuzzSymbols(f *testing.F) {
	langs := treesitter.Languages()
	files, _ := filepath.Glob("testdata/eval/*/*")
	seen := map[string]bool{}
	for i, file := range files {
		lang := filepath.Base(filepath.Dir(file))
		if seen[lang] || strings.HasSuffix(file, ".ctags") || strings.HasSuffix(file, ".expected") || strings.HasSuffix(file, ".txt") || strings.HasSuffix(file, ".md") {
			continue
		}
		seen[lang] = true
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		// Truncated real files: half, and a cut in the middle of a line.
		f.Add(lang, src[:len(src)/2])
		f.Add(lang, src[:min(len(src), 1000+i*37)])
	}
	for _, l := range langs {
		f.Add(l, []byte("\x00\xff{{{(((\"'`/*"))
		f.Add(l, []byte(strings.Repeat("(", 2000)))
		f.Add(l, []byte(strings.Repeat("class A { def f() { ", 30)))
	}
	p, err := treesitter.New(context.Background(), treesitter.Options{CacheDir: cacheDir(f), Timeout: 500 * time.Millisecond})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { p.Close(context.Background()) })
	f.Fuzz(func(t *testing.T, lang string, src []byte) {
		if !p.Supports(lang) {
			lang = langs[len(src)%len(langs)]
		}
		syms, err := p.Symbols(context.Background(), lang, "fuzz", src)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		lines := strings.Count(string(src), "\n") + 1
		for _, s := range syms {
			if s.Line < 1 || s.EndLine < s.Line || s.EndLine > lines {
				t.Fatalf("%s %q: lines %d-%d outside 1-%d", lang, s.Name, s.Line, s.EndLine, lines)
			}
			if s.Name == "" || s.Kind == "" {
				t.Fatalf("%s: empty name or kind: %+v", lang, s)
			}
			if utf8.Valid(src) && !utf8.ValidString(s.Name) {
				t.Fatalf("%s: invalid UTF-8 name %q from valid input", lang, s.Name)
			}
		}
	})
}
