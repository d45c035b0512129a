package extract

import (
	"strings"
)

// MaxBodyText bounds how much of a symbol's source goes into its embedding
// text: enough for a function body's vocabulary, not a whole class.
const MaxBodyText = 600

// SymbolText is the text the embedding model is trained on for a symbol:
// its head (SymbolHead) and the start of its body (SymbolBody).
func SymbolText(s Symbol, src []byte) string {
	return NewLines(src).SymbolText(s)
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
// range (at most MaxBodyText bytes). For several symbols of one source,
// Lines finds its lines once.
func SymbolBody(s Symbol, src []byte) string {
	return NewLines(src).SymbolBody(s)
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

// SymbolText is SymbolText(s, src) for the src the lines were made from.
func (l *Lines) SymbolText(s Symbol) string {
	return SymbolHead(s) + l.SymbolBody(s)
}

// SymbolBody is SymbolBody(s, src) for the src the lines were made from:
// lines s.Line to s.EndLine (1-based, inclusive), cut at MaxBodyText bytes.
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
