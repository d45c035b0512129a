package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
	"golang.org/x/term"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/extract"
	"github.com/optiq/optiq/extract/treesitter"
	"github.com/optiq/optiq/seal"
	"github.com/optiq/optiq/search/embed"
	"github.com/optiq/optiq/search/vector"
	"github.com/optiq/optiq/web"
)

// indexSummary is what optiq index --json prints.
type indexSummary struct {
	Repo       string  `json:"repo"`
	Files      int     `json:"files"`     // files in the repo after the commit
	Uploaded   int     `json:"uploaded"`  // files sent in this run
	Unchanged  int     `json:"unchanged"` // files the server already had
	Resumed    int     `json:"resumed"`   // files an interrupted run had already uploaded
	Removed    int     `json:"removed"`
	Skipped    int     `json:"skipped"` // binary or huge
	Bytes      int64   `json:"bytes"`   // bytes of source read for upload
	Symbols    int     `json:"symbols"` // symbols extracted in this run
	Seconds    float64 `json:"seconds"`
	Generation int64   `json:"generation"`
	// Embeddings says what happened to the repo's embedding model:
	// "trained", "reused", "off" (--no-embeddings) or "none" (too little
	// text to train one); Vectors counts the symbol vectors uploaded.
	Embeddings string `json:"embeddings"`
	Vectors    int    `json:"vectors"`
	// Phases are the seconds spent listing and fingerprinting, training
	// the embedding model (parsing every file first), agreeing the plan
	// with the server, extracting/embedding/sealing/uploading, and
	// committing; embed_cpu is the CPU seconds spent embedding symbols
	// (part of upload, spread over the workers).
	Phases   map[string]float64 `json:"phases"`
	Warnings []string           `json:"warnings,omitempty"`
}

type indexOptions struct {
	maxFileSize int
	workers     int
	batchBytes  int
	progress    io.Writer // nil: no progress bar
	extractor   extract.Extractor
	// noEmbeddings turns semantic search off for the repo; retrain trains
	// a new embedding model (and turns it back on).
	noEmbeddings, retrain bool
	// sideLoaded is a site's own model (static embeddings), used instead
	// of training one.
	sideLoaded *embed.Model
}

func newIndexCmd() *cobra.Command {
	var repoName string
	var asJSON, noEmbeddings, retrain bool
	var maxSize int
	var modelFile string
	c := &cobra.Command{
		Use:   "index DIR --repo NAME",
		Short: "Index a directory into a repository (only changed files are uploaded)",
		Long: `Index the files under DIR into repo NAME: list files (git ls-files in a git
work tree, else a walk honouring .gitignore), skip binary and huge files,
extract symbols, encrypt content, signatures and docstrings with the repo key
on this machine, upload in parallel batches and commit. Re-running uploads only
changed files and removes deleted ones; an interrupted run changes nothing.

Semantic search: the first run trains an embedding model from the repo's
symbols on this machine, stores it on the server sealed with the repo key, and
uploads a vector per symbol; later runs reuse the model. Vectors are stored in
plaintext and can leak meaning: --no-embeddings turns them off for the repo
(name and path search only); --retrain trains a new model (and turns them back
on). Both upload every file again. --embeddings-model FILE uses a site's own
static embeddings (word2vec or GloVe text format) instead of training; the
repo keeps using it until --retrain or another --embeddings-model.`,
		Args: exactArgs(1),
	}
	ws := workspaceFlag(c)
	c.Flags().StringVar(&repoName, "repo", "", "repository name (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print a JSON summary")
	c.Flags().IntVar(&maxSize, "max-file-size", extract.DefaultMaxFileSize, "skip files larger than this many bytes")
	c.Flags().BoolVar(&noEmbeddings, "no-embeddings", false, "no semantic search for this repo: drop its model and vectors (kept for later runs)")
	c.Flags().BoolVar(&retrain, "retrain", false, "train a new embedding model from the current files")
	c.Flags().StringVar(&modelFile, "embeddings-model", "", "use these static embeddings (word2vec/GloVe text) instead of training a model")
	c.RunE = func(c *cobra.Command, args []string) error {
		if repoName == "" {
			return usageError{errors.New("--repo is required (see optiq index --help)")}
		}
		if noEmbeddings && retrain || noEmbeddings && modelFile != "" || retrain && modelFile != "" {
			return usageError{errors.New("use one of --no-embeddings, --retrain and --embeddings-model (see optiq index --help)")}
		}
		var sideLoaded *embed.Model
		if modelFile != "" {
			var err error
			if sideLoaded, err = loadStaticModel(modelFile); err != nil {
				return err
			}
		}
		cl, cfg, err := connect()
		if err != nil {
			return err
		}
		ex, release := newExtractor(c.Context(), c.ErrOrStderr())
		defer release()
		opts := indexOptions{maxFileSize: maxSize, extractor: ex, noEmbeddings: noEmbeddings, retrain: retrain, sideLoaded: sideLoaded}
		if f, ok := c.ErrOrStderr().(*os.File); ok && term.IsTerminal(int(f.Fd())) && !asJSON {
			opts.progress = f
		}
		sum, err := indexRepo(c.Context(), cl, ws(cfg), repoName, args[0], opts)
		if err != nil {
			return err
		}
		for _, w := range sum.Warnings {
			fmt.Fprintln(c.ErrOrStderr(), "warning:", w)
		}
		if asJSON {
			return printJSON(c.OutOrStdout(), sum)
		}
		resumed := ""
		if sum.Resumed > 0 {
			resumed = fmt.Sprintf(", %d already uploaded by an interrupted run", sum.Resumed)
		}
		fmt.Fprintf(c.OutOrStdout(), "indexed %s: %d files (%d uploaded, %d unchanged, %d removed, %d skipped%s), %d symbols, %.1f MB in %.1fs\n",
			sum.Repo, sum.Files, sum.Uploaded, sum.Unchanged, sum.Removed, sum.Skipped, resumed, sum.Symbols, float64(sum.Bytes)/1e6, sum.Seconds)
		switch sum.Embeddings {
		case "trained":
			fmt.Fprintf(c.OutOrStdout(), "trained an embedding model (%.1fs); %d symbol vectors uploaded\n", sum.Phases["train"], sum.Vectors)
		case "side-loaded":
			fmt.Fprintf(c.OutOrStdout(), "stored the side-loaded embedding model; %d symbol vectors uploaded\n", sum.Vectors)
		case "none":
			fmt.Fprintln(c.OutOrStdout(), "too little text to train an embedding model yet: semantic search is off for this repo until it grows (optiq index --retrain)")
		}
		return nil
	}
	return c
}

// indexRepo runs the client side of the indexing protocol (DESIGN §3).
func indexRepo(ctx context.Context, cl *web.Client, ws, repoName, dir string, o indexOptions) (indexSummary, error) {
	start := time.Now()
	sum := indexSummary{Repo: repoName, Phases: map[string]float64{}}
	phase := start
	mark := func(name string) {
		now := time.Now()
		sum.Phases[name] = now.Sub(phase).Seconds()
		phase = now
	}
	if o.workers <= 0 {
		o.workers = runtime.NumCPU()
	}
	if o.batchBytes <= 0 {
		o.batchBytes = 8 << 20
	}
	if o.maxFileSize <= 0 {
		o.maxFileSize = extract.DefaultMaxFileSize
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return sum, usageError{fmt.Errorf("%s is not a directory", dir)}
	}
	repo, err := cl.Repo(ctx, ws, repoName)
	if err != nil {
		return sum, err
	}
	rc, err := repoCipher(repo.Name, repo.ID, repo.KeyCheck)
	if err != nil {
		return sum, err
	}
	paths, err := extract.ListFiles(ctx, dir)
	if err != nil {
		return sum, err
	}

	// 1. Fingerprint every indexable file.
	type entry struct {
		path, fp string
		skip     string
	}
	entries := make([]entry, len(paths))
	err = forEach(ctx, o.workers, len(paths), func(_ context.Context, i int) error {
		p := paths[i]
		entries[i].path = p
		if err := app.ValidatePath(p); err != nil {
			entries[i].skip = "unsupported path"
			return nil
		}
		b, err := readLimited(filepath.Join(dir, filepath.FromSlash(p)), o.maxFileSize)
		if err != nil {
			entries[i].skip = err.Error()
			return nil
		}
		if reason := extract.SkipReason(p, b, o.maxFileSize); reason != "" {
			entries[i].skip = reason
			return nil
		}
		entries[i].fp = rc.Fingerprint(p, b)
		return nil
	})
	if err != nil {
		return sum, err
	}
	var warnMu sync.Mutex
	warn := func(format string, args ...any) {
		warnMu.Lock()
		defer warnMu.Unlock()
		if len(sum.Warnings) < 100 {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf(format, args...))
		}
	}
	manifest := make([]app.FileFingerprint, 0, len(entries))
	for _, e := range entries {
		if e.skip != "" {
			sum.Skipped++
			continue
		}
		manifest = append(manifest, app.FileFingerprint{Path: e.path, Fingerprint: e.fp})
	}

	mark("fingerprint")

	// 2. The embedding model: trained here when the repo has none (or on
	// --retrain), from every file's symbols, which are kept for the
	// upload; else the repo's own.
	var model *embed.Model
	var iopts app.IndexOptions
	var parsed map[string][]extract.Symbol
	var sealedModel []byte
	switch {
	case o.sideLoaded != nil:
		blob, err := o.sideLoaded.MarshalBinary()
		if err != nil {
			return sum, err
		}
		model, sum.Embeddings = o.sideLoaded, "side-loaded"
		if id := modelID(rc, blob); id != repo.ModelID {
			iopts.Model, iopts.Dims = id, model.Dims()
			sealedModel = rc.Seal(modelPath, modelKind(id), blob)
		}
	case o.noEmbeddings || repo.NoEmbedding && !o.retrain:
		iopts.NoEmbeddings = true
		sum.Embeddings = "off"
	case repo.ModelID == "" || o.retrain:
		var texts []string
		parsed, texts, err = parseAll(ctx, dir, manifest, o, warn)
		if err != nil {
			return sum, err
		}
		if o.progress != nil {
			fmt.Fprintf(o.progress, "training the embedding model of %s on this machine…\n", repoName)
		}
		if model, err = trainModel(ctx, texts); err != nil {
			return sum, fmt.Errorf("train the embedding model: %w", err)
		}
		sum.Embeddings = "none"
		if model != nil {
			blob, err := model.MarshalBinary()
			if err != nil {
				return sum, err
			}
			id := modelID(rc, blob)
			iopts.Model, iopts.Dims = id, model.Dims()
			sealedModel = rc.Seal(modelPath, modelKind(id), blob)
			sum.Embeddings = "trained"
		} else if repo.ModelID != "" {
			// --retrain on too little text: the repo keeps its model.
			warn("too little text to train a new embedding model: the repo keeps its current one")
			if model, err = repoModel(ctx, cl, ws, repo, rc); err != nil {
				return sum, err
			}
			sum.Embeddings = "reused"
		}
	default:
		if model, err = repoModel(ctx, cl, ws, repo, rc); err != nil {
			return sum, err
		}
		sum.Embeddings = "reused"
	}
	mark("train")

	// 3. Ask the server what it needs.
	plan, err := cl.BeginIndex(ctx, ws, repo.ID, manifest, iopts)
	if err != nil {
		return sum, err
	}
	if plan.Model == "" {
		model = nil // the session takes no vectors
	} else if model == nil || plan.Dims != model.Dims() || iopts.Model == "" && plan.Model != repo.ModelID {
		return sum, errors.New("the repo's embedding model changed while indexing (another run committed): run optiq index again")
	}
	if sealedModel != nil {
		if err := cl.PutModel(ctx, ws, repo.ID, plan.SessionID, sealedModel); err != nil {
			return sum, fmt.Errorf("upload the embedding model: %w", err)
		}
	}
	sum.Unchanged, sum.Removed, sum.Resumed = plan.Unchanged, len(plan.Drop), plan.Resumed
	upload := plan.Upload
	if upload == nil {
		upload = plan.Need
	}
	mark("plan")

	// 4. Parse, embed, seal and upload what it needs, in parallel batches.
	bar := o.newBar(len(upload), "indexing "+repoName)
	uploads := make(chan app.FileUpload, 64)
	var bytesRead, symbols, vectors, embedNanos atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(uploads)
		return forEach(gctx, o.workers, len(upload), func(ctx context.Context, i int) error {
			p := upload[i]
			b, err := readLimited(filepath.Join(dir, filepath.FromSlash(p)), o.maxFileSize)
			if err != nil {
				return fmt.Errorf("%s changed while indexing (%v): run optiq index again", p, err)
			}
			syms, ok := parsed[p]
			if !ok {
				syms = extractSymbols(ctx, o.extractor, p, b, warn)
			}
			up := buildUpload(rc, p, b, syms)
			if model != nil {
				t0 := time.Now()
				vectors.Add(int64(embedSymbols(model, &up, syms, b)))
				embedNanos.Add(int64(time.Since(t0)))
			}
			bytesRead.Add(int64(len(b)))
			symbols.Add(int64(len(up.Symbols)))
			select {
			case uploads <- up:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	})
	batches := make(chan []app.FileUpload, 2)
	g.Go(func() error {
		defer close(batches)
		var batch []app.FileUpload
		size := 0
		for up := range uploads {
			batch = append(batch, up)
			size += len(up.Content) + 64*len(up.Symbols)
			if size >= o.batchBytes || len(batch) >= 2000 {
				select {
				case batches <- batch:
				case <-gctx.Done():
					return gctx.Err()
				}
				batch, size = nil, 0
			}
		}
		if len(batch) > 0 {
			select {
			case batches <- batch:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for range 2 {
		g.Go(func() error {
			for b := range batches {
				if err := cl.Upload(gctx, ws, repo.ID, plan.SessionID, b); err != nil {
					return fmt.Errorf("upload: %w", err)
				}
				if bar != nil {
					bar.Add(len(b))
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return sum, err
	}
	if bar != nil {
		bar.Finish()
	}

	mark("upload")

	// 5. Commit: the new generation becomes visible at once.
	res, err := cl.Commit(ctx, ws, repo.ID, plan.SessionID)
	if err != nil {
		return sum, err
	}
	if sealedModel != nil {
		// The next run and searches read the new model from the cache.
		cacheModel(repo.ID, iopts.Model, sealedModel)
	}
	mark("commit")
	sum.Files = res.Files
	sum.Uploaded = len(upload)
	sum.Bytes = bytesRead.Load()
	sum.Symbols = int(symbols.Load())
	sum.Vectors = int(vectors.Load())
	sum.Phases["embed_cpu"] = time.Duration(embedNanos.Load()).Seconds()
	sum.Generation = res.Generation
	sum.Seconds = time.Since(start).Seconds()
	return sum, nil
}

// extractSymbols extracts one file's symbols, keeping those the server
// accepts. Extraction failures are warnings: the file is still indexed for
// path search.
func extractSymbols(ctx context.Context, ex extract.Extractor, p string, b []byte, warn func(string, ...any)) []extract.Symbol {
	syms, err := ex.Symbols(ctx, extract.DetectLanguage(p, b), p, b)
	if err != nil && !errors.Is(err, extract.ErrUnsupported) {
		warn("%s: symbols skipped: %v", p, err)
	}
	kept := syms[:0]
	for _, s := range syms {
		if s.Name != "" && len(s.Name) <= app.MaxSymbolName && s.Line >= 1 {
			kept = append(kept, s)
		}
	}
	return kept
}

// buildUpload seals one file and its symbols.
func buildUpload(rc *seal.Repo, p string, b []byte, syms []extract.Symbol) app.FileUpload {
	up := app.FileUpload{Path: p, Fingerprint: rc.Fingerprint(p, b), Language: extract.DetectLanguage(p, b), Size: int64(len(b)), Generated: extract.IsGenerated(b),
		Content: rc.Seal(p, seal.KindContent, b)}
	up.Symbols = make([]app.EncryptedSymbol, 0, len(syms))
	for _, s := range syms {
		es := app.EncryptedSymbol{Name: s.Name, Kind: s.Kind, Container: s.Container, Line: s.Line, EndLine: max(s.EndLine, s.Line)}
		if s.Signature != "" {
			es.Signature = rc.Seal(p, seal.SymbolField(seal.KindSignature, s.Name, s.Line), []byte(s.Signature))
		}
		if s.Doc != "" {
			es.Doc = rc.Seal(p, seal.SymbolField(seal.KindDoc, s.Name, s.Line), []byte(s.Doc))
		}
		up.Symbols = append(up.Symbols, es)
	}
	return up
}

// embedSymbols gives each symbol of up (built from syms) its quantised
// vector, and returns how many got one (a text without a word the model
// knows has none).
func embedSymbols(m *embed.Model, up *app.FileUpload, syms []extract.Symbol, src []byte) int {
	n := 0
	lines := extract.NewLines(src)
	for i, s := range syms {
		if v, ok := m.SymbolVector(extract.SymbolHead(s), lines.SymbolBody(s)); ok {
			up.Symbols[i].Vector = vector.Quantize(v)
			n++
		}
	}
	return n
}

// parseAll extracts the symbols of every file of the manifest, in
// parallel, for training: it returns them by path, and their embedding
// texts in manifest order (so training is deterministic).
func parseAll(ctx context.Context, dir string, manifest []app.FileFingerprint, o indexOptions, warn func(string, ...any)) (map[string][]extract.Symbol, []string, error) {
	syms := make([][]extract.Symbol, len(manifest))
	texts := make([][]string, len(manifest))
	bar := o.newBar(len(manifest), "parsing for the embedding model")
	err := forEach(ctx, o.workers, len(manifest), func(ctx context.Context, i int) error {
		p := manifest[i].Path
		b, err := readLimited(filepath.Join(dir, filepath.FromSlash(p)), o.maxFileSize)
		if err != nil {
			return fmt.Errorf("%s changed while indexing (%v): run optiq index again", p, err)
		}
		syms[i] = extractSymbols(ctx, o.extractor, p, b, warn)
		lines := extract.NewLines(b)
		for _, s := range syms[i] {
			texts[i] = append(texts[i], lines.SymbolText(s))
		}
		if bar != nil {
			bar.Add(1)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if bar != nil {
		bar.Finish()
	}
	byPath := make(map[string][]extract.Symbol, len(manifest))
	var all []string
	for i, m := range manifest {
		byPath[m.Path] = syms[i]
		all = append(all, texts[i]...)
	}
	return byPath, all, nil
}

// readLimited reads a regular file, refusing files over limit bytes.
func readLimited(file string, limit int) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if fi.Size() > int64(limit) {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	b := make([]byte, fi.Size())
	_, err = io.ReadFull(f, b)
	return b, err
}

// newExtractor returns the symbol extractor for every supported language
// (Go with go/parser, the others with tree-sitter grammars run as
// WebAssembly, compiled once into the user's cache) and a function that
// releases it. Without tree-sitter, Go symbols are still extracted.
func newExtractor(ctx context.Context, warn io.Writer) (extract.Extractor, func()) {
	ts, err := treesitter.New(ctx, treesitter.Options{CacheDir: treesitter.DefaultCacheDir()})
	if err != nil {
		fmt.Fprintf(warn, "warning: only Go symbols will be extracted: %v\n", err)
		return extract.Extractor{}, func() {}
	}
	return extract.Extractor{Others: ts}, func() { ts.Close(context.WithoutCancel(ctx)) }
}

// forEach calls fn for 0 ≤ i < n on workers goroutines, stopping at the
// first error (or when ctx ends).
func forEach(ctx context.Context, workers, n int, fn func(ctx context.Context, i int) error) error {
	var next atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for range workers {
		g.Go(func() error {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || gctx.Err() != nil {
					return gctx.Err()
				}
				if err := fn(gctx, i); err != nil {
					return err
				}
			}
		})
	}
	return g.Wait()
}

// newBar returns a progress bar over n items on the terminal, or nil when
// progress is not shown (not a terminal, --json, or nothing to do).
func (o indexOptions) newBar(n int, what string) *progressbar.ProgressBar {
	if o.progress == nil || n == 0 {
		return nil
	}
	return progressbar.NewOptions(n, progressbar.OptionSetWriter(o.progress),
		progressbar.OptionSetDescription(what), progressbar.OptionShowCount(),
		progressbar.OptionShowIts(), progressbar.OptionSetItsString("files"), progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish())
}
