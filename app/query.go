package app

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Search modes.
const (
	ModeAuto     = ""
	ModeSymbol   = "symbol"
	ModePath     = "path"
	ModeSemantic = "semantic"
	ModeHybrid   = "hybrid"
)

// Query fields of the query language.
const (
	FieldText = ""     // free text: symbol names and paths
	FieldSym  = "sym"  // symbol names only
	FieldPath = "path" // paths only (file: is an alias)
	FieldLang = "lang"
	FieldKind = "kind"
	FieldRepo = "repo"
)

// Term is one element of a parsed query.
type Term struct {
	Field  string `json:"field,omitempty"`
	Value  string `json:"value"`
	Exact  bool   `json:"exact,omitempty"`  // quoted: match the whole name/phrase
	Negate bool   `json:"negate,omitempty"` // -term: exclude matches
}

// Query is a parsed search request.
type Query struct {
	Raw   string
	Terms []Term
	Limit int
	Mode  string
	// RepoIDs restricts the search; filled in by the tenant from repo: terms.
	RepoIDs []string
	// Vectors are the query's embeddings by repo id, computed by the client
	// with each repo's own model (the server cannot: models are sealed).
	Vectors map[string][]float32
}

// Semantic reports whether the query should use vectors: modes semantic
// and hybrid, and in the default mode natural-language queries, which have
// two or more plain words and no quoted or sym: terms.
func (q Query) Semantic() bool {
	switch q.Mode {
	case ModeSemantic, ModeHybrid:
		return true
	case ModeAuto:
		words := 0
		for _, t := range q.Terms {
			if t.Negate {
				continue
			}
			if t.Field == FieldSym || t.Exact {
				return false
			}
			if t.Field == FieldText {
				words++
			}
		}
		return words >= 2
	}
	return false
}

// MaxQueryLen bounds the raw query size.
const MaxQueryLen = 1024

// Text returns the values of the positive free-text and sym: terms, in order.
func (q Query) Text() []Term {
	var out []Term
	for _, t := range q.Terms {
		if !t.Negate && (t.Field == FieldText || t.Field == FieldSym) {
			out = append(out, t)
		}
	}
	return out
}

// Filters returns the positive and negative values of field.
func (q Query) Filters(field string) (include, exclude []string) {
	for _, t := range q.Terms {
		if t.Field != field {
			continue
		}
		if t.Negate {
			exclude = append(exclude, t.Value)
		} else {
			include = append(include, t.Value)
		}
	}
	return include, exclude
}

// ParseQuery parses the query language: free text, sym:, path: (or file:),
// lang:, kind:, repo:, "quoted exact" values and -negation. Unknown prefixes
// (as in C++'s std::vector) are free text.
func ParseQuery(raw string) (Query, error) {
	q := Query{Raw: raw}
	if !utf8.ValidString(raw) {
		return q, Errorf(EINVALID, "query is not valid UTF-8")
	}
	if len(raw) > MaxQueryLen {
		return q, Errorf(EINVALID, "query is longer than %d bytes", MaxQueryLen)
	}
	s := strings.TrimSpace(raw)
	for s != "" {
		var t Term
		if s[0] == '-' && len(s) > 1 && !unicode.IsSpace(rune(s[1])) {
			t.Negate = true
			s = s[1:]
		}
		if f, rest, ok := cutField(s); ok {
			t.Field = f
			s = rest
			if s == "" || unicode.IsSpace(rune(s[0])) {
				return q, Errorf(EINVALID, "%s: needs a value, as in %s:example", f, f)
			}
		}
		var err error
		t.Value, t.Exact, s, err = cutValue(s)
		if err != nil {
			return q, err
		}
		if t.Value == "" {
			return q, Errorf(EINVALID, "empty quoted value in query")
		}
		if t.Field == FieldLang || t.Field == FieldKind {
			t.Value = strings.ToLower(t.Value)
		}
		q.Terms = append(q.Terms, t)
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	if len(q.Terms) == 0 {
		return q, Errorf(EINVALID, "empty query: type a symbol name, a path, or a filter such as lang:go")
	}
	hasPositive := false
	for _, t := range q.Terms {
		if !t.Negate {
			hasPositive = true
		}
	}
	if !hasPositive {
		return q, Errorf(EINVALID, "query has only exclusions: add something to search for")
	}
	return q, nil
}

var fieldNames = map[string]string{
	"sym": FieldSym, "symbol": FieldSym,
	"path": FieldPath, "file": FieldPath,
	"lang": FieldLang, "language": FieldLang,
	"kind": FieldKind, "repo": FieldRepo,
}

func cutField(s string) (field, rest string, ok bool) {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return "", s, false
	}
	f, known := fieldNames[strings.ToLower(s[:i])]
	if !known {
		return "", s, false
	}
	return f, s[i+1:], true
}

func cutValue(s string) (value string, exact bool, rest string, err error) {
	if s[0] == '"' {
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return "", false, "", Errorf(EINVALID, "unterminated quote in query")
		}
		return s[1 : 1+end], true, s[2+end:], nil
	}
	end := strings.IndexFunc(s, unicode.IsSpace)
	if end < 0 {
		end = len(s)
	}
	return s[:end], false, s[end:], nil
}

// PrefixEnd returns the least string greater than every string that starts
// with p, in byte order (SQLite's and the index dictionaries'), if there is
// one: the exclusive end of the range of strings with prefix p.
func PrefixEnd(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}
