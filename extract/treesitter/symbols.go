package treesitter

import (
	"strings"

	"github.com/optiq/optiq/app"
)

// spec says how to find definitions in one language's syntax tree.
type spec struct {
	// defs maps node types to the definition they make.
	defs map[string]def
	// comments are the node types whose text makes a doc comment.
	comments map[string]bool
	// wrappers are node types around a definition (decorators, export,
	// templates) whose preceding comment documents it.
	wrappers map[string]bool
	// pyDoc takes the doc from a string first in the body (Python).
	pyDoc bool
	// sep joins nested container names.
	sep string
	// recover adds definitions that error recovery lost, from the text.
	recover func(x *extractor)
}

// def describes one kind of definition node.
type def struct {
	kind string
	// name finds the node holding the name; nil means the "name" field.
	name func(t *tree, n int32) int32
	// names lists several names (a declaration of many fields); it wins
	// over name when set.
	names func(t *tree, n int32) []int32
	// kindOf refines kind from the node (e.g. "interface" keyword).
	kindOf func(t *tree, n int32) string
	// scope: the definition contains others (class, module, namespace).
	scope bool
	// function: the definition has a body of statements; variables and
	// fields inside it are locals and are not reported.
	function bool
	// topOnly: reported only outside functions (variables, fields).
	topOnly bool
	// body is the field whose start ends the signature; default "body".
	body string
	// bodyTypes are child types that end the signature when body is absent.
	bodyTypes []string
	// container overrides the container (e.g. Go-like receivers, C++
	// "void A::f()" definitions).
	container func(t *tree, n int32) string
	// defaultName names a definition whose name node is absent (Kotlin's
	// unnamed companion object is "Companion").
	defaultName string
	// outer: the container is the scope around the enclosing function
	// (TypeScript constructor parameter properties belong to the class).
	outer bool
	// keepKind: a container override does not make a function a method.
	keepKind bool
	// skip drops a match (e.g. a Python assignment to an attribute).
	skip func(t *tree, n int32) bool
}

type scope struct {
	names    []string
	kinds    []string
	function bool // inside a function body
}

func (s scope) push(name, kind string, function bool) scope {
	return scope{
		names:    append(s.names[:len(s.names):len(s.names)], name),
		kinds:    append(s.kinds[:len(s.kinds):len(s.kinds)], kind),
		function: s.function || function,
	}
}

func (s scope) typeLike() bool {
	if len(s.kinds) == 0 {
		return false
	}
	switch s.kinds[len(s.kinds)-1] {
	case app.KindClass, app.KindStruct, app.KindInterface, app.KindEnum, app.KindType, implKind:
		return true
	}
	return false
}

type extractor struct {
	t    *tree
	sp   *spec
	lang string
	path string
	out  []app.Symbol
}

// maxDepth bounds the walk; deeper nesting only happens in pathological
// input and holds no definitions worth the stack.
const maxDepth = 1000

func extractSymbols(t *tree, sp *spec, lang, path string) []app.Symbol {
	x := &extractor{t: t, sp: sp, lang: lang, path: path}
	x.walk(0, scope{}, 0)
	if sp.recover != nil {
		sp.recover(x)
	}
	return x.out
}

func (x *extractor) walk(n int32, sc scope, depth int) {
	if depth > maxDepth {
		return
	}
	for c := x.t.nodes[n].first; c >= 0; c = x.t.nodes[c].next {
		x.visit(c, sc, depth+1)
	}
}

func (x *extractor) visit(n int32, sc scope, depth int) {
	t := x.t
	d, ok := x.sp.defs[t.nodes[n].typ]
	if !ok || (d.topOnly && sc.function) || (d.skip != nil && d.skip(t, n)) {
		x.walk(n, sc, depth)
		return
	}
	var nodes []int32
	if d.names != nil {
		nodes = d.names(t, n)
	} else if d.name != nil {
		nodes = []int32{d.name(t, n)}
	} else {
		nodes = []int32{t.field(n, "name")}
	}
	kind := d.kind
	if d.kindOf != nil {
		kind = d.kindOf(t, n)
	}
	if sc.typeLike() {
		switch kind {
		case app.KindFunction:
			kind = app.KindMethod
		case app.KindVariable:
			kind = app.KindField
		}
	}
	names := sc.names
	if d.outer && len(names) > 0 {
		names = names[:len(names)-1]
	}
	container := strings.Join(names, x.sp.sep)
	if d.container != nil {
		if c := d.container(t, n); c != "" {
			container = c
			if kind == app.KindFunction && !d.keepKind {
				kind = app.KindMethod
			}
		}
	}
	first := ""
	for _, nm := range nodes {
		// PHP properties and Ruby attribute symbols are named without
		// their sigil, as they are used ($this->name, obj.name).
		// Swift, Kotlin and Scala quote keywords used as names in backticks.
		name := strings.Trim(strings.TrimLeft(strings.TrimSpace(t.text(nm)), "$:"), "`")
		if t.typ(nm) == "operator_cast" {
			// "operator T() const": the name ends where the parameters start.
			if d := t.descend(t.field(nm, "declarator"), "declarator", "abstract_function_declarator", "parameter_list"); d >= 0 {
				name = oneLine(string(t.src[t.nodes[nm].start:t.nodes[d].start]), 200)
			}
		}
		if nm < 0 {
			name = d.defaultName
		}
		if name == "" || kind == "" {
			continue
		}
		if kind == implKind {
			first = name
			break
		}
		if first == "" {
			first = name
		}
		nd := t.nodes[n]
		x.out = append(x.out, app.Symbol{
			Name:      name,
			Kind:      kind,
			Container: container,
			Path:      x.path,
			Line:      nd.line,
			EndLine:   endLine(t, n),
			Language:  x.lang,
			Signature: x.signature(n, d),
			Doc:       x.doc(n),
		})
	}
	if first == "" {
		x.walk(n, sc, depth)
		return
	}
	function := d.function || kind == app.KindFunction || kind == app.KindMethod
	if d.scope || function {
		x.walk(n, sc.push(first, kind, function), depth)
		return
	}
	x.walk(n, sc, depth)
}

// endLine is the last line of n; a node that ends at the start of a line
// (after a newline it swallowed) ends on the line before.
func endLine(t *tree, n int32) int {
	nd := t.nodes[n]
	// Trailing whitespace belongs to what follows: grammars of
	// indentation-sensitive syntax (Python, Scala 3) end a block after the
	// newline and the next line's indentation.
	line := nd.endLine
	for i := nd.end; i > nd.start && line > nd.line; i-- {
		switch t.src[i-1] {
		case '\n':
			line--
		case ' ', '\t', '\r':
		default:
			return line
		}
	}
	return line
}

func (x *extractor) signature(n int32, d def) string {
	t := x.t
	nd := t.nodes[n]
	end := nd.end
	field := d.body
	if field == "" {
		field = "body"
	}
	if b := t.field(n, field); b >= 0 && field != "-" {
		end = t.nodes[b].start
	} else if b := t.child(n, d.bodyTypes...); b >= 0 {
		end = t.nodes[b].start
	} else if i := strings.IndexByte(string(t.src[nd.start:nd.end]), '\n'); i >= 0 {
		end = nd.start + uint32(i)
	}
	// A comment between the header and the body is not part of it.
	for c := nd.first; c >= 0 && t.nodes[c].start < end; c = t.nodes[c].next {
		if x.sp.comments[t.nodes[c].typ] {
			end = t.nodes[c].start
			break
		}
	}
	s := oneLine(string(t.src[nd.start:end]), 240)
	return strings.TrimRight(s, " {:=")
}

func (x *extractor) doc(n int32) string {
	t := x.t
	if x.sp.pyDoc {
		if b := t.field(n, "body"); b >= 0 {
			if e := t.nodes[b].first; e >= 0 && t.nodes[e].typ == "expression_statement" {
				if s := t.nodes[e].first; s >= 0 && t.nodes[s].typ == "string" {
					return pyDocString(t.text(s))
				}
			}
		}
	}
	// The comment sits before the outermost wrapper (decorators, export).
	for p := t.nodes[n].parent; p >= 0 && x.sp.wrappers[t.nodes[p].typ]; p = t.nodes[p].parent {
		n = p
	}
	var lines []string
	line := t.nodes[n].line
	for c := t.prev(n); c >= 0 && x.sp.comments[t.nodes[c].typ]; c = t.prev(c) {
		if t.nodes[c].endLine < line-1 || len(lines) > 50 {
			break
		}
		// A trailing comment on the previous statement's line is not a doc.
		if p := t.prev(c); p >= 0 && t.nodes[p].endLine == t.nodes[c].line && !x.sp.comments[t.nodes[p].typ] {
			break
		}
		lines = append(lines, t.text(c))
		line = t.nodes[c].line
	}
	for i, j := 0, len(lines)-1; i < j; i, j = i+1, j-1 {
		lines[i], lines[j] = lines[j], lines[i]
	}
	return trimDoc(lines)
}

func pyDocString(s string) string {
	s = strings.TrimLeft(s, "rRbBuUfF")
	for _, q := range []string{`"""`, `'''`, `"`, `'`} {
		if strings.HasPrefix(s, q) && strings.HasSuffix(s, q) && len(s) >= 2*len(q) {
			s = s[len(q) : len(s)-len(q)]
			break
		}
	}
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "\n")
}

func set(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, s := range items {
		m[s] = true
	}
	return m
}
