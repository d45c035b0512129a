package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/optiq/optiq/extract"
	"github.com/optiq/optiq/seal"
	"github.com/optiq/optiq/web"
)

// serverProcess is the optiq binary serving on loopback in its own process,
// so that its RSS is the server's alone.
type serverProcess struct {
	cmd              *exec.Cmd
	url, fingerprint string
	data, masterKey  string
}

func startServerProcess(b *testing.B) *serverProcess {
	b.Helper()
	dir := b.TempDir()
	bin := filepath.Join(dir, "optiq")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	sp := &serverProcess{data: filepath.Join(dir, "data"), masterKey: filepath.Join(dir, "master.key")}
	if _, err := seal.CreateMasterKey(sp.masterKey); err != nil {
		b.Fatal(err)
	}
	sp.cmd = exec.Command(bin, "serve", "--data", sp.data, "--master-key", sp.masterKey, "--addr", "127.0.0.1:0")
	sp.cmd.Stdout = io.Discard
	stderr, _ := sp.cmd.StderrPipe()
	if err := sp.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sp.cmd.Process.Signal(os.Interrupt); sp.cmd.Wait() })
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		line := sc.Text()
		if u, ok := strings.CutPrefix(line, "Optiq is listening on "); ok {
			sp.url = u
		}
		if f, ok := strings.CutPrefix(line, "Certificate fingerprint: "); ok {
			sp.fingerprint = f
			break
		}
	}
	go io.Copy(io.Discard, stderr)
	if sp.url == "" || sp.fingerprint == "" {
		b.Fatal("server did not start")
	}
	return sp
}

// rss returns the server's current and peak resident set size in MiB.
func (sp *serverProcess) rss(b *testing.B) (cur, peak float64) {
	b.Helper()
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", sp.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(st), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			cur = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return cur, peak
}

func copyTree(b *testing.B, src, dst string) {
	b.Helper()
	if out, err := exec.Command("cp", "-r", src, dst).CombinedOutput(); err != nil {
		b.Fatalf("copy %s: %v %s", src, err, out)
	}
}

// BenchmarkIndexGoStdlib measures, on $GOROOT/src copied to a temporary
// directory: end-to-end indexing into a fresh server on loopback (MB/s of
// source read), an incremental re-index after touching one file, symbol
// search latency (p50/p99 over names drawn from the corpus, through the
// API as the CLI calls it) and the server's RSS. It runs twice: without
// embeddings (symbol and path search only) and with them (the default:
// the CLI also trains the repo's embedding model and embeds every symbol;
// train-s and embed_cpu-s are that step's cost).
//
//	go test -run '^$' -bench IndexGoStdlib -benchtime 1x .
func BenchmarkIndexGoStdlib(b *testing.B) {
	corpus := filepath.Join(runtime.GOROOT(), "src")
	if _, err := os.Stat(corpus); err != nil {
		b.Skip("no $GOROOT/src")
	}
	src := filepath.Join(b.TempDir(), "src")
	copyTree(b, corpus, src)
	ctx := context.Background()
	for _, embeddings := range []bool{false, true} {
		name := "embeddings=off"
		if embeddings {
			name = "embeddings=on"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				benchIndex(ctx, b, src, !embeddings)
			}
		})
	}
}

// benchRepo starts a server process with a signed-in user and an empty
// repo "go", and returns the server, a client and its config.
func benchRepo(b *testing.B) (*serverProcess, *web.Client, clientConfig) {
	sp := startServerProcess(b)
	ts := &testServer{url: sp.url, fingerprint: sp.fingerprint, data: sp.data, masterKey: sp.masterKey}
	c := newUser(b, ts, "bench@example.com", "admin")
	c.ok("", "repo", "create", "go")
	cl, cfg := clientFor(b, c)
	return sp, cl, cfg
}

func benchIndex(ctx context.Context, b *testing.B, src string, noEmbeddings bool) {
	sp, cl, cfg := benchRepo(b)
	ex, release := newExtractor(ctx, io.Discard)
	defer release()
	opts := indexOptions{extractor: ex, noEmbeddings: noEmbeddings}

	sum, err := indexRepo(ctx, cl, cfg.Workspace, "go", src, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(sum.Bytes)/1e6/sum.Seconds, "MB/s")
	b.ReportMetric(sum.Seconds, "index-s")
	b.ReportMetric(float64(sum.Symbols), "symbols")
	b.ReportMetric(float64(sum.Vectors), "vectors")
	b.ReportMetric(float64(sum.Bytes)/1e6, "MB")
	for name, secs := range sum.Phases {
		b.ReportMetric(secs, name+"-s")
	}

	touched := filepath.Join(src, "net", "http", "server.go")
	orig, _ := os.ReadFile(touched)
	os.WriteFile(touched, append(slices.Clone(orig), []byte("\n// touched\nfunc TouchedByBenchmark() {}\n")...), 0o644)
	inc, err := indexRepo(ctx, cl, cfg.Workspace, "go", src, opts)
	os.WriteFile(touched, orig, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	if inc.Uploaded != 1 {
		b.Fatalf("incremental run uploaded %d files", inc.Uploaded)
	}
	b.ReportMetric(inc.Seconds, "incremental-s")

	p50, p99 := searchLatency(b, cl, cfg.Workspace, src)
	b.ReportMetric(p50, "search-p50-ms")
	b.ReportMetric(p99, "search-p99-ms")
	cur, peak := sp.rss(b)
	b.ReportMetric(cur, "server-rss-MiB")
	b.ReportMetric(peak, "server-peak-rss-MiB")
}

// searchLatency runs symbol searches for names drawn from the corpus (every
// 50th definition of a sample of files) plus their prefixes and a typo, and
// returns p50 and p99 in milliseconds.
func searchLatency(b *testing.B, cl *web.Client, ws, src string) (p50, p99 float64) {
	b.Helper()
	ctx := context.Background()
	files, err := extract.ListFiles(ctx, src)
	if err != nil {
		b.Fatal(err)
	}
	var queries []string
	for i, f := range files {
		if i%40 != 0 || !strings.HasSuffix(f, ".go") {
			continue
		}
		content, _ := os.ReadFile(filepath.Join(src, f))
		syms, _ := extract.GoSymbols(f, content)
		for j, s := range syms {
			if j%25 == 0 && len(s.Name) > 3 {
				queries = append(queries, s.Name, s.Name[:len(s.Name)/2+1], s.Name[:len(s.Name)-1]+"x")
			}
		}
	}
	if len(queries) < 100 {
		b.Fatalf("only %d queries", len(queries))
	}
	for _, q := range queries[:20] { // warm up
		cl.Search(ctx, ws, q, web.SearchOptions{Limit: 20})
	}
	lat := make([]float64, 0, len(queries))
	for _, q := range queries {
		start := time.Now()
		if _, err := cl.Search(ctx, ws, q, web.SearchOptions{Limit: 20}); err != nil {
			b.Fatalf("search %q: %v", q, err)
		}
		lat = append(lat, float64(time.Since(start).Microseconds())/1000)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat)), "queries")
	return lat[len(lat)/2], lat[len(lat)*99/100]
}
