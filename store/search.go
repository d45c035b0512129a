package store

import (
	"cmp"
	"context"
	"database/sql/driver"
	"errors"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/optiq/optiq/app"
	"modernc.org/sqlite"
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
		// Free text also finds files, unless the query asks for symbols
		// only (symbol mode, sym:, or a kind filter other than file), or
		// the symbols found fill the page with matches no file can beat.
		// Once the lexical index is needed for names, the exact name has
		// not filled the page, so files are needed: they are searched
		// meanwhile.
		wantFiles := q.Mode != app.ModeSymbol && !hasField(q, app.FieldSym) && (len(kinds) == 0 || slices.Contains(kinds, app.KindFile))
		type found struct {
			files []candidate
			err   error
		}
		var filesDone chan found
		startFiles := func() {
			if wantFiles {
				filesDone = make(chan found, 1)
				go func() {
					files, err := h.files(ctx, q, texts)
					filesDone <- found{files, err}
				}()
			}
		}
		if cands, err = h.bestSymbolsThen(ctx, q, texts, q.Limit, startFiles); err != nil {
			return nil, err
		}
		if filesDone == nil && wantFiles && !pageBeatsFiles(cands, q.Limit) {
			startFiles()
		}
		if filesDone != nil {
			f := <-filesDone
			if f.err != nil {
				return nil, f.err
			}
			cands = append(cands, f.files...)
		}
	case len(kinds) > 0 && !slices.Contains(kinds, app.KindFile):
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
	return h.results(ctx, cands, repoNames)
}

// results turns a ranked page of candidates into search results, with
// their sealed blobs.
func (h *Tenant) results(ctx context.Context, cands []candidate, repoNames map[string]string) ([]app.SearchResult, error) {
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

// bestFile is the best ranking a file can have: files match at
// TierExact at best (their base name) and rank as kind 1.
var bestFile = app.Ranking{Tier: app.TierExact, Kind: 1}

// pageBeatsFiles sorts cands and reports whether the best limit of them all
// rank above any file.
func pageBeatsFiles(cands []candidate, limit int) bool {
	if len(cands) < limit {
		return false
	}
	slices.SortStableFunc(cands, func(a, b candidate) int { return a.rank.Compare(b.rank) })
	return cands[limit-1].rank.Compare(bestFile) < 0
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
// keeping at least as many of the best as hybrid search fuses.
func (h *Tenant) symbolsByName(ctx context.Context, q app.Query, texts []app.Term) ([]candidate, error) {
	return h.bestSymbols(ctx, q, texts, max(q.Limit, hybridRescore))
}

// bestSymbols ranks the symbols whose names the lexical index matched,
// group by group in the order of the names' tiers, stopping once the best
// groups fill the page. Of each group only the best keep rows in
// app.Ranking order are fetched (keep ≥ q.Limit), so the best keep of the
// result are those of every row of the groups fetched.
func (h *Tenant) bestSymbols(ctx context.Context, q app.Query, texts []app.Term, keep int) ([]candidate, error) {
	return h.bestSymbolsThen(ctx, q, texts, keep, nil)
}

// bestSymbolsThen is bestSymbols calling beforeNames (unless nil) when the
// query's exact name has not filled the best keep and the lexical index's
// names are needed.
func (h *Tenant) bestSymbolsThen(ctx context.Context, q app.Query, texts []app.Term, keep int, beforeNames func()) ([]candidate, error) {
	keep = max(keep, q.Limit)
	// A name equal to the query ranks above any other, and SQLite finds it
	// without the lexical index (whose name hits, past its limit, need not
	// include it): when the query's own name fills the best keep, names
	// that only start like it or resemble it cannot change them.
	lname, exactOnly := exactName(texts)
	var exact []candidate
	if exactOnly {
		var err error
		if exact, err = h.exactRows(ctx, q, texts, lname, keep); err != nil {
			return nil, err
		}
		if len(exact) >= keep {
			return exact, nil
		}
	}
	if beforeNames != nil {
		beforeNames()
	}
	// Names that start with the query rank next. SQLite finds the best of
	// them over every such name, by a range scan of its name index: the
	// lexical index would expand the prefix to one term per name and
	// return only its first maxNames of them, which need not hold the
	// best. When they fill the page, the worse tiers cannot change it.
	var prefixed []candidate
	byPrefix := exactOnly && !anyExact(texts)
	if byPrefix {
		var err error
		if prefixed, err = h.prefixRows(ctx, q, lname, min(keep, maxSymbolRows-len(exact))); err != nil {
			return nil, err
		}
		if len(prefixed) > 0 && len(exact)+len(prefixed) >= q.Limit {
			return append(exact, prefixed...), nil
		}
	}
	names, err := h.t.index.Names(ctx, texts, maxNames)
	if err != nil {
		return nil, err
	}
	// Names equal to every term ignoring case (lname, when exactOnly) are
	// the tier group of their indexed spelling: TierExactCase or TierExact.
	byTier := make([][]string, app.TierCount)
	exactTier := app.TierExact
	for _, n := range names {
		t := nameTier(texts, n.Name)
		if t <= app.TierExact {
			exactTier = t
			continue
		}
		byTier[t] = append(byTier[t], strings.ToLower(n.Name))
	}
	var out []candidate
	for tier := range byTier {
		var rows []candidate
		switch {
		case tier == exactTier:
			if len(exact) == 0 {
				continue
			}
			rows = exact
		case tier == app.TierPrefix && byPrefix:
			if len(prefixed) == 0 && len(byTier[tier]) == 0 {
				continue
			}
			rows = prefixed
		case len(byTier[tier]) == 0:
			continue
		default:
			rows, err = h.tierRows(ctx, q, texts, tier, byTier[tier], min(keep, maxSymbolRows-len(out)))
		}
		if err != nil {
			return nil, err
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

// exactName returns the lower-case name every text term equals ignoring
// case, if there is one.
func exactName(texts []app.Term) (string, bool) {
	if len(texts) == 0 {
		return "", false
	}
	l := strings.ToLower(texts[0].Value)
	for _, t := range texts[1:] {
		if strings.ToLower(t.Value) != l {
			return "", false
		}
	}
	return l, l != ""
}

// anyExact reports whether some term is quoted: it matches equal names
// only.
func anyExact(texts []app.Term) bool {
	return slices.ContainsFunc(texts, func(t app.Term) bool { return t.Exact })
}

// rankOrder orders the rows of one tier as app.Ranking.Compare does: rank
// packs kind rank, path class and path length. Ties (several symbols on
// one line) go by name and row id.
const rankOrder = `s.rank, f.path, s.line, s.lname, s.id`

// exactRows returns the best limit live symbols named lname, the query's
// text ignoring case: those spelt exactly as every term first (TierExactCase),
// then the other spellings (TierExact). Both come in index order.
func (h *Tenant) exactRows(ctx context.Context, q app.Query, texts []app.Term, lname string, limit int) ([]candidate, error) {
	spelling := texts[0].Value
	for _, t := range texts[1:] {
		if t.Value != spelling {
			spelling = "" // no name equals them all: none is same-case
		}
	}
	if spelling == "" {
		rows, err := h.symbolRowsOrdered(ctx, q, `s.lname = ?`, []any{lname}, rankOrder, 1, limit)
		setTier(rows, app.TierExact)
		return rows, err
	}
	same, err := h.symbolRowsOrdered(ctx, q, `s.lname = ? AND s.name = ?`, []any{lname, spelling}, rankOrder, 2, limit)
	if err != nil || len(same) >= limit {
		setTier(same, app.TierExactCase)
		return same, err
	}
	setTier(same, app.TierExactCase)
	other, err := h.symbolRowsOrdered(ctx, q, `s.lname = ? AND s.name != ?`, []any{lname, spelling}, rankOrder, 2, limit-len(same))
	setTier(other, app.TierExact)
	return append(same, other...), err
}

// prefixRows returns the best limit live symbols whose lower-case names
// start with lname and are longer (TierPrefix), in rank order. Of the
// range of the (lname, rank) index those names cover, the limit-th
// smallest rank (read from the index alone) bounds the rows fetched, as in
// tierRows.
func (h *Tenant) prefixRows(ctx context.Context, q app.Query, lname string, limit int) ([]candidate, error) {
	rows, err := h.prefixRange(ctx, q, lname, limit)
	setTier(rows, app.TierPrefix)
	return rows, err
}

// prefixRange is prefixRows before the rows are given their tier.
func (h *Tenant) prefixRange(ctx context.Context, q app.Query, lname string, limit int) ([]candidate, error) {
	if limit <= 0 {
		return nil, nil
	}
	cond, args := `s.lname > ?`, []any{lname}
	if end, ok := app.PrefixEnd(lname); ok {
		cond, args = cond+` AND s.lname < ?`, append(args, end)
	}
	// The smallest ranks in the range (from the name index alone, pending
	// rows included): the rows ranked at most the n-th of them hold the
	// best limit unless filters or pending rows leave fewer than limit of
	// them. Then the bound widens (a pending re-index doubles the rows)
	// over the first maxPrefixScan ranks; past that, or for a range of
	// fewer rows, every row of the range is read (a filter that keeps a
	// few of a short prefix's names: slow, but right).
	whole := func() ([]candidate, error) {
		return h.symbolRowsOrdered(ctx, q, cond, args, rankOrder, len(args), limit)
	}
	if limit >= maxPrefixScan {
		return whole()
	}
	// Each read of ranks scans the whole range (sorting as it goes): read
	// limit of them, then, if filters or pending rows hid too many rows,
	// maxPrefixScan once and widen the bound over those.
	inRange := strings.ReplaceAll(cond, "s.lname", "lname")
	for _, read := range []int{limit, maxPrefixScan} {
		ranks, err := queryColumn[int64](ctx, h.t.db.read, `SELECT rank FROM symbols WHERE `+inRange+` ORDER BY rank LIMIT ?`, append(slices.Clone(args), read)...)
		if err != nil {
			return nil, err
		}
		if len(ranks) < read {
			break // the range has fewer rows than that: read them all
		}
		for n := limit; n <= read; n *= 8 {
			if read == maxPrefixScan && n == limit {
				continue // tried in the first round
			}
			rows, err := h.symbolRowsOrdered(ctx, q, cond+` AND s.rank <= ?`, append(slices.Clone(args), ranks[n-1]), rankOrder, len(args)+1, limit)
			if err != nil || len(rows) >= limit {
				return rows, err
			}
		}
	}
	return whole()
}

// maxPrefixScan bounds the ranks of a name range that prefixRows reads to
// bound its queries.
const maxPrefixScan = 4096

// tierRows returns the best limit live symbols with the names lnames,
// which the lexical index matched at tier (TierPrefix or worse). Every
// spelling of a name starting with the query matches at TierPrefix; for the
// worse tiers the spelling decides (camelCase parts), so unless every
// spelling of the names matches at tier, SQLite computes each row's tier
// with nameTier (optiq_name_tier).
func (h *Tenant) tierRows(ctx context.Context, q app.Query, texts []app.Term, tier int, lnames []string, limit int) ([]candidate, error) {
	cond := `s.lname IN (` + placeholders(len(lnames)) + `)`
	uniform := tier == app.TierPrefix || spellingFree(texts)
	if !uniform {
		// Names nearly always have one spelling, or spellings that match
		// at one tier: then the tier orders nothing, and the rows need
		// not each be matched in SQLite. Reading the spellings costs a
		// row read per symbol, far less than matching and sorting them.
		spellings, err := queryStrings(ctx, h.t.db.read, `SELECT DISTINCT s.name FROM symbols s WHERE `+cond, toAny(lnames)...)
		if err != nil {
			return nil, err
		}
		uniform = !slices.ContainsFunc(spellings, func(s string) bool { return nameTier(texts, s) != tier })
	}
	if uniform {
		// The rows ranked at most the limit-th smallest rank of the
		// names (read from the index alone) hold the best limit, unless
		// filters or pending rows leave fewer than limit of them.
		args := append(toAny(lnames), toAny(lnames)...)
		args = append(args, limit-1)
		rows, err := h.symbolRowsOrdered(ctx, q, cond+` AND s.rank <= (SELECT rank FROM symbols WHERE lname IN (`+placeholders(len(lnames))+`) ORDER BY rank LIMIT 1 OFFSET ?)`, args, rankOrder, len(args), limit)
		if err == nil && len(rows) < limit {
			rows, err = h.symbolRowsOrdered(ctx, q, cond, toAny(lnames), rankOrder, len(lnames), limit)
		}
		setTier(rows, tier)
		return rows, err
	}
	order := `optiq_name_tier(s.name` + strings.Repeat(`, ?`, len(texts)) + `), ` + rankOrder
	args := toAny(lnames)
	for _, t := range texts {
		args = append(args, t.Value)
	}
	rows, err := h.symbolRowsOrdered(ctx, q, cond, args, order, len(lnames), limit)
	for i := range rows {
		rows[i].rank.Tier = nameTier(texts, rows[i].r.Name)
	}
	return rows, err
}

// spellingFree reports whether the terms match every spelling of a name
// at one tier, unless they equal it: terms of one identifier part and
// 3 bytes or more. Past the exact tiers, app.MatchTier reads the spelling
// only for camelCase parts (of queries with several) and for the query
// being one of the name's parts, which for such a term means it is in
// the lower-case name, a test on the name alone. For these terms a tier
// group's rows need no spellings read (names like main or init have
// thousands of symbols).
func spellingFree(texts []app.Term) bool {
	for _, t := range texts {
		if len(app.IdentParts(t.Value)) > 1 || len(strings.ToLower(t.Value)) < 3 {
			return false
		}
	}
	return true
}

func setTier(rows []candidate, tier int) {
	for i := range rows {
		rows[i].rank.Tier = tier
	}
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

// symbolRank is the rank column of a symbol: its kind rank, its file's path
// class and its path length, packed so that integer order is
// app.Ranking.Compare's order on those three.
func symbolRank(kind, path string, generated bool) int64 {
	return packRank(app.KindRank(kind), pathClass(path, generated), len(path))
}

func packRank(kindRank, class, pathLen int) int64 {
	return int64(kindRank*3+class)<<32 | int64(pathLen)
}

func init() {
	// optiq_symbol_rank(kind, path, generated) backfills the rank column
	// (migration 0003); optiq_name_tier(name, term...) is nameTier.
	err := sqlite.RegisterDeterministicScalarFunction("optiq_symbol_rank", 3, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		kind, _ := args[0].(string)
		path, _ := args[1].(string)
		generated, _ := args[2].(int64)
		return symbolRank(kind, path, generated != 0), nil
	})
	if err == nil {
		err = sqlite.RegisterDeterministicScalarFunction("optiq_name_tier", -1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			name, _ := args[0].(string)
			tier := app.TierExactCase
			for _, a := range args[1:] {
				v, _ := a.(string)
				tier = max(tier, app.MatchTier(v, name))
			}
			return int64(tier), nil
		})
	}
	if err != nil {
		panic(err)
	}
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
	return h.symbolRowsOrdered(ctx, q, cond, condArgs, "", len(condArgs), limit)
}

// symbolRowsOrdered is symbolRowsWhere with the rows in order (SQL on
// symbols s and files f; "" for any order): args[:nCond] are the
// condition's arguments, the rest the order's.
func (h *Tenant) symbolRowsOrdered(ctx context.Context, q app.Query, cond string, args []any, order string, nCond int, limit int) ([]candidate, error) {
	var where []string
	var all []any
	if cond != "" {
		where = append(where, cond)
		all = append(all, args[:nCond]...)
	}
	w, a := filterSQL(q, true)
	where, all = append(where, w...), append(all, a...)
	all = append(all, args[nCond:]...)
	if order != "" {
		order = ` ORDER BY ` + order
	}
	all = append(all, limit)
	rows, err := h.t.db.read.QueryContext(ctx, `SELECT s.id, f.repo_id, f.path, f.language, f.generated, s.name, s.kind, s.container, s.line, s.end_line
		FROM symbols s JOIN files f ON f.id = s.file_id WHERE f.session_id IS NULL AND `+strings.Join(where, " AND ")+order+` LIMIT ?`, all...)
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
	limit := max(q.Limit*5, 100)
	rows, err := h.fileRowsExcluding(ctx, q, limit)
	if err == errNoShortcut {
		var hits []app.IndexHit
		if hits, err = h.t.index.Files(ctx, q, limit); err == nil {
			rows, err = h.fileRows(ctx, hits)
		}
	}
	if err != nil {
		return nil, err
	}
	return fileCandidates(rows, texts), nil
}

// fileCandidates ranks the live files of rows for the query's text.
func fileCandidates(rows []fileRow, texts []app.Term) []candidate {
	// Files tied in rank (one path in several repos) stay in row order.
	slices.SortFunc(rows, func(a, b fileRow) int { return cmp.Compare(a.id, b.id) })
	out := make([]candidate, 0, len(rows))
	for _, f := range rows {
		if !f.live {
			continue
		}
		c := candidate{r: app.SearchResult{RepoID: f.repoID, Path: f.path, Language: f.language, Kind: app.KindFile, Line: 1, EndLine: 1}}
		tier := app.TierFuzzy
		base := strings.ToLower(path.Base(c.r.Path))
		for _, t := range texts {
			if lv := strings.ToLower(t.Value); base == lv || strings.TrimSuffix(base, path.Ext(base)) == lv {
				tier = app.TierExact
			}
		}
		c.rank = app.Ranking{Tier: tier, Kind: 1, Class: pathClass(c.r.Path, f.generated), PathLen: len(c.r.Path), Path: c.r.Path, Line: 1}
		out = append(out, c)
	}
	return out
}

// fileRow is a files row the lexical index found, in the index's order.
type fileRow struct {
	id                     int64
	repoID, path, language string
	generated, live        bool
}

// fileRows fetches the files rows of index hits, in the hits' order; a hit
// with no live row is marked not live.
func (h *Tenant) fileRows(ctx context.Context, hits []app.IndexHit) ([]fileRow, error) {
	if len(hits) == 0 {
		return nil, nil
	}
	ids := make([]any, 0, len(hits))
	for _, hit := range hits {
		if id, err := strconv.ParseInt(strings.TrimPrefix(hit.ID, "f"), 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	byID := make(map[string]fileRow, len(ids))
	// In batches, well under SQLite's limit on variables.
	for batch := range slices.Chunk(ids, 1000) {
		if err := h.fileRowsByID(ctx, batch, byID); err != nil {
			return nil, err
		}
	}
	out := make([]fileRow, len(hits))
	for i, hit := range hits {
		out[i] = byID[hit.ID]
	}
	return out, nil
}

func (h *Tenant) fileRowsByID(ctx context.Context, ids []any, byID map[string]fileRow) error {
	rows, err := h.t.db.read.QueryContext(ctx, `SELECT id, repo_id, path, language, generated FROM files WHERE session_id IS NULL AND id IN (`+placeholders(len(ids))+`)`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		f := fileRow{live: true}
		if err := rows.Scan(&f.id, &f.repoID, &f.path, &f.language, &f.generated); err != nil {
			return err
		}
		byID["f"+strconv.FormatInt(f.id, 10)] = f
	}
	return rows.Err()
}

var errNoShortcut = errors.New("no shortcut")

// maxExcludingHits bounds the hits fileRowsExcluding reads before it
// leaves the exclusions to the lexical index after all.
const maxExcludingHits = 4096

// fileRowsExcluding answers a query with -path: filters without making
// the lexical index expand them (each is a scan of every path in the
// index, and a disjunction of every path that matches): it takes the
// index's hits for the query without them, in the same order, and drops
// the paths they exclude, reading more hits until limit pass. It returns
// errNoShortcut for queries it does not handle.
func (h *Tenant) fileRowsExcluding(ctx context.Context, q app.Query, limit int) ([]fileRow, error) {
	var excl []string
	rest := make([]app.Term, 0, len(q.Terms))
	for _, t := range q.Terms {
		if t.Field == app.FieldPath && t.Negate {
			excl = append(excl, strings.ToLower(t.Value))
			continue
		}
		rest = append(rest, t)
	}
	if len(excl) == 0 {
		return nil, errNoShortcut
	}
	q.Terms = rest
	for n := 2 * limit; ; n *= 4 {
		if n > maxExcludingHits {
			return nil, errNoShortcut // the exclusions remove most hits
		}
		hits, err := h.t.index.Files(ctx, q, n)
		if err != nil {
			return nil, err
		}
		rows, err := h.fileRows(ctx, hits)
		if err != nil {
			return nil, err
		}
		var out []fileRow
		for _, f := range rows {
			if !f.live {
				return nil, errNoShortcut // the index is behind data.db: its path is unknown
			}
			if !slices.ContainsFunc(excl, func(v string) bool { return pathxContains(f.path, v) }) {
				if out = append(out, f); len(out) == limit {
					return out, nil
				}
			}
		}
		if len(hits) < n {
			return out, nil
		}
	}
}

// pathxContains is the lexical index's match of a path filter v (lower
// case) against a path: v within the path's lower-case form truncated to
// 2048 bytes.
func pathxContains(p, v string) bool {
	x := strings.ToLower(p)
	if len(x) > 2048 {
		n := 2048
		for n > 0 && !utf8.RuneStart(x[n]) {
			n--
		}
		x = x[:n]
	}
	return strings.Contains(x, v)
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
