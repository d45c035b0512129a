package search

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	lev "github.com/blevesearch/vellum/levenshtein"

	"github.com/optiq/optiq/app"
)

// TestFuzzyNamesMatchBleve checks fuzzyNames against Bleve's own fuzzy
// dictionary walk (its Levenshtein DFA) on names that are near each other:
// the same names at the same distances, for one and two edits, across
// several segments and with runes of several bytes.
func TestFuzzyNamesMatchBleve(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("abcdeé_1ßx")
	word := func() string {
		var b strings.Builder
		for range 3 + rng.IntN(9) {
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	edit := func(s string) string {
		r := []rune(s)
		i := rng.IntN(len(r))
		switch rng.IntN(4) {
		case 0:
			r[i] = alphabet[rng.IntN(len(alphabet))]
		case 1:
			r = slices.Insert(r, i, alphabet[rng.IntN(len(alphabet))])
		case 2:
			if len(r) > 1 {
				r = slices.Delete(r, i, i+1)
			}
		case 3:
			if i+1 < len(r) {
				r[i], r[i+1] = r[i+1], r[i]
			}
		}
		return string(r)
	}
	var seeds, names []string
	for range 300 {
		w := word()
		seeds = append(seeds, w)
		names = append(names, w)
		for range 8 {
			e := w
			for range 1 + rng.IntN(3) {
				e = edit(e)
			}
			names = append(names, e)
		}
	}
	l, r := segmentedIndex(t, names)
	queries := slices.Clone(seeds)
	for _, s := range seeds[:100] {
		queries = append(queries, edit(s), edit(edit(s)))
	}
	matched := 0
	for _, q := range queries {
		q = strings.ToLower(q)
		for k := 1; k <= 2; k++ {
			got, err := l.fuzzyNames(q, k)
			if err != nil {
				t.Fatal(err)
			}
			_, first := firstRune(q)
			d, err := r.(index.IndexReaderFuzzy).FieldDictFuzzy(fName, q, k, first)
			if err != nil {
				t.Fatal(err)
			}
			var want []fuzzyTerm
			for e, err := d.Next(); e != nil && err == nil; e, err = d.Next() {
				want = append(want, fuzzyTerm{e.Term, e.EditDistance})
			}
			d.Close()
			byName := func(a, b fuzzyTerm) int { return strings.Compare(a.name, b.name) }
			slices.SortFunc(got, byName)
			slices.SortFunc(want, byName)
			if !slices.Equal(got, want) {
				t.Fatalf("fuzzyNames(%q, %d) = %v, Bleve finds %v", q, k, got, want)
			}
			matched += len(got)
		}
	}
	t.Logf("%d matches over %d queries", matched, len(queries))
	if matched < len(queries) {
		t.Fatalf("only %d matches over %d queries: the test exercises little", matched, len(queries))
	}
}

func firstRune(s string) (rune, string) {
	for i, r := range s {
		if i == 0 {
			return r, string(r)
		}
	}
	return 0, ""
}

// TestEditAutomatonDistance pins distances the automaton computes.
func TestEditAutomatonDistance(t *testing.T) {
	for _, c := range []struct {
		query, input string
		k            int
		match        bool
		distance     uint8
	}{
		{"handler", "handler", 1, true, 0},
		{"handlex", "handler", 1, true, 1},
		{"hnadler", "handler", 1, true, 1}, // transposition
		{"handlr", "handler", 1, true, 1},
		{"handlerx", "handler", 1, true, 1},
		{"handlexx", "handler", 1, false, 0},
		{"handlexx", "handler", 2, true, 2},
		{"readfilex", "readfile", 2, true, 1},
		{"café", "cafe", 1, true, 1}, // é is one rune of two bytes
		{"cafe", "cafés", 2, true, 2},
		{"ca", "abc", 2, false, 0}, // restricted: no edit between transposed runes
	} {
		a := newEditAutomaton(c.query, c.k)
		match, d := a.MatchAndDistance(c.input)
		if match != c.match || d != c.distance {
			t.Errorf("%q within %d of %q: %v, %d; want %v, %d", c.input, c.k, c.query, match, d, c.match, c.distance)
		}
		// Bleve's DFA agrees.
		b, err := lev.NewLevenshteinAutomatonBuilder(uint8(c.k), true)
		if err != nil {
			t.Fatal(err)
		}
		dfa, err := b.BuildDfa(c.query, uint8(c.k))
		if err != nil {
			t.Fatal(err)
		}
		if match, d := dfa.MatchAndDistance(c.input); match != c.match || match && d != c.distance {
			t.Errorf("Bleve: %q within %d of %q: %v, %d", c.input, c.k, c.query, match, d)
		}
	}
}

// TestNamesOrderAsBleveFuzzy checks Names against the query it replaced:
// the type clause and Bleve's fuzzy query in the name disjunction. The
// same names come in the same order, also where the limit cuts them.
func TestNamesOrderAsBleveFuzzy(t *testing.T) {
	l, err := OpenLexical(filepath.Join(t.TempDir(), "lexical"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	parts := []string{"read", "rea", "file", "fiel", "handle", "hnadle", "request", "req", "open", "opne", "ser", "server", "x", "é"}
	var names []string
	for range 3000 {
		var b strings.Builder
		for range 1 + rng.IntN(3) {
			p := parts[rng.IntN(len(parts))]
			if rng.IntN(2) == 0 {
				p = strings.ToUpper(p[:1]) + p[1:]
			}
			b.WriteString(p)
		}
		names = append(names, b.String())
	}
	if err := l.Apply(context.Background(), app.IndexChange{AddNames: names, Version: 1}); err != nil {
		t.Fatal(err)
	}
	none := func(string, int) ([]fuzzyTerm, error) { return nil, nil }
	for _, text := range []string{"readFilx", "ReadFiel", "handleReqest", "hnadleRequest", "opex", "Servre", "fileé", "serverx", "read file", "Opnex", "handlx"} {
		q, err := app.ParseQuery(text)
		if err != nil {
			t.Fatal(err)
		}
		terms := q.Text()
		for _, limit := range []int{3, 20, 500} {
			got, err := l.Names(context.Background(), terms, limit)
			if err != nil {
				t.Fatal(err)
			}
			// The old query: the abbreviation retry is the same in both,
			// so compare the first search only where it decides.
			must := []query.Query{term(fType, "n")}
			for _, tm := range terms {
				nq, err := nameQuery(tm, nil, nil, none)
				if err != nil {
					t.Fatal(err)
				}
				lower := strings.ToLower(tm.Value)
				if n := len([]rune(lower)); n >= 4 {
					f := query.NewFuzzyQuery(lower)
					f.SetField(fName)
					f.SetFuzziness(1 + min(n/8, 1))
					f.SetPrefix(1)
					dis := nq.(*query.DisjunctionQuery)
					dis.Disjuncts[len(dis.Disjuncts)-1] = f
				}
				must = append(must, nq)
			}
			res, err := l.search(context.Background(), query.NewConjunctionQuery(must), limit, fSpell)
			if err != nil {
				t.Fatal(err)
			}
			if multiPart(terms) && !hasGoodMatch(terms, res) {
				continue
			}
			var want []string
			for _, h := range res.Hits {
				want = append(want, h.Fields[fSpell].(string))
				if !math.IsNaN(h.Score) {
					t.Errorf("%s: %s scored %v", text, h.Fields[fSpell], h.Score)
				}
			}
			var gotNames []string
			for _, h := range got {
				gotNames = append(gotNames, h.Name)
			}
			if !slices.Equal(gotNames, want) {
				t.Errorf("%s (limit %d): got %q, want %q", text, limit, gotNames, want)
			}
			if limit == 500 && len(want) == 0 {
				t.Errorf("%s: %d names: the test exercises little", text, len(want))
			}
		}
	}
}

// TestAbbreviatedPartsMatchRegexp checks abbreviatedParts against the
// regular expression it replaced (hndl → h.*n.*d.*l.*), run by Bleve over
// the part dictionary.
func TestAbbreviatedPartsMatchRegexp(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	letters := "abcdehlnrst1é"
	var names []string
	for range 2000 {
		var b strings.Builder
		for range 1 + rng.IntN(3) {
			for range 2 + rng.IntN(8) {
				b.WriteString(string([]rune(letters)[rng.IntN(len([]rune(letters)))]))
			}
			b.WriteByte('_')
		}
		names = append(names, b.String())
	}
	l, r := segmentedIndex(t, names)
	matched := 0
	for range 300 {
		var p []byte
		for range 2 + rng.IntN(5) {
			p = append(p, "abcdehlnrst1"[rng.IntN(12)])
		}
		got, err := l.abbreviatedParts(string(p))
		if err != nil {
			t.Fatal(err)
		}
		re := string(p[0])
		for _, c := range p[1:] {
			re += ".*" + string(c)
		}
		d, err := r.(index.IndexReaderRegexp).FieldDictRegexp(fParts, re+".*")
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for e, err := d.Next(); e != nil && err == nil; e, err = d.Next() {
			want = append(want, e.Term)
		}
		d.Close()
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("abbreviatedParts(%q) = %q, the regexp finds %q", p, got, want)
		}
		matched += len(got)
	}
	if matched < 300 {
		t.Fatalf("only %d parts found: the test exercises little", matched)
	}
}

// segmentedIndex indexes names in batches of 700, which leave several
// segments, and returns the index and a reader of it (both closed when
// the test ends).
func segmentedIndex(t *testing.T, names []string) (*Lexical, index.IndexReader) {
	t.Helper()
	l, err := OpenLexical(filepath.Join(t.TempDir(), "lexical"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	for chunk := range slices.Chunk(names, 700) {
		if err := l.Apply(context.Background(), app.IndexChange{AddNames: chunk, Version: 1}); err != nil {
			t.Fatal(err)
		}
	}
	ai, _ := l.idx.Advanced()
	r, err := ai.(*scorch.Scorch).Reader()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return l, r
}
