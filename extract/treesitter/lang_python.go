package treesitter

import "github.com/optiq/optiq/app"

var python = &spec{
	sep:      ".",
	pyDoc:    true,
	comments: set("comment"),
	wrappers: set("decorated_definition", "expression_statement"),
	defs: map[string]def{
		"class_definition":    {kind: app.KindClass, scope: true},
		"function_definition": {kind: app.KindFunction, function: true},
		"assignment": {
			kind: app.KindVariable, topOnly: true, body: "-",
			name: func(t *tree, n int32) int32 {
				if l := t.field(n, "left"); t.typ(l) == "identifier" {
					return l
				}
				return -1
			},
		},
	},
}
