// Package extract is the client side of indexing: it lists a repository's
// files (git ls-files, or a walk honouring .gitignore), skips binary and huge
// files, detects languages and extracts symbol definitions. It runs on the
// developer's machine; nothing here talks to the server.
package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	ignore "github.com/sabhiram/go-gitignore"
)

// DefaultMaxFileSize is the size above which files are skipped.
const DefaultMaxFileSize = 1 << 20

// ListFiles returns the repository-relative, slash-separated paths of the
// regular files under root that should be indexed, sorted. In a git work
// tree it asks git (tracked and untracked, minus ignored); elsewhere it walks
// the tree honouring .gitignore files.
func ListFiles(ctx context.Context, root string) ([]string, error) {
	if files, err := gitFiles(ctx, root); err == nil {
		return files, nil
	}
	return walkFiles(root)
}

func gitFiles(ctx context.Context, root string) ([]string, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, err
	}
	// ls-files run in root lists paths relative to root, also when root is
	// a sub-directory of the work tree.
	out, err := exec.CommandContext(ctx, "git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".").Output()
	if err != nil {
		return nil, err
	}
	var files []string
	for _, p := range bytes.Split(out, []byte{0}) {
		if len(p) == 0 {
			continue
		}
		rel := string(p)
		fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil || !fi.Mode().IsRegular() {
			continue // deleted in the work tree, a symlink or a submodule
		}
		files = append(files, rel)
	}
	sort.Strings(files)
	return dedupe(files), nil
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

type ignoreRule struct {
	dir string // slash path relative to root, "" for the root
	gi  *ignore.GitIgnore
}

func walkFiles(root string) ([]string, error) {
	var files []string
	var rules []ignoreRule
	ignored := func(rel string, isDir bool) bool {
		for _, r := range rules {
			sub := rel
			if r.dir != "" {
				var ok bool
				sub, ok = strings.CutPrefix(rel, r.dir+"/")
				if !ok {
					continue
				}
			}
			if r.gi.MatchesPath(sub) || (isDir && r.gi.MatchesPath(sub+"/")) {
				return true
			}
		}
		return false
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // unreadable entries are skipped
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "." {
				rel = ""
			} else if d.Name() == ".git" || ignored(rel, true) {
				return filepath.SkipDir
			}
			if gi, err := ignore.CompileIgnoreFile(filepath.Join(p, ".gitignore")); err == nil {
				rules = append(rules, ignoreRule{dir: rel, gi: gi})
			}
			return nil
		}
		if !d.Type().IsRegular() || ignored(rel, false) {
			return nil
		}
		files = append(files, rel)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list files under %s: %w", root, err)
	}
	sort.Strings(files)
	return files, nil
}

// SkipReason says why a file is not indexed, or "" if it is.
func SkipReason(p string, content []byte, maxSize int) string {
	switch {
	case len(content) > maxSize:
		return fmt.Sprintf("larger than %d bytes", maxSize)
	case IsBinary(content):
		return "binary"
	}
	return ""
}

// ErrUnsupported is returned for languages without a symbol extractor.
var ErrUnsupported = errors.New("no symbol extractor for this language")

// Parser extracts symbols for some languages (e.g. the tree-sitter
// extractor); Extractor routes Go to go/parser and the rest to it.
type Parser interface {
	Supports(lang string) bool
	Symbols(ctx context.Context, lang, path string, src []byte) ([]Symbol, error)
}

// Extractor extracts symbols from one file of any supported language.
type Extractor struct {
	// Others handles non-Go languages; nil means Go only.
	Others Parser
}

// Symbols extracts the definitions in src. Unsupported languages return
// ErrUnsupported (the file is still indexed for path search).
func (e Extractor) Symbols(ctx context.Context, lang, p string, src []byte) ([]Symbol, error) {
	if lang == "go" {
		return GoSymbols(p, src)
	}
	if e.Others != nil && lang != "" && e.Others.Supports(lang) {
		return e.Others.Symbols(ctx, lang, p, src)
	}
	return nil, ErrUnsupported
}
