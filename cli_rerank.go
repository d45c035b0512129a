package main

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/extract"
	"github.com/optiq/optiq/seal"
	"github.com/optiq/optiq/search/embed"
	"github.com/optiq/optiq/web"
)

// searcher runs a search as the CLI does: on the server, then decrypting
// the results here and, in hybrid mode, reordering them by the query's
// words in their code (app.RerankByBody).
type searcher struct {
	cl      *web.Client
	ws      string
	ciphers *ciphers
	models  map[string]*embed.Model // by repo id: the query was embedded with these
}

// search returns the hits of query (parsed as q) and warnings about
// results it could not reorder.
func (s *searcher) search(ctx context.Context, query string, q app.Query, opts web.SearchOptions, rerank bool) ([]searchHit, []string, error) {
	limit := opts.Limit
	rerank = rerank && q.Semantic() && q.Mode != app.ModeSemantic && len(opts.Vectors) > 0 && len(s.models) > 0
	if rerank {
		opts.Limit = max(opts.Limit, app.RerankDepth)
	}
	results, err := s.cl.Search(ctx, s.ws, query, opts)
	if err != nil {
		return nil, nil, err
	}
	hits := make([]searchHit, len(results))
	for i, r := range results {
		hits[i] = s.open(ctx, r)
	}
	var warnings []string
	if rerank {
		hits, warnings = s.rerank(ctx, q.Text(), results, hits)
	}
	if limit > 0 {
		hits = hits[:min(len(hits), limit)]
	}
	return hits, warnings, nil
}

// open decrypts a result's signature and doc.
func (s *searcher) open(ctx context.Context, r app.SearchResult) searchHit {
	h := searchHit{Repo: r.Repo, Path: r.Path, Line: r.Line, EndLine: r.EndLine, Name: r.Name, Kind: r.Kind,
		Container: r.Container, Language: r.Language, Score: r.Score, Why: r.Why}
	rc, err := s.ciphers.get(ctx, r.RepoID)
	if err == nil {
		h.Signature, err = openField(rc, r.Path, seal.KindSignature, r.Name, r.Line, r.Signature)
	}
	if err == nil {
		h.Doc, err = openField(rc, r.Path, seal.KindDoc, r.Name, r.Line, r.Doc)
	}
	if err != nil {
		h.Error = err.Error()
	}
	return h
}

// rerank reorders hits (results, opened) by the query's words in their
// code: it downloads their files sealed, opens them with the repo keys
// and scores each result's name, container, signature, doc and the start
// of its body (the head alone when its file cannot be had). If the files
// cannot be downloaded the hits stay in the server's order.
func (s *searcher) rerank(ctx context.Context, terms []app.Term, results []app.SearchResult, hits []searchHit) ([]searchHit, []string) {
	var refs []web.FileRef
	seen := map[web.FileRef]bool{}
	for i, r := range results {
		ref := web.FileRef{RepoID: r.RepoID, Path: r.Path}
		if r.Kind != app.KindFile && hits[i].Error == "" && !seen[ref] {
			seen[ref] = true
			refs = append(refs, ref)
		}
	}
	files, err := s.cl.Files(ctx, s.ws, refs)
	if err != nil {
		return hits, []string{fmt.Sprintf("results in the server's order: download their files to reorder them: %v (--rerank=false skips this step)", err)}
	}
	warnings, lines := s.openFiles(ctx, files.Files)
	repos := map[string]bool{}
	cands := make([]app.BodyCandidate, len(results))
	for i, r := range results {
		h := hits[i]
		repos[r.RepoID] = true
		cands[i] = app.BodyCandidate{Name: r.Name, Kind: r.Kind, Score: r.Score}
		if r.Kind == app.KindFile {
			continue
		}
		sym := app.Symbol{Name: h.Name, Container: h.Container, Signature: h.Signature, Doc: h.Doc, Line: h.Line, EndLine: h.EndLine}
		cands[i].Text = extract.SymbolHead(sym)
		if l := lines[web.FileRef{RepoID: r.RepoID, Path: r.Path}]; l != nil {
			cands[i].Text += l.SymbolBody(sym)
		}
	}
	order := app.RerankByBody(terms, cands, func(word string) float64 { return s.rarity(word, repos) })
	out := make([]searchHit, len(order))
	for i, o := range order {
		h := hits[o.Index]
		h.Score = math.Round(o.Score*1e4) / 1e4
		h.Why += "; " + o.Explain()
		out[i] = h
	}
	return out, warnings
}

// openFiles opens sealed files with their repo keys, on every core, and
// indexes their lines. A file the key cannot open is left out with a
// warning.
func (s *searcher) openFiles(ctx context.Context, files []app.FileRecord) ([]string, map[web.FileRef]*extract.Lines) {
	opened := make([]*extract.Lines, len(files))
	errs := make([]error, len(files))
	keys := map[string]*seal.Repo{} // read-only once the workers start
	for _, f := range files {
		if rc, err := s.ciphers.get(ctx, f.RepoID); err == nil {
			keys[f.RepoID] = rc
		}
	}
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(files); i = int(next.Add(1) - 1) {
				f := files[i]
				rc := keys[f.RepoID]
				if rc == nil {
					continue // the hit already says why it cannot be opened
				}
				b, err := rc.Open(f.Path, seal.KindContent, f.Content)
				if err != nil {
					errs[i] = err
					continue
				}
				opened[i] = extract.NewLines(b)
			}
		})
	}
	wg.Wait()
	var warnings []string
	lines := map[web.FileRef]*extract.Lines{}
	for i, f := range files {
		if errs[i] != nil {
			warnings = append(warnings, fmt.Sprintf("%s:%s cannot be opened with the repo key (%v): its results are reordered by name and signature only; check the key (optiq key import) or index the repo again", f.Repo, f.Path, errs[i]))
		}
		if opened[i] != nil {
			lines[web.FileRef{RepoID: f.RepoID, Path: f.Path}] = opened[i]
		}
	}
	return warnings, lines
}

// rarity is a word's rarity (embed.Model.Rarity) averaged over the models
// of the repos among the results.
func (s *searcher) rarity(word string, repos map[string]bool) float64 {
	var sum float64
	n := 0
	for id, m := range s.models {
		if repos[id] {
			sum += m.Rarity(word)
			n++
		}
	}
	return sum / float64(max(n, 1))
}
