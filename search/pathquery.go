package search

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	"github.com/blevesearch/vellum"
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
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil, errors.New("lexical index: unknown reader")
	}
	var terms []string
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

// segmentTerms caches the terms of a field of each segment. Segments are
// immutable, so an entry never goes stale; entries of segments no longer
// in the snapshot being read are dropped.
type segmentTerms struct {
	mu    sync.Mutex
	terms map[segmentField][]string
}

type segmentField struct {
	seg   segment.Segment
	field string
}

func (c *segmentTerms) get(seg segment.Segment, field string, live []*scorch.SegmentSnapshot) ([]string, error) {
	key := segmentField{seg, field}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.terms[key]; ok {
		return t, nil
	}
	var terms []string
	err := segmentTermsOf(seg, field, &vellum.AlwaysMatch{}, nil, nil, func(e *index.DictEntry) {
		terms = append(terms, e.Term)
	})
	if err != nil {
		return nil, err
	}
	kept := map[segmentField][]string{key: terms}
	for _, s := range live {
		for k, t := range c.terms {
			if k.seg == s.Segment() {
				kept[k] = t
			}
		}
	}
	c.terms = kept
	return terms, nil
}

// clear drops every entry (the index was closed or replaced).
func (c *segmentTerms) clear() {
	c.mu.Lock()
	c.terms = nil
	c.mu.Unlock()
}
