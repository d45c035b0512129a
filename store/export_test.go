package store

import (
	"context"
	"slices"
	"strings"

	"github.com/optiq/optiq/app"
)

// SymbolRank exposes symbolRank to tests.
func SymbolRank(kind, path string, generated bool) int64 { return symbolRank(kind, path, generated) }

// RankedSymbol is a symbol candidate as tests see it.
type RankedSymbol struct {
	ID   int64
	Name string
	Rank app.Ranking
}

func ranked(cands []candidate) []RankedSymbol {
	slices.SortStableFunc(cands, func(a, b candidate) int { return a.rank.Compare(b.rank) })
	out := make([]RankedSymbol, len(cands))
	for i, c := range cands {
		out[i] = RankedSymbol{c.id, c.r.Name, c.rank}
	}
	return out
}

// BestSymbols returns bestSymbols(q, keep), sorted.
func BestSymbols(ctx context.Context, tn app.Tenant, q app.Query, keep int) ([]RankedSymbol, error) {
	h := tn.(*Tenant)
	if _, err := h.resolveRepos(ctx, &q); err != nil {
		return nil, err
	}
	cands, err := h.bestSymbols(ctx, q, q.Text(), keep)
	return ranked(cands), err
}

// ReferenceSymbols ranks name matches the plain way bestSymbols must
// agree with: every row of each tier group fetched, each row's tier from
// its spelling, sorted in Go by app.Ranking.Compare.
func ReferenceSymbols(ctx context.Context, tn app.Tenant, q app.Query) ([]RankedSymbol, error) {
	h := tn.(*Tenant)
	if _, err := h.resolveRepos(ctx, &q); err != nil {
		return nil, err
	}
	cands, err := h.referenceSymbols(ctx, q, q.Text())
	return ranked(cands), err
}

func (h *Tenant) referenceSymbols(ctx context.Context, q app.Query, texts []app.Term) ([]candidate, error) {
	names, err := h.t.index.Names(ctx, texts, maxNames)
	if err != nil {
		return nil, err
	}
	byTier := make([][]string, app.TierCount)
	for _, n := range names {
		t := nameTier(texts, n.Name)
		byTier[t] = append(byTier[t], strings.ToLower(n.Name))
	}
	var out []candidate
	for tier := range byTier {
		if len(byTier[tier]) == 0 {
			continue
		}
		rows, err := h.symbolRows(ctx, q, byTier[tier], maxSymbolRows-len(out))
		if err != nil {
			return nil, err
		}
		for i := range rows {
			rows[i].rank.Tier = nameTier(texts, rows[i].r.Name)
		}
		out = append(out, rows...)
		if len(out) >= q.Limit && tier >= app.TierExact || len(out) >= maxSymbolRows {
			break
		}
	}
	return out, nil
}

// ReferenceSearch is Search for free text done the plain way: the
// reference symbols and every file match (path filters applied by the
// lexical index), sorted by app.Ranking.Compare.
func ReferenceSearch(ctx context.Context, tn app.Tenant, q app.Query) ([]app.SearchResult, error) {
	h := tn.(*Tenant)
	repoNames, err := h.resolveRepos(ctx, &q)
	if err != nil {
		return nil, err
	}
	if q.RepoIDs != nil && len(q.RepoIDs) == 0 {
		return []app.SearchResult{}, nil
	}
	texts := q.Text()
	kinds, _ := q.Filters(app.FieldKind)
	cands, err := h.referenceSymbols(ctx, q, texts)
	if err != nil {
		return nil, err
	}
	if q.Mode != app.ModeSymbol && !hasField(q, app.FieldSym) && (len(kinds) == 0 || slices.Contains(kinds, "file")) {
		hits, err := h.t.index.Files(ctx, q, max(q.Limit*5, 100))
		if err != nil {
			return nil, err
		}
		rows, err := h.fileRows(ctx, hits)
		if err != nil {
			return nil, err
		}
		cands = append(cands, fileCandidates(rows, texts)...)
	}
	slices.SortStableFunc(cands, func(a, b candidate) int { return a.rank.Compare(b.rank) })
	cands = cands[:min(len(cands), q.Limit)]
	return h.results(ctx, cands, repoNames)
}
