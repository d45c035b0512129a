package treesitter

import (
	"strings"

	"github.com/optiq/optiq/app"
)

// cNameTypes are the node types that end a C/C++ declarator chain.
var cNameTypes = []string{"identifier", "field_identifier", "type_identifier", "qualified_identifier",
	"destructor_name", "operator_name", "operator_cast", "primitive_type", "template_function", "template_type", "namespace_identifier"}

// declName finds the declared name inside a C/C++ declarator.
func declName(t *tree, n int32) int32 {
	d := t.descend(t.field(n, "declarator"), "declarator", cNameTypes...)
	return unqualify(t, d)
}

// unqualify takes "B" of "A::B" and the name of a template "f<T>".
func unqualify(t *tree, d int32) int32 {
	for i := 0; i < 8 && d >= 0; i++ {
		switch t.typ(d) {
		case "qualified_identifier":
			d = t.field(d, "name")
		case "template_function", "template_type":
			d = t.field(d, "name")
		default:
			return d
		}
	}
	return d
}

// qualifier is "A::B" of "A::B::f", the class a method defined outside
// its class belongs to.
func qualifier(t *tree, n int32) string {
	d := t.descend(t.field(n, "declarator"), "declarator", cNameTypes...)
	if t.typ(d) != "qualified_identifier" {
		return ""
	}
	var parts []string
	for i := 0; i < 8 && t.typ(d) == "qualified_identifier"; i++ {
		if s := t.field(d, "scope"); s >= 0 {
			txt := t.text(s)
			if j := strings.IndexByte(txt, '<'); j > 0 {
				txt = txt[:j]
			}
			parts = append(parts, txt)
		}
		d = t.field(d, "name")
	}
	return strings.Join(parts, "::")
}

// hasDeclarator reports whether a declarator chain holds a function
// declarator (a prototype rather than a variable).
func hasFunctionDeclarator(t *tree, n int32) bool {
	d := t.field(n, "declarator")
	for i := 0; d >= 0 && i < 16; i++ {
		switch t.typ(d) {
		case "function_declarator":
			return true
		case "parenthesized_declarator", "pointer_declarator", "reference_declarator", "array_declarator", "init_declarator", "attributed_declarator":
		default:
			return false
		}
		next := t.field(d, "declarator")
		if next < 0 {
			next = t.nodes[d].first
		}
		d = next
	}
	return false
}

// declNames lists every name of "int a, *b, c[3];".
func declNames(t *tree, n int32) []int32 {
	var out []int32
	for c := t.nodes[n].first; c >= 0; c = t.nodes[c].next {
		if t.nodes[c].field != "declarator" {
			continue
		}
		if d := unqualify(t, t.descend(c, "declarator", cNameTypes...)); d >= 0 {
			out = append(out, d)
		}
	}
	return out
}

// withBody keeps a struct/enum/class specifier only when it defines a body
// ("struct a { ... }"), not when it names a type ("struct a *p").
func withoutBody(t *tree, n int32) bool { return t.field(n, "body") < 0 }

func cDefs(cpp bool) map[string]def {
	m := map[string]def{
		"function_definition": {kind: app.KindFunction, function: true, name: declName,
			container: func(t *tree, n int32) string { return qualifier(t, n) }},
		"struct_specifier": {kind: app.KindStruct, scope: true, skip: withoutBody},
		"union_specifier":  {kind: app.KindStruct, scope: true, skip: withoutBody},
		"enum_specifier":   {kind: app.KindEnum, scope: true, skip: withoutBody},
		"enumerator":       {kind: app.KindConstant, body: "-"},
		"field_declaration": {kind: app.KindField, names: declNames, body: "-",
			kindOf: func(t *tree, n int32) string {
				if hasFunctionDeclarator(t, n) {
					return "" // a method declaration; its definition is reported
				}
				return app.KindField
			}},
		"type_definition":      {kind: app.KindType, names: declNames, body: "-"},
		"preproc_def":          {kind: app.KindMacro, body: "value"},
		"preproc_function_def": {kind: app.KindMacro, body: "value"},
		"declaration": {kind: app.KindVariable, names: declNames, topOnly: true, body: "-",
			container: func(t *tree, n int32) string { return qualifier(t, n) },
			kindOf: func(t *tree, n int32) string {
				if hasFunctionDeclarator(t, n) {
					return "" // a prototype
				}
				// extern declarations are references to a definition elsewhere
				for c := t.nodes[n].first; c >= 0; c = t.nodes[c].next {
					if t.typ(c) == "storage_class_specifier" && t.text(c) == "extern" {
						return ""
					}
				}
				return app.KindVariable
			}},
	}
	if cpp {
		m["class_specifier"] = def{kind: app.KindClass, scope: true, skip: withoutBody}
		m["namespace_definition"] = def{kind: app.KindPackage, scope: true}
		m["alias_declaration"] = def{kind: app.KindType, body: "-"}
		m["concept_definition"] = def{kind: app.KindType, body: "-"}
	}
	return m
}

var clang = &spec{
	sep:      "::",
	comments: set("comment"),
	defs:     cDefs(false),
}

var cpp = &spec{
	sep:      "::",
	comments: set("comment"),
	wrappers: set("template_declaration"),
	defs:     cDefs(true),
}

var java = &spec{
	sep:      ".",
	comments: set("line_comment", "block_comment"),
	defs: map[string]def{
		"package_declaration":                 {kind: app.KindPackage, name: byType("scoped_identifier", "identifier"), body: "-"},
		"class_declaration":                   {kind: app.KindClass, scope: true},
		"record_declaration":                  {kind: app.KindClass, scope: true},
		"interface_declaration":               {kind: app.KindInterface, scope: true},
		"annotation_type_declaration":         {kind: app.KindInterface, scope: true},
		"enum_declaration":                    {kind: app.KindEnum, scope: true},
		"method_declaration":                  {kind: app.KindMethod, function: true},
		"constructor_declaration":             {kind: app.KindMethod, function: true},
		"compact_constructor_declaration":     {kind: app.KindMethod, function: true},
		"annotation_type_element_declaration": {kind: app.KindMethod, body: "-"},
		"enum_constant":                       {kind: app.KindConstant, body: "-"},
		"field_declaration":                   {kind: app.KindField, names: javaDeclarators, body: "-", kindOf: javaConst},
		"constant_declaration":                {kind: app.KindConstant, names: javaDeclarators, body: "-"},
	},
}

func javaDeclarators(t *tree, n int32) []int32 {
	var out []int32
	for c := t.nodes[n].first; c >= 0; c = t.nodes[c].next {
		if t.typ(c) == "variable_declarator" {
			out = append(out, t.field(c, "name"))
		}
	}
	return out
}

var csharp = &spec{
	sep:      ".",
	comments: set("comment"),
	defs: map[string]def{
		"namespace_declaration":             {kind: app.KindPackage, scope: true},
		"file_scoped_namespace_declaration": {kind: app.KindPackage, scope: true, body: "-"},
		"class_declaration":                 {kind: app.KindClass, scope: true},
		"record_declaration":                {kind: app.KindClass, scope: true},
		"struct_declaration":                {kind: app.KindStruct, scope: true},
		"interface_declaration":             {kind: app.KindInterface, scope: true},
		"enum_declaration":                  {kind: app.KindEnum, scope: true},
		"delegate_declaration":              {kind: app.KindType, body: "-"},
		"method_declaration":                {kind: app.KindMethod, function: true},
		"constructor_declaration":           {kind: app.KindMethod, function: true},
		"destructor_declaration":            {kind: app.KindMethod, function: true},
		"local_function_statement":          {kind: app.KindFunction, function: true},
		"property_declaration":              {kind: app.KindField, bodyTypes: []string{"accessor_list", "arrow_expression_clause"}},
		"indexer_declaration":               {kind: app.KindMethod, name: byType("this"), bodyTypes: []string{"accessor_list", "arrow_expression_clause"}},
		"event_declaration":                 {kind: app.KindField, bodyTypes: []string{"accessor_list"}},
		"enum_member_declaration":           {kind: app.KindConstant, body: "-"},
		"field_declaration":                 {kind: app.KindField, names: csDeclarators, body: "-", kindOf: csConst},
		"event_field_declaration":           {kind: app.KindField, names: csDeclarators, body: "-"},
	},
}

func csDeclarators(t *tree, n int32) []int32 {
	var out []int32
	vd := t.child(n, "variable_declaration")
	for c := t.nodes[vd].first; vd >= 0 && c >= 0; c = t.nodes[c].next {
		if t.typ(c) == "variable_declarator" {
			nm := t.field(c, "name")
			if nm < 0 {
				nm = t.child(c, "identifier")
			}
			out = append(out, nm)
		}
	}
	return out
}

func csConst(t *tree, n int32) string {
	for c := t.nodes[n].first; c >= 0; c = t.nodes[c].next {
		if t.typ(c) == "modifier" && t.text(c) == "const" {
			return app.KindConstant
		}
	}
	return app.KindField
}

// javaConst: static final fields are constants.
func javaConst(t *tree, n int32) string {
	m := " " + t.text(t.child(n, "modifiers")) + " "
	if strings.Contains(m, " static ") && strings.Contains(m, " final ") {
		return app.KindConstant
	}
	return app.KindField
}
