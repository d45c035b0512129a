package treesitter

import (
	"regexp"
	"sort"
	"strings"

	"github.com/optiq/optiq/app"
)

var rust = &spec{
	sep:      "::",
	comments: set("line_comment", "block_comment"),
	wrappers: set("attribute_item"),
	defs: map[string]def{
		"function_item":           {kind: app.KindFunction, function: true},
		"function_signature_item": {kind: app.KindFunction, body: "-"},
		"struct_item":             {kind: app.KindStruct, scope: true},
		"union_item":              {kind: app.KindStruct, scope: true},
		"enum_item":               {kind: app.KindEnum, scope: true},
		"trait_item":              {kind: app.KindInterface, scope: true},
		"mod_item":                {kind: app.KindPackage, scope: true, skip: withoutBody},
		"const_item":              {kind: app.KindConstant, body: "-", topOnly: true},
		"static_item":             {kind: app.KindVariable, body: "-", topOnly: true},
		"type_item":               {kind: app.KindType, body: "-"},
		"associated_type":         {kind: app.KindType, body: "-"},
		"macro_definition":        {kind: app.KindMacro, body: "-"},
		"field_declaration":       {kind: app.KindField, body: "-"},
		"enum_variant":            {kind: app.KindConstant, body: "-"},
		// impl blocks are not definitions but give their methods a
		// container: the implemented type.
		"impl_item": {kind: app.KindType, scope: true, name: func(t *tree, n int32) int32 {
			ty := t.field(n, "type")
			return lastPart(t, ty, "type_identifier", "primitive_type")
		}, kindOf: func(t *tree, n int32) string { return implKind }},
	},
}

// implKind marks a scope that is not itself reported (Rust impl blocks).
const implKind = "impl"

var ruby = &spec{
	sep:      "::",
	comments: set("comment"),
	defs: map[string]def{
		"class":            {kind: app.KindClass, scope: true, body: "-"},
		"singleton_class":  {kind: ""},
		"module":           {kind: app.KindPackage, scope: true, body: "-"},
		"method":           {kind: app.KindMethod, function: true, body: "-"},
		"singleton_method": {kind: app.KindMethod, function: true, body: "-"},
		"assignment": {kind: app.KindConstant, topOnly: true, body: "-", name: func(t *tree, n int32) int32 {
			if l := t.field(n, "left"); t.typ(l) == "constant" {
				return l
			}
			return -1
		}},
		"call": {kind: app.KindField, topOnly: true, body: "-", names: func(t *tree, n int32) []int32 {
			switch t.text(t.field(n, "method")) {
			case "attr_reader", "attr_writer", "attr_accessor":
			default:
				return nil
			}
			if t.field(n, "receiver") >= 0 {
				return nil
			}
			var out []int32
			args := t.field(n, "arguments")
			for c := t.nodes[args].first; args >= 0 && c >= 0; c = t.nodes[c].next {
				if t.typ(c) == "simple_symbol" {
					out = append(out, c)
				}
			}
			return out
		}},
	},
}

var php = &spec{
	sep:      "\\",
	comments: set("comment"),
	wrappers: set("attribute_list"),
	defs: map[string]def{
		"namespace_definition":  {kind: app.KindPackage, scope: true, body: "-"},
		"class_declaration":     {kind: app.KindClass, scope: true},
		"interface_declaration": {kind: app.KindInterface, scope: true},
		"trait_declaration":     {kind: app.KindInterface, scope: true},
		"enum_declaration":      {kind: app.KindEnum, scope: true},
		"enum_case":             {kind: app.KindConstant, body: "-"},
		"function_definition":   {kind: app.KindFunction, function: true},
		"method_declaration":    {kind: app.KindMethod, function: true},
		"property_element":      {kind: app.KindField, body: "-", name: byType("variable_name")},
		"const_element":         {kind: app.KindConstant, body: "-", name: byType("name")},
		"function_call_expression": {kind: app.KindConstant, body: "-", name: func(t *tree, n int32) int32 {
			// define('NAME', value)
			if t.text(t.field(n, "function")) != "define" {
				return -1
			}
			args := t.field(n, "arguments")
			a := t.child(args, "argument")
			s := t.child(a, "string", "encapsed_string")
			return t.child(s, "string_content", "string_value")
		}},
	},
}

// kotlinKind tells class, interface and enum class apart by keyword.
func kotlinKind(t *tree, n int32) string {
	head := t.text(n)
	if nm := t.child(n, "type_identifier"); nm >= 0 {
		head = string(t.src[t.nodes[n].start:t.nodes[nm].start])
	}
	switch {
	case strings.Contains(head, "interface"):
		return app.KindInterface
	case strings.Contains(head, "enum"):
		return app.KindEnum
	}
	return app.KindClass
}

var kotlin = &spec{
	sep:      ".",
	comments: set("comment", "multiline_comment", "line_comment"),
	defs: map[string]def{
		"package_header":     {kind: app.KindPackage, name: byType("identifier", "qualified_identifier"), body: "-"},
		"class_declaration":  {kind: app.KindClass, scope: true, name: byType("type_identifier"), kindOf: kotlinKind, bodyTypes: []string{"class_body", "enum_class_body"}},
		"object_declaration": {kind: app.KindClass, scope: true, name: byType("type_identifier"), bodyTypes: []string{"class_body"}},
		"companion_object": {kind: app.KindClass, scope: true, bodyTypes: []string{"class_body"},
			name: byType("type_identifier"), defaultName: "Companion"},
		// Constructor parameters declared val or var are properties.
		"class_parameter": {kind: app.KindField, body: "-", name: func(t *tree, n int32) int32 {
			if t.child(n, "binding_pattern_kind") < 0 {
				return -1
			}
			return t.child(n, "simple_identifier")
		}},
		"function_declaration":  {kind: app.KindFunction, function: true, name: byType("simple_identifier"), bodyTypes: []string{"function_body"}},
		"secondary_constructor": {kind: ""},
		"property_declaration": {kind: app.KindVariable, topOnly: true, body: "-", names: func(t *tree, n int32) []int32 {
			if v := t.child(n, "variable_declaration"); v >= 0 {
				return []int32{t.child(v, "simple_identifier")}
			}
			var out []int32
			if m := t.child(n, "multi_variable_declaration"); m >= 0 {
				for c := t.nodes[m].first; c >= 0; c = t.nodes[c].next {
					out = append(out, t.child(c, "simple_identifier"))
				}
			}
			return out
		}, kindOf: func(t *tree, n int32) string {
			if strings.Contains(t.text(t.child(n, "modifiers")), "const") {
				return app.KindConstant
			}
			return app.KindVariable
		}},
		"type_alias": {kind: app.KindType, name: byType("type_identifier"), body: "-"},
		"enum_entry": {kind: app.KindConstant, name: byType("simple_identifier"), body: "-"},
	},
}

var swift = &spec{
	sep:      ".",
	comments: set("comment", "multiline_comment"),
	defs: map[string]def{
		"class_declaration": {kind: app.KindClass, scope: true, name: func(t *tree, n int32) int32 {
			return lastPart(t, t.field(n, "name"), "type_identifier", "simple_identifier")
		}, kindOf: swiftKind},
		"protocol_declaration":          {kind: app.KindInterface, scope: true},
		"function_declaration":          {kind: app.KindFunction, function: true},
		"protocol_function_declaration": {kind: app.KindMethod, body: "-"},
		"init_declaration":              {kind: app.KindMethod, function: true, name: none, defaultName: "init"},
		"deinit_declaration":            {kind: app.KindMethod, function: true, name: none, defaultName: "deinit"},
		"subscript_declaration":         {kind: app.KindMethod, function: true, name: none, defaultName: "subscript"},
		"typealias_declaration":         {kind: app.KindType, body: "-"},
		"associatedtype_declaration":    {kind: app.KindType, body: "-"},
		"enum_entry":                    {kind: app.KindConstant, body: "-", names: swiftNames},
		// A computed property's getter is a function body: its locals are
		// not reported.
		"property_declaration":          {kind: app.KindVariable, topOnly: true, function: true, body: "-", names: swiftNames},
		"protocol_property_declaration": {kind: app.KindField, body: "-", names: swiftNames},
	},
}

// swiftNames lists the names bound by a property or enum case declaration.
func swiftNames(t *tree, n int32) []int32 {
	var out []int32
	for c := t.nodes[n].first; c >= 0; c = t.nodes[c].next {
		if t.nodes[c].field != "name" {
			continue
		}
		if t.typ(c) == "simple_identifier" {
			out = append(out, c)
		} else if id := t.descend(c, "bound_identifier", "simple_identifier"); id >= 0 {
			out = append(out, id)
		}
	}
	return out
}

var scala = &spec{
	sep:      ".",
	comments: set("comment", "block_comment"),
	defs: map[string]def{
		"package_clause":       {kind: app.KindPackage, scope: true, body: "-"},
		"class_definition":     {kind: app.KindClass, scope: true},
		"object_definition":    {kind: app.KindClass, scope: true},
		"trait_definition":     {kind: app.KindInterface, scope: true},
		"enum_definition":      {kind: app.KindEnum, scope: true},
		"function_definition":  {kind: app.KindFunction, function: true},
		"function_declaration": {kind: app.KindFunction, body: "-"},
		"type_definition":      {kind: app.KindType, body: "-"},
		"given_definition":     {kind: app.KindVariable, body: "-"},
		"val_definition":       {kind: app.KindConstant, topOnly: true, body: "-", names: scalaPattern},
		"var_definition":       {kind: app.KindVariable, topOnly: true, body: "-", names: scalaPattern},
		"val_declaration":      {kind: app.KindConstant, topOnly: true, body: "-", names: scalaPattern},
		"var_declaration":      {kind: app.KindVariable, topOnly: true, body: "-", names: scalaPattern},
		"simple_enum_case":     {kind: app.KindConstant, body: "-"},
		"full_enum_case":       {kind: app.KindConstant, body: "-"},
		// Constructor parameters declared val or var are fields.
		"class_parameter": {kind: app.KindField, body: "-", name: scalaMember},
	},
}

// scalaMember names a class parameter declared val or var ("class
// Node(val key: K, private var next: Node)"); other parameters, case
// class ones included, are left to the class signature.
func scalaMember(t *tree, n int32) int32 {
	name := t.field(n, "name")
	if name < 0 {
		return -1
	}
	for _, w := range strings.Fields(string(t.src[t.nodes[n].start:t.nodes[name].start])) {
		if w == "val" || w == "var" {
			return name
		}
	}
	return -1
}

func scalaPattern(t *tree, n int32) []int32 {
	p := t.field(n, "pattern")
	if p < 0 {
		p = t.field(n, "name")
	}
	switch t.typ(p) {
	case "identifier":
		return []int32{p}
	case "identifiers":
		var out []int32
		for c := t.nodes[p].first; c >= 0; c = t.nodes[c].next {
			out = append(out, c)
		}
		return out
	}
	return nil
}

var bash = &spec{
	sep:      ".",
	comments: set("comment"),
	recover:  bashRecover,
	defs: map[string]def{
		"function_definition": {kind: app.KindFunction, function: true},
	},
}

// luaFunctionValue finds "name" in "a.b.name = function() end" and
// "{ name = function() end }".
func luaFunctionValue(t *tree, n int32) int32 {
	switch t.typ(n) {
	case "assignment_statement":
		vars, vals := t.child(n, "variable_list"), t.child(n, "expression_list")
		if vars < 0 || vals < 0 || t.nodes[vars].first < 0 || t.typ(t.nodes[vals].first) != "function_definition" {
			return -1
		}
		return lastPart(t, t.nodes[vars].first, "identifier")
	case "field":
		if t.typ(t.field(n, "value")) != "function_definition" {
			return -1
		}
		if k := t.field(n, "name"); t.typ(k) == "identifier" {
			return k
		}
	}
	return -1
}

var lua = &spec{
	sep:      ".",
	comments: set("comment"),
	wrappers: set("variable_declaration"),
	defs: map[string]def{
		"assignment_statement": {kind: app.KindFunction, name: luaFunctionValue, body: "-", container: luaContainer, keepKind: true},
		"field":                {kind: app.KindFunction, name: luaFunctionValue, body: "-"},
		"function_declaration": {kind: app.KindFunction, function: true, keepKind: true, name: func(t *tree, n int32) int32 {
			return lastPart(t, t.field(n, "name"), "identifier")
		}, kindOf: func(t *tree, n int32) string {
			if t.typ(t.field(n, "name")) == "method_index_expression" {
				return app.KindMethod // function M:f() takes self
			}
			return app.KindFunction
		}, container: func(t *tree, n int32) string { return luaTable(t, t.field(n, "name")) }},
	},
}

// luaTable is "M" of "function M.f()" or "M.f = function".
func luaTable(t *tree, nm int32) string {
	switch t.typ(nm) {
	case "dot_index_expression", "method_index_expression":
		return t.text(t.nodes[nm].first)
	}
	return ""
}

func luaContainer(t *tree, n int32) string {
	vars := t.child(n, "variable_list")
	if vars < 0 {
		return ""
	}
	return luaTable(t, t.nodes[vars].first)
}

// bashFunction matches a function header: "name() {", "function name {".
var bashFunction = regexp.MustCompile(`^([ \t]*)(?:function[ \t]+([A-Za-z_][\w:.-]*)[ \t]*(?:\(\))?|([A-Za-z_][\w:.-]*)[ \t]*\(\))[ \t]*(?:\{|\(|$)`)

// bashRecover finds function definitions that the grammar's error
// recovery dropped: tree-sitter-bash gives up on some valid scripts (for
// example "${1%/}"), leaving the rest of the file as loose words. Function
// headers are regular enough to find line by line; the body ends at the
// first line holding only "}" at the header's indentation.
func bashRecover(x *extractor) {
	found := map[int]bool{}
	for _, s := range x.out {
		found[s.Line] = true
	}
	lines := strings.Split(string(x.t.src), "\n")
	for i, l := range lines {
		m := bashFunction.FindStringSubmatch(l)
		if m == nil || found[i+1] {
			continue
		}
		name := m[2] + m[3]
		end := i + 1
		for j := i + 1; j < len(lines) && j < i+5000; j++ {
			if strings.TrimRight(lines[j], " \t\r") == m[1]+"}" {
				end = j + 1
				break
			}
		}
		x.out = append(x.out, app.Symbol{Name: name, Kind: app.KindFunction, Path: x.path, Line: i + 1, EndLine: end,
			Language: x.lang, Signature: oneLine(strings.TrimRight(strings.TrimSpace(l), "{( "), 240)})
	}
	sort.SliceStable(x.out, func(i, j int) bool { return x.out[i].Line < x.out[j].Line })
}

// swiftKind reads the keyword of a class_declaration, which covers
// classes, structs, enums, actors and extensions in tree-sitter-swift.
func swiftKind(t *tree, n int32) string {
	head := t.text(n)
	if nm := t.field(n, "name"); nm >= 0 {
		head = string(t.src[t.nodes[n].start:t.nodes[nm].start])
	}
	fields := strings.Fields(head)
	for i := len(fields) - 1; i >= 0; i-- {
		switch fields[i] {
		case "struct":
			return app.KindStruct
		case "enum":
			return app.KindEnum
		case "extension":
			return implKind
		case "class", "actor":
			return app.KindClass
		}
	}
	return app.KindClass
}
