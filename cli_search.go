package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/extract"
	"github.com/optiq/optiq/seal"
	"github.com/optiq/optiq/web"
)

// searchHit is one result as the CLI prints it: decrypted on this machine.
type searchHit struct {
	Repo      string  `json:"repo"`
	Path      string  `json:"path"`
	Line      int     `json:"line"`
	EndLine   int     `json:"end_line"`
	Name      string  `json:"name"`
	Kind      string  `json:"kind"`
	Container string  `json:"container,omitempty"`
	Language  string  `json:"language"`
	Score     float64 `json:"score"`
	Signature string  `json:"signature"`
	Doc       string  `json:"doc"`
	Why       string  `json:"why,omitempty"`
	Error     string  `json:"error,omitempty"`
}

// semanticText is what a query is embedded from: its plain words and sym:
// values (filters are not meaning).
func semanticText(q app.Query) string {
	var words []string
	for _, t := range q.Text() {
		words = append(words, t.Value)
	}
	return strings.Join(words, " ")
}

// ciphers caches the repo ciphers needed to open search results.
type ciphers struct {
	cl    *web.Client
	ws    string
	repos map[string]*seal.Repo
	errs  map[string]error
}

func newCiphers(cl *web.Client, ws string) *ciphers {
	return &ciphers{cl: cl, ws: ws, repos: map[string]*seal.Repo{}, errs: map[string]error{}}
}

func (c *ciphers) get(ctx context.Context, repoID string) (*seal.Repo, error) {
	if r, ok := c.repos[repoID]; ok {
		return r, c.errs[repoID]
	}
	repo, err := c.cl.Repo(ctx, c.ws, repoID)
	var rc *seal.Repo
	if err == nil {
		rc, err = repoCipher(repo.Name, repo.ID, repo.KeyCheck)
	}
	c.repos[repoID], c.errs[repoID] = rc, err
	return rc, err
}

func openField(rc *seal.Repo, path, field, name string, line int, blob []byte) (string, error) {
	if len(blob) == 0 {
		return "", nil
	}
	b, err := rc.Open(path, seal.SymbolField(field, name, line), blob)
	if err != nil {
		return "", fmt.Errorf("%s of %s in %s: %w", field, name, path, err)
	}
	return string(b), nil
}

func newSearchCmd() *cobra.Command {
	var repo, mode string
	var limit int
	var asJSON, explain, rerank bool
	c := &cobra.Command{
		Use:   "search QUERY",
		Short: "Search symbols, paths and meaning",
		Long: `Search symbol names and file paths, and code by what it does. The query
language: free text, sym:NAME, path:PART (or file:), lang:LANG, kind:KIND,
repo:NAME, "quoted exact" names and -negation (e.g. -path:_test.go).

Modes: symbol and path search names and paths only; semantic finds symbols
whose embedding is nearest the query's; hybrid fuses name matches with
semantic similarity. Without --mode, a query of two or more plain words is
hybrid, anything else symbol and path. The query is embedded here, with each
repo's own model (downloaded sealed, cached, and opened with the repo key);
signatures and docs are decrypted here too.

In hybrid mode, when a repo searched has a model that knows the query's
words, the server's best 100 results are then reordered here by the query's
words in their code: their files are downloaded sealed (a few MiB per
request) and decrypted on this machine, and each result's score becomes its
server score plus the BM25 of those words, each scaled so the best has 1
(so scores run from 0 to 2; --explain shows both parts). --rerank=false
keeps the server's order and score.`,
		Example: `  optiq search HandleRequest
  optiq search 'sym:Reader lang:go -path:_test.go'
  optiq search 'parse the cookie header of a request'
  optiq search --mode semantic 'retry with exponential backoff'`,
		Args: exactArgs(1),
	}
	ws := workspaceFlag(c)
	c.Flags().StringVar(&repo, "repo", "", "search only this repo")
	c.Flags().IntVar(&limit, "limit", 20, "maximum number of results (1-200)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().BoolVar(&explain, "explain", false, "say why each result matched and ranks where it does")
	c.Flags().StringVar(&mode, "mode", "", "search mode: symbol, path, semantic or hybrid")
	c.Flags().BoolVar(&rerank, "rerank", true, "in hybrid mode, reorder the best results by the query's words in their code, decrypted here (downloads their sealed files)")
	c.RunE = func(c *cobra.Command, args []string) error {
		if strings.TrimSpace(args[0]) == "" {
			return usageError{errors.New("empty query: type a symbol name, a path, or a filter such as lang:go")}
		}
		if limit < 1 || limit > 200 {
			return usageError{fmt.Errorf("--limit %d: give a number of results from 1 to 200", limit)}
		}
		cl, cfg, err := connect()
		if err != nil {
			return err
		}
		switch mode {
		case app.ModeAuto, app.ModeSymbol, app.ModePath, app.ModeSemantic, app.ModeHybrid:
		default:
			return usageError{fmt.Errorf("unknown --mode %q: use symbol, path, semantic or hybrid (or leave it out)", mode)}
		}
		opts := web.SearchOptions{Repo: repo, Limit: limit, Mode: mode}
		q, err := app.ParseQuery(args[0])
		if err != nil {
			return usageError{err}
		}
		q.Mode = mode
		sr := &searcher{cl: cl, ws: ws(cfg), ciphers: newCiphers(cl, ws(cfg))}
		if q.Semantic() {
			var warnings []string
			if opts.Vectors, sr.models, warnings, err = queryVectors(c.Context(), cl, ws(cfg), repo, semanticText(q)); err != nil {
				return err
			}
			for _, w := range warnings {
				fmt.Fprintln(c.ErrOrStderr(), "warning:", w)
			}
			if len(opts.Vectors) == 0 && mode == app.ModeSemantic {
				return errors.New("no repo searched has an embedding model that knows the query's words: index with embeddings on (the default), or search by name")
			}
		}
		hits, warnings, err := sr.search(c.Context(), args[0], q, opts, rerank)
		if err != nil {
			return err
		}
		for _, w := range warnings {
			fmt.Fprintln(c.ErrOrStderr(), "warning:", w)
		}
		if asJSON {
			return printJSON(c.OutOrStdout(), map[string]any{"results": hits})
		}
		if len(hits) == 0 {
			fmt.Fprintln(c.ErrOrStderr(), "no results")
			return nil
		}
		w := c.OutOrStdout()
		for _, h := range hits {
			name := h.Name
			if h.Container != "" {
				name = h.Container + "." + h.Name
			}
			if h.Kind == "file" {
				fmt.Fprintf(w, "%s %s file\n", h.Repo, h.Path)
			} else {
				fmt.Fprintf(w, "%s %s:%d %s %s\n", h.Repo, h.Path, h.Line, h.Kind, name)
			}
			if h.Signature != "" {
				fmt.Fprintf(w, "    %s\n", h.Signature)
			}
			if doc, _, _ := strings.Cut(h.Doc, "\n"); doc != "" {
				fmt.Fprintf(w, "    // %s\n", doc)
			}
			if h.Error != "" {
				fmt.Fprintf(w, "    [cannot decrypt: %s]\n", h.Error)
			}
			if explain {
				fmt.Fprintf(w, "    score %.2f: %s\n", h.Score, h.Why)
			}
		}
		return nil
	}
	return c
}

func newShowCmd() *cobra.Command {
	c := &cobra.Command{
		Use:     "show REPO:PATH",
		Short:   "Print a file, decrypted on this machine, exactly as it was indexed",
		Example: `  optiq show myrepo:cmd/server/main.go`,
		Args:    exactArgs(1),
	}
	ws := workspaceFlag(c)
	c.RunE = func(c *cobra.Command, args []string) error {
		repoName, path, ok := strings.Cut(args[0], ":")
		if !ok || repoName == "" || path == "" {
			return usageError{fmt.Errorf("expected REPO:PATH, got %q", args[0])}
		}
		cl, cfg, err := connect()
		if err != nil {
			return err
		}
		repo, err := cl.Repo(c.Context(), ws(cfg), repoName)
		if err != nil {
			return err
		}
		rc, err := repoCipher(repo.Name, repo.ID, repo.KeyCheck)
		if err != nil {
			return err
		}
		f, err := cl.File(c.Context(), ws(cfg), repo.ID, path)
		if err != nil {
			return err
		}
		b, err := rc.Open(f.Path, seal.KindContent, f.Content)
		if err != nil {
			return fmt.Errorf("%s:%s: %w", repo.Name, path, err)
		}
		_, err = c.OutOrStdout().Write(b)
		return err
	}
	return c
}

func newSymbolsCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "symbols PATH...",
		Short: "Extract symbol definitions locally, without a server (a ctags replacement)",
		Long: `Print the definitions found in the given files and directories. Directories are
listed like optiq index lists them. With --json, one JSON object per line.`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("give at least one file or directory (see optiq symbols --help)")}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per symbol")
	c.RunE = func(c *cobra.Command, args []string) error {
		ex, release := newExtractor(c.Context(), c.ErrOrStderr())
		defer release()
		enc := json.NewEncoder(c.OutOrStdout())
		failed := 0
		emit := func(display, file string) {
			b, err := readLimited(file, extract.DefaultMaxFileSize)
			if err != nil || extract.IsBinary(b) {
				return
			}
			syms, err := ex.Symbols(c.Context(), extract.DetectLanguage(file, b), display, b)
			if err != nil {
				if !errors.Is(err, extract.ErrUnsupported) {
					fmt.Fprintf(c.ErrOrStderr(), "warning: %s: %v\n", display, err)
					failed++
				}
				return
			}
			for _, s := range syms {
				if asJSON {
					enc.Encode(struct {
						Name      string `json:"name"`
						Kind      string `json:"kind"`
						Path      string `json:"path"`
						Line      int    `json:"line"`
						EndLine   int    `json:"end_line"`
						Language  string `json:"language"`
						Container string `json:"container"`
					}{s.Name, s.Kind, s.Path, s.Line, s.EndLine, s.Language, s.Container})
				} else {
					fmt.Fprintf(c.OutOrStdout(), "%s\t%s:%d\t%s\t%s\n", s.Name, s.Path, s.Line, s.Kind, s.Container)
				}
			}
		}
		for _, arg := range args {
			fi, err := os.Stat(arg)
			if err != nil {
				return err
			}
			if !fi.IsDir() {
				emit(filepath.ToSlash(arg), arg)
				continue
			}
			files, err := extract.ListFiles(c.Context(), arg)
			if err != nil {
				return err
			}
			for _, f := range files {
				emit(f, filepath.Join(arg, filepath.FromSlash(f)))
			}
		}
		if failed > 0 {
			fmt.Fprintf(c.ErrOrStderr(), "%d files could not be parsed\n", failed)
		}
		return nil
	}
	return c
}

func newKeyCmd() *cobra.Command {
	c := &cobra.Command{Use: "key", Short: "Export and import repository keys"}
	export := &cobra.Command{
		Use:   "export REPO",
		Short: "Print a repo's key for a teammate or the browser (keep it secret)",
		Args:  exactArgs(1),
	}
	wsExport := workspaceFlag(export)
	export.RunE = func(c *cobra.Command, args []string) error {
		cl, cfg, err := connect()
		if err != nil {
			return err
		}
		repo, err := cl.Repo(c.Context(), wsExport(cfg), args[0])
		if err != nil {
			return err
		}
		k, err := loadRepoKey(repo.Name, repo.ID)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.OutOrStdout(), k.Export(repo.ID))
		return nil
	}
	imp := &cobra.Command{
		Use:   "import",
		Short: "Import a key printed by optiq key export, read from standard input",
		Args:  exactArgs(0),
	}
	imp.RunE = func(c *cobra.Command, _ []string) error {
		line, err := readSecretStdin(c.InOrStdin())
		if err != nil {
			return err
		}
		repoID, k, err := seal.ImportKey(line)
		if err != nil {
			return usageError{err}
		}
		if err := saveRepoKey(repoID, k); err != nil {
			return err
		}
		fmt.Fprintf(c.OutOrStdout(), "imported the key of repo %s\n", repoID)
		return nil
	}
	c.AddCommand(export, imp)
	return c
}
