package search

import (
	"context"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// substringQuery matches documents with a term of field that contains sub
// (lower case). A wildcard query *sub* would first build a
// regular-expression automaton for the pattern and then walk the whole
// dictionary with it; this compares sub with each term of each segment,
// read once per segment (segments never change) into cache.
type substringQuery struct {
	field, sub string
	cache      *segmentTerms
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
	segs := snap.Segments()
	for _, seg := range segs {
		all, err := q.cache.get(seg.Segment(), q.field, segs)
		if err != nil {
			return nil, err
		}
		for _, t := range all {
			if strings.Contains(t, q.sub) && !seen[t] {
				seen[t] = true
				terms = append(terms, t)
			}
		}
	}
	return terms, nil
}

// segmentTerms caches the terms of one field of each segment. Segments
// are immutable, so an entry never goes stale; entries of segments no
// longer in the snapshot being read are dropped.
type segmentTerms struct {
	mu    sync.Mutex
	terms map[segment.Segment][]string
}

func (c *segmentTerms) get(seg segment.Segment, field string, live []*scorch.SegmentSnapshot) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.terms[seg]; ok {
		return t, nil
	}
	d, err := seg.Dictionary(field)
	if err != nil {
		return nil, err
	}
	var terms []string
	it := d.AutomatonIterator(newSubstringAutomaton(""), nil, nil)
	for {
		e, err := it.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			break
		}
		terms = append(terms, e.Term)
	}
	kept := map[segment.Segment][]string{seg: terms}
	for _, s := range live {
		if t, ok := c.terms[s.Segment()]; ok {
			kept[s.Segment()] = t
		}
	}
	c.terms = kept
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
