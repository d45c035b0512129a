package store_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/extract"
)

// stdlibTenant indexes the Go files of $GOROOT/src (symbols only; content
// is a placeholder blob) into a fresh tenant and returns it with a sample
// of symbol names to query.
func stdlibTenant(b *testing.B) (app.Tenant, []string) {
	return stdlibTenantN(b, 1)
}

// stdlibTenantN indexes copies of the standard library's symbols into n
// repos of one tenant.
func stdlibTenantN(b *testing.B, copies int) (app.Tenant, []string) {
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
	var sample []string
	for i, f := range files {
		if !strings.HasSuffix(f, ".go") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue
		}
		syms, _ := extract.GoSymbols(f, src)
		up := app.FileUpload{Path: f, Fingerprint: fp(f), Language: "go", Size: int64(len(src)), Content: []byte("sealed")}
		for j, s := range syms {
			up.Symbols = append(up.Symbols, app.EncryptedSymbol{Name: s.Name, Kind: s.Kind, Container: s.Container, Line: s.Line, EndLine: s.EndLine})
			if i%40 == 0 && j%25 == 0 && len(s.Name) > 3 {
				sample = append(sample, s.Name)
			}
		}
		manifest = append(manifest, app.FileFingerprint{Path: f, Fingerprint: fp(f)})
		ups = append(ups, up)
	}
	for c := range copies {
		repo, err := tn.CreateRepo(ctx, "go"+strconv.Itoa(c), make([]byte, 16), false)
		if err != nil {
			b.Fatal(err)
		}
		plan, err := tn.BeginIndex(ctx, repo.ID, manifest, app.IndexOptions{})
		if err != nil {
			b.Fatal(err)
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
	return tn, sample
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
	tn, sample := stdlibTenantN(b, 3)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
	benchShapes(b, tn, sample)
}

func benchShapes(b *testing.B, tn app.Tenant, sample []string) {
	shapes := map[string]func(string) string{
		"exact":  func(s string) string { return s },
		"prefix": func(s string) string { return s[:len(s)/2+1] },
		"typo":   func(s string) string { return s[:len(s)-1] + "x" },
		"filter": func(s string) string { return s + " lang:go -path:_test.go" },
	}
	for _, name := range []string{"exact", "prefix", "typo", "filter"} {
		shape := shapes[name]
		b.Run(name, func(b *testing.B) {
			var lat []time.Duration
			i := 0
			for b.Loop() {
				q, err := app.ParseQuery(shape(sample[i%len(sample)]))
				if err != nil {
					b.Fatal(err)
				}
				q.Limit = 20
				start := time.Now()
				if _, err := tn.Search(context.Background(), q); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
				i++
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
