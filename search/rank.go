package search

import (
	"fmt"
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2/search"

	"github.com/optiq/optiq/app"
)

// Match tiers, best first. Ranking is tier, then what kind of definition,
// then source before tests/vendor/generated code, then shorter paths.
const (
	tierExactCase = iota // name == query, same case
	tierExact            // name == query, ignoring case
	tierPrefix           // name starts with query
	tierHump             // each query part starts a name part, in order
	tierPart             // query is one of the name's parts or a substring
	tierFuzzy            // close in edit distance, or matched by path
	tierCount
)

var tierNames = [tierCount]string{"exact name", "exact name (case-insensitive)", "name prefix", "camelCase/snake_case parts", "name part", "fuzzy or path match"}

type ranked struct {
	hit   app.IndexHit
	doc   app.IndexDoc
	tier  int
	kind  int
	class int // 0 source, 1 test, 2 vendor/generated
	bleve float64
}

// rank orders Bleve's candidates by the product's ranking rules and returns
// the best limit, each with its explanation.
func rank(q app.Query, hits search.DocumentMatchCollection, limit int) []app.IndexHit {
	texts := q.Text()
	out := make([]ranked, 0, len(hits))
	for _, h := range hits {
		raw, _ := h.Fields[fMeta].(string)
		d, ok := decodeMeta([]byte(raw))
		if !ok {
			continue
		}
		r := ranked{hit: app.IndexHit{ID: h.ID}, doc: d, bleve: h.Score, tier: tierFuzzy}
		if d.Name != "" {
			for _, t := range texts {
				r.tier = min(r.tier, matchTier(t.Value, d.Name))
			}
		}
		r.kind = app.KindRank(d.Kind)
		if d.Kind == "file" {
			r.kind = 1
		}
		r.class = pathClass(d.Path)
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b ranked) int {
		switch {
		case a.tier != b.tier:
			return a.tier - b.tier
		case a.kind != b.kind:
			return a.kind - b.kind
		case a.class != b.class:
			return a.class - b.class
		case a.tier == tierFuzzy && len(texts) > 0 && a.bleve != b.bleve:
			// Among fuzzy and path matches, Bleve's score says which is
			// closer; in the named tiers the match itself is the same.
			if a.bleve > b.bleve {
				return -1
			}
			return 1
		case len(a.doc.Path) != len(b.doc.Path):
			return len(a.doc.Path) - len(b.doc.Path)
		case a.doc.Path != b.doc.Path:
			return strings.Compare(a.doc.Path, b.doc.Path)
		}
		return a.doc.Line - b.doc.Line
	})
	if len(out) > limit {
		out = out[:limit]
	}
	res := make([]app.IndexHit, len(out))
	for i, r := range out {
		// The score orders results across tiers: higher is better.
		score := float64(tierCount-r.tier)*100 + float64(3-r.kind)*10 + float64(2-r.class)*3 + 1/float64(1+len(r.doc.Path))
		res[i] = app.IndexHit{ID: r.hit.ID, Score: score, Why: explain(r)}
	}
	return res
}

func explain(r ranked) string {
	class := [...]string{"source", "test", "vendor/generated"}[r.class]
	return fmt.Sprintf("%s; %s; %s file; path length %d", tierNames[r.tier], r.doc.Kind, class, len(r.doc.Path))
}

// matchTier says how well the query value matches a symbol name.
func matchTier(qv, name string) int {
	if qv == name {
		return tierExactCase
	}
	lq, ln := strings.ToLower(qv), strings.ToLower(name)
	switch {
	case lq == ln:
		return tierExact
	case strings.HasPrefix(ln, lq):
		return tierPrefix
	}
	qp, np := IdentParts(qv), IdentParts(name)
	if len(qp) > 1 && humps(qp, np) {
		return tierHump
	}
	if slices.Contains(np, lq) || (len(lq) >= 3 && strings.Contains(ln, lq)) {
		return tierPart
	}
	return tierFuzzy
}

// humps reports whether each query part is a prefix of a name part, in
// order (getUsr → GetUserName).
func humps(qp, np []string) bool {
	j := 0
	for _, p := range qp {
		for j < len(np) && !strings.HasPrefix(np[j], p) {
			j++
		}
		if j == len(np) {
			return false
		}
		j++
	}
	return true
}

// pathClass classifies a path as source (0), test (1) or vendored or
// generated code (2).
func pathClass(p string) int {
	lp := strings.ToLower(p)
	base := lp[strings.LastIndexByte(lp, '/')+1:]
	switch {
	case strings.HasPrefix(lp, "vendor/") || strings.Contains(lp, "/vendor/") ||
		strings.HasPrefix(lp, "node_modules/") || strings.Contains(lp, "/node_modules/") ||
		strings.HasPrefix(lp, "third_party/") || strings.Contains(lp, "/third_party/") ||
		strings.Contains(base, ".pb.") || strings.Contains(base, "_generated") || strings.HasSuffix(base, ".gen.go") ||
		strings.HasPrefix(base, "zz_generated"):
		return 2
	case strings.HasSuffix(base, "_test.go") || strings.HasPrefix(base, "test_") || strings.Contains(base, ".test.") ||
		strings.Contains(base, ".spec.") || strings.HasSuffix(strings.TrimSuffix(base, ".py"), "_test") ||
		strings.HasPrefix(lp, "test/") || strings.HasPrefix(lp, "tests/") || strings.Contains(lp, "/test/") ||
		strings.Contains(lp, "/tests/") || strings.Contains(lp, "/testdata/") || strings.HasPrefix(lp, "testdata/"):
		return 1
	}
	return 0
}
