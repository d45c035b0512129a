package app

// Symbol kinds. Extractors map each language's constructs onto this small set
// so that `kind:` filters and ranking work the same across languages.
const (
	KindPackage   = "package"   // Go package, Java package, C# namespace, Rust/Ruby module
	KindFunction  = "function"  // free function
	KindMethod    = "method"    // function with a receiver or enclosing class
	KindClass     = "class"     // class, struct with methods in OO languages
	KindStruct    = "struct"    // struct / record type
	KindInterface = "interface" // interface, protocol, trait
	KindEnum      = "enum"
	KindType      = "type"     // type alias or other named type
	KindField     = "field"    // struct field, property, member variable
	KindConstant  = "constant" // const, enum member
	KindVariable  = "variable" // package/module level variable
	KindMacro     = "macro"
	KindFile      = "file" // a search result that is a file's path, not a symbol
)

// Symbol is one definition found in a source file. Name, Kind, Container,
// Language and the line numbers are metadata the server may hold in
// plaintext; Signature and Doc are code and are encrypted before upload.
type Symbol struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Container string `json:"container,omitempty"` // enclosing type/class/module, "" at top level
	Path      string `json:"path"`
	Line      int    `json:"line"`     // 1-based first line
	EndLine   int    `json:"end_line"` // 1-based last line (inclusive)
	Language  string `json:"language"`
	Signature string `json:"signature,omitempty"` // plaintext on the client only
	Doc       string `json:"doc,omitempty"`       // plaintext on the client only
}

// DefinitionKinds ranks kinds for search: types and functions before fields
// and variables. Lower is better.
func KindRank(kind string) int {
	switch kind {
	case KindClass, KindStruct, KindInterface, KindEnum, KindType, KindFunction, KindMethod:
		return 0
	case KindPackage, KindConstant, KindMacro:
		return 1
	case KindField, KindVariable:
		return 2
	default:
		return 3
	}
}
