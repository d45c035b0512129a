package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

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
		alnum := unicode.IsLetter(r) || unicode.IsDigit(r)
		if !alnum {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		prev := runes[i-1]
		switch {
		case unicode.IsLower(prev) && unicode.IsUpper(r):
			flush(i)
			start = i
		case unicode.IsUpper(prev) && unicode.IsUpper(r) && i+1 < len(runes) && unicode.IsLower(runes[i+1]):
			flush(i)
			start = i
		case unicode.IsDigit(prev) != unicode.IsDigit(r):
			flush(i)
			start = i
		}
	}
	flush(len(runes))
	return parts
}

// pathTokens returns the searchable tokens of a path: every segment whole,
// the file name without extension, and the identifier parts of each.
func pathTokens(p string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	for _, seg := range strings.Split(p, "/") {
		add(strings.ToLower(seg))
		if i := strings.LastIndexByte(seg, '.'); i > 0 {
			add(strings.ToLower(seg[:i]))
		}
		for _, part := range IdentParts(seg) {
			add(part)
		}
	}
	return out
}

// truncateUTF8 cuts s to at most n bytes on a rune boundary.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
