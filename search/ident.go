package search

import (
	"strings"
	"unicode/utf8"

	"github.com/optiq/optiq/app"
)

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
		for _, part := range app.IdentParts(seg) {
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
