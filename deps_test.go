package main

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImportRules keeps the architecture true: app imports only the
// standard library, and the adapters (store, search, web, extract, seal,
// backup) depend on app, never on one another. Only main wires them.
func TestImportRules(t *testing.T) {
	const mod = "github.com/optiq/optiq"
	out, err := exec.Command("go", "list", "-deps=false", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	adapters := []string{"store", "search", "web", "extract", "seal", "backup"}
	family := func(pkg string) string {
		rest, ok := strings.CutPrefix(pkg, mod+"/")
		if !ok {
			return ""
		}
		top, _, _ := strings.Cut(rest, "/")
		return top
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for dec.More() {
		var p struct {
			ImportPath string
			Deps       []string
			Standard   bool
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		deps, err := exec.Command("go", "list", "-f", `{{join .Deps "\n"}}`, p.ImportPath).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", p.ImportPath, err)
		}
		fam := family(p.ImportPath)
		for _, d := range strings.Fields(string(deps)) {
			switch {
			case fam == "app":
				if strings.Contains(strings.SplitN(d, "/", 2)[0], ".") {
					t.Errorf("%s imports %s: app may import only the standard library", p.ImportPath, d)
				}
			case slices.Contains(adapters, fam):
				if df := family(d); df != "" && df != fam && df != "app" {
					t.Errorf("%s imports %s: adapters may depend only on app", p.ImportPath, d)
				}
			}
		}
		checked++
	}
	if checked < 6 {
		t.Fatalf("checked only %d packages", checked)
	}
}
