package app

import (
	"strings"
	"unicode"
)

// queryStopWords are words of natural-language queries (and doc comments)
// that say nothing about which symbol is meant.
var queryStopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the and or not of to in on at by for from with as is are was were be been
		being it its this that these those there their they them we you he she his her our your me my if then
		else than so such but into onto about can could should would will may might must do does did has have
		had also only just which who whom whose what when where why how very here us am no yes eg ie etc
		returns return reports report whether given specified called used uses using like any all each`) {
		m[w] = true
	}
	return m
}()

// QueryWords returns the distinct meaningful words of a natural-language
// query's text terms, lower-cased and reduced to a stem (reads → read,
// entries → entry), for matching against the parts of symbol names.
func (q Query) QueryWords() []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range q.Text() {
		for _, w := range strings.FieldsFunc(strings.ToLower(t.Value), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if len(w) < 3 || queryStopWords[w] {
				continue
			}
			if w = Stem(w); !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}

// Stem strips common English inflections: plural -s/-es/-ies and -ing/-ed
// endings, leaving at least three letters.
func Stem(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 5 && strings.HasSuffix(w, "ing"):
		return w[:len(w)-3]
	case len(w) > 4 && strings.HasSuffix(w, "ed"):
		return w[:len(w)-2]
	case len(w) > 4 && (strings.HasSuffix(w, "ses") || strings.HasSuffix(w, "xes") || strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes")):
		return w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss"):
		return w[:len(w)-1]
	}
	return w
}
