package app

import (
	"unicode"
	"unicode/utf8"
)

// maxTokenLen drops longer tokens: in source text they are hashes, base64
// and other literals that carry no meaning and would only bloat the
// vocabulary.
const maxTokenLen = 32

// stopWords are English function words and the keywords of common
// programming languages. They occur everywhere, so they say nothing about
// what a symbol does and would crowd meaningful neighbours out of the
// co-occurrence window.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{
		// English
		"an", "the", "and", "or", "not", "of", "to", "in", "on", "at", "by", "for", "from",
		"with", "as", "is", "are", "was", "were", "be", "been", "being", "it", "its", "this",
		"that", "these", "those", "there", "their", "they", "them", "we", "you", "he", "she",
		"his", "her", "our", "your", "me", "my", "if", "then", "else", "than", "so", "such",
		"but", "into", "onto", "about", "can", "could", "should", "would", "will", "may",
		"might", "must", "do", "does", "did", "has", "have", "had", "also", "only", "just",
		"which", "who", "whom", "whose", "what", "when", "where", "why", "how", "very", "here",
		"us", "am", "no", "yes", "eg", "ie", "etc",
		// Keywords
		"func", "function", "def", "fn", "var", "let", "const", "return", "returns",
		"package", "import", "nil", "null", "none", "true", "false", "elif", "while",
		"break", "continue", "switch", "case", "default", "goto", "defer", "struct",
		"interface", "class", "type", "public", "private", "protected", "static", "final",
		"self", "pub", "mut", "impl", "use", "mod", "crate", "extends", "implements", "try",
		"catch", "finally", "throw", "throws", "raise", "async", "await", "yield", "lambda",
		"range", "void", "go", "chan", "fallthrough", "select", "new", "todo",
	} {
		m[w] = true
	}
	return m
}()

// Tokenize splits text into the lower-case tokens the embedding models
// and hybrid search work on:
// identifiers are split at non-alphanumerics (so snake_case and dotted
// names split), at lower→upper case changes, at the end of an upper-case
// run followed by a capitalised word (HTTPServer → http, server) and at
// letter/digit boundaries. Tokens shorter than two bytes, longer than 32
// bytes, made only of digits, and stop words (English function words and
// language keywords) are dropped.
func Tokenize(text string) []string {
	var out []string
	var buf []byte
	EachToken(text, buf, func(tok []byte) { out = append(out, string(tok)) })
	return out
}

// EachToken is Tokenize without allocating a string per token: emit
// receives a lower-cased token in a buffer that is reused after it returns.
func EachToken(text string, buf []byte, emit func(tok []byte)) []byte {
	start := -1 // byte offset where the current part starts
	// prev and prevClass describe the rune before i in the current word.
	var prevClass byte
	flush := func(end int) {
		if start < 0 {
			return
		}
		buf = AppendLower(buf[:0], text[start:end])
		start = -1
		if keepToken(buf) {
			emit(buf)
		}
	}
	for i := 0; i < len(text); {
		c := text[i]
		r, size := rune(c), 1
		if c >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		cls := classOf(r)
		if cls == clsOther {
			flush(i)
			prevClass = clsOther
			i += size
			continue
		}
		if start < 0 {
			start = i
		} else {
			split := false
			switch {
			case prevClass == clsLower && cls == clsUpper:
				split = true
			case prevClass == clsUpper && cls == clsUpper:
				// End of an acronym: the upper-case letter before a lower-case
				// one starts the next word (HTTPServer → HTTP, Server).
				if j := i + size; j < len(text) {
					nr := rune(text[j])
					if text[j] >= utf8.RuneSelf {
						nr, _ = utf8.DecodeRuneInString(text[j:])
					}
					split = classOf(nr) == clsLower
				}
			case (prevClass == clsDigit) != (cls == clsDigit):
				split = true
			}
			if split {
				flush(i)
				start = i
			}
		}
		prevClass = cls
		i += size
	}
	flush(len(text))
	return buf
}

const (
	clsOther byte = iota
	clsLower
	clsUpper
	clsDigit
)

func classOf(r rune) byte {
	if r < utf8.RuneSelf {
		switch {
		case 'a' <= r && r <= 'z':
			return clsLower
		case 'A' <= r && r <= 'Z':
			return clsUpper
		case '0' <= r && r <= '9':
			return clsDigit
		}
		return clsOther
	}
	switch {
	case unicode.IsUpper(r):
		return clsUpper
	case unicode.IsLetter(r):
		return clsLower
	case unicode.IsDigit(r):
		return clsDigit
	}
	return clsOther
}

// AppendLower appends s lower-cased (Unicode) to dst.
func AppendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += size
	}
	return dst
}

func keepToken(tok []byte) bool {
	if len(tok) < 2 || len(tok) > maxTokenLen {
		return false
	}
	digits := true
	for _, c := range tok {
		if c < '0' || c > '9' {
			digits = false
			break
		}
	}
	return !digits && !stopWords[string(tok)]
}

// Stem reduces an English word (a lower-case token) to a crude stem, so
// that a query's "closes", "closed" and "closing" meet a name's "Close":
// plural and verb endings are removed ("ies"/"ied" become "y"), then a
// doubled final consonant is halved and a final "e" dropped, each only
// when at least three letters remain ("files" and "file" both give "fil",
// "used" stays). Tokens with anything but letters a–z are kept as they
// are. It is deliberately simple, so that a second implementation can
// repeat it exactly.
func Stem(tok string) string {
	return string(StemBytes([]byte(tok)))
}

// minStem is the shortest stem Stem leaves.
const minStem = 3

// StemBytes is Stem in place: the result is a prefix of tok, or tok with its
// last bytes replaced.
func StemBytes(tok []byte) []byte {
	if len(tok) <= minStem {
		return tok
	}
	for _, c := range tok {
		if c < 'a' || c > 'z' {
			return tok
		}
	}
	// has reports a suffix that leaves at least keep letters before it.
	has := func(suffix string, keep int) bool {
		return len(tok) >= len(suffix)+keep && string(tok[len(tok)-len(suffix):]) == suffix
	}
	switch {
	case has("ies", 2), has("ied", 2):
		tok = append(tok[:len(tok)-3], 'y')
	case has("sses", 2):
		tok = tok[:len(tok)-2]
	case has("ing", minStem):
		tok = tok[:len(tok)-3]
	case has("ed", minStem):
		tok = tok[:len(tok)-2]
	case has("s", minStem) && !has("ss", 0) && !has("us", 0) && !has("is", 0):
		tok = tok[:len(tok)-1]
	}
	if n := len(tok); n > minStem && tok[n-1] == tok[n-2] && !isVowel(tok[n-1]) && tok[n-1] != 's' && tok[n-1] != 'l' {
		tok = tok[:n-1]
	}
	if n := len(tok); n > minStem && tok[n-1] == 'e' {
		tok = tok[:n-1]
	}
	return tok
}

func isVowel(c byte) bool {
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y'
}
