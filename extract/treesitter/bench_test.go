package treesitter_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/optiq/optiq/extract/treesitter"
)

func reportCPU(b *testing.B, bytes int64, start time.Duration) {
	if cpu := treesitter.ProcessCPU() - start; cpu > 0 {
		b.ReportMetric(float64(bytes)*float64(b.N)/cpu.Seconds()/1e6, "MB/cpu-s")
	}
}

func size(files [][]byte) int64 {
	n := 0
	for _, f := range files {
		n += len(f)
	}
	return int64(n)
}

// BenchmarkSymbols measures extraction throughput on one core (MB/s).
//
//	go test -run '^$' -bench 'Symbols$' -cpu 1 ./extract/treesitter
func BenchmarkSymbols(b *testing.B) {
	p := parser(b)
	for _, lang := range treesitter.Languages() {
		b.Run(lang, func(b *testing.B) {
			files := treesitter.EvalCorpus(b, lang)
			b.SetBytes(size(files))
			if _, err := p.Symbols(context.Background(), lang, "warm", files[0]); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			start := treesitter.ProcessCPU()
			for range b.N {
				for _, src := range files {
					if _, err := p.Symbols(context.Background(), lang, "bench", src); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportCPU(b, size(files), start)
		})
	}
}

// BenchmarkSymbolsParallel measures throughput with one parser instance
// per core (GOMAXPROCS goroutines).
func BenchmarkSymbolsParallel(b *testing.B) {
	p := parser(b)
	for _, lang := range treesitter.Languages() {
		b.Run(lang, func(b *testing.B) {
			files := treesitter.EvalCorpus(b, lang)
			b.SetBytes(size(files))
			start := treesitter.ProcessCPU()
			defer reportCPU(b, size(files), start)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					for _, src := range files {
						if _, err := p.Symbols(context.Background(), lang, "bench", src); err != nil {
							b.Error(err)
							return
						}
					}
				}
			})
		})
	}
}

// BenchmarkStart measures the first file of a language in a new Parser:
// cold (grammar compiled from WebAssembly, empty cache directory) and warm
// (compiled code loaded from the cache directory). Run with -benchtime 3x.
func BenchmarkStart(b *testing.B) {
	src := []byte("x")
	for _, mode := range []string{"cold", "warm"} {
		for _, lang := range treesitter.Languages() {
			b.Run(mode+"/"+lang, func(b *testing.B) {
				dir := b.TempDir()
				if mode == "warm" {
					p, err := treesitter.New(context.Background(), treesitter.Options{CacheDir: dir})
					if err != nil {
						b.Fatal(err)
					}
					p.Symbols(context.Background(), lang, "x", src)
					p.Close(context.Background())
				}
				b.ResetTimer()
				for i := range b.N {
					cache := dir
					if mode == "cold" {
						b.StopTimer()
						cache = filepath.Join(dir, "cold", string(rune('a'+i%26)), strings.Repeat("x", i/26))
						b.StartTimer()
					}
					p, err := treesitter.New(context.Background(), treesitter.Options{CacheDir: cache})
					if err != nil {
						b.Fatal(err)
					}
					if _, err := p.Symbols(context.Background(), lang, "x", src); err != nil {
						b.Fatal(err)
					}
					p.Close(context.Background())
				}
			})
		}
	}
}
