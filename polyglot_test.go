package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPolyglotIndexAndSearch indexes Python, TypeScript and Rust through
// the tree-sitter extractor and finds their definitions, with signatures
// and docs decrypted on the client and no code on the server.
func TestPolyglotIndexAndSearch(t *testing.T) {
	ts := startServer(t)
	ada := newUser(t, ts, "ada@example.com", "member")
	ada.ok("", "repo", "create", "poly")
	src := t.TempDir()
	files := map[string]string{
		"svc/greeter.py": "class Greeter:\n    \"\"\"Greets people. " + canary + "\"\"\"\n\n    def greet_user(self, name):\n        return \"" + canary + "\" + name\n",
		"web/box.ts":     "// A box. " + canary + "\nexport class CardboardBox {\n  open(): string { return \"" + canary + "\" }\n}\n",
		"core/point.rs":  "/// A point. " + canary + "\npub struct GridPoint { x: i32 }\n",
	}
	for p, body := range files {
		os.MkdirAll(filepath.Join(src, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(src, p), []byte(body), 0o644)
	}
	ada.ok("", "index", src, "--repo", "poly")
	for _, c := range []struct{ query, name, kind, lang, container string }{
		{"Greeter", "Greeter", "class", "python", ""},
		{"greetUser", "greet_user", "method", "python", "Greeter"},
		{"CardboardBox", "CardboardBox", "class", "typescript", ""},
		{"sym:GridPoint", "GridPoint", "struct", "rust", ""},
	} {
		hits := searchCLI(t, ada, c.query)
		if len(hits) == 0 || hits[0].Name != c.name || hits[0].Kind != c.kind || hits[0].Language != c.lang || hits[0].Container != c.container {
			t.Errorf("%s: %+v", c.query, hits)
			continue
		}
		if hits[0].Signature == "" || hits[0].Error != "" {
			t.Errorf("%s: signature %q, error %q", c.query, hits[0].Signature, hits[0].Error)
		}
	}
	if hits := searchCLI(t, ada, "Greeter"); len(hits) > 0 && !strings.Contains(hits[0].Doc, "Greets people.") {
		t.Errorf("python docstring: %q", hits[0].Doc)
	}
	assertNoCanary(t, ts, ada)
}
