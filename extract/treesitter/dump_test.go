package treesitter

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestDump prints the named-node tree of a file, for writing specs:
// OPTIQ_TS_DUMP=python:/path/to/file.py go test -run TestDump ./extract/treesitter
func TestDump(t *testing.T) {
	arg := os.Getenv("OPTIQ_TS_DUMP")
	if arg == "" {
		t.Skip("set OPTIQ_TS_DUMP=lang:file")
	}
	lang, file, _ := strings.Cut(arg, ":")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	g := p.grammars[lang]
	if err := g.load(context.Background(), p.rt); err != nil {
		t.Fatal(err)
	}
	inst, err := g.get(context.Background(), p.rt)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := inst.parseTree(context.Background(), src, g)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var rec func(n int32, depth int)
	rec = func(n int32, depth int) {
		nd := tr.nodes[n]
		txt := ""
		if nd.first < 0 {
			txt = " " + fmt.Sprintf("%q", oneLine(tr.text(n), 40))
		}
		f := ""
		if nd.field != "" {
			f = nd.field + ": "
		}
		fmt.Fprintf(&b, "%s%s%s [%d-%d]%s\n", strings.Repeat("  ", depth), f, nd.typ, nd.line, nd.endLine, txt)
		for c := nd.first; c >= 0; c = tr.nodes[c].next {
			rec(c, depth+1)
		}
	}
	rec(0, 0)
	fmt.Print(b.String())
	syms, err := p.Symbols(context.Background(), lang, file, src)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		fmt.Printf("%s %s %q in %q %d-%d sig=%q doc=%q\n", s.Kind, s.Name, s.Name, s.Container, s.Line, s.EndLine, s.Signature, s.Doc)
	}
}
