package extract

import (
	"bytes"
	"strings"
	"testing"
)

func TestSymbolText(t *testing.T) {
	src := []byte("package p\n\n// Open opens.\nfunc Open(name string) error {\n\treturn openFile(name)\n}\nvar after = 1\n")
	s := Symbol{Name: "Open", Kind: "function", Line: 4, EndLine: 6, Signature: "func Open(name string) error", Doc: "Open opens."}
	got := SymbolText(s, src)
	for _, want := range []string{"Open\n", "func Open(name string) error\n", "Open opens.\n", "return openFile(name)", "}\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("text lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "after") || strings.Contains(got, "package") {
		t.Errorf("text reaches outside the symbol's lines:\n%s", got)
	}
	// Out-of-range lines give no body; a huge body is cut.
	if got := SymbolText(Symbol{Name: "X", Line: 40, EndLine: 50}, src); got != "X\n" {
		t.Errorf("out of range: %q", got)
	}
	big := []byte(strings.Repeat("x = y + z\n", 1000))
	if got := SymbolText(Symbol{Name: "B", Line: 1, EndLine: 1000}, big); len(got) > MaxBodyText+10 || !strings.HasPrefix(got, "B\nx = y") {
		t.Errorf("body not cut: %d bytes", len(got))
	}
}

// lineRange returns lines [from, to] (1-based, inclusive) of src, cut at
// limit bytes, scanning from the start: the reference for Lines.
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

// FuzzLinesSymbolBody: Lines cuts the same bodies as a scan from the
// start of the source.
func FuzzLinesSymbolBody(f *testing.F) {
	f.Add([]byte("a\nbb\n\nccc"), 1, 2)
	f.Add([]byte("a\n"), 2, 2)
	f.Add([]byte(strings.Repeat("x", 700)+"\ny\n"), 1, 3)
	f.Add([]byte(""), 1, 1)
	f.Add([]byte("\n\n\n"), 0, 5)
	f.Fuzz(func(t *testing.T, src []byte, from, to int) {
		l := NewLines(src)
		s := Symbol{Line: from, EndLine: to}
		if got, want := l.SymbolBody(s), lineRange(src, from, to, MaxBodyText); got != want {
			t.Fatalf("lines %d-%d of %q: got %q, want %q", from, to, src, got, want)
		}
	})
}
