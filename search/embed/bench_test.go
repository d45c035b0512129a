package embed_test

import (
	"context"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/optiq/optiq/search/embed"
)

// BenchmarkTrainGoroot trains on every .go file under $GOROOT/src, each
// file read as plain text and added as one document (about 90 MB for Go
// 1.26), and reports seconds per 100 MB of text: wall time, and CPU time
// over all cores (which stays put when other work loads the machine). Run
// with -benchtime 1x.
func BenchmarkTrainGoroot(b *testing.B) {
	root := filepath.Join(build.Default.GOROOT, "src")
	var files []string
	var size int64
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") {
			if info, err := d.Info(); err == nil {
				files = append(files, p)
				size += info.Size()
			}
		}
		return nil
	})
	if len(files) == 0 {
		b.Skip("no Go sources under GOROOT")
	}
	texts := make([]string, len(files))
	for i, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		texts[i] = string(src)
	}
	b.ResetTimer()
	var add, train, cpu time.Duration
	var m *embed.Model
	var tokens int
	for range b.N {
		t0, c0 := time.Now(), cpuTime()
		tr := embed.NewTrainer(embed.Options{})
		var wg sync.WaitGroup
		workers := runtime.GOMAXPROCS(0)
		for w := range workers { // the indexer adds from its parsing goroutines
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(texts); i += workers {
					tr.Add(texts[i])
				}
			}()
		}
		wg.Wait()
		t1 := time.Now()
		var err error
		m, err = tr.Train(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		add += t1.Sub(t0)
		train += time.Since(t1)
		cpu += cpuTime() - c0
		tokens = tr.Tokens()
	}
	b.StopTimer()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	enc, _ := m.MarshalBinary()
	n := float64(b.N)
	per100MB := 100e6 / float64(size)
	b.ReportMetric(float64(size)/1e6, "corpus-MB")
	b.ReportMetric(float64(tokens)/1e6, "Mtokens")
	b.ReportMetric(add.Seconds()/n, "add-s")
	b.ReportMetric(train.Seconds()/n, "train-s")
	b.ReportMetric((add+train).Seconds()/n*per100MB, "s/100MB")
	b.ReportMetric(cpu.Seconds()/n*per100MB, "cpu-s/100MB")
	b.ReportMetric(float64(m.Vocabulary()), "vocab")
	b.ReportMetric(float64(len(enc))/1e6, "model-MB")
	b.ReportMetric(float64(ms.Sys)/(1<<20), "sys-MiB")
}

// BenchmarkEmbed embeds declarations of net/http and friends (doc
// comment and source) with a model trained on them.
func BenchmarkEmbed(b *testing.B) {
	m := smallTrained(b)
	docs := goSymbols(b, "net/http")
	var size int64
	for _, d := range docs {
		size += int64(len(d))
	}
	b.SetBytes(size / int64(len(docs)))
	b.ResetTimer()
	for i := range b.N {
		m.Embed(docs[i%len(docs)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "texts/s")
}

// BenchmarkEmbedQuery embeds short queries, as the CLI and the browser do
// per search.
func BenchmarkEmbedQuery(b *testing.B) {
	m := smallTrained(b)
	qs := []string{"parse http cookie", "gzip writer flush", "TLS handshake certificate", "sortSliceStable", "read request body"}
	b.ResetTimer()
	for i := range b.N {
		m.Embed(qs[i%len(qs)])
	}
}
