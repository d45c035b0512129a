package treesitter

import "github.com/optiq/optiq/app"

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
	"function_declaration":           {kind: app.KindFunction, function: true},
	"generator_function_declaration": {kind: app.KindFunction, function: true},
	"function_signature":             {kind: app.KindFunction},
	"class_declaration":              {kind: app.KindClass, scope: true},
	"abstract_class_declaration":     {kind: app.KindClass, scope: true},
	"method_definition":              {kind: app.KindMethod, function: true},
	"method_signature":               {kind: app.KindMethod},
	"abstract_method_signature":      {kind: app.KindMethod},
	"field_definition":               {kind: app.KindField, name: byField("property"), body: "-"},
	"public_field_definition":        {kind: app.KindField, body: "-"},
	"property_signature":             {kind: app.KindField, body: "-"},
	"interface_declaration":          {kind: app.KindInterface, scope: true},
	"type_alias_declaration":         {kind: app.KindType, body: "value"},
	"enum_declaration":               {kind: app.KindEnum, scope: true},
	"internal_module":                {kind: app.KindPackage, scope: true},
	"module":                         {kind: app.KindPackage, scope: true},
	"enum_assignment":                {kind: app.KindConstant, body: "-"},
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
