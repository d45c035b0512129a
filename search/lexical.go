// Package search implements Optiq's derived search indexes: the per-tenant
// lexical index of symbol names and file paths (Bleve), the vector index and
// embedding models for semantic search, and the ranking that puts the right
// symbol first. Everything here is rebuilt from the tenant's data.db.
package search

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"

	"github.com/optiq/optiq/app"
)

// The index holds two kinds of documents: one per distinct lower-case
// symbol name ("n:" + name), and one per file ("f<rowid>").
const (
	fType  = "t"     // "n" or "f"
	fName  = "name"  // whole symbol name, lower-case, one token
	fParts = "parts" // identifier parts of the name
	fPre   = "pre"   // the prefixes of the lower-case name, up to maxPrefix runes
	fPPre  = "ppre"  // the prefixes of every part, up to maxPrefix runes
	fSpell = "s"     // stored only: the name's spelling
	fPath  = "path"  // path tokens
	fPathX = "pathx" // whole path, lower-case, one token
	fLang  = "lang"
	fRepo  = "repo"
)

var versionKey = []byte("optiq.version")

// Lexical is a tenant's Bleve index. It implements app.LexicalIndex.
type Lexical struct {
	dir string
	mu  sync.RWMutex
	idx bleve.Index
	// written counts the documents added or deleted since the index was
	// last merged into one segment (see mergeAfter).
	written atomic.Int64
	// paths holds each segment's path terms for substring matches.
	paths segmentTerms
}

// OpenLexical opens or creates the lexical index in dir. A corrupt index is
// discarded and re-created empty (version 0), so the store rebuilds it.
func OpenLexical(dir string) (*Lexical, error) {
	l := &Lexical{dir: dir}
	idx, err := bleve.Open(dir)
	if err != nil {
		if !errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
			os.RemoveAll(dir)
		}
		idx, err = create(dir)
		if err != nil {
			return nil, err
		}
	}
	l.idx = idx
	return l, nil
}

func create(dir string) (bleve.Index, error) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return nil, err
	}
	m := mapping.NewIndexMapping()
	m.DefaultMapping.Dynamic = false
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	// The index is derived and rebuilt from data.db when its version stamp
	// does not match, so batches need not be fsynced one by one.
	return bleve.NewUsing(dir, m, "scorch", "scorch", map[string]any{"unsafe_batch": true})
}

// analyzerFunc adapts a function to analysis.Analyzer.
type analyzerFunc func(string) []string

func (f analyzerFunc) Analyze(b []byte) analysis.TokenStream {
	toks := f(string(b))
	out := make(analysis.TokenStream, len(toks))
	for i, t := range toks {
		out[i] = &analysis.Token{Term: []byte(t), Position: i + 1, Type: analysis.AlphaNumeric}
	}
	return out
}

// maxPrefix bounds the indexed prefixes. Short prefixes are the ones that
// would expand to thousands of dictionary terms; longer ones expand to few,
// so they are matched by a term-dictionary scan instead of being indexed.
const maxPrefix = 4

// prefixes returns the prefixes of s of 1 to maxPrefix runes.
func prefixes(s string) []string {
	var out []string
	n := 0
	for i := range s {
		if i > 0 {
			out = append(out, s[:i])
		}
		if n++; n > maxPrefix {
			return out
		}
	}
	return append(out, s)
}

func partPrefixes(name string) []string {
	var out []string
	for _, p := range app.IdentParts(name) {
		out = append(out, prefixes(p)...)
	}
	return out
}

var (
	partsAnalyzer   = analyzerFunc(app.IdentParts)
	pathAnalyzer    = analyzerFunc(pathTokens)
	prefixAnalyzer  = analyzerFunc(func(s string) []string { return prefixes(strings.ToLower(s)) })
	partPreAnalyzer = analyzerFunc(partPrefixes)
)

const indexed = index.IndexField | index.SkipFreqNorm

func keyword(name, value string) *document.TextField {
	return document.NewTextFieldCustom(name, nil, []byte(value), indexed, nil)
}

func nameID(lower string) string { return "n:" + lower }

func nameDocument(name string) *document.Document {
	lower := truncateUTF8(strings.ToLower(name), 1024)
	doc := document.NewDocument(nameID(lower))
	doc.AddField(keyword(fType, "n"))
	doc.AddField(keyword(fName, lower))
	doc.AddField(document.NewTextFieldCustom(fParts, nil, []byte(name), index.IndexField, partsAnalyzer))
	doc.AddField(document.NewTextFieldCustom(fPre, nil, []byte(lower), indexed, prefixAnalyzer))
	doc.AddField(document.NewTextFieldCustom(fPPre, nil, []byte(name), indexed, partPreAnalyzer))
	doc.AddField(document.NewTextFieldCustom(fSpell, nil, []byte(name), index.StoreField, nil))
	return doc
}

func fileDocument(d app.FileDoc) *document.Document {
	doc := document.NewDocument(d.ID)
	doc.AddField(keyword(fType, "f"))
	doc.AddField(document.NewTextFieldCustom(fPath, nil, []byte(d.Path), index.IndexField, pathAnalyzer))
	doc.AddField(keyword(fPathX, truncateUTF8(strings.ToLower(d.Path), 2048)))
	doc.AddField(keyword(fRepo, d.RepoID))
	if d.Language != "" {
		doc.AddField(keyword(fLang, d.Language))
	}
	return doc
}

// applyBatch bounds the documents per Bleve batch: one huge batch builds
// one huge in-memory segment.
const applyBatch = 20000

// mergeAfter is how many documents written since the last merge make the
// end of a change merge the whole index into one segment. A large build
// leaves a dozen segments that Bleve's merge policy keeps apart, and every
// term lookup, prefix and fuzzy dictionary scan runs once per segment
// (at 1.1M symbols, fuzzy queries spent half their time scanning 14
// dictionaries). Small changes leave small segments to the merge policy.
const mergeAfter = 4 * applyBatch

// Apply implements app.LexicalIndex. Large changes go in several batches;
// the version stamp is written with the last, so an interrupted apply
// leaves a stale version and the store rebuilds.
func (l *Lexical) Apply(ctx context.Context, ch app.IndexChange) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	b := l.idx.NewBatch()
	n := 0
	flush := func() error {
		if n < applyBatch {
			return nil
		}
		if err := l.idx.Batch(b); err != nil {
			return err
		}
		b.Reset()
		n = 0
		return ctx.Err()
	}
	for _, name := range ch.DeleteNames {
		b.Delete(nameID(name))
		n++
		if err := flush(); err != nil {
			return err
		}
	}
	for _, id := range ch.DeleteFiles {
		b.Delete(id)
		n++
		if err := flush(); err != nil {
			return err
		}
	}
	for _, name := range ch.AddNames {
		if err := b.IndexAdvanced(nameDocument(name)); err != nil {
			return err
		}
		n++
		if err := flush(); err != nil {
			return err
		}
	}
	for _, d := range ch.AddFiles {
		if err := b.IndexAdvanced(fileDocument(d)); err != nil {
			return err
		}
		n++
		if err := flush(); err != nil {
			return err
		}
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(ch.Version))
	b.SetInternal(versionKey, v[:])
	if err := l.idx.Batch(b); err != nil {
		return err
	}
	l.written.Add(int64(len(ch.DeleteNames) + len(ch.DeleteFiles) + len(ch.AddNames) + len(ch.AddFiles)))
	return l.mergeIfLarge(ctx)
}

// mergeTimeout bounds a merge: Bleve retries a merge that fails (a full
// disk) until it is cancelled, and the index's lock is held meanwhile.
const mergeTimeout = 2 * time.Minute

// mergeIfLarge merges the index into one segment once mergeAfter
// documents have been written since the last merge. A merge that fails or
// takes longer than mergeTimeout is cancelled and leaves the segments as
// they were.
func (l *Lexical) mergeIfLarge(ctx context.Context) error {
	if l.written.Load() < mergeAfter {
		return nil
	}
	s, err := l.scorch()
	if err != nil {
		return nil // not merging leaves the segments apart: slower, still right
	}
	mctx, cancel := context.WithTimeout(ctx, mergeTimeout)
	defer cancel()
	// The last batches may still be persisting as a merge starts: they
	// are merged by the next round.
	for range 3 {
		if err := s.ForceMerge(mctx, nil); err != nil || mctx.Err() != nil || l.segments() <= 1 {
			break
		}
	}
	l.written.Store(0)
	return ctx.Err()
}

// scorch is the index's scorch engine, whose segments the merge and the
// dictionary walks work on.
func (l *Lexical) scorch() (*scorch.Scorch, error) {
	ai, err := l.idx.Advanced()
	if err != nil {
		return nil, err
	}
	s, ok := ai.(*scorch.Scorch)
	if !ok {
		return nil, errors.New("lexical index: not a scorch index")
	}
	return s, nil
}

// Segments returns the number of segments of the index, for metrics and
// tests.
func (l *Lexical) Segments() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.segments()
}

func (l *Lexical) segments() uint64 {
	st, _ := l.idx.StatsMap()["index"].(map[string]any)
	files, _ := st["num_root_filesegments"].(uint64)
	mem, _ := st["num_root_memorysegments"].(uint64)
	return files + mem
}

// AddNames implements app.LexicalIndex.
func (l *Lexical) AddNames(ctx context.Context, names []string) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	for chunk := range slices.Chunk(names, applyBatch) {
		b := l.idx.NewBatch()
		for _, name := range chunk {
			if err := b.IndexAdvanced(nameDocument(name)); err != nil {
				return err
			}
		}
		if err := l.idx.Batch(b); err != nil {
			return err
		}
		l.written.Add(int64(len(chunk)))
	}
	return nil
}

// Version implements app.LexicalIndex.
func (l *Lexical) Version() (int64, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	v, err := l.idx.GetInternal(versionKey)
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, nil
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

// Reset implements app.LexicalIndex.
func (l *Lexical) Reset(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.paths.clear()
	if err := l.idx.Close(); err != nil {
		return err
	}
	if err := os.RemoveAll(l.dir); err != nil {
		return err
	}
	idx, err := create(l.dir)
	if err != nil {
		return fmt.Errorf("re-create index: %w", err)
	}
	l.idx = idx
	l.written.Store(0)
	return nil
}

// Close implements app.LexicalIndex.
func (l *Lexical) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.paths.clear()
	return l.idx.Close()
}

// DocCount returns the number of documents, for metrics.
func (l *Lexical) DocCount() (uint64, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.idx.DocCount()
}

func (l *Lexical) search(ctx context.Context, q query.Query, limit int, fields ...string) (*bleve.SearchResult, error) {
	req := bleve.NewSearchRequestOptions(q, limit, 0, false)
	req.Fields = fields
	req.SortBy([]string{"-_score", "_id"})
	return l.run(ctx, req)
}

func (l *Lexical) run(ctx context.Context, req *bleve.SearchRequest) (*bleve.SearchResult, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	res, err := l.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("lexical search: %w", err)
	}
	return res, nil
}

// multiPart reports whether some term has several identifier parts (only
// those are matched part by part, and so can be abbreviations).
func multiPart(terms []app.Term) bool {
	for _, t := range terms {
		if !t.Exact && len(app.IdentParts(t.Value)) > 1 {
			return true
		}
	}
	return false
}

// hasGoodMatch reports whether some hit matches every term at the
// camelCase-parts tier or better.
func hasGoodMatch(terms []app.Term, res *bleve.SearchResult) bool {
	for _, h := range res.Hits {
		spell, _ := h.Fields[fSpell].(string)
		worst := app.TierExactCase
		for _, t := range terms {
			worst = max(worst, app.MatchTier(t.Value, spell))
		}
		if worst <= app.TierHump {
			return true
		}
	}
	return false
}

func (l *Lexical) names(ctx context.Context, terms []app.Term, limit int, abbrev bool, near nearNames) (*bleve.SearchResult, error) {
	var asAbbrev func(part string) bool
	if abbrev {
		// Only parts that start no indexed part are read as abbreviations:
		// each costs a regexp scan of the part dictionary.
		asAbbrev = func(part string) bool { return !l.partPrefixExists(part) }
	}
	// Every name query used to hold a clause on the type field, whose
	// score (a term of an index without frequencies) is NaN: the hits
	// were tied and came in id order. They are asked for in id order, and
	// unscored; the name fields are in name documents only, so no type
	// clause is needed either (the conjunction stepped through its
	// postings, one per name, to every match).
	var must []query.Query
	if len(terms) == 0 {
		must = append(must, term(fType, "n"))
	}
	for _, t := range terms {
		q, err := nameQuery(t, asAbbrev, l.abbreviatedParts, near)
		if err != nil {
			return nil, err
		}
		must = append(must, q)
	}
	req := bleve.NewSearchRequestOptions(query.NewConjunctionQuery(must), limit, 0, false)
	req.Fields = []string{fSpell}
	req.SortBy([]string{"_id"})
	req.Score = "none"
	return l.run(ctx, req)
}

// nearNames returns the names within k edits of a lower-case term that
// share its first rune (see fuzzyNames).
type nearNames func(lower string, k int) ([]fuzzyTerm, error)

// partPrefixExists reports whether some name part starts with p.
func (l *Lexical) partPrefixExists(p string) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	d, err := l.idx.FieldDictPrefix(fParts, []byte(p))
	if err != nil {
		return true // unknown: do not pay for the regexp
	}
	defer d.Close()
	e, err := d.Next()
	return err != nil || e != nil
}

// Names implements app.LexicalIndex.
func (l *Lexical) Names(ctx context.Context, terms []app.Term, limit int) ([]app.NameHit, error) {
	// A second search with abbreviations finds the same near names.
	found := map[string][]fuzzyTerm{}
	near := func(lower string, k int) ([]fuzzyTerm, error) {
		if c, ok := found[lower]; ok {
			return c, nil
		}
		c, err := l.fuzzyNames(lower, k)
		found[lower] = c
		return c, err
	}
	res, err := l.names(ctx, terms, limit, false, near)
	if err != nil {
		return nil, err
	}
	if multiPart(terms) && !hasGoodMatch(terms, res) {
		// Nothing matched by name, prefix or parts: also try the query's
		// parts as abbreviations, which costs a regexp scan of the part
		// dictionary per part.
		if res, err = l.names(ctx, terms, limit, true, near); err != nil {
			return nil, err
		}
	}
	out := make([]app.NameHit, 0, len(res.Hits))
	for _, h := range res.Hits {
		spell, _ := h.Fields[fSpell].(string)
		if spell == "" {
			spell = strings.TrimPrefix(h.ID, "n:")
		}
		out = append(out, app.NameHit{Name: spell, Score: h.Score})
	}
	return out, nil
}

// Files implements app.LexicalIndex.
func (l *Lexical) Files(ctx context.Context, q app.Query, limit int) ([]app.IndexHit, error) {
	must := []query.Query{term(fType, "f")}
	var mustNot []query.Query
	for _, t := range q.Terms {
		var c query.Query
		switch t.Field {
		case app.FieldText:
			c = l.pathTextQuery(t.Value)
		case app.FieldPath:
			c = l.pathContains(t.Value)
		case app.FieldLang:
			c = term(fLang, t.Value)
		default:
			continue // sym:, kind: and repo: do not apply to files here
		}
		if t.Negate {
			mustNot = append(mustNot, c)
		} else {
			must = append(must, c)
		}
	}
	if len(q.RepoIDs) > 0 {
		repos := make([]query.Query, len(q.RepoIDs))
		for i, id := range q.RepoIDs {
			repos[i] = term(fRepo, id)
		}
		must = append(must, query.NewDisjunctionQuery(repos))
	}
	res, err := l.search(ctx, query.NewBooleanQuery(must, nil, mustNot), limit)
	if err != nil {
		return nil, err
	}
	out := make([]app.IndexHit, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = app.IndexHit{ID: h.ID, Score: h.Score}
	}
	return out, nil
}

func term(field, v string) *query.TermQuery {
	t := query.NewTermQuery(v)
	t.SetField(field)
	return t
}

// boosted sets a query's boost; every Bleve query type has SetBoost.
func boosted(q query.Query, b float64) query.Query {
	if bq, ok := q.(interface{ SetBoost(float64) }); ok {
		bq.SetBoost(b)
	}
	return q
}

func prefix(field, v string) *query.PrefixQuery {
	p := query.NewPrefixQuery(v)
	p.SetField(field)
	return p
}

func (l *Lexical) pathContains(v string) query.Query {
	return substringQuery{field: fPathX, sub: strings.ToLower(v), cache: &l.paths}
}

// nameQuery matches one text term against names: exact, prefix, camel
// hump (each query part a prefix of a name part), part, bounded fuzzy.
// Prefixes are indexed terms, so each clause is a term lookup except the
// fuzzy one.
func nameQuery(t app.Term, asAbbrev func(part string) bool, abbreviated func(p string) ([]string, error), near nearNames) (query.Query, error) {
	lower := strings.ToLower(t.Value)
	if t.Exact {
		return term(fName, lower), nil
	}
	dis := []query.Query{boosted(term(fName, lower), 16), boosted(prefixQuery(fPre, lower), 8)}
	parts := app.IdentParts(t.Value)
	if len(parts) > 1 {
		conj := make([]query.Query, len(parts))
		for i, p := range parts {
			var err error
			if conj[i], err = partQuery(p, asAbbrev != nil && asAbbrev(p), abbreviated); err != nil {
				return nil, err
			}
		}
		dis = append(dis, boosted(query.NewConjunctionQuery(conj), 4))
	} else if len(parts) == 1 {
		dis = append(dis, boosted(term(fParts, parts[0]), 2))
	}
	if n := len([]rune(lower)); n >= 4 {
		// Names within one edit (two from 8 runes) that share the first
		// rune, boosted by 1/(1+distance) as Bleve's fuzzy query boosts
		// them, found by fuzzyNames instead of that query.
		cands, err := near(lower, 1+min(n/8, 1))
		if err != nil {
			return nil, err
		}
		if len(cands) == 0 || len(cands) == 1 && cands[0].name == lower {
			dis = append(dis, boosted(term(fName, lower), 1))
		} else {
			f := make([]query.Query, len(cands))
			for i, c := range cands {
				f[i] = boosted(term(fName, c.name), 1/float64(1+c.distance))
			}
			dis = append(dis, query.NewDisjunctionQuery(f))
		}
	}
	return query.NewDisjunctionQuery(dis), nil
}

// partQuery matches name parts that start with p or that p abbreviates
// (same first letter, the rest in order: hndl → handle).
// The parts p abbreviates are found by abbreviated (abbreviatedParts).
func partQuery(p string, abbrev bool, abbreviated func(p string) ([]string, error)) (query.Query, error) {
	pre := prefixQuery(fPPre, p)
	if !abbrev || len(p) < 2 || !isASCIIAlnum(p) {
		return pre, nil
	}
	parts, err := abbreviated(p)
	if err != nil || len(parts) == 0 {
		return pre, err
	}
	abbr := make([]query.Query, len(parts))
	for i, w := range parts {
		abbr[i] = term(fParts, w)
	}
	return query.NewDisjunctionQuery([]query.Query{pre, query.NewDisjunctionQuery(abbr)}), nil
}

func isASCIIAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// prefixQuery matches names (or parts) starting with p through the indexed
// prefixes, or by scanning the term dictionary for prefixes longer than
// those indexed.
func prefixQuery(field, p string) query.Query {
	if len([]rune(p)) <= maxPrefix {
		return term(field, p)
	}
	if field == fPPre {
		return prefix(fParts, p)
	}
	return prefix(fName, p)
}

// pathTextQuery matches free text against a path: a path token, or for
// text that looks like a path, a substring of the whole path.
func (l *Lexical) pathTextQuery(v string) query.Query {
	lower := strings.ToLower(v)
	if strings.ContainsAny(lower, "/.") {
		return l.pathContains(lower)
	}
	return query.NewDisjunctionQuery([]query.Query{boosted(term(fPath, lower), 2), prefix(fPath, lower)})
}

// fuzzyTerm is a name within the fuzzy query's edit distance of a term.
type fuzzyTerm struct {
	name     string
	distance uint8
}

// fuzzyNames returns the indexed names (fName terms) that start with the
// first rune of lower and are within k edits of it, as Bleve's fuzzy query
// with prefix 1 finds them. Bleve builds the term's whole Levenshtein DFA
// before it reads the dictionary, which for two edits costs more than the
// walk; the editAutomaton computes only the states the walk reaches.
func (l *Lexical) fuzzyNames(lower string, k int) ([]fuzzyTerm, error) {
	_, size := utf8.DecodeRuneInString(lower)
	if size == 0 {
		return nil, nil
	}
	var out []fuzzyTerm
	err := l.walkDict(fName, newEditAutomaton(lower, k), lower[:size], func(term string, distance uint8) {
		out = append(out, fuzzyTerm{term, distance})
	})
	return out, err
}

// abbreviatedParts returns the indexed name parts that p (ASCII letters
// and digits) abbreviates: those starting with its first letter that hold
// the rest in order (hndl → handle), as the regular expression
// h.*n.*d.*l.* would match them. Bleve builds that expression's DFA,
// which for a long part costs far more than the dictionary walk.
func (l *Lexical) abbreviatedParts(p string) ([]string, error) {
	var out []string
	err := l.walkDict(fParts, subsequenceAutomaton(p), p[:1], func(term string, _ uint8) {
		out = append(out, term)
	})
	return out, err
}

// automaton is the automaton a term dictionary walk takes
// (segment.Automaton).
type automaton interface {
	Start() int
	IsMatch(int) bool
	CanMatch(int) bool
	WillAlwaysMatch(int) bool
	Accept(int, byte) int
}

// walkDict calls found with each distinct term of field that starts with
// prefix and that a accepts, in every segment of the index.
func (l *Lexical) walkDict(field string, a automaton, prefix string, found func(term string, distance uint8)) error {
	var end []byte // none: to the dictionary's end
	if e, ok := app.PrefixEnd(prefix); ok {
		end = []byte(e)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	s, err := l.scorch()
	if err != nil {
		return err
	}
	r, err := s.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return errors.New("lexical index: unknown reader")
	}
	seen := map[string]bool{}
	for _, seg := range snap.Segments() {
		err := segmentTermsOf(seg.Segment(), field, a, []byte(prefix), end, func(e *index.DictEntry) {
			if !seen[e.Term] {
				seen[e.Term] = true
				found(e.Term, e.EditDistance)
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// segmentTermsOf calls found with each term of field in seg that a
// accepts, from start (inclusive) to end (exclusive; nil for no bound).
func segmentTermsOf(seg segment.Segment, field string, a automaton, start, end []byte, found func(*index.DictEntry)) error {
	d, err := seg.Dictionary(field)
	if err != nil {
		return err
	}
	it := d.AutomatonIterator(a, start, end)
	for {
		e, err := it.Next()
		if err != nil || e == nil {
			return err
		}
		found(e)
	}
}

// subsequenceAutomaton matches the byte strings that start with p's first
// byte and hold the rest of p in order. A state is the count of p's bytes
// matched; len(p)+1 is dead.
type subsequenceAutomaton string

func (p subsequenceAutomaton) Start() int               { return 0 }
func (p subsequenceAutomaton) IsMatch(s int) bool       { return s == len(p) }
func (p subsequenceAutomaton) CanMatch(s int) bool      { return s <= len(p) }
func (p subsequenceAutomaton) WillAlwaysMatch(int) bool { return false }

func (p subsequenceAutomaton) Accept(s int, b byte) int {
	switch {
	case s == 0 && b != p[0], s > len(p):
		return len(p) + 1
	case s < len(p) && b == p[s]:
		return s + 1
	}
	return s
}

// editAutomaton matches the byte strings whose runes are within k ≤ 2
// edits of a query (insertions, deletions, substitutions and
// transpositions of adjacent runes: the restricted Damerau-Levenshtein
// distance Bleve's fuzzy query uses). A state holds the row of the
// edit-distance table for the runes read so far, and the row before it
// (for transpositions); states are made as the dictionary walk asks for
// them, so only the rows of prefixes the dictionary holds are computed.
// A row keeps only the 2k+1 cells around its diagonal: cells further off
// are more than k, and every distance above k is stored as k+1.
type editAutomaton struct {
	q      []rune
	k      int
	states []editState
}

const maxBand = 5 // 2k+1 for k = 2

type editState struct {
	row, prev [maxBand]uint8 // cells j = depth-k … depth+k of the rows at depth and depth-1
	depth     int32          // runes read
	last      rune           // the last rune read
	pending   [4]byte        // an incomplete UTF-8 sequence
	npending  uint8
	alive     bool // some continuation can match
}

// deadState is the state from which no match can be reached.
const deadState = 0

func newEditAutomaton(query string, k int) *editAutomaton {
	a := &editAutomaton{q: []rune(query), k: k}
	start := editState{last: -1}
	for d := range maxBand {
		start.row[d], start.prev[d] = uint8(k+1), uint8(k+1)
		if j := d - k; j >= 0 && j <= len(a.q) && d <= 2*k {
			start.row[d] = uint8(j)
		}
	}
	start.alive = true
	a.states = append(a.states, editState{}, start)
	return a
}

// cell returns the distance at column j of a row of depth depth.
func (a *editAutomaton) cell(row *[maxBand]uint8, depth int32, j int) uint8 {
	d := j - int(depth) + a.k
	if j < 0 || j > len(a.q) || d < 0 || d > 2*a.k {
		return uint8(a.k + 1)
	}
	return row[d]
}

func (a *editAutomaton) Start() int { return 1 }

func (a *editAutomaton) IsMatch(s int) bool {
	st := &a.states[s]
	return st.alive && st.npending == 0 && int(a.cell(&st.row, st.depth, len(a.q))) <= a.k
}

func (a *editAutomaton) CanMatch(s int) bool { return a.states[s].alive }

func (a *editAutomaton) WillAlwaysMatch(int) bool { return false }

func (a *editAutomaton) Accept(s int, b byte) int {
	st := &a.states[s]
	if !st.alive {
		return deadState
	}
	var r rune
	switch {
	case st.npending == 0 && b < utf8.RuneSelf:
		r = rune(b)
	default:
		next := *st
		next.pending[next.npending] = b
		next.npending++
		if !utf8.FullRune(next.pending[:next.npending]) {
			if next.npending == utf8.UTFMax {
				return deadState
			}
			a.states = append(a.states, next)
			return len(a.states) - 1
		}
		r, _ = utf8.DecodeRune(next.pending[:next.npending])
		if r == utf8.RuneError && next.npending == 1 {
			r = -2 - rune(b) // an invalid byte is a rune of its own, equal to no query rune
		}
	}
	// Row depth+1 from rows depth (st.row) and depth-1 (st.prev).
	k1 := uint8(a.k + 1)
	next := editState{prev: st.row, depth: st.depth + 1, last: r}
	alive := false
	for d := 0; d <= 2*a.k; d++ {
		j := int(next.depth) - a.k + d
		var v uint8
		switch {
		case j < 0 || j > len(a.q):
			v = k1
		case j == 0:
			v = uint8(min(int(next.depth), a.k+1))
		default:
			cost := uint8(1)
			if a.q[j-1] == r {
				cost = 0
			}
			left := k1
			if d > 0 {
				left = next.row[d-1]
			}
			v = min(a.cell(&st.row, st.depth, j)+1, left+1, a.cell(&st.row, st.depth, j-1)+cost)
			if j > 1 && st.depth > 0 && a.q[j-1] == st.last && a.q[j-2] == r {
				v = min(v, a.cell(&st.prev, st.depth-1, j-2)+1)
			}
			v = min(v, k1)
		}
		next.row[d] = v
		if v < k1 {
			alive = true
		}
	}
	// A later row can also come from this one's predecessor by a
	// transposition, at one more edit.
	for d := 0; d <= 2*a.k && !alive; d++ {
		alive = int(next.prev[d])+1 <= a.k
	}
	if !alive {
		return deadState
	}
	next.alive = true
	a.states = append(a.states, next)
	return len(a.states) - 1
}

// EditDistance is the distance of a matching state's input from the query
// (vellum reports it with each term).
func (a *editAutomaton) EditDistance(s int) uint8 {
	st := &a.states[s]
	return a.cell(&st.row, st.depth, len(a.q))
}

// MatchAndDistance runs the automaton over input.
func (a *editAutomaton) MatchAndDistance(input string) (bool, uint8) {
	s := a.Start()
	for i := 0; i < len(input) && a.CanMatch(s); i++ {
		s = a.Accept(s, input[i])
	}
	if !a.IsMatch(s) {
		return false, 0
	}
	return true, a.EditDistance(s)
}
