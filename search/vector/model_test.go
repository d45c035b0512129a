package vector_test

import (
	"context"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/optiq/optiq/search/embed"
	"github.com/optiq/optiq/search/vector"
)

// TestRecallModelVectors indexes real embeddings: a model trained on a
// few standard-library packages embeds each top-level declaration, and
// the declarations' names are the queries.
func TestRecallModelVectors(t *testing.T) {
	root := filepath.Join(build.Default.GOROOT, "src")
	pkgs := []string{"net/http", "bufio", "strings", "sync", "compress/flate", "crypto/tls"}
	var names, docs []string
	for _, pkg := range pkgs {
		files, _ := filepath.Glob(filepath.Join(root, pkg, "*.go"))
		if len(files) == 0 {
			t.Skipf("no Go sources under %s", root)
		}
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			fset := token.NewFileSet()
			af, err := parser.ParseFile(fset, f, src, parser.ParseComments)
			if err != nil {
				continue
			}
			for _, d := range af.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok {
					continue
				}
				start := fd.Pos()
				if fd.Doc != nil {
					start = fd.Doc.Pos()
				}
				names = append(names, fd.Name.Name)
				docs = append(docs, string(src[fset.Position(start).Offset:fset.Position(fd.End()).Offset]))
			}
		}
	}
	opts := embed.Options{Seed: 1}
	if raceEnabled {
		opts.Dims = 64
	}
	tr := embed.NewTrainer(opts)
	for _, d := range docs {
		tr.Add(d)
	}
	m, err := tr.Train(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ix := vector.New(m.Dims())
	ix.SetShortlist(300) // well below the corpus size, so the sign codes decide the shortlist
	var vecs [][]float32
	var ids []int64
	for i, d := range docs {
		if v, ok := m.Vector(d); ok {
			ix.Add("repo", int64(i), v)
			vecs = append(vecs, v)
			ids = append(ids, int64(i))
		}
	}
	var found, total int
	for qi := 0; qi < len(names); qi += len(names) / 100 {
		q, ok := m.Vector(names[qi])
		if !ok {
			continue
		}
		exact := make([]float64, len(vecs))
		byID := map[int64]float64{}
		for i, v := range vecs {
			exact[i] = dot(q, v)
			byID[ids[i]] = exact[i]
		}
		sort.Sort(sort.Reverse(sort.Float64Slice(exact)))
		tenth := exact[9]
		for _, h := range ix.Search("repo", q, 10) {
			// Equal vectors (identical declarations) tie; any of them is right.
			if byID[h.ID] >= tenth-1e-6 {
				found++
			}
		}
		total += 10
	}
	r := float64(found) / float64(total)
	t.Logf("recall@10 = %.3f: %d model vectors (%d dims), %d queries, shortlist 300", r, len(vecs), m.Dims(), total/10)
	if r < 0.95 {
		t.Errorf("recall@10 = %.3f, want ≥ 0.95", r)
	}
}
