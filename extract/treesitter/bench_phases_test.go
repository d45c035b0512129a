package treesitter

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
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

// processCPU is the CPU time the process has used so far: throughput per
// CPU second holds up better than wall time on a machine shared with other
// work.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCompareModule judges a change to the grammar build: it parses
// the evaluation corpus with lang's embedded module and with another
// build of it (a .wasm or .wasm.gz file), in turns, ten times per module in
// each of b.N rounds, and reports each module's median MB per CPU-second
// and the median of the rounds' ratios (other/embedded). Taking turns keeps
// a machine whose speed drifts from favouring either.
//
//	OPTIQ_TS_COMPARE=swift:/tmp/swift.wasm.gz go test -run '^$' -bench CompareModule -benchtime 21x ./extract/treesitter
func BenchmarkCompareModule(b *testing.B) {
	lang, file, ok := strings.Cut(os.Getenv("OPTIQ_TS_COMPARE"), ":")
	if !ok {
		b.Skip("set OPTIQ_TS_COMPARE=lang:file")
	}
	other, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	if strings.HasSuffix(file, ".gz") {
		if other, err = gunzip(bytes.NewReader(other)); err != nil {
			b.Fatal(err)
		}
	}
	embedded, err := loadWasm(lang)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	if err := instantiateHost(ctx, rt); err != nil {
		b.Fatal(err)
	}
	srcs := evalCorpus(b, lang)
	total := 0
	for _, src := range srcs {
		total += len(src)
	}
	type module struct {
		g    *grammar
		inst *instance
		mbs  []float64
	}
	var mods []*module
	for _, bin := range [][]byte{embedded, other} {
		g := &grammar{name: lang}
		if g.compiled, err = rt.CompileModule(ctx, bin); err != nil {
			b.Fatal(err)
		}
		inst, err := g.instantiate(ctx, rt)
		if err != nil {
			b.Fatal(err)
		}
		if g.symbols, g.fields, err = inst.names(ctx); err != nil {
			b.Fatal(err)
		}
		mods = append(mods, &module{g: g, inst: inst})
	}
	const reps = 10
	var ratios []float64
	b.ResetTimer()
	for i := range b.N {
		// Every other round the other module goes first, so that neither
		// always runs on a warmer (or colder) machine.
		order := []*module{mods[0], mods[1]}
		if i%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		for _, m := range order {
			start := processCPU()
			for range reps {
				for _, src := range srcs {
					if _, err := m.inst.parseTree(ctx, src, m.g); err != nil {
						b.Fatal(err)
					}
				}
			}
			m.mbs = append(m.mbs, float64(total*reps)/(processCPU()-start).Seconds()/1e6)
		}
		ratios = append(ratios, mods[1].mbs[i]/mods[0].mbs[i])
	}
	for i, unit := range []string{"embedded-MB/cpu-s", "other-MB/cpu-s"} {
		b.ReportMetric(median(mods[i].mbs), unit)
	}
	// The ratio within each round holds up better than the two medians
	// when the machine's speed drifts.
	b.ReportMetric(median(ratios), "other/embedded")
}

// median returns the middle value of xs (which it sorts).
func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}
