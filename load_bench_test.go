package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/extract"
	"github.com/optiq/optiq/web"
)

// BenchmarkSearchLoad is a load and soak test of search on loopback with
// the default rate limits on: the server runs in its own process, holds
// $GOROOT/src/net indexed (no embeddings), and 8 clients, each signed in
// with its own session, send symbol searches (names drawn from the corpus,
// their prefixes and a typo) back to back for OPTIQ_LOAD_SECONDS (default
// 10). It reports requests/s, p50/p99 latency, how many answers were 429,
// and the server's RSS sampled every second after a warm-up (first, last
// and highest), which shows whether memory stays steady over a soak.
//
//	go test -run '^$' -bench SearchLoad -benchtime 1x .
//	OPTIQ_LOAD_SECONDS=600 go test -run '^$' -bench SearchLoad -benchtime 1x -timeout 30m .
func BenchmarkSearchLoad(b *testing.B) {
	corpus := filepath.Join(runtime.GOROOT(), "src", "net")
	if _, err := os.Stat(corpus); err != nil {
		b.Skip("no $GOROOT/src/net")
	}
	seconds := 10
	if s := os.Getenv("OPTIQ_LOAD_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("OPTIQ_LOAD_SECONDS=%q: want a number of seconds", s)
		}
		seconds = n
	}
	src := filepath.Join(b.TempDir(), "net")
	copyTree(b, corpus, src)
	ctx := context.Background()
	for b.Loop() {
		sp := startServerProcess(b)
		ts := &testServer{url: sp.url, fingerprint: sp.fingerprint, data: sp.data, masterKey: sp.masterKey}
		owner := newUser(b, ts, "load@example.com", "admin")
		owner.ok("", "repo", "create", "net")
		owner.ok("", "index", src, "--repo", "net", "--no-embeddings", "--json")
		queries := loadQueries(b, src)

		const workers = 8
		clients := make([]*web.Client, workers)
		var ws string
		for i := range clients {
			c := cli{t: b, cfg: b.TempDir()}
			c.ok("a long enough passphrase for load@example.com\n", "login", ts.url, "--email", "load@example.com", "--password-stdin", "--fingerprint", ts.fingerprint)
			cl, cfg := clientFor(b, c)
			clients[i], ws = cl, cfg.Workspace
		}

		var mu sync.Mutex
		var lat []float64
		var limited, failed int
		var firstErr error
		var rss []float64
		deadline := time.Now().Add(time.Duration(seconds) * time.Second)
		stopRSS := make(chan struct{})
		rssDone := make(chan struct{})
		go func() {
			defer close(rssDone)
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-stopRSS:
					return
				case <-t.C:
					cur, _ := sp.rss(b)
					mu.Lock()
					rss = append(rss, cur)
					mu.Unlock()
				}
			}
		}()
		start := time.Now()
		var wg sync.WaitGroup
		for w, cl := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var mine []float64
				myLimited, myFailed := 0, 0
				var myErr error
				for i := w; time.Now().Before(deadline); i += workers {
					q := queries[i%len(queries)]
					t0 := time.Now()
					_, err := cl.Search(ctx, ws, q, web.SearchOptions{Limit: 20})
					d := float64(time.Since(t0).Microseconds()) / 1000
					switch {
					case err == nil:
						mine = append(mine, d)
					case app.ErrorCode(err) == app.ERATELIMITED:
						myLimited++
					default:
						myFailed++
						if myErr == nil {
							myErr = err
						}
					}
				}
				mu.Lock()
				lat = append(lat, mine...)
				limited += myLimited
				failed += myFailed
				if firstErr == nil {
					firstErr = myErr
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		elapsed := time.Since(start).Seconds()
		close(stopRSS)
		<-rssDone
		if failed > 0 {
			b.Fatalf("%d searches failed, first: %v", failed, firstErr)
		}
		if len(lat) == 0 {
			b.Fatal("no search succeeded")
		}
		slices.Sort(lat)
		b.ReportMetric(float64(len(lat))/elapsed, "req/s")
		b.ReportMetric(lat[len(lat)/2], "p50-ms")
		b.ReportMetric(lat[len(lat)*99/100], "p99-ms")
		b.ReportMetric(float64(limited), "429s")
		b.ReportMetric(float64(len(lat)), "searches")
		b.ReportMetric(elapsed, "seconds")
		// Memory after the first 10% of the run (warm-up), at the end, and
		// its highest value in between.
		if len(rss) > 2 {
			steady := rss[len(rss)/10:]
			b.ReportMetric(steady[0], "rss-start-MiB")
			b.ReportMetric(steady[len(steady)-1], "rss-end-MiB")
			b.ReportMetric(slices.Max(steady), "rss-max-MiB")
		}
		if os.Getenv("OPTIQ_LOAD_RSS_LOG") != "" {
			var parts []string
			for _, r := range rss {
				parts = append(parts, fmt.Sprintf("%.0f", r))
			}
			os.WriteFile(os.Getenv("OPTIQ_LOAD_RSS_LOG"), []byte(strings.Join(parts, " ")+"\n"), 0o644)
		}
	}
}

// loadQueries draws symbol names from the corpus, with a prefix and a typo
// of each.
func loadQueries(b *testing.B, src string) []string {
	b.Helper()
	files, err := extract.ListFiles(context.Background(), src)
	if err != nil {
		b.Fatal(err)
	}
	var queries []string
	for i, f := range files {
		if i%5 != 0 || !strings.HasSuffix(f, ".go") {
			continue
		}
		content, err := os.ReadFile(filepath.Join(src, f))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		syms, _ := extract.GoSymbols(f, content)
		for j, s := range syms {
			if j%10 == 0 && len(s.Name) > 3 {
				queries = append(queries, s.Name, s.Name[:len(s.Name)/2+1], s.Name[:len(s.Name)-1]+"x")
			}
		}
	}
	if len(queries) < 100 {
		b.Fatalf("only %d queries", len(queries))
	}
	return queries
}
