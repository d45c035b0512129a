// Package treesitter extracts symbol definitions (functions, methods,
// types, fields, constants, modules) from source files of many languages
// without cgo: tree-sitter grammars compiled to WebAssembly (one module per
// language, built by tools/treesitter/build.sh and embedded compressed) run
// in wazero. A language's module is compiled the first time a file of that
// language is seen, and kept in an on-disk compilation cache when
// Options.CacheDir is set, so later runs start fast. Go is not handled here
// (see extract.GoSymbols).
package treesitter

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/optiq/optiq/app"
)

// Options configure a Parser. The zero value is usable.
type Options struct {
	// CacheDir keeps compiled grammars between runs (DefaultCacheDir is a
	// good choice). Empty means compile in memory on every run.
	CacheDir string
	// Timeout bounds the parse of one file; 0 means DefaultTimeout.
	Timeout time.Duration
	// Instances bounds the parser instances kept per language, and so the
	// files of one language parsed at once; 0 means GOMAXPROCS.
	Instances int
	// MemoryLimit bounds the memory of one parser instance in bytes;
	// 0 means 512 MiB.
	MemoryLimit int
}

// DefaultTimeout is the time one file may take to parse.
const DefaultTimeout = 10 * time.Second

// DefaultCacheDir is where compiled grammars are cached for the current
// user: os.UserCacheDir()/optiq/wazero, or "" when there is none.
func DefaultCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "optiq", "wazero")
}

// Parser extracts symbols; safe for concurrent use.
type Parser struct {
	opts     Options
	rt       wazero.Runtime
	cache    wazero.CompilationCache
	grammars map[string]*grammar
}

// New creates a Parser. Grammars are compiled lazily, on the first file of
// their language.
func New(ctx context.Context, opts Options) (*Parser, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Instances <= 0 {
		opts.Instances = runtime.GOMAXPROCS(0)
	}
	if opts.MemoryLimit <= 0 {
		opts.MemoryLimit = 512 << 20
	}
	// Interruption is cooperative (see instance.run): wazero's
	// WithCloseOnContextDone checks at every call and loop and makes
	// parsing four times slower.
	cfg := wazero.NewRuntimeConfig().
		WithMemoryLimitPages(uint32(opts.MemoryLimit / 65536))
	p := &Parser{opts: opts, grammars: map[string]*grammar{}}
	if opts.CacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(opts.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("treesitter: compilation cache: %w", err)
		}
		p.cache = cache
		cfg = cfg.WithCompilationCache(cache)
	}
	p.rt = wazero.NewRuntimeWithConfig(ctx, cfg)
	if err := instantiateHost(ctx, p.rt); err != nil {
		p.rt.Close(ctx)
		return nil, fmt.Errorf("treesitter: host functions: %w", err)
	}
	for _, lang := range Languages() {
		p.grammars[lang] = &grammar{
			name: lang,
			idle: make(chan *instance, opts.Instances),
			slot: make(chan struct{}, opts.Instances),
		}
	}
	return p, nil
}

// Close releases the runtime and every parser instance.
func (p *Parser) Close(ctx context.Context) error {
	err := p.rt.Close(ctx)
	if p.cache != nil {
		err = errors.Join(err, p.cache.Close(ctx))
	}
	return err
}

// Languages lists the languages this package extracts, sorted.
func Languages() []string {
	out := make([]string, 0, len(specs))
	for lang := range specs {
		out = append(out, lang)
	}
	sort.Strings(out)
	return out
}

// Supports reports whether lang (a name from extract.DetectLanguage) is
// handled.
func (p *Parser) Supports(lang string) bool {
	_, ok := specs[lang]
	return ok
}

// Symbols parses src, the content of the file at path, and returns its
// definitions in source order. A file that the parser cannot handle in
// Options.Timeout, or that makes it fail, returns an error naming path.
func (p *Parser) Symbols(ctx context.Context, lang, path string, src []byte) ([]app.Symbol, error) {
	g, ok := p.grammars[lang]
	sp := specs[lang]
	if !ok || sp == nil {
		return nil, fmt.Errorf("treesitter: %s: language %q not supported", path, lang)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("treesitter: %s: %w", path, err)
	}
	if err := g.load(ctx, p.rt); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(src) >= 1<<31-1 {
		return nil, fmt.Errorf("treesitter: %s: file too large", path)
	}
	inst, err := g.get(ctx, p.rt)
	if err != nil {
		return nil, fmt.Errorf("treesitter: %s: %w", path, err)
	}
	t, err := g.run(ctx, inst, src, p.opts.Timeout)
	if err != nil {
		return nil, fmt.Errorf("treesitter: %s: %w", path, err)
	}
	return extractSymbols(t, sp, lang, path), nil
}

// trimDoc strips comment markers from a leading comment block.
func trimDoc(lines []string) string {
	var out []string
	for _, l := range lines {
		for _, s := range strings.Split(strings.TrimRight(l, "\r\n"), "\n") {
			s = strings.TrimSpace(s)
			for _, p := range []string{"/**", "/*!", "/*", "*/", "///", "//!", "//", "--[[", "]]", "---", "--", "#", "*"} {
				if strings.HasPrefix(s, p) {
					s = strings.TrimPrefix(s, p)
					break
				}
			}
			s = strings.TrimSuffix(strings.TrimSpace(s), "*/")
			out = append(out, strings.TrimSpace(s))
		}
	}
	for len(out) > 0 && out[0] == "" {
		out = out[1:]
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return strings.Join(out, "\n")
}
