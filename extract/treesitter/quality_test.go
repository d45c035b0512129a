package treesitter_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/extract/treesitter"
)

var showMisses = flag.Bool("eval.misses", false, "print every definition missed or added against the reference")

// refTag is one line of a reference file: universal-ctags JSON output
// (*.ctags, see tools/treesitter/ctags.sh) or the same shape written by
// hand for languages ctags does not parse (*.expected).
type refTag struct {
	Name      string `json:"name"`
	Line      int    `json:"line"`
	Kind      string `json:"kind"`
	ScopeKind string `json:"scopeKind"`
}

// ctagsGroup maps a ctags kind to the group compared, or "" for tags that
// are not definitions in Optiq's sense (imports, aliases, heredocs, Rust
// impl blocks, file names).
func ctagsGroup(lang, kind string) string {
	switch kind {
	case "function", "method", "getter", "setter", "generator", "singletonMethod":
		return "callable"
	case "member":
		if lang == "python" {
			return "callable" // ctags calls methods "members" in Python
		}
		return "data"
	case "class", "struct", "union", "enum", "interface", "typedef", "trait", "annotation", "object", "typealias", "protocol":
		return "type"
	case "alias":
		if lang == "typescript" || lang == "tsx" {
			return "type"
		}
		return ""
	case "variable", "field", "property", "constant", "enumerator", "enumConstant", "define", "accessor", "event":
		return "data"
	case "namespace", "package":
		if lang == "python" {
			return ""
		}
		return "module"
	case "module":
		if lang == "ruby" {
			return "module"
		}
		return ""
	case "macro":
		return "macro"
	}
	return ""
}

func symbolGroup(kind string) string {
	switch kind {
	case app.KindFunction, app.KindMethod:
		return "callable"
	case app.KindClass, app.KindStruct, app.KindInterface, app.KindEnum, app.KindType:
		return "type"
	case app.KindField, app.KindConstant, app.KindVariable:
		return "data"
	case app.KindPackage:
		return "module"
	case app.KindMacro:
		return "macro"
	}
	return "other"
}

// shortName drops qualifiers ctags keeps in some names ("M.f", "self.f",
// "A::B" namespaces) and sigils ("#private" JavaScript fields).
func shortName(s string) string {
	for _, sep := range []string{"::", ".", ":", "\\"} {
		if i := strings.LastIndex(s, sep); i >= 0 && i+len(sep) < len(s) {
			s = s[i+len(sep):]
		}
	}
	return strings.ReplaceAll(strings.TrimLeft(s, "#$"), " ", "")
}

// sameGroup: ctags tags "const f = () => {}" (JavaScript, TypeScript) as a
// constant or variable; a function found there is the same definition.
func sameGroup(ref, sym string) bool {
	return ref == sym || (ref == "data" && sym == "callable")
}

// exception is a reference tag checked by hand and found wrong
// ("ctags-wrong": not a definition, left out of recall) or a definition the
// reference misses ("ctags-missed": counted as correct for precision).
type exception struct {
	what, file, name string
	line             int
}

func loadExceptions(t *testing.T) map[exception]string {
	b, err := os.ReadFile("testdata/eval/exceptions.txt")
	if err != nil {
		t.Fatal(err)
	}
	out := map[exception]string{}
	for i, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Fields(l)
		if len(f) < 4 {
			t.Fatalf("exceptions.txt:%d: want WHAT FILE LINE NAME REASON", i+1)
		}
		line, err := strconv.Atoi(f[2])
		if err != nil {
			t.Fatalf("exceptions.txt:%d: %v", i+1, err)
		}
		out[exception{f[0], f[1], f[3], line}] = strings.Join(f[4:], " ")
	}
	return out
}

type score struct{ refs, found, syms, correct int }

func (s score) recall() float64 {
	if s.refs == 0 {
		return 1
	}
	return float64(s.found) / float64(s.refs)
}

func (s score) precision() float64 {
	if s.syms == 0 {
		return 1
	}
	return float64(s.correct) / float64(s.syms)
}

// TestQuality compares the definitions found in real-world files
// (testdata/eval, see SOURCES.md there) with universal-ctags' on the same
// files, by kind group. A reference tag is found when a symbol of the same
// group and name spans its line.
func TestQuality(t *testing.T) {
	ctx := context.Background()
	p, err := treesitter.New(ctx, treesitter.Options{CacheDir: cacheDir(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	exceptions := loadExceptions(t)
	used := map[exception]bool{}
	dirs, _ := filepath.Glob("testdata/eval/*")
	var report []string
	for _, dir := range dirs {
		lang := filepath.Base(dir)
		if !p.Supports(lang) {
			continue
		}
		total, locals := score{}, 0
		groups := map[string]*score{}
		files, _ := filepath.Glob(dir + "/*")
		for _, file := range files {
			if strings.HasSuffix(file, ".ctags") || strings.HasSuffix(file, ".expected") {
				continue
			}
			rel := lang + "/" + filepath.Base(file)
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			refs := readRefs(t, file)
			syms, err := p.Symbols(ctx, lang, rel, src)
			if err != nil {
				t.Fatal(err)
			}
			matched := make([]bool, len(syms))
			// inFunction: ctags reports some locals (JavaScript consts in
			// arrow functions, Kotlin vals, lambda parameters) without a
			// function scope. A data tag inside the body of a function
			// found here is such a local.
			inFunction := func(line int) bool {
				for _, s := range syms {
					if symbolGroup(s.Kind) == "callable" && s.Line < line && line <= s.EndLine {
						return true
					}
				}
				return false
			}
			for _, r := range refs {
				g := ctagsGroup(lang, r.Kind)
				// Anonymous types, lambdas, and locals (variables whose
				// scope is a function: ctags reports some, Optiq never
				// does) are not compared.
				if g == "" || strings.HasPrefix(r.Name, "__anon") || strings.HasPrefix(r.Name, "<") ||
					(g == "data" && (r.ScopeKind == "method" || r.ScopeKind == "function")) {
					continue
				}
				if g == "data" && inFunction(r.Line) {
					locals++
					continue
				}
				name := shortName(r.Name)
				if e := (exception{"ctags-wrong", rel, name, r.Line}); exceptions[e] != "" {
					used[e] = true
					continue
				}
				gs := groups[g]
				if gs == nil {
					gs = &score{}
					groups[g] = gs
				}
				gs.refs++
				best := -1
				for i, s := range syms {
					if !matched[i] && shortName(s.Name) == name && sameGroup(g, symbolGroup(s.Kind)) && s.Line <= r.Line && r.Line <= s.EndLine {
						if best < 0 || s.Line > syms[best].Line {
							best = i
						}
					}
				}
				if best >= 0 {
					matched[best] = true
					gs.found++
				} else if *showMisses {
					t.Logf("missed %s:%d %s %s (%s)", rel, r.Line, r.Kind, r.Name, g)
				}
			}
			for i, s := range syms {
				g := symbolGroup(s.Kind)
				gs := groups[g]
				if gs == nil {
					gs = &score{}
					groups[g] = gs
				}
				gs.syms++
				if matched[i] {
					gs.correct++
					continue
				}
				if e := (exception{"ctags-missed", rel, s.Name, s.Line}); exceptions[e] != "" {
					used[e] = true
					gs.correct++
					continue
				}
				if *showMisses {
					t.Logf("extra  %s:%d %s %s in %q", rel, s.Line, s.Kind, s.Name, s.Container)
				}
			}
		}
		var parts []string
		names := make([]string, 0, len(groups))
		for g := range groups {
			names = append(names, g)
		}
		sort.Strings(names)
		for _, g := range names {
			s := groups[g]
			total.refs += s.refs
			total.found += s.found
			total.syms += s.syms
			total.correct += s.correct
			parts = append(parts, fmt.Sprintf("%s R %.2f (%d/%d) P %.2f (%d/%d)", g, s.recall(), s.found, s.refs, s.precision(), s.correct, s.syms))
		}
		report = append(report, fmt.Sprintf("%-10s recall %.3f precision %.3f (%d locals skipped) | %s", lang, total.recall(), total.precision(), locals, strings.Join(parts, "; ")))
		if total.recall() < 0.95 || total.precision() < 0.90 {
			t.Errorf("%s: recall %.3f (want ≥ 0.95), precision %.3f (want ≥ 0.90)", lang, total.recall(), total.precision())
		}
	}
	for _, l := range report {
		t.Log(l)
	}
	for e := range exceptions {
		if !used[e] {
			t.Errorf("exceptions.txt: %s %s %d %s matches nothing", e.what, e.file, e.line, e.name)
		}
	}
}

func readRefs(t *testing.T, file string) []refTag {
	b, err := os.ReadFile(file + ".ctags")
	if os.IsNotExist(err) {
		b, err = os.ReadFile(file + ".expected")
	}
	if err != nil {
		t.Fatalf("no reference for %s: %v", file, err)
	}
	var out []refTag
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r refTag
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out = append(out, r)
	}
	return out
}

// cacheDir shares compiled grammars between test runs of this package.
func cacheDir(t testing.TB) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "optiq-test", "wazero")
}
