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
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/optiq/optiq/app"
)

// Field names in the Bleve documents.
const (
	fName  = "name"  // whole symbol name, lower-case, one token
	fParts = "parts" // identifier parts of the name
	fPath  = "path"  // path tokens
	fPathX = "pathx" // whole path, lower-case, one token
	fKind  = "kind"
	fLang  = "lang"
	fRepo  = "repo"
	fMeta  = "m" // stored only: kind, name, path, line for ranking
)

var versionKey = []byte("optiq.version")

// Lexical is a tenant's Bleve index. It implements app.LexicalIndex.
type Lexical struct {
	dir string
	mu  sync.RWMutex
	idx bleve.Index
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

var (
	partsAnalyzer = analyzerFunc(IdentParts)
	pathAnalyzer  = analyzerFunc(pathTokens)
)

const indexed = index.IndexField | index.SkipFreqNorm

func keyword(name, value string) *document.TextField {
	return document.NewTextFieldCustom(name, nil, []byte(value), indexed, nil)
}

func toDocument(d app.IndexDoc) *document.Document {
	doc := document.NewDocument(d.ID)
	lowerPath := strings.ToLower(d.Path)
	doc.AddField(document.NewTextFieldCustom(fPath, nil, []byte(d.Path), index.IndexField, pathAnalyzer))
	doc.AddField(keyword(fPathX, truncateUTF8(lowerPath, 2048)))
	doc.AddField(keyword(fKind, d.Kind))
	doc.AddField(keyword(fRepo, d.RepoID))
	if d.Language != "" {
		doc.AddField(keyword(fLang, d.Language))
	}
	if d.Name != "" {
		doc.AddField(keyword(fName, truncateUTF8(strings.ToLower(d.Name), 1024)))
		doc.AddField(document.NewTextFieldCustom(fParts, nil, []byte(d.Name), index.IndexField, partsAnalyzer))
	}
	doc.AddField(document.NewTextFieldCustom(fMeta, nil, encodeMeta(d), index.StoreField, nil))
	return doc
}

// encodeMeta packs what ranking needs into one stored field.
func encodeMeta(d app.IndexDoc) []byte {
	b := binary.AppendUvarint(nil, uint64(max(d.Line, 0)))
	for _, s := range [...]string{d.Kind, d.Name, d.Path, d.Container} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func decodeMeta(b []byte) (d app.IndexDoc, ok bool) {
	line, n := binary.Uvarint(b)
	if n <= 0 {
		return d, false
	}
	b = b[n:]
	d.Line = int(line)
	for _, dst := range [...]*string{&d.Kind, &d.Name, &d.Path, &d.Container} {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return d, false
		}
		*dst = string(b[n : n+int(l)])
		b = b[n+int(l):]
	}
	return d, true
}

// Apply implements app.LexicalIndex.
func (l *Lexical) Apply(ctx context.Context, ch app.IndexChange) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	b := l.idx.NewBatch()
	for _, id := range ch.Delete {
		b.Delete(id)
	}
	for _, d := range ch.Add {
		if err := b.IndexAdvanced(toDocument(d)); err != nil {
			return err
		}
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(ch.Version))
	b.SetInternal(versionKey, v[:])
	return l.idx.Batch(b)
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
	return nil
}

// Close implements app.LexicalIndex.
func (l *Lexical) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.idx.Close()
}

// DocCount returns the number of documents, for metrics.
func (l *Lexical) DocCount() (uint64, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.idx.DocCount()
}

// Search implements app.LexicalIndex.
func (l *Lexical) Search(ctx context.Context, q app.Query) ([]app.IndexHit, error) {
	bq, err := buildQuery(q)
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	req := bleve.NewSearchRequestOptions(bq, candidates(limit), 0, false)
	req.Fields = []string{fMeta}
	req.SortBy([]string{"-_score", "_id"})
	l.mu.RLock()
	res, err := l.idx.SearchInContext(ctx, req)
	l.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("lexical search: %w", err)
	}
	return rank(q, res.Hits, limit), nil
}

// candidates is how many Bleve hits are re-ranked for limit results.
func candidates(limit int) int { return max(5*limit, 100) }

func term(field, v string) *query.TermQuery {
	t := query.NewTermQuery(v)
	t.SetField(field)
	return t
}

func boosted[Q interface {
	query.Query
	SetBoost(float64)
}](q Q, b float64) Q {
	q.SetBoost(b)
	return q
}

func prefix(field, v string) *query.PrefixQuery {
	p := query.NewPrefixQuery(v)
	p.SetField(field)
	return p
}

// wildcardEscape escapes wildcard metacharacters in v.
func wildcardEscape(v string) string {
	r := strings.NewReplacer(`*`, `\*`, `?`, `\?`, `\`, `\\`)
	return r.Replace(v)
}

func pathContains(v string) *query.WildcardQuery {
	w := query.NewWildcardQuery("*" + wildcardEscape(strings.ToLower(v)) + "*")
	w.SetField(fPathX)
	return w
}

// textQuery matches one free-text or sym: term: exact name, prefix, camel
// hump (each query part a prefix of a name part), part, bounded fuzzy, and
// for free text also path tokens.
func textQuery(t app.Term) query.Query {
	lower := strings.ToLower(t.Value)
	if t.Exact {
		return term(fName, lower)
	}
	dis := []query.Query{boosted(term(fName, lower), 16)}
	if len(lower) >= 2 {
		dis = append(dis, boosted(prefix(fName, lower), 8))
	}
	parts := IdentParts(t.Value)
	if len(parts) > 1 {
		conj := make([]query.Query, len(parts))
		for i, p := range parts {
			conj[i] = prefix(fParts, p)
		}
		dis = append(dis, boosted(query.NewConjunctionQuery(conj), 4))
	} else if len(parts) == 1 {
		dis = append(dis, boosted(term(fParts, parts[0]), 2))
	}
	if n := len([]rune(lower)); n >= 4 {
		f := query.NewFuzzyQuery(lower)
		f.SetField(fName)
		f.SetFuzziness(1 + min(n/8, 1))
		f.SetPrefix(1)
		dis = append(dis, boosted(f, 1))
	}
	if t.Field == app.FieldText {
		dis = append(dis, boosted(term(fPath, lower), 1))
		if strings.ContainsAny(lower, "/.") {
			dis = append(dis, boosted(pathContains(lower), 1))
		}
	}
	return query.NewDisjunctionQuery(dis)
}

func buildQuery(q app.Query) (query.Query, error) {
	var must, mustNot []query.Query
	hasText, hasKind := false, false
	for _, t := range q.Terms {
		hasKind = hasKind || (t.Field == app.FieldKind && !t.Negate)
		var c query.Query
		switch t.Field {
		case app.FieldText, app.FieldSym:
			if t.Negate {
				c = term(fName, strings.ToLower(t.Value))
			} else {
				c = textQuery(t)
				hasText = true
			}
		case app.FieldPath:
			c = pathContains(t.Value)
		case app.FieldLang:
			c = term(fLang, t.Value)
		case app.FieldKind:
			c = term(fKind, t.Value)
		case app.FieldRepo:
			continue // resolved to RepoIDs by the tenant
		default:
			return nil, app.Errorf(app.EINVALID, "unknown query field %q", t.Field)
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
	if !hasText && !hasKind {
		// Filters alone list files, not every symbol in them.
		must = append(must, term(fKind, "file"))
	}
	if len(must) == 0 {
		must = append(must, query.NewMatchAllQuery())
	}
	bq := query.NewBooleanQuery(must, nil, mustNot)
	return bq, nil
}
