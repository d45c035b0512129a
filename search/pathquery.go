package search

import (
	"context"
	"strings"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"
)

// substringQuery matches documents with a term of field that contains sub
// (lower case). It walks each segment's dictionary with substringAutomaton,
// which needs no construction: a wildcard query *sub* first builds a
// regular-expression automaton for the pattern, which cost more than the
// walk itself for paths (most of a path query's time).
type substringQuery struct {
	field, sub string
}

func (q substringQuery) Searcher(ctx context.Context, r index.IndexReader, _ mapping.IndexMapping, options bsearch.SearcherOptions) (bsearch.Searcher, error) {
	terms, err := q.terms(r)
	if err != nil {
		return nil, err
	}
	return searcher.NewMultiTermSearcher(ctx, r, terms, q.field, 1, options, true)
}

// terms returns the field's terms that contain sub, each once.
func (q substringQuery) terms(r index.IndexReader) ([]string, error) {
	var terms []string
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		// Another index: its merged dictionary, term by term.
		dict, err := r.FieldDict(q.field)
		if err != nil {
			return nil, err
		}
		defer dict.Close()
		for {
			e, err := dict.Next()
			if err != nil || e == nil {
				return terms, err
			}
			if strings.Contains(e.Term, q.sub) {
				terms = append(terms, e.Term)
			}
		}
	}
	seen := map[string]bool{}
	a := newSubstringAutomaton(q.sub)
	for _, seg := range snap.Segments() {
		d, err := seg.Segment().Dictionary(q.field)
		if err != nil {
			return nil, err
		}
		it := d.AutomatonIterator(a, nil, nil)
		for {
			e, err := it.Next()
			if err != nil {
				return nil, err
			}
			if e == nil {
				break
			}
			if !seen[e.Term] {
				seen[e.Term] = true
				terms = append(terms, e.Term)
			}
		}
	}
	return terms, nil
}

// substringAutomaton accepts the byte strings that contain sub
// (Knuth-Morris-Pratt): state i means the last i bytes read are sub[:i];
// state len(sub) means sub was seen, and then every continuation matches.
type substringAutomaton struct {
	sub  string
	fail []int // fail[i]: the longest proper border of sub[:i+1]
}

func newSubstringAutomaton(sub string) *substringAutomaton {
	a := &substringAutomaton{sub: sub, fail: make([]int, len(sub))}
	for i, k := 1, 0; i < len(sub); i++ {
		for k > 0 && sub[i] != sub[k] {
			k = a.fail[k-1]
		}
		if sub[i] == sub[k] {
			k++
		}
		a.fail[i] = k
	}
	return a
}

func (a *substringAutomaton) Start() int                 { return 0 }
func (a *substringAutomaton) IsMatch(s int) bool         { return s == len(a.sub) }
func (a *substringAutomaton) CanMatch(int) bool          { return true }
func (a *substringAutomaton) WillAlwaysMatch(s int) bool { return s == len(a.sub) }

func (a *substringAutomaton) Accept(s int, b byte) int {
	if s == len(a.sub) {
		return s
	}
	for s > 0 && a.sub[s] != b {
		s = a.fail[s-1]
	}
	if a.sub[s] == b {
		s++
	}
	return s
}
