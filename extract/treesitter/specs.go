package treesitter

// specs holds the extraction rules of every supported language.
var specs = map[string]*spec{
	"python":     python,
	"javascript": javascript,
	"typescript": typescript,
	"tsx":        typescript,
	"java":       java,
	"c":          clang,
	"cpp":        cpp,
	"csharp":     csharp,
	"rust":       rust,
	"ruby":       ruby,
	"php":        php,
	"kotlin":     kotlin,
	"swift":      swift,
	"scala":      scala,
	"bash":       bash,
	"lua":        lua,
}

// field returns a name finder that takes the named field.
func byField(name string) func(t *tree, n int32) int32 {
	return func(t *tree, n int32) int32 { return t.field(n, name) }
}

// byType returns a name finder that takes the first child of the types.
func byType(types ...string) func(t *tree, n int32) int32 {
	return func(t *tree, n int32) int32 { return t.child(n, types...) }
}

// lastPart keeps the last identifier of a qualified or dotted name.
func lastPart(t *tree, n int32, types ...string) int32 {
	for depth := 0; n >= 0 && depth < 16; depth++ {
		for _, ty := range types {
			if t.typ(n) == ty {
				return n
			}
		}
		last := int32(-1)
		for c := t.nodes[n].first; c >= 0; c = t.nodes[c].next {
			last = c
		}
		n = last
	}
	return -1
}

// self names a definition by its own text.
func self(t *tree, n int32) int32 { return n }

// none is the name finder of definitions named by a keyword (Swift's init).
func none(t *tree, n int32) int32 { return -1 }
