package app

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Match tiers, best first. Search ranks by tier, then by what kind of
// definition (KindRank), then source before tests before vendored or
// generated code (PathClass), then shorter paths.
const (
	TierExactCase = iota // name == query, same case
	TierExact            // name == query, ignoring case
	TierPrefix           // name starts with query
	TierHump             // each query part starts a name part, in order
	TierPart             // query is one of the name's parts, or a substring
	TierFuzzy            // close in edit distance, or matched by path
	TierCount
)

// TierNames explain tiers to users.
var TierNames = [TierCount]string{"exact name", "exact name (case-insensitive)", "name prefix", "camelCase/snake_case parts", "name part", "fuzzy or path match"}

// IdentParts splits an identifier or path segment into lower-case parts at
// non-alphanumerics, lower→upper case changes, the end of an upper-case run
// followed by a capitalised word (HTTPServer → http, server) and
// letter/digit boundaries.
func IdentParts(s string) []string {
	var parts []string
	runes := []rune(s)
	start := -1
	flush := func(end int) {
		if start >= 0 && end > start {
			parts = append(parts, strings.ToLower(string(runes[start:end])))
		}
		start = -1
	}
	for i, r := range runes {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		prev := runes[i-1]
		switch {
		case unicode.IsLower(prev) && unicode.IsUpper(r),
			unicode.IsUpper(prev) && unicode.IsUpper(r) && i+1 < len(runes) && unicode.IsLower(runes[i+1]),
			unicode.IsDigit(prev) != unicode.IsDigit(r):
			flush(i)
			start = i
		}
	}
	flush(len(runes))
	return parts
}

// MatchTier says how well a query value matches a symbol name.
func MatchTier(query, name string) int {
	if query == name {
		return TierExactCase
	}
	lq, ln := strings.ToLower(query), strings.ToLower(name)
	switch {
	case lq == ln:
		return TierExact
	case strings.HasPrefix(ln, lq):
		return TierPrefix
	}
	qp, np := IdentParts(query), IdentParts(name)
	if len(qp) > 1 && humps(qp, np) {
		return TierHump
	}
	if slices.Contains(np, lq) || (len(lq) >= 3 && strings.Contains(ln, lq)) {
		return TierPart
	}
	return TierFuzzy
}

// humps reports whether each query part starts or abbreviates a name part,
// in order (getUsr → GetUserName, hndlReq → HandleRequest).
func humps(qp, np []string) bool {
	j := 0
	for _, p := range qp {
		for j < len(np) && !strings.HasPrefix(np[j], p) && !Abbreviates(p, np[j]) {
			j++
		}
		if j == len(np) {
			return false
		}
		j++
	}
	return true
}

// Abbreviates reports whether abbr is an abbreviation of word: same first
// letter, the rest of abbr a subsequence of word (hndl → handle,
// cfg → config).
func Abbreviates(abbr, word string) bool {
	if len(abbr) < 2 || len(word) <= len(abbr) || abbr[0] != word[0] {
		return false
	}
	i := 1
	for k := 1; k < len(word) && i < len(abbr); k++ {
		if word[k] == abbr[i] {
			i++
		}
	}
	return i == len(abbr)
}

// Path classes.
const (
	PathSource = iota
	PathTest
	PathVendored // vendored, third-party or generated
)

// PathClass classifies a path as source, test, or vendored/generated code.
func PathClass(p string) int {
	lp := strings.ToLower(p)
	base := lp[strings.LastIndexByte(lp, '/')+1:]
	under := func(dir string) bool { return strings.HasPrefix(lp, dir+"/") || strings.Contains(lp, "/"+dir+"/") }
	switch {
	case under("vendor") || under("node_modules") || under("third_party") ||
		strings.Contains(base, ".pb.") || strings.Contains(base, "_generated") || strings.HasSuffix(base, ".gen.go") ||
		strings.HasPrefix(base, "zz_generated") || strings.HasSuffix(base, ".min.js"):
		return PathVendored
	case strings.HasSuffix(base, "_test.go") || strings.HasPrefix(base, "test_") || strings.Contains(base, ".test.") ||
		strings.Contains(base, ".spec.") || strings.HasSuffix(strings.TrimSuffix(base, ".py"), "_test") ||
		under("test") || under("tests") || under("testdata") || under("__tests__"):
		return PathTest
	}
	return PathSource
}

// RankVersion names the rules of KindRank and PathClass. Change it with
// either: stores keep ranks computed by them (store's packed rank column)
// and compute them again when the version they recorded differs.
const RankVersion = 1

// Ranking is the sort key of one candidate; Less orders by the rules.
type Ranking struct {
	Tier    int
	Kind    int // KindRank
	Class   int // PathClass
	PathLen int
	Path    string
	Line    int
}

// Compare orders rankings best first.
func (a Ranking) Compare(b Ranking) int {
	switch {
	case a.Tier != b.Tier:
		return a.Tier - b.Tier
	case a.Kind != b.Kind:
		return a.Kind - b.Kind
	case a.Class != b.Class:
		return a.Class - b.Class
	case a.PathLen != b.PathLen:
		return a.PathLen - b.PathLen
	case a.Path != b.Path:
		return strings.Compare(a.Path, b.Path)
	}
	return a.Line - b.Line
}

// Score turns a ranking into a number where higher is better, for clients.
func (a Ranking) Score() float64 {
	return float64(TierCount-a.Tier)*100 + float64(3-a.Kind)*10 + float64(2-a.Class)*3 + 1/float64(1+a.PathLen)
}

// Explain says why a candidate ranks where it does.
func (a Ranking) Explain(kind string) string {
	class := [...]string{"source", "test", "vendor/generated"}[a.Class]
	return TierNames[a.Tier] + "; " + kind + "; " + class + " file; path length " + strconv.Itoa(a.PathLen)
}

// Hybrid search fuses a lexical score (the tier of the query's name match)
// with a semantic one, both in [0, 1]; names equal to the query are ranked
// first regardless. The semantic score is mostly the cosine similarity of
// the symbol's vector to the query's, and for WordWeight the query's words
// found (as stems) in the symbol's name, container and path.
const (
	LexicalWeight = 0.55
	VectorWeight  = 0.45
	WordWeight    = 0.2
)

// tierScores normalise match tiers to [0, 1].
var tierScores = [TierCount]float64{1, 0.97, 0.85, 0.75, 0.6, 0.35}

// kindPriors scale fused scores by kind rank (KindRank): what a search by
// meaning looks for is nearly always a type or a function, rarely a field
// or a local.
var kindPriors = [...]float64{1, 0.8, 0.65, 0.5}

// Fuse returns the hybrid score of a candidate: lexical says whether the
// query matched its name (at a.Tier), cos is its vector similarity (0 when
// it has none), words the score of the query's words in its name and path
// in [0, 1]. Kind scales the score and path class shades it, so a test
// helper does not outrank the function it tests.
func (a Ranking) Fuse(lexical bool, cos, words float64) float64 {
	lex := 0.0
	if lexical {
		lex = tierScores[a.Tier]
	}
	semantic := (1-WordWeight)*max(cos, 0) + WordWeight*words
	return (LexicalWeight*lex+VectorWeight*semantic)*kindPriors[min(a.Kind, len(kindPriors)-1)] - 0.03*float64(a.Class)
}

// FuseSemantic is the score of a candidate in semantic mode: its vector
// similarity, scaled by kind and shaded by path class as in Fuse.
func (a Ranking) FuseSemantic(cos float64) float64 {
	return VectorWeight*max(cos, 0)*kindPriors[min(a.Kind, len(kindPriors)-1)] - 0.03*float64(a.Class)
}

// ExplainHybrid says how a hybrid score was made.
func (a Ranking) ExplainHybrid(kind string, lexical bool, cos, words float64) string {
	class := [...]string{"source", "test", "vendor/generated"}[a.Class]
	lex := "no name match"
	if lexical {
		lex = TierNames[a.Tier]
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }
	return "hybrid: " + lex + " (weight " + f(LexicalWeight) + ") + semantic similarity " + strconv.FormatFloat(cos, 'f', 3, 64) +
		" and query words in name and path " + f(words) + " (weight " + f(VectorWeight) + "); " + kind + " (×" + f(kindPriors[min(a.Kind, len(kindPriors)-1)]) + "); " + class + " file"
}

// ExplainSemantic says why a semantic-mode result ranks where it does.
func (a Ranking) ExplainSemantic(kind string, cos float64) string {
	class := [...]string{"source", "test", "vendor/generated"}[a.Class]
	return "semantic similarity " + strconv.FormatFloat(cos, 'f', 3, 64) + "; " + kind + "; " + class + " file"
}
