package main

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"math"
	"os"
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
	"github.com/optiq/optiq/web"
)

// relTarget is one relevance query: an exported function's doc comment,
// without the function's name, that should find the function.
type relTarget struct {
	path, name, query string
}

// stripDocs copies the non-test Go files of src (outside testdata) to dst
// with every declaration's doc comment blanked (newlines kept, so lines do
// not move), and returns the exported functions' doc comments as queries.
func stripDocs(b *testing.B, src, dst string) []relTarget {
	b.Helper()
	var targets []relTarget
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		srcb, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		rel = filepath.ToSlash(rel)
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, srcb, parser.ParseComments)
		out := slices.Clone(srcb)
		if err == nil {
			blank := func(cg *ast.CommentGroup) {
				if cg == nil {
					return
				}
				for i := fset.Position(cg.Pos()).Offset; i < fset.Position(cg.End()).Offset; i++ {
					if out[i] != '\n' {
						out[i] = ' '
					}
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.FuncDecl:
					if n.Doc != nil && n.Name.IsExported() {
						if q := docQuery(n.Doc.Text(), n.Name.Name); q != "" {
							targets = append(targets, relTarget{path: rel, name: n.Name.Name, query: q})
						}
					}
					blank(n.Doc)
				case *ast.GenDecl:
					blank(n.Doc)
				case *ast.TypeSpec:
					blank(n.Doc)
				case *ast.ValueSpec:
					blank(n.Doc)
				case *ast.Field:
					blank(n.Doc)
				}
				return true
			})
			blank(f.Doc)
		}
		target := filepath.Join(dst, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, out, 0o644)
	})
	if err != nil {
		b.Fatal(err)
	}
	return targets
}

// docQuery turns a doc comment into a query: its words (letters and
// digits), without the documented function's name, at most 40 words;
// "" when fewer than 3 remain.
func docQuery(doc, name string) string {
	words := strings.FieldsFunc(doc, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	kept := words[:0]
	for _, w := range words {
		if w != name {
			kept = append(kept, w)
		}
	}
	if len(kept) < 3 {
		return ""
	}
	return strings.Join(kept[:min(len(kept), 40)], " ")
}

// bm25 is a plain BM25 (k1 = 1.2, b = 0.75) over symbol texts, tokenised
// like the embedding model's input: the baseline.
type bm25 struct {
	docs     []relTarget // path and name of each document
	lens     []float64
	avgLen   float64
	postings map[string][]posting
}

type posting struct {
	doc int32
	tf  float32
}

func newBM25() *bm25 { return &bm25{postings: map[string][]posting{}} }

func (m *bm25) add(path, name, text string) {
	id := int32(len(m.docs))
	m.docs = append(m.docs, relTarget{path: path, name: name})
	tf := map[string]float32{}
	toks := embed.Tokenize(text)
	for _, t := range toks {
		tf[t]++
	}
	for t, n := range tf {
		m.postings[t] = append(m.postings[t], posting{id, n})
	}
	m.lens = append(m.lens, float64(len(toks)))
}

func (m *bm25) finish() {
	var sum float64
	for _, l := range m.lens {
		sum += l
	}
	m.avgLen = sum / float64(max(len(m.lens), 1))
}

func (m *bm25) search(query string, k int) []relTarget {
	const k1, bb = 1.2, 0.75
	scores := map[int32]float64{}
	n := float64(len(m.docs))
	seen := map[string]bool{}
	for _, t := range embed.Tokenize(query) {
		if seen[t] {
			continue
		}
		seen[t] = true
		ps := m.postings[t]
		idf := math.Log(1 + (n-float64(len(ps))+0.5)/(float64(len(ps))+0.5))
		for _, p := range ps {
			tf := float64(p.tf)
			scores[p.doc] += idf * tf * (k1 + 1) / (tf + k1*(1-bb+bb*m.lens[p.doc]/m.avgLen))
		}
	}
	ids := make([]int32, 0, len(scores))
	for id := range scores {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b int32) int {
		switch {
		case scores[a] > scores[b]:
			return -1
		case scores[a] < scores[b]:
			return 1
		}
		return int(a - b)
	})
	out := make([]relTarget, 0, k)
	for _, id := range ids[:min(len(ids), k)] {
		out = append(out, m.docs[id])
	}
	return out
}

// relScore accumulates MRR@10 and recall@10.
type relScore struct {
	n      int
	rr, in float64
}

func (s *relScore) add(rank int) {
	s.n++
	if rank >= 1 && rank <= 10 {
		s.rr += 1 / float64(rank)
		s.in++
	}
}

func (s relScore) mrr() float64    { return s.rr / float64(max(s.n, 1)) }
func (s relScore) recall() float64 { return s.in / float64(max(s.n, 1)) }

func rankIn(got []relTarget, want relTarget) int {
	for i, g := range got {
		if g.path == want.path && g.name == want.name {
			return i + 1
		}
	}
	return 0
}

// BenchmarkRelevance measures ranking quality on $GOROOT/src with doc
// comments stripped: each exported function's doc comment (minus its name)
// is a query that should find the function. It reports MRR@10 and
// recall@10 for lexical-only search (symbol mode), semantic search (the
// repo's trained embedding model alone), hybrid search (both) as the
// server answers it and as the CLI shows it (reranked by the words of the
// decrypted code, app.RerankByBody), and a plain BM25 over the same
// symbols' texts measured in the same run; then the share of exact-name
// queries (names defined once in the corpus) whose definition is rank 1
// (hybrid: as the CLI shows it).
//
//	go test -run '^$' -bench Relevance -benchtime 1x -timeout 60m .
//
// RELEVANCE_QUERIES caps the doc-comment queries (default 1500, every
// n-th target so that the sample spans the corpus).
func BenchmarkRelevance(b *testing.B) {
	corpus := filepath.Join(runtime.GOROOT(), "src")
	if _, err := os.Stat(corpus); err != nil {
		b.Skip("no $GOROOT/src")
	}
	src := filepath.Join(b.TempDir(), "src")
	targets := stripDocs(b, corpus, src)
	maxQueries := 1500
	if v, err := strconv.Atoi(os.Getenv("RELEVANCE_QUERIES")); err == nil && v > 0 {
		maxQueries = v
	}
	ctx := context.Background()
	for b.Loop() {
		_, cl, cfg := benchRepo(b)
		ex, release := newExtractor(ctx, io.Discard)
		defer release()
		sum, err := indexRepo(ctx, cl, cfg.Workspace, "go", src, indexOptions{extractor: ex})
		if err != nil {
			b.Fatal(err)
		}
		if sum.Embeddings != "trained" {
			b.Fatalf("no model trained: %+v", sum)
		}
		b.ReportMetric(sum.Phases["train"], "train-s")
		b.ReportMetric(sum.Seconds, "index-s")
		repo, err := cl.Repo(ctx, cfg.Workspace, "go")
		if err != nil {
			b.Fatal(err)
		}
		rc, err := repoCipher(repo.Name, repo.ID, repo.KeyCheck)
		if err != nil {
			b.Fatal(err)
		}
		model, err := repoModel(ctx, cl, cfg.Workspace, repo, rc)
		if err != nil {
			b.Fatal(err)
		}

		// The baseline indexes the same symbols, from the same files.
		base := newBM25()
		defs := map[string]int{} // exported function name → definitions
		var funcs []relTarget
		paths, err := extract.ListFiles(ctx, src)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range paths {
			srcb, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(p)))
			if err != nil {
				b.Fatal(err)
			}
			syms, _ := extract.GoSymbols(p, srcb)
			for _, s := range syms {
				base.add(p, s.Name, extract.SymbolText(s, srcb))
				defs[s.Name]++
				if (s.Kind == "function" || s.Kind == "method") && token.IsExported(s.Name) {
					funcs = append(funcs, relTarget{path: p, name: s.Name})
				}
			}
		}
		base.finish()

		sr := &searcher{cl: cl, ws: cfg.Workspace, ciphers: newCiphers(cl, cfg.Workspace), models: map[string]*embed.Model{repo.ID: model}}
		step := max(1, len(targets)/maxQueries)
		var lexical, hybrid, reranked, semantic, baseline relScore
		var serverTimes, cliTimes []time.Duration // hybrid searches, as the API answers and as the CLI shows
		for i := 0; i < len(targets); i += step {
			tg := targets[i]
			baseline.add(rankIn(base.search(tg.query, 10), tg))
			lexical.add(rankIn(searchTargets(b, cl, cfg.Workspace, tg.query, web.SearchOptions{Mode: "symbol", Limit: 10}), tg))
			opts := web.SearchOptions{Mode: "hybrid", Limit: 10}
			if v, ok := model.Vector(tg.query); ok {
				opts.Vectors = map[string][]float32{repo.ID: v}
			}
			start := time.Now()
			hybrid.add(rankIn(searchTargets(b, cl, cfg.Workspace, tg.query, opts), tg))
			serverTimes = append(serverTimes, time.Since(start))
			start = time.Now()
			reranked.add(rankIn(cliTargets(b, sr, tg.query, opts), tg))
			cliTimes = append(cliTimes, time.Since(start))
			if opts.Vectors != nil {
				opts.Mode = "semantic"
				semantic.add(rankIn(searchTargets(b, cl, cfg.Workspace, tg.query, opts), tg))
			} else {
				semantic.add(0)
			}
		}
		b.ReportMetric(float64(hybrid.n), "queries")
		b.ReportMetric(baseline.mrr(), "bm25-mrr@10")
		b.ReportMetric(baseline.recall(), "bm25-recall@10")
		b.ReportMetric(lexical.mrr(), "lexical-mrr@10")
		b.ReportMetric(lexical.recall(), "lexical-recall@10")
		b.ReportMetric(hybrid.mrr(), "hybrid-mrr@10")
		b.ReportMetric(hybrid.recall(), "hybrid-recall@10")
		b.ReportMetric(semantic.mrr(), "semantic-mrr@10")
		b.ReportMetric(semantic.recall(), "semantic-recall@10")
		b.ReportMetric(reranked.mrr(), "cli-hybrid-mrr@10")
		b.ReportMetric(reranked.recall(), "cli-hybrid-recall@10")
		b.ReportMetric(hybrid.mrr()/max(baseline.mrr(), 1e-9), "hybrid/bm25-mrr")
		b.ReportMetric(reranked.mrr()/max(baseline.mrr(), 1e-9), "cli-hybrid/bm25-mrr")
		for _, d := range []struct {
			name  string
			times []time.Duration
		}{{"hybrid", serverTimes}, {"cli-hybrid", cliTimes}} {
			slices.Sort(d.times)
			b.ReportMetric(float64(d.times[len(d.times)/2].Microseconds())/1e3, d.name+"-p50-ms")
			b.ReportMetric(float64(d.times[len(d.times)*99/100].Microseconds())/1e3, d.name+"-p99-ms")
		}

		// Exact names: every tenth exported function defined once.
		var auto, hyb, n int
		for i, f := range funcs {
			if defs[f.name] != 1 || i%10 != 0 {
				continue
			}
			n++
			if rankIn(searchTargets(b, cl, cfg.Workspace, f.name, web.SearchOptions{Limit: 1}), f) == 1 {
				auto++
			}
			opts := web.SearchOptions{Mode: "hybrid", Limit: 1}
			if v, ok := model.Vector(f.name); ok {
				opts.Vectors = map[string][]float32{repo.ID: v}
			}
			if got := cliTargets(b, sr, f.name, opts); rankIn(got, f) == 1 {
				hyb++
			} else if n-hyb < 8 {
				b.Logf("hybrid %s (%s): got %v", f.name, f.path, got)
			}
		}
		b.ReportMetric(float64(n), "exact-queries")
		b.ReportMetric(float64(auto)/float64(max(n, 1)), "exact-rank1")
		b.ReportMetric(float64(hyb)/float64(max(n, 1)), "exact-rank1-hybrid")
	}
}

func searchTargets(b *testing.B, cl *web.Client, ws, query string, o web.SearchOptions) []relTarget {
	b.Helper()
	res, err := cl.Search(context.Background(), ws, query, o)
	if err != nil {
		b.Fatalf("search %q: %v", query, err)
	}
	out := make([]relTarget, 0, len(res))
	for _, r := range res {
		out = append(out, relTarget{path: r.Path, name: r.Name})
	}
	return out
}

// cliTargets runs a search as the CLI does (searcher: decrypted and, in
// hybrid mode, reranked here).
func cliTargets(b *testing.B, sr *searcher, query string, o web.SearchOptions) []relTarget {
	b.Helper()
	q, err := app.ParseQuery(query)
	if err != nil {
		b.Fatal(err)
	}
	q.Mode = o.Mode
	hits, warnings, err := sr.search(context.Background(), query, q, o, true)
	if err != nil || len(warnings) > 0 {
		b.Fatalf("search %q: %v %v", query, err, warnings)
	}
	out := make([]relTarget, 0, len(hits))
	for _, h := range hits {
		if h.Error != "" {
			b.Fatalf("search %q: %s", query, h.Error)
		}
		out = append(out, relTarget{path: h.Path, name: h.Name})
	}
	return out
}
