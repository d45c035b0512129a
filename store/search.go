package store

import (
	"context"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/optiq/optiq/app"
)

// Bounds on the work one search may do.
const (
	maxNames      = 500   // candidate names from the lexical index
	maxSymbolRows = 20000 // symbol rows ranked per search
)

// candidate is one symbol or file being ranked.
type candidate struct {
	r    app.SearchResult
	id   int64 // symbol row id; 0 for files
	rank app.Ranking
}

// Search implements app.Tenant. The lexical index finds the names and
// files that match; data.db maps names to symbols and applies the filters;
// the ranking rules in app order the result.
func (h *Tenant) Search(ctx context.Context, q app.Query) ([]app.SearchResult, error) {
	if h.t.index == nil {
		return nil, app.Errorf(app.EINTERNAL, "search index unavailable")
	}
	repoNames, err := h.resolveRepos(ctx, &q)
	if err != nil {
		return nil, err
	}
	if q.RepoIDs != nil && len(q.RepoIDs) == 0 {
		return []app.SearchResult{}, nil
	}
	if q.Limit <= 0 {
		q.Limit = 20
	}
	texts := q.Text()
	kinds, _ := q.Filters(app.FieldKind)
	if q.Semantic() && len(q.Vectors) > 0 {
		return h.semanticSearch(ctx, q, texts, repoNames)
	}
	if q.Mode == app.ModeSemantic {
		return nil, app.Errorf(app.EINVALID, "semantic search needs query vectors from the repos' embedding models: use optiq search (it embeds the query), or index with embeddings on")
	}
	var cands []candidate
	switch {
	case q.Mode == app.ModePath:
		if cands, err = h.files(ctx, q, texts); err != nil {
			return nil, err
		}
	case len(texts) > 0:
		if cands, err = h.symbolsByName(ctx, q, texts); err != nil {
			return nil, err
		}
		// Free text also finds files, unless the query asks for symbols
		// only (symbol mode, sym:, or a kind filter other than file).
		if q.Mode != app.ModeSymbol && !hasField(q, app.FieldSym) && (len(kinds) == 0 || slices.Contains(kinds, "file")) {
			files, err := h.files(ctx, q, texts)
			if err != nil {
				return nil, err
			}
			cands = append(cands, files...)
		}
	case len(kinds) > 0 && !slices.Contains(kinds, "file"):
		if cands, err = h.symbolRows(ctx, q, nil, q.Limit*10); err != nil {
			return nil, err
		}
	default:
		if cands, err = h.files(ctx, q, nil); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(cands, func(a, b candidate) int { return a.rank.Compare(b.rank) })
	if len(cands) > q.Limit {
		cands = cands[:q.Limit]
	}
	if err := h.attachBlobs(ctx, cands); err != nil {
		return nil, err
	}
	out := make([]app.SearchResult, len(cands))
	for i, c := range cands {
		c.r.Repo = repoNames[c.r.RepoID]
		c.r.Score = c.rank.Score()
		c.r.Why = c.rank.Explain(c.r.Kind)
		out[i] = c.r
	}
	return out, nil
}

// pathClass is app.PathClass, with files the client marked as generated
// ranked with vendored code.
func pathClass(p string, generated bool) int {
	if generated {
		return app.PathVendored
	}
	return app.PathClass(p)
}

func hasField(q app.Query, field string) bool {
	for _, t := range q.Terms {
		if t.Field == field && !t.Negate {
			return true
		}
	}
	return false
}

// resolveRepos turns repo: filters into q.RepoIDs (nil: all repos; empty:
// none left) and returns the repo names by id.
func (h *Tenant) resolveRepos(ctx context.Context, q *app.Query) (map[string]string, error) {
	repos, err := h.Repos(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]string, len(repos))
	byName := make(map[string]string, len(repos))
	for _, r := range repos {
		byID[r.ID] = r.Name
		byName[r.Name] = r.ID
	}
	include, exclude := q.Filters(app.FieldRepo)
	for _, name := range append(slices.Clone(include), exclude...) {
		if _, ok := byName[name]; !ok {
			return nil, app.Errorf(app.ENOTFOUND, "repo %q not found in workspace %q", name, h.ws.Name)
		}
	}
	switch {
	case len(include) > 0:
		q.RepoIDs = []string{}
		for _, name := range include {
			if !slices.Contains(exclude, name) {
				q.RepoIDs = append(q.RepoIDs, byName[name])
			}
		}
	case len(exclude) > 0:
		q.RepoIDs = []string{}
		for _, r := range repos {
			if !slices.Contains(exclude, r.Name) {
				q.RepoIDs = append(q.RepoIDs, r.ID)
			}
		}
	}
	return byID, nil
}

// symbolsByName ranks the symbols whose names the lexical index matched,
// fetching them tier by tier and stopping once the best tiers fill the page.
func (h *Tenant) symbolsByName(ctx context.Context, q app.Query, texts []app.Term) ([]candidate, error) {
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
		// Both spellings of a case-insensitive match share a tier group, so
		// a full page from the exact tiers cannot be beaten later.
		if len(out) >= q.Limit && tier >= app.TierExact || len(out) >= maxSymbolRows {
			break
		}
	}
	return out, nil
}

// nameTier is the worst tier over the query's text terms: every term must
// match the name.
func nameTier(texts []app.Term, name string) int {
	tier := app.TierExactCase
	for _, t := range texts {
		tier = max(tier, app.MatchTier(t.Value, name))
	}
	return tier
}

// symbolRows fetches live symbols with the query's filters applied: names
// (lower-case; nil for any), repos, languages, kinds and paths.
func (h *Tenant) symbolRows(ctx context.Context, q app.Query, lnames []string, limit int) ([]candidate, error) {
	if lnames != nil {
		return h.symbolRowsWhere(ctx, q, `s.lname IN (`+placeholders(len(lnames))+`)`, toAny(lnames), limit)
	}
	return h.symbolRowsWhere(ctx, q, "", nil, limit)
}

// symbolRowsWhere is symbolRows with any condition on symbols s.
func (h *Tenant) symbolRowsWhere(ctx context.Context, q app.Query, cond string, condArgs []any, limit int) ([]candidate, error) {
	var where []string
	var args []any
	if cond != "" {
		where = append(where, cond)
		args = append(args, condArgs...)
	}
	w, a := filterSQL(q, true)
	where, args = append(where, w...), append(args, a...)
	args = append(args, limit)
	rows, err := h.t.db.read.QueryContext(ctx, `SELECT s.id, f.repo_id, f.path, f.language, f.generated, s.name, s.kind, s.container, s.line, s.end_line
		FROM symbols s JOIN files f ON f.id = s.file_id WHERE f.session_id IS NULL AND `+strings.Join(where, " AND ")+` LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		var c candidate
		var generated bool
		if err := rows.Scan(&c.id, &c.r.RepoID, &c.r.Path, &c.r.Language, &generated, &c.r.Name, &c.r.Kind, &c.r.Container, &c.r.Line, &c.r.EndLine); err != nil {
			return nil, err
		}
		c.rank = app.Ranking{Tier: app.TierFuzzy, Kind: app.KindRank(c.r.Kind), Class: pathClass(c.r.Path, generated), PathLen: len(c.r.Path), Path: c.r.Path, Line: c.r.Line}
		out = append(out, c)
	}
	return out, rows.Err()
}

// filterSQL renders the query's repo, language, kind, path and negated
// name filters as conditions on symbols s and files f.
func filterSQL(q app.Query, symbols bool) (where []string, args []any) {
	if q.RepoIDs != nil {
		where = append(where, `f.repo_id IN (`+placeholders(len(q.RepoIDs))+`)`)
		args = append(args, toAny(q.RepoIDs)...)
	}
	in := func(col string, vals []string, not bool) {
		if len(vals) == 0 {
			return
		}
		op := " IN "
		if not {
			op = " NOT IN "
		}
		where = append(where, col+op+`(`+placeholders(len(vals))+`)`)
		args = append(args, toAny(vals)...)
	}
	langs, notLangs := q.Filters(app.FieldLang)
	in("f.language", langs, false)
	in("f.language", notLangs, true)
	if symbols {
		kinds, notKinds := q.Filters(app.FieldKind)
		in("s.kind", kinds, false)
		in("s.kind", notKinds, true)
		var notNames []string
		for _, t := range q.Terms {
			if t.Negate && (t.Field == app.FieldText || t.Field == app.FieldSym) {
				notNames = append(notNames, strings.ToLower(t.Value))
			}
		}
		in("s.lname", notNames, true)
	}
	paths, notPaths := q.Filters(app.FieldPath)
	for _, p := range paths {
		where = append(where, `instr(lower(f.path), ?) > 0`)
		args = append(args, strings.ToLower(p))
	}
	for _, p := range notPaths {
		where = append(where, `instr(lower(f.path), ?) = 0`)
		args = append(args, strings.ToLower(p))
	}
	if len(where) == 0 {
		where = append(where, "1")
	}
	return where, args
}

// files ranks the files the lexical index matched for q.
func (h *Tenant) files(ctx context.Context, q app.Query, texts []app.Term) ([]candidate, error) {
	hits, err := h.t.index.Files(ctx, q, max(q.Limit*5, 100))
	if err != nil {
		return nil, err
	}
	if len(hits) == 0 {
		return nil, nil
	}
	ids := make([]any, 0, len(hits))
	for _, hit := range hits {
		if id, err := strconv.ParseInt(strings.TrimPrefix(hit.ID, "f"), 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	rows, err := h.t.db.read.QueryContext(ctx, `SELECT repo_id, path, language, generated FROM files WHERE session_id IS NULL AND id IN (`+placeholders(len(ids))+`)`, ids...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		c := candidate{r: app.SearchResult{Kind: "file", Line: 1, EndLine: 1}}
		var generated bool
		if err := rows.Scan(&c.r.RepoID, &c.r.Path, &c.r.Language, &generated); err != nil {
			return nil, err
		}
		tier := app.TierFuzzy
		base := strings.ToLower(path.Base(c.r.Path))
		for _, t := range texts {
			if lv := strings.ToLower(t.Value); base == lv || strings.TrimSuffix(base, path.Ext(base)) == lv {
				tier = app.TierExact
			}
		}
		c.rank = app.Ranking{Tier: tier, Kind: 1, Class: pathClass(c.r.Path, generated), PathLen: len(c.r.Path), Path: c.r.Path, Line: 1}
		out = append(out, c)
	}
	return out, rows.Err()
}

// attachBlobs fetches the sealed signature and doc of the symbols kept.
func (h *Tenant) attachBlobs(ctx context.Context, cands []candidate) error {
	idx := map[int64]int{}
	var ids []any
	for i, c := range cands {
		if c.id != 0 {
			idx[c.id] = i
			ids = append(ids, c.id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := h.t.db.read.QueryContext(ctx, `SELECT id, signature, doc FROM symbols WHERE id IN (`+placeholders(len(ids))+`)`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var sig, doc []byte
		if err := rows.Scan(&id, &sig, &doc); err != nil {
			return err
		}
		c := &cands[idx[id]]
		c.r.Signature, c.r.Doc = sig, doc
	}
	return rows.Err()
}
