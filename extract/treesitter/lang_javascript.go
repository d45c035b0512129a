package treesitter

import (
	"strings"

	"github.com/optiq/optiq/app"
)

// functionValue reports whether n is a function or class expression, so
// that "const f = () => {}" defines a function.
func functionValue(t *tree, n int32) string {
	switch t.typ(n) {
	case "function_expression", "function", "arrow_function", "generator_function":
		return app.KindFunction
	case "class":
		return app.KindClass
	}
	return ""
}

var jsDefs = map[string]def{
	"function_declaration":           {kind: app.KindFunction, function: true, skip: overload},
	"generator_function_declaration": {kind: app.KindFunction, function: true},
	"function_signature":             {kind: app.KindFunction, skip: overload},
	"class_declaration":              {kind: app.KindClass, scope: true},
	"abstract_class_declaration":     {kind: app.KindClass, scope: true},
	"method_definition":              {kind: app.KindMethod, function: true, skip: notClassMember},
	"method_signature":               {kind: app.KindMethod, skip: notMemberSignature},
	"abstract_method_signature":      {kind: app.KindMethod},
	"field_definition":               {kind: app.KindField, name: byField("property"), body: "-"},
	"public_field_definition":        {kind: app.KindField, body: "-"},
	"property_signature":             {kind: app.KindField, body: "-", skip: notInInterface},
	// constructor(private x: T) declares a property.
	"required_parameter":     {kind: app.KindField, body: "-", name: parameterProperty, outer: true},
	"optional_parameter":     {kind: app.KindField, body: "-", name: parameterProperty, outer: true},
	"interface_declaration":  {kind: app.KindInterface, scope: true},
	"type_alias_declaration": {kind: app.KindType, body: "value"},
	"enum_declaration":       {kind: app.KindEnum, scope: true},
	"internal_module":        {kind: app.KindPackage, scope: true},
	"module":                 {kind: app.KindPackage, scope: true},
	"enum_assignment":        {kind: app.KindConstant, body: "-"},
	"variable_declarator": {
		kind: app.KindVariable, topOnly: true, body: "-",
		name: func(t *tree, n int32) int32 {
			if nm := t.field(n, "name"); t.typ(nm) == "identifier" {
				return nm
			}
			return -1
		},
		kindOf: func(t *tree, n int32) string {
			if k := functionValue(t, t.field(n, "value")); k != "" {
				return k
			}
			if p := t.nodes[n].parent; p >= 0 && t.typ(p) == "lexical_declaration" &&
				len(t.src) > int(t.nodes[p].start)+5 && string(t.src[t.nodes[p].start:t.nodes[p].start+5]) == "const" {
				return app.KindConstant
			}
			return app.KindVariable
		},
	},
	// Foo.prototype.bar = function () {} and exports.bar = () => {}
	"assignment_expression": {
		kind: app.KindFunction, topOnly: true, body: "-",
		name: func(t *tree, n int32) int32 {
			l := t.field(n, "left")
			if t.typ(l) != "member_expression" || functionValue(t, t.field(n, "right")) == "" {
				return -1
			}
			return t.field(l, "property")
		},
		container: func(t *tree, n int32) string {
			obj := t.field(t.field(n, "left"), "object")
			if t.typ(obj) == "member_expression" && t.text(t.field(obj, "property")) == "prototype" {
				return t.text(t.field(obj, "object"))
			}
			return ""
		},
	},
}

var javascript = &spec{
	sep:      ".",
	comments: set("comment"),
	wrappers: set("export_statement", "lexical_declaration", "variable_declaration", "expression_statement", "ambient_declaration"),
	defs:     jsDefs,
}

var typescript = &spec{
	sep:      ".",
	comments: set("comment"),
	wrappers: set("export_statement", "lexical_declaration", "variable_declaration", "expression_statement", "ambient_declaration"),
	defs: func() map[string]def {
		m := map[string]def{}
		for k, v := range jsDefs {
			m[k] = v
		}
		// Enum members without a value are bare property identifiers in
		// the enum body.
		m["property_identifier"] = def{kind: app.KindConstant, name: self, body: "-",
			skip: func(t *tree, n int32) bool { return t.typ(t.nodes[n].parent) != "enum_body" }}
		return m
	}(),
}

// notInInterface: members of object types are reported only when the type
// is an interface's body, not an inline type annotation.
func notInInterface(t *tree, n int32) bool {
	p := t.nodes[n].parent
	switch t.typ(p) {
	case "interface_body":
		return false
	case "object_type":
		return t.typ(t.nodes[p].parent) != "interface_declaration"
	}
	return true
}

func parameterProperty(t *tree, n int32) int32 {
	if t.child(n, "accessibility_modifier") < 0 && !strings.HasPrefix(t.text(n), "readonly") {
		return -1
	}
	return t.field(n, "pattern")
}

// notClassMember: methods of object literals ({ f() {} }) are not
// reported, only those of classes.
func notClassMember(t *tree, n int32) bool {
	return t.typ(t.nodes[n].parent) != "class_body" || overload(t, n)
}

// notMemberSignature keeps interface members and the first overload
// signature of a class method.
func notMemberSignature(t *tree, n int32) bool {
	if t.typ(t.nodes[n].parent) == "class_body" {
		return overload(t, n)
	}
	return notInInterface(t, n)
}

// overload reports whether n follows an overload signature of the same
// name: TypeScript overloads are reported once, at the first signature.
func overload(t *tree, n int32) bool {
	name := t.text(t.field(n, "name"))
	at := n
	if p := t.nodes[n].parent; t.typ(p) == "export_statement" {
		at = p
	}
	prev := t.prev(at)
	for prev >= 0 && t.typ(prev) == "comment" {
		prev = t.prev(prev)
	}
	if t.typ(prev) == "export_statement" {
		prev = t.nodes[prev].first
		for prev >= 0 && t.typ(prev) == "comment" {
			prev = t.nodes[prev].next
		}
	}
	switch t.typ(prev) {
	case "method_signature", "function_signature":
		return t.text(t.field(prev, "name")) == name
	}
	return false
}
