package search

import (
	"context"
	"strings"

	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"
)

// substringQuery matches documents with a term of field that contains sub
// (lower case). It walks the field's dictionary and compares each term
// with strings.Contains: a wildcard query *sub* does the same walk but
// first builds a regular-expression automaton for the pattern, which cost
// more than the walk itself for paths (most of a path query's time).
type substringQuery struct {
	field, sub string
}

func (q substringQuery) Searcher(ctx context.Context, r index.IndexReader, _ mapping.IndexMapping, options bsearch.SearcherOptions) (bsearch.Searcher, error) {
	dict, err := r.FieldDict(q.field)
	if err != nil {
		return nil, err
	}
	var terms []string
	entry, err := dict.Next()
	for ; err == nil && entry != nil; entry, err = dict.Next() {
		if strings.Contains(entry.Term, q.sub) {
			terms = append(terms, entry.Term)
		}
	}
	if cerr := dict.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return searcher.NewMultiTermSearcher(ctx, r, terms, q.field, 1, options, true)
}
