package extract

import (
	"bytes"
	"strings"
)

// MaxBodyText bounds how much of a symbol's source goes into its embedding
// text: enough for a function body's vocabulary, not a whole class.
const MaxBodyText = 600

// SymbolText is the text the embedding model is trained on for a symbol:
// its head (SymbolHead) and the start of its body (SymbolBody).
func SymbolText(s Symbol, src []byte) string {
	return SymbolHead(s) + SymbolBody(s, src)
}

// SymbolHead is what a symbol says about itself: its name, container,
// signature and doc comment, a line each.
func SymbolHead(s Symbol) string {
	var b strings.Builder
	b.Grow(len(s.Name) + len(s.Container) + len(s.Signature) + len(s.Doc) + 4)
	for _, part := range [...]string{s.Name, s.Container, s.Signature, s.Doc} {
		if part != "" {
			b.WriteString(part)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// SymbolBody is the start of a symbol's source, taken from src by its line
// range (at most MaxBodyText bytes).
func SymbolBody(s Symbol, src []byte) string {
	return lineRange(src, s.Line, s.EndLine, MaxBodyText)
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

// Lines holds where each line of a source starts, so that the bodies of
// many of its symbols are cut without scanning it from the start for each.
type Lines struct {
	src    []byte
	starts []int // starts[i] is the offset of line i+1
}

// NewLines indexes the lines of src.
func NewLines(src []byte) *Lines {
	l := &Lines{src: src, starts: []int{0}}
	for i, c := range src {
		if c == '\n' {
			l.starts = append(l.starts, i+1)
		}
	}
	return l
}

// SymbolBody is SymbolBody(s, src) for the src the lines were made from.
func (l *Lines) SymbolBody(s Symbol) string {
	from, to := s.Line, s.EndLine
	if from < 1 || to < from || from > len(l.starts) {
		return ""
	}
	start, end := l.starts[from-1], len(l.src)
	if to < len(l.starts) {
		end = l.starts[to]
	}
	end = min(end, start+MaxBodyText)
	return string(l.src[start:end])
}
