package extract

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"strings"

	"github.com/optiq/optiq/app"
)

// Symbol is the domain symbol type.
type Symbol = app.Symbol

// GoSymbols extracts Go definitions with go/parser: the package (from the
// file that documents it), functions, methods (container: receiver type),
// types, interfaces and their methods, struct fields, constants and
// variables.
func GoSymbols(p string, src []byte) ([]Symbol, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, p, src, parser.ParseComments|parser.SkipObjectResolution)
	if f == nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	// A file with syntax errors still yields the declarations parsed
	// before and around them.
	g := goExtractor{fset: fset, src: src, path: p}
	base := path.Base(p)
	if f.Doc != nil || base == "doc.go" || strings.TrimSuffix(base, ".go") == f.Name.Name {
		g.add(f.Name.Name, app.KindPackage, "", f.Package, f.Name.End(), "package "+f.Name.Name, f.Doc)
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			g.funcDecl(d)
		case *ast.GenDecl:
			g.genDecl(d)
		}
	}
	return g.out, nil
}

type goExtractor struct {
	fset *token.FileSet
	src  []byte
	path string
	out  []Symbol
}

func (g *goExtractor) line(pos token.Pos) int { return g.fset.Position(pos).Line }

// text returns the source between two positions with runs of white space
// collapsed, for one-line signatures.
func (g *goExtractor) text(from, to token.Pos) string {
	a, b := g.fset.Position(from).Offset, g.fset.Position(to).Offset
	if a < 0 || b > len(g.src) || a >= b {
		return ""
	}
	s := strings.Join(strings.Fields(string(g.src[a:b])), " ")
	if len(s) > 512 {
		s = s[:512] + "…"
	}
	return s
}

func docText(cg *ast.CommentGroup) string {
	if cg == nil {
		return ""
	}
	return strings.TrimSpace(cg.Text())
}

func (g *goExtractor) add(name, kind, container string, from, to token.Pos, sig string, doc *ast.CommentGroup) {
	if name == "" || name == "_" {
		return
	}
	g.out = append(g.out, Symbol{
		Name: name, Kind: kind, Container: container, Path: g.path,
		Line: g.line(from), EndLine: max(g.line(to), g.line(from)), Language: "go",
		Signature: sig, Doc: docText(doc),
	})
}

func (g *goExtractor) funcDecl(d *ast.FuncDecl) {
	kind, container := app.KindFunction, ""
	if d.Recv != nil && len(d.Recv.List) > 0 {
		kind, container = app.KindMethod, recvType(d.Recv.List[0].Type)
	}
	sigEnd := d.Type.End()
	end := d.End()
	g.add(d.Name.Name, kind, container, d.Pos(), end, g.text(d.Pos(), sigEnd), d.Doc)
}

// recvType names a receiver's or embedded field's base type: *List[T] →
// List, sync.Mutex → Mutex.
func recvType(e ast.Expr) string {
	for {
		switch t := e.(type) {
		case *ast.StarExpr:
			e = t.X
		case *ast.ParenExpr:
			e = t.X
		case *ast.IndexExpr:
			e = t.X
		case *ast.IndexListExpr:
			e = t.X
		case *ast.Ident:
			return t.Name
		case *ast.SelectorExpr: // embedded pkg.Type
			return t.Sel.Name
		default:
			return ""
		}
	}
}

func (g *goExtractor) genDecl(d *ast.GenDecl) {
	for _, spec := range d.Specs {
		doc := d.Doc
		switch s := spec.(type) {
		case *ast.TypeSpec:
			if s.Doc != nil {
				doc = s.Doc
			}
			g.typeSpec(d, s, doc)
		case *ast.ValueSpec:
			if s.Doc != nil || len(d.Specs) > 1 {
				doc = s.Doc
			}
			kind := app.KindVariable
			if d.Tok == token.CONST {
				kind = app.KindConstant
			}
			sig := strings.ToLower(d.Tok.String()) + " " + g.text(s.Pos(), s.End())
			for _, n := range s.Names {
				g.add(n.Name, kind, "", s.Pos(), s.End(), sig, doc)
			}
		}
	}
}

func (g *goExtractor) typeSpec(d *ast.GenDecl, s *ast.TypeSpec, doc *ast.CommentGroup) {
	kind, header := app.KindType, s.End()
	switch t := s.Type.(type) {
	case *ast.StructType:
		kind, header = app.KindStruct, t.Fields.Opening
	case *ast.InterfaceType:
		kind, header = app.KindInterface, t.Methods.Opening
	}
	sig := "type " + g.text(s.Pos(), header)
	g.add(s.Name.Name, kind, "", s.Pos(), s.End(), strings.TrimSpace(sig), doc)
	// Members follow their type, in source order.
	switch t := s.Type.(type) {
	case *ast.StructType:
		g.fields(s.Name.Name, t.Fields)
	case *ast.InterfaceType:
		g.interfaceMethods(s.Name.Name, t.Methods)
	}
}

func (g *goExtractor) fields(container string, fl *ast.FieldList) {
	if fl == nil {
		return
	}
	for _, f := range fl.List {
		doc := f.Doc
		if doc == nil {
			doc = f.Comment
		}
		sig := g.text(f.Pos(), f.End())
		if len(f.Names) == 0 {
			// Embedded field: named by its type.
			g.add(recvType(f.Type), app.KindField, container, f.Pos(), f.End(), sig, doc)
			continue
		}
		for _, n := range f.Names {
			g.add(n.Name, app.KindField, container, f.Pos(), f.End(), sig, doc)
		}
	}
}

func (g *goExtractor) interfaceMethods(container string, fl *ast.FieldList) {
	if fl == nil {
		return
	}
	for _, f := range fl.List {
		if _, ok := f.Type.(*ast.FuncType); !ok || len(f.Names) == 0 {
			continue // embedded interface or type union
		}
		doc := f.Doc
		if doc == nil {
			doc = f.Comment
		}
		for _, n := range f.Names {
			g.add(n.Name, app.KindMethod, container, f.Pos(), f.End(), g.text(f.Pos(), f.End()), doc)
		}
	}
}
