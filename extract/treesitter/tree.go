package treesitter

import "strings"

// node is one named node of a syntax tree, with links to its first child
// and next sibling (indexes into tree.nodes, -1 for none).
type node struct {
	typ, field                string
	parent, first, next, prev int32
	start, end                uint32
	line, endLine, col        int // 1-based lines, 0-based byte column
}

// tree is a parsed file: its named nodes in pre-order, root first.
type tree struct {
	src   []byte
	nodes []node
}

func (t *tree) typ(n int32) string {
	if n < 0 {
		return ""
	}
	return t.nodes[n].typ
}

func (t *tree) text(n int32) string {
	if n < 0 {
		return ""
	}
	return string(t.src[t.nodes[n].start:t.nodes[n].end])
}

// field returns the first child of n in the named field, or -1.
func (t *tree) field(n int32, name string) int32 {
	if n < 0 {
		return -1
	}
	for c := t.nodes[n].first; c >= 0; c = t.nodes[c].next {
		if t.nodes[c].field == name {
			return c
		}
	}
	return -1
}

// child returns the first child of n of one of the given types, or -1.
func (t *tree) child(n int32, types ...string) int32 {
	if n < 0 {
		return -1
	}
	for c := t.nodes[n].first; c >= 0; c = t.nodes[c].next {
		for _, ty := range types {
			if t.nodes[c].typ == ty {
				return c
			}
		}
	}
	return -1
}

// prev returns the previous named sibling of n, or -1.
func (t *tree) prev(n int32) int32 { return t.nodes[n].prev }

// descend follows the first child of each node in turn until a node of one
// of the given types is found (used for C declarators: the name of
// "int *(*f)(void)" sits several declarators deep).
func (t *tree) descend(n int32, field string, types ...string) int32 {
	for depth := 0; n >= 0 && depth < 32; depth++ {
		for _, ty := range types {
			if t.nodes[n].typ == ty {
				return n
			}
		}
		next := t.field(n, field)
		if next < 0 {
			next = t.nodes[n].first
		}
		n = next
	}
	return -1
}

// oneLine collapses runs of white space into one space and caps the length,
// for signatures.
func oneLine(s string, max int) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		if b.Len() >= max {
			break
		}
	}
	return b.String()
}
