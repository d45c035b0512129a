package treesitter

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkPhases splits one core's time per language into the parse
// inside WebAssembly (tree-sitter and the walk that flattens the tree,
// parse), reading the records out and decoding them (decode), and
// extracting symbols in Go (extract).
//
//	go test -run '^$' -bench Phases -cpu 1 -benchtime 20x ./extract/treesitter
func BenchmarkPhases(b *testing.B) {
	ctx := context.Background()
	p, err := New(ctx, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(ctx)
	for _, lang := range Languages() {
		b.Run(lang, func(b *testing.B) {
			srcs := evalCorpus(b, lang)
			total := 0
			for _, src := range srcs {
				total += len(src)
			}
			g := p.grammars[lang]
			if err := g.load(ctx, p.rt); err != nil {
				b.Fatal(err)
			}
			inst, err := g.get(ctx, p.rt)
			if err != nil {
				b.Fatal(err)
			}
			defer g.put(inst)
			b.SetBytes(int64(total))
			var parse, decode, extract time.Duration
			b.ResetTimer()
			for range b.N {
				for _, src := range srcs {
					t0 := time.Now()
					n, err := inst.parseOnly(ctx, src)
					if err != nil {
						b.Fatal(err)
					}
					t1 := time.Now()
					t, err := inst.readTree(ctx, n, src, g)
					if err != nil {
						b.Fatal(err)
					}
					t2 := time.Now()
					extractSymbols(t, specs[lang], lang, "x")
					t3 := time.Now()
					parse += t1.Sub(t0)
					decode += t2.Sub(t1)
					extract += t3.Sub(t2)
				}
			}
			mb := float64(total) * float64(b.N) / 1e6
			b.ReportMetric(mb/parse.Seconds(), "parse-MB/s")
			b.ReportMetric(100*parse.Seconds()/(parse+decode+extract).Seconds(), "parse-%")
			b.ReportMetric(100*decode.Seconds()/(parse+decode+extract).Seconds(), "decode-%")
			b.ReportMetric(100*extract.Seconds()/(parse+decode+extract).Seconds(), "extract-%")
		})
	}
}

// evalCorpus returns the real-world files of the evaluation set for lang
// (testdata/eval, see SOURCES.md there): the corpus the benchmarks measure.
func evalCorpus(b testing.TB, lang string) [][]byte {
	files, _ := filepath.Glob("testdata/eval/" + lang + "/*")
	var out [][]byte
	for _, f := range files {
		if strings.HasSuffix(f, ".ctags") || strings.HasSuffix(f, ".expected") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, src)
	}
	if len(out) == 0 {
		b.Fatal("no corpus for " + lang)
	}
	return out
}
