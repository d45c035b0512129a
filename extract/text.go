package extract

import (
	"bytes"
	"strings"
)

// MaxBodyText bounds how much of a symbol's source goes into its embedding
// text: enough for a function body's vocabulary, not a whole class.
const MaxBodyText = 2048

// SymbolText is the text a symbol is embedded from (and the embedding
// model trained on): its name, container, signature, doc comment and the
// start of its body, taken from src by line range.
func SymbolText(s Symbol, src []byte) string {
	var b strings.Builder
	b.Grow(len(s.Name) + len(s.Container) + len(s.Signature) + len(s.Doc) + MaxBodyText/2)
	for _, part := range [...]string{s.Name, s.Container, s.Signature, s.Doc} {
		if part != "" {
			b.WriteString(part)
			b.WriteByte('\n')
		}
	}
	b.WriteString(lineRange(src, s.Line, s.EndLine, MaxBodyText))
	return b.String()
}

// lineRange returns lines [from, to] (1-based, inclusive) of src, cut at
// limit bytes.
func lineRange(src []byte, from, to, limit int) string {
	if from < 1 || to < from {
		return ""
	}
	start, line := 0, 1
	for line < from {
		i := bytes.IndexByte(src[start:], '\n')
		if i < 0 {
			return ""
		}
		start += i + 1
		line++
	}
	end := start
	for line <= to && end < len(src) && end-start < limit {
		i := bytes.IndexByte(src[end:], '\n')
		if i < 0 {
			end = len(src)
			break
		}
		end += i + 1
		line++
	}
	if end-start > limit {
		end = start + limit
	}
	return string(src[start:end])
}
