package store

import (
	"cmp"
	"context"
	"math"
	"path"
	"slices"

	"github.com/optiq/optiq/app"
)

// Bounds on the work of one semantic search.
const (
	// vectorOverfetch × the page size nearest vectors are taken from each
	// repo, leaving room for the filters applied afterwards.
	vectorOverfetch = 10
	minVectorHits   = 100
	// hybridRescore is how many of the best lexical candidates get their
	// vector similarity computed for fusion.
	hybridRescore = 300
	// maxHybridNameTerms is the longest query hybrid search also matches
	// against names.
	maxHybridNameTerms = 4
)

// semanticSearch answers semantic and hybrid queries: the nearest symbols
// to the query's vectors in each repo (one model per repo) and, in hybrid
// mode, the lexical candidates, fused by app.Ranking.Fuse.
func (h *Tenant) semanticSearch(ctx context.Context, q app.Query, texts []app.Term, repoNames map[string]string) ([]app.SearchResult, error) {
	byDims, err := h.t.vectorIndexes(ctx)
	if err != nil {
		return nil, err
	}
	// The k nearest of each repo, then the k nearest of them all, so that
	// the rows fetched stay bounded however many repos are searched.
	k := max(q.Limit*vectorOverfetch, minVectorHits)
	if q.Mode != app.ModeSemantic {
		k = max(k, hybridRescore) // room for the query's words to reorder them
	}
	var hits []app.VectorHit
	for repo, qv := range q.Vectors {
		if q.RepoIDs != nil && !slices.Contains(q.RepoIDs, repo) {
			continue
		}
		if ix := byDims[len(qv)]; ix != nil {
			hits = append(hits, ix.Search(repo, qv, k)...)
		}
	}
	slices.SortFunc(hits, func(a, b app.VectorHit) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return cmp.Compare(a.ID, b.ID)
	})
	sims := make(map[int64]float64, min(len(hits), k))
	for _, hit := range hits[:min(len(hits), k)] {
		sims[hit.ID] = float64(hit.Score)
	}
	var cands []candidate
	if len(sims) > 0 {
		ids := make([]any, 0, len(sims))
		for id := range sims {
			ids = append(ids, id)
		}
		if cands, err = h.symbolRowsWhere(ctx, q, `s.id IN (`+placeholders(len(ids))+`)`, ids, len(ids)); err != nil {
			return nil, err
		}
	}
	lexical := map[int64]bool{}
	// A name rarely matches every word of a long sentence, and trying
	// costs a scan per word: long queries are matched by meaning only.
	if q.Mode != app.ModeSemantic && len(texts) > 0 && len(texts) <= maxHybridNameTerms {
		lex, err := h.symbolsByName(ctx, q, texts)
		if err != nil {
			return nil, err
		}
		slices.SortStableFunc(lex, func(a, b candidate) int { return a.rank.Compare(b.rank) })
		lex = lex[:min(len(lex), hybridRescore)]
		for _, c := range lex {
			lexical[c.id] = true
		}
		cands = mergeCandidates(cands, lex)
	}
	var missing []candidate
	for _, c := range cands {
		if _, ok := sims[c.id]; !ok {
			missing = append(missing, c)
		}
	}
	if err := h.similarities(ctx, q, missing, sims); err != nil {
		return nil, err
	}
	var words []float64
	if q.Mode != app.ModeSemantic {
		words = wordScores(texts, cands)
	}
	type scored struct {
		c     candidate
		score float64
		words float64
	}
	out := make([]scored, len(cands))
	for i, c := range cands {
		if !lexical[c.id] {
			c.rank.Tier = app.TierFuzzy
		}
		score, w := c.rank.FuseSemantic(sims[c.id]), 0.0
		if words != nil {
			w = words[i]
			score = c.rank.Fuse(lexical[c.id], sims[c.id], w)
		}
		out[i] = scored{c, score, w}
	}
	// A name equal to the whole query comes first (same case before any
	// case), whatever the vectors say.
	exact := func(s scored) int {
		if lexical[s.c.id] && s.c.rank.Tier <= app.TierExact {
			return s.c.rank.Tier
		}
		return app.TierCount
	}
	slices.SortStableFunc(out, func(a, b scored) int {
		if ea, eb := exact(a), exact(b); ea != eb {
			return ea - eb
		}
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return a.c.rank.Compare(b.c.rank)
	})
	out = out[:min(len(out), q.Limit)]
	kept := make([]candidate, len(out))
	for i, o := range out {
		kept[i] = o.c
	}
	if err := h.attachBlobs(ctx, kept); err != nil {
		return nil, err
	}
	results := make([]app.SearchResult, len(out))
	for i, o := range out {
		r := kept[i].r
		r.Repo = repoNames[r.RepoID]
		r.Score = math.Round(o.score*1e4) / 1e4
		if q.Mode == app.ModeSemantic {
			r.Why = o.c.rank.ExplainSemantic(r.Kind, sims[o.c.id])
		} else {
			r.Why = o.c.rank.ExplainHybrid(r.Kind, lexical[o.c.id], sims[o.c.id], o.words)
		}
		results[i] = r
	}
	return results, nil
}

// wordScores scores each candidate by the query's words found in its name
// and container (weight 1) and in its path's directories (weight 1/2),
// compared as stems (app.Stem), like BM25 with the rarity of a word
// taken among the candidates; normalised so that the best has 1. These
// are plaintext already, so this reveals nothing more to the server.
func wordScores(texts []app.Term, cands []candidate) []float64 {
	const k1 = 1.2
	query := map[string]bool{}
	for _, t := range texts {
		for _, tok := range app.Tokenize(t.Value) {
			query[app.Stem(tok)] = true
		}
	}
	scores := make([]float64, len(cands))
	if len(query) == 0 || len(cands) == 0 {
		return scores
	}
	tf := make([]map[string]float64, len(cands))
	df := map[string]int{}
	add := func(i int, text string, w float64) {
		for _, tok := range app.Tokenize(text) {
			if st := app.Stem(tok); query[st] {
				if tf[i] == nil {
					tf[i] = map[string]float64{}
				}
				if tf[i][st] == 0 {
					df[st]++
				}
				tf[i][st] += w
			}
		}
	}
	for i, c := range cands {
		add(i, c.r.Name+" "+c.r.Container, 1)
		add(i, path.Dir(c.r.Path), 0.5)
	}
	n := float64(len(cands))
	var best float64
	for i := range cands {
		for st, f := range tf[i] {
			d := float64(df[st])
			scores[i] += math.Log(1+(n-d+0.5)/(d+0.5)) * f * (k1 + 1) / (f + k1)
		}
		best = max(best, scores[i])
	}
	if best > 0 {
		for i := range scores {
			scores[i] /= best
		}
	}
	return scores
}

// similarities computes the cosine similarity of candidates' stored vectors
// to the query vector of their repo, into sims.
func (h *Tenant) similarities(ctx context.Context, q app.Query, cands []candidate, sims map[int64]float64) error {
	if len(cands) == 0 {
		return nil
	}
	ids := make([]any, len(cands))
	for i, c := range cands {
		ids[i] = c.id
	}
	rows, err := h.t.db.read.QueryContext(ctx, `SELECT s.id, f.repo_id, s.vec FROM symbols s JOIN files f ON f.id = s.file_id
		WHERE s.vec IS NOT NULL AND s.id IN (`+placeholders(len(ids))+`)`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var repo string
		var b []byte
		if err := rows.Scan(&id, &repo, &b); err != nil {
			return err
		}
		if qv := q.Vectors[repo]; len(qv) == len(b) {
			sims[id] = cosine(qv, b)
		}
	}
	return rows.Err()
}

// cosine is the cosine similarity of a query vector and a stored int8
// vector (quantised with one scale, which cosine ignores).
func cosine(a []float32, b []byte) float64 {
	var dot, na, nb float64
	for i := range a {
		x, y := float64(a[i]), float64(int8(b[i]))
		dot += x * y
		na += x * x
		nb += y * y
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// mergeCandidates adds more to cands; a candidate in both takes the rank
// from more (the lexical tier).
func mergeCandidates(cands, more []candidate) []candidate {
	at := make(map[int64]int, len(cands))
	for i, c := range cands {
		at[c.id] = i
	}
	for _, c := range more {
		if i, seen := at[c.id]; seen {
			if c.rank.Tier < cands[i].rank.Tier {
				cands[i].rank = c.rank
			}
		} else {
			at[c.id] = len(cands)
			cands = append(cands, c)
		}
	}
	return cands
}
