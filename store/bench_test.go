package store_test

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/extract"
	"github.com/optiq/optiq/search/embed"
	"github.com/optiq/optiq/search/vector"
)

// benchSample is what the symbol and path shapes query with: names of
// symbols and paths of files of the corpus.
type benchSample struct {
	names, paths []string
}

// stdlibTenant indexes the Go files of $GOROOT/src (symbols only; content
// is a placeholder blob) into a fresh tenant and returns it with a sample
// of symbol names and paths to query.
func stdlibTenant(b *testing.B) (app.Tenant, benchSample) {
	tn, sample, _ := stdlibTenantN(b, 1, false)
	return tn, sample
}

// semanticSample is what semantic benchmarks query with: the first
// sentences of doc comments, embedded by the corpus's model.
type semanticSample struct {
	model   *embed.Model
	queries []string
}

// stdlibTenantN indexes copies of the standard library's symbols into n
// repos of one tenant, with vectors from a model trained on them when
// vectors is set.
func stdlibTenantN(b *testing.B, copies int, vectors bool) (app.Tenant, benchSample, semanticSample) {
	b.Helper()
	root := filepath.Join(runtime.GOROOT(), "src")
	files, err := extract.ListFiles(context.Background(), root)
	if err != nil {
		b.Skip("no $GOROOT/src")
	}
	st := openStore(&testing.T{}, b.TempDir())
	b.Cleanup(func() { st.Close() })
	ctx := context.Background()
	u, ws, err := st.CreateUser(ctx, "bench@example.com", "a long passphrase", app.RoleMember)
	if err != nil {
		b.Fatal(err)
	}
	tn, err := st.Open(ctx, app.Principal{UserID: u.ID}, ws.ID, app.PermIndex)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tn.Close() })
	var manifest []app.FileFingerprint
	var ups []app.FileUpload
	var sample benchSample
	var sem semanticSample
	var texts [][][2]string // per upload, per symbol: head and body
	tr := embed.NewTrainer(embed.Options{})
	for i, f := range files {
		if !strings.HasSuffix(f, ".go") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue
		}
		if i%40 == 0 {
			// A path as people type it: the last directory and the file's
			// name without extension (net/http/server.go → http/server).
			dir, file := path.Split(strings.TrimSuffix(f, ".go"))
			sample.paths = append(sample.paths, path.Base(dir)+"/"+file)
		}
		syms, _ := extract.GoSymbols(f, src)
		up := app.FileUpload{Path: f, Fingerprint: fp(f), Language: "go", Size: int64(len(src)), Content: []byte("sealed")}
		var ft [][2]string
		for j, s := range syms {
			up.Symbols = append(up.Symbols, app.EncryptedSymbol{Name: s.Name, Kind: s.Kind, Container: s.Container, Line: s.Line, EndLine: s.EndLine})
			if i%40 == 0 && j%25 == 0 && len(s.Name) > 3 {
				sample.names = append(sample.names, s.Name)
			}
			if vectors {
				tr.Add(extract.SymbolText(s, src))
				ft = append(ft, [2]string{extract.SymbolHead(s), extract.SymbolBody(s, src)})
				if first, _, _ := strings.Cut(s.Doc, "."); i%20 == 0 && len(strings.Fields(first)) >= 4 {
					words := strings.Map(func(r rune) rune {
						if unicode.IsLetter(r) || unicode.IsDigit(r) {
							return r
						}
						return ' '
					}, strings.ReplaceAll(first, s.Name, ""))
					sem.queries = append(sem.queries, strings.Join(strings.Fields(words), " "))
				}
			}
		}
		texts = append(texts, ft)
		manifest = append(manifest, app.FileFingerprint{Path: f, Fingerprint: fp(f)})
		ups = append(ups, up)
	}
	var opts app.IndexOptions
	if vectors {
		if sem.model, err = tr.Train(ctx); err != nil {
			b.Fatal(err)
		}
		opts = app.IndexOptions{Model: fp("model"), Dims: sem.model.Dims()}
		for i := range ups {
			for j := range ups[i].Symbols {
				if v, ok := sem.model.SymbolVector(texts[i][j][0], texts[i][j][1]); ok {
					ups[i].Symbols[j].Vector = vector.Quantize(v)
				}
			}
		}
	}
	for c := range copies {
		repo, err := tn.CreateRepo(ctx, "go"+strconv.Itoa(c), make([]byte, 16), false)
		if err != nil {
			b.Fatal(err)
		}
		plan, err := tn.BeginIndex(ctx, repo.ID, manifest, opts)
		if err != nil {
			b.Fatal(err)
		}
		if vectors {
			if err := tn.PutModel(ctx, repo.ID, plan.SessionID, []byte("sealed")); err != nil {
				b.Fatal(err)
			}
		}
		for batch := range slices.Chunk(ups, 500) {
			if err := tn.Upload(ctx, repo.ID, plan.SessionID, batch); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := tn.CommitIndex(ctx, repo.ID, plan.SessionID); err != nil {
			b.Fatal(err)
		}
	}
	return tn, sample, sem
}

// BenchmarkSearchStdlib measures in-process search latency over the Go
// standard library's symbols, by query shape.
//
//	go test -run '^$' -bench SearchStdlib ./store
func BenchmarkSearchStdlib(b *testing.B) {
	tn, sample := stdlibTenant(b)
	benchShapes(b, tn, sample)
}

// BenchmarkSearch1M is BenchmarkSearchStdlib over three copies of the
// standard library in three repos: 1.1M symbols, 32k files, one tenant.
//
//	go test -run '^$' -bench Search1M -benchtime 200x ./store
func BenchmarkSearch1M(b *testing.B) {
	tn, sample, _ := stdlibTenantN(b, 3, false)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
	benchShapes(b, tn, sample)
}

// BenchmarkSemantic1M measures semantic and hybrid search over three
// copies of the standard library with a vector per symbol (1.1M symbols,
// 256 dimensions, a model trained on the library): queries are first
// sentences of doc comments, embedded by the model, searched in every
// repo. The symbol shapes run too, with the vector index loaded; heap-MiB
// is the heap in use after the first semantic search.
//
//	go test -run '^$' -bench Semantic1M -benchtime 200x -timeout 60m ./store
func BenchmarkSemantic1M(b *testing.B) {
	tn, sample, sem := stdlibTenantN(b, 3, true)
	repos, err := tn.Repos(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	vecsFor := func(text string) map[string][]float32 {
		v, _ := sem.model.Vector(text)
		out := map[string][]float32{}
		for _, r := range repos {
			out[r.ID] = v
		}
		return out
	}
	q, _ := app.ParseQuery("warm up the vector index")
	q.Mode, q.Limit, q.Vectors = app.ModeSemantic, 20, vecsFor("open a file")
	start := time.Now()
	if _, err := tn.Search(context.Background(), q); err != nil {
		b.Fatal(err)
	}
	first := time.Since(start)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	// A benchmark with sub-benchmarks prints no metrics of its own.
	b.Logf("first semantic search (loads the vector index) %.1fs; heap in use %.0f MiB; process RSS %s (peak %s)",
		first.Seconds(), float64(ms.HeapInuse)/(1<<20), procStatus("VmRSS"), procStatus("VmHWM"))
	for _, mode := range []string{app.ModeSemantic, app.ModeHybrid} {
		b.Run(mode, func(b *testing.B) {
			benchLatency(b, tn, func(i int) app.Query {
				text := sem.queries[i%len(sem.queries)]
				q, err := app.ParseQuery(text)
				if err != nil {
					b.Fatal(err)
				}
				q.Mode, q.Vectors = mode, vecsFor(text)
				return q
			})
		})
	}
	benchShapes(b, tn, sample)
}

func benchShapes(b *testing.B, tn app.Tenant, sample benchSample) {
	shapes := map[string]func(string) string{
		"exact":  func(s string) string { return s },
		"prefix": func(s string) string { return s[:len(s)/2+1] },
		"typo":   func(s string) string { return s[:len(s)-1] + "x" },
		"filter": func(s string) string { return s + " lang:go -path:_test.go" },
	}
	for _, name := range []string{"exact", "prefix", "typo", "filter"} {
		shape := shapes[name]
		b.Run(name, func(b *testing.B) {
			benchLatency(b, tn, func(i int) app.Query {
				q, err := app.ParseQuery(shape(sample.names[i%len(sample.names)]))
				if err != nil {
					b.Fatal(err)
				}
				return q
			})
		})
	}
	b.Run("path", func(b *testing.B) {
		benchLatency(b, tn, func(i int) app.Query {
			q, err := app.ParseQuery(sample.paths[i%len(sample.paths)])
			if err != nil {
				b.Fatal(err)
			}
			q.Mode = app.ModePath
			return q
		})
	})
}

// benchLatency runs the i-th query of each iteration (limit 20) and
// reports p50 and p99.
func benchLatency(b *testing.B, tn app.Tenant, query func(i int) app.Query) {
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		q := query(i)
		q.Limit = 20
		start := time.Now()
		if _, err := tn.Search(context.Background(), q); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// procStatus returns a field of /proc/self/status ("" where there is none).
func procStatus(field string) string {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
