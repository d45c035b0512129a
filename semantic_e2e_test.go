package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"go/build"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/extract"
	"github.com/optiq/optiq/web"
)

// copyGoPackages copies the non-test Go files of standard-library packages
// (shipped with the Go toolchain) into dir.
func copyGoPackages(t *testing.T, dir string, pkgs ...string) {
	t.Helper()
	for _, pkg := range pkgs {
		files, _ := filepath.Glob(filepath.Join(build.Default.GOROOT, "src", pkg, "*.go"))
		if len(files) == 0 {
			t.Fatalf("no Go sources for %s under GOROOT %s", pkg, build.Default.GOROOT)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, pkg, filepath.Base(f))
			os.MkdirAll(filepath.Dir(out), 0o755)
			if err := os.WriteFile(out, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// semanticRepo starts a server with a signed-in user who owns an empty
// repo, a private model cache and an empty source directory.
func semanticRepo(t *testing.T, repo string) (ts *testServer, ada cli, cache, src string) {
	t.Helper()
	ts = startServer(t)
	ada = newUser(t, ts, "ada@example.com", "admin")
	ada.ok("", "repo", "create", repo)
	cache = t.TempDir()
	t.Setenv("OPTIQ_CACHE_DIR", cache)
	return ts, ada, cache, t.TempDir()
}

func indexJSON(t *testing.T, c cli, args ...string) indexSummary {
	t.Helper()
	var sum indexSummary
	if err := json.Unmarshal([]byte(c.ok("", append([]string{"index", "--json"}, args...)...)), &sum); err != nil {
		t.Fatal(err)
	}
	return sum
}

func rankOf(hits []searchHit, name string) int {
	for i, h := range hits {
		if h.Name == name {
			return i + 1
		}
	}
	return 0
}

func TestSemanticEndToEnd(t *testing.T) {
	ts, ada, cache, src := semanticRepo(t, "std")
	copyGoPackages(t, src, "strings", "bufio", "sort")
	// A word that only doc comments use: it enters the model's vocabulary,
	// which the server must hold only sealed.
	const secretWord = "quasarfluxion"
	var b strings.Builder
	b.WriteString("package notes\n\n")
	for i := range 5 {
		fmt.Fprintf(&b, "// Note%d records a %s event for the ledger.\nfunc Note%d(ledger []string) []string { return append(ledger, \"event\") }\n\n", i, secretWord, i)
	}
	// A word only the body of a function uses: the reranking on the
	// client finds it there; the server cannot.
	b.WriteString("// Calibrate adjusts a reading.\nfunc Calibrate(reading float64) float64 {\n\tzirconiumOffset := 0.25\n\treturn reading - zirconiumOffset\n}\n")
	os.MkdirAll(filepath.Join(src, "notes"), 0o755)
	os.WriteFile(filepath.Join(src, "notes", "notes.go"), []byte(b.String()), 0o644)

	sum := indexJSON(t, ada, src, "--repo", "std")
	if sum.Embeddings != "trained" || sum.Vectors < sum.Symbols/2 || sum.Symbols == 0 {
		t.Fatalf("first index: embeddings %q, %d vectors for %d symbols", sum.Embeddings, sum.Vectors, sum.Symbols)
	}
	// The trained model is cached (sealed) for later runs and searches.
	cached, _ := filepath.Glob(filepath.Join(cache, "models", "r_*.sealed"))
	if len(cached) != 1 {
		t.Fatalf("cached models: %v", cached)
	}
	// A machine without it in its cache downloads the same sealed blob.
	uploaded, _ := os.ReadFile(cached[0])
	os.RemoveAll(filepath.Join(cache, "models"))
	searchCLI(t, ada, "--mode", "semantic", "reports whether the string begins with prefix")
	if downloaded, err := os.ReadFile(cached[0]); err != nil || !bytes.Equal(downloaded, uploaded) {
		t.Fatalf("downloaded model (%d bytes, %v) differs from the uploaded one (%d bytes)", len(downloaded), err, len(uploaded))
	}
	// A client that does not ask for the blob itself gets the JSON form
	// earlier versions read.
	ctx := context.Background()
	cl, _ := web.NewClient(ts.url, web.ClientOptions{Fingerprint: ts.fingerprint})
	lr, err := cl.Login(ctx, "ada@example.com", "a long enough passphrase for ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	cl, _ = web.NewClient(ts.url, web.ClientOptions{Fingerprint: ts.fingerprint, Token: app.Secret(lr.Token)})
	wss, _ := cl.Workspaces(ctx)
	repo, err := cl.Repo(ctx, wss[0].ID, "std")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", ts.url+"/api/v1/workspaces/"+wss[0].ID+"/repos/"+repo.ID+"/model", nil)
	req.Header.Set("Authorization", "Bearer "+lr.Token)
	resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var old web.ModelResponse
	err = json.NewDecoder(resp.Body).Decode(&old)
	resp.Body.Close()
	if err != nil || old.ID != repo.ModelID || !bytes.Equal(old.Model, uploaded) {
		t.Fatalf("JSON form of the model: id %q (want %q), %d bytes, %v", old.ID, repo.ModelID, len(old.Model), err)
	}

	// Finding code by what it does, in semantic and (by default, for
	// natural language) hybrid mode.
	for _, c := range []struct{ query, want, mode string }{
		{"reports whether the string begins with prefix", "HasPrefix", "semantic"},
		{"slices into all substrings separated by sep", "Split", ""},
		{"sort a slice of ints in increasing order", "Ints", "hybrid"},
	} {
		args := []string{c.query, "--limit", "10"}
		if c.mode != "" {
			args = append(args, "--mode", c.mode)
		}
		hits := searchCLI(t, ada, args...)
		if r := rankOf(hits, c.want); r == 0 {
			t.Errorf("%q (mode %q): %s not in the top 10: %v", c.query, c.mode, c.want, names(hits))
		}
	}
	// The CLI reorders hybrid results by the query's words in their
	// decrypted code, and says so; --rerank=false shows the server's order,
	// where the function whose body has the words is not first.
	const bodyQuery = "subtract the zirconium offset from a sensor value"
	hits := searchCLI(t, ada, "--explain", bodyQuery)
	if len(hits) == 0 || hits[0].Name != "Calibrate" || !strings.Contains(hits[0].Why, "reordered here: query words in its decrypted code (zirconium, offset)") {
		t.Errorf("reordered hybrid search: %+v", hits[:min(len(hits), 3)])
	}
	serverOrder := searchCLI(t, ada, "--explain", "--rerank=false", bodyQuery)
	if rankOf(serverOrder, "Calibrate") == 1 {
		t.Errorf("Calibrate is first without reordering too: the test no longer shows what reordering does: %v", names(serverOrder))
	}
	for _, h := range serverOrder {
		if strings.Contains(h.Why, "reordered") {
			t.Errorf("--rerank=false reordered: %+v", h)
		}
	}
	for _, limit := range []string{"0", "-1", "201"} {
		if r := ada.run("", "search", "--limit", limit, bodyQuery); r.code != exitUsage || !strings.Contains(r.stderr, "from 1 to 200") {
			t.Errorf("--limit %s: exit %d, %s", limit, r.code, r.stderr)
		}
	}
	// The files the reranking opens come sealed, in one request: each
	// once, missing ones listed, at most 200 asked for.
	ref := web.FileRef{RepoID: repo.ID, Path: "notes/notes.go"}
	gone := web.FileRef{RepoID: repo.ID, Path: "notes/gone.go"}
	files, err := cl.Files(ctx, wss[0].ID, []web.FileRef{ref, gone, ref})
	if err != nil || len(files.Files) != 1 || files.Files[0].Path != ref.Path || len(files.Missing) != 1 || files.Missing[0] != gone {
		t.Fatalf("files: %+v, %v", files, err)
	}
	if bytes.Contains(files.Files[0].Content, []byte("zirconium")) {
		t.Error("a file's content came in plaintext")
	}
	// A repo id of another workspace finds nothing.
	team, err := cl.CreateWorkspace(ctx, "team")
	if err != nil {
		t.Fatal(err)
	}
	if files, err := cl.Files(ctx, team.ID, []web.FileRef{ref}); err != nil || len(files.Files) != 0 || len(files.Missing) != 1 {
		t.Errorf("another workspace's file: %+v, %v", files, err)
	}
	// The server takes at most MaxFilesPerRequest at once; the client
	// splits longer lists.
	body, _ := json.Marshal(web.FilesRequest{Files: slices.Repeat([]web.FileRef{ref}, web.MaxFilesPerRequest+1)})
	status, code, _, _ := newHTTPCaller(t, ts, lr.Token, false).do("POST", "/api/v1/workspaces/"+wss[0].ID+"/files", "application/json", body, nil)
	if status != 400 || code != app.EINVALID {
		t.Errorf("%d files in one request: %d %s", web.MaxFilesPerRequest+1, status, code)
	}
	if files, err := cl.Files(ctx, wss[0].ID, slices.Repeat([]web.FileRef{ref, gone}, web.MaxFilesPerRequest)); err != nil || len(files.Files) != 2 || len(files.Missing) != 2 {
		t.Errorf("%d files through the client: %d found, %d missing, %v", 2*web.MaxFilesPerRequest, len(files.Files), len(files.Missing), err)
	}

	// Exact names stay first in hybrid mode.
	for _, name := range []string{"HasPrefix", "NewReader", "SliceStable"} {
		if hits := searchCLI(t, ada, "--mode", "hybrid", name); len(hits) == 0 || hits[0].Name != name {
			t.Errorf("hybrid %s: %v", name, names(hits))
		}
	}
	if hits := searchCLI(t, ada, "--mode", "semantic", "--explain", "ledger event"); len(hits) == 0 || !strings.Contains(hits[0].Why, "semantic similarity") {
		t.Errorf("semantic explain: %+v", hits)
	}

	// An incremental run reuses the model (from the cache) and embeds only
	// what changed.
	os.WriteFile(filepath.Join(src, "notes", "more.go"), []byte("package notes\n\n// Forget removes an event from the ledger.\nfunc Forget(ledger []string) []string { return ledger[1:] }\n"), 0o644)
	sum = indexJSON(t, ada, src, "--repo", "std")
	if sum.Embeddings != "reused" || sum.Uploaded != 1 || sum.Vectors != 1 {
		t.Fatalf("incremental index: %+v", sum)
	}
	if r := rankOf(searchCLI(t, ada, "--mode", "semantic", "removes an event from the ledger"), "Forget"); r == 0 || r > 3 {
		t.Errorf("new symbol by meaning: rank %d", r)
	}

	// The model is stored sealed: no word of it is in the data directory.
	filepath.WalkDir(ts.data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(secretWord)) {
			t.Errorf("a doc-comment word of the model is in plaintext in %s", p)
		}
		return nil
	})

	if out := ada.ok("", "repo", "list"); !strings.Contains(out, "SEMANTIC") || !strings.Contains(out, " on") {
		t.Errorf("repo list does not show semantic search on:\n%s", out)
	}

	// Opting out drops the model and vectors; semantic search then says so.
	sum = indexJSON(t, ada, src, "--repo", "std", "--no-embeddings")
	if sum.Embeddings != "off" || sum.Vectors != 0 || sum.Uploaded != sum.Files {
		t.Fatalf("--no-embeddings: %+v", sum)
	}
	if r := ada.run("", "search", "--mode", "semantic", "reports whether the string begins with prefix"); r.code != 1 || !strings.Contains(r.stderr, "embedding model") {
		t.Errorf("semantic search without a model: exit %d, %s", r.code, r.stderr)
	}
	if hits := searchCLI(t, ada, "HasPrefix"); len(hits) == 0 || hits[0].Name != "HasPrefix" {
		t.Errorf("name search after --no-embeddings: %v", names(hits))
	}
	if out := ada.ok("", "repo", "list"); !strings.Contains(out, "off (--no-embeddings)") {
		t.Errorf("repo list does not show semantic search off:\n%s", out)
	}
	// It sticks until --retrain.
	if sum = indexJSON(t, ada, src, "--repo", "std"); sum.Embeddings != "off" {
		t.Errorf("opt-out did not stick: %+v", sum)
	}
	if sum = indexJSON(t, ada, src, "--repo", "std", "--retrain"); sum.Embeddings != "trained" || sum.Vectors == 0 {
		t.Errorf("--retrain: %+v", sum)
	}
	if r := rankOf(searchCLI(t, ada, "--mode", "semantic", "reports whether the string begins with prefix", "--limit", "10"), "HasPrefix"); r == 0 {
		t.Errorf("semantic search after --retrain: HasPrefix not in the top 10")
	}
	if r := ada.run("", "search", "--mode", "vibes", "x"); r.code != exitUsage || !strings.Contains(r.stderr, "semantic") {
		t.Errorf("unknown mode: exit %d %s", r.code, r.stderr)
	}
	if r := ada.run("", "index", src, "--repo", "std", "--retrain", "--no-embeddings"); r.code != exitUsage {
		t.Errorf("contradictory flags: exit %d", r.code)
	}
}

func names(hits []searchHit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Name)
	}
	return out
}

// TestSideLoadedEmbeddings: a site's static embeddings file stands in for
// a trained model; it is stored sealed like one and reused by later runs.
func TestSideLoadedEmbeddings(t *testing.T) {
	_, ada, _, src := semanticRepo(t, "notes")
	os.WriteFile(filepath.Join(src, "a.go"), []byte("package a\n\n// Kitten purrs.\nfunc Kitten() {}\n\n// Rocket flies.\nfunc Rocket() {}\n"), 0o644)
	// 8-dimensional "embeddings": feline words share a direction, space
	// words another.
	model := filepath.Join(t.TempDir(), "vectors.txt")
	os.WriteFile(model, []byte("6 8\nkitten 1 0 0 0 0 0 0 0\ncat 0.9 0.1 0 0 0 0 0 0\npurrs 0.8 0 0.2 0 0 0 0 0\n"+
		"rocket 0 0 1 0 0 0 0 0\nspace 0 0 0.9 0.1 0 0 0 0\nflies 0 0.1 0.8 0 0 0 0 0\n"), 0o644)

	if r := ada.run("", "index", src, "--repo", "notes", "--embeddings-model", filepath.Join(src, "missing.txt")); r.code != exitUsage {
		t.Errorf("missing model file: exit %d %s", r.code, r.stderr)
	}
	small := filepath.Join(t.TempDir(), "small.txt")
	os.WriteFile(small, []byte("kitten 1 0\n"), 0o644)
	if r := ada.run("", "index", src, "--repo", "notes", "--embeddings-model", small); r.code != exitUsage || !strings.Contains(r.stderr, "dimensions") {
		t.Errorf("2-dimensional model: exit %d %s", r.code, r.stderr)
	}
	sum := indexJSON(t, ada, src, "--repo", "notes", "--embeddings-model", model)
	if sum.Embeddings != "side-loaded" || sum.Vectors != 2 {
		t.Fatalf("side-loaded index: %+v", sum)
	}
	for query, want := range map[string]string{"a cat": "Kitten", "outer space": "Rocket"} {
		if hits := searchCLI(t, ada, "--mode", "semantic", query); len(hits) == 0 || hits[0].Name != want {
			t.Errorf("%q: %v, want %s first", query, names(hits), want)
		}
	}
	// Later runs reuse it; the same file again is not a new model.
	os.WriteFile(filepath.Join(src, "b.go"), []byte("package a\n\n// Tabby is a cat.\nfunc Tabby() {}\n"), 0o644)
	if sum = indexJSON(t, ada, src, "--repo", "notes"); sum.Embeddings != "reused" || sum.Uploaded != 1 || sum.Vectors != 1 {
		t.Errorf("run after side-loading: %+v", sum)
	}
	if sum = indexJSON(t, ada, src, "--repo", "notes", "--embeddings-model", model); sum.Uploaded != 0 {
		t.Errorf("the same model again re-uploaded %d files", sum.Uploaded)
	}
	// --retrain on a corpus too small to train keeps the repo's model.
	if sum = indexJSON(t, ada, src, "--repo", "notes", "--retrain"); sum.Embeddings != "reused" || len(sum.Warnings) == 0 || !strings.Contains(sum.Warnings[0], "keeps its current one") {
		t.Errorf("--retrain on too little text: %+v", sum)
	}
	if hits := searchCLI(t, ada, "--mode", "semantic", "a cat"); len(hits) == 0 || hits[0].Name != "Kitten" && hits[0].Name != "Tabby" {
		t.Errorf("semantic search after a --retrain that kept the model: %v", names(hits))
	}
}

// TestIndexShowsProgress: on a terminal, every long step of a first index
// shows progress: parsing for the model, training, then uploading.
func TestIndexShowsProgress(t *testing.T) {
	_, ada, _, src := semanticRepo(t, "std")
	copyGoPackages(t, src, "strings")
	cl, cfg := clientFor(t, ada)
	var progress bytes.Buffer
	sum, err := indexRepo(context.Background(), cl, cfg.Workspace, "std", src, indexOptions{extractor: extract.Extractor{}, progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Embeddings != "trained" {
		t.Fatalf("no model trained: %+v", sum)
	}
	// (The upload bar is throttled: on a corpus this small it may never draw.)
	for _, want := range []string{"parsing for the embedding model", "training the embedding model of std"} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress output lacks %q:\n%s", want, progress.String())
		}
	}
}

// TestFilesAnswerBound: an answer to a files request stops adding files
// once their sealed content would pass its bound, lists the rest as
// omitted, and the client asks for those again.
func TestFilesAnswerBound(t *testing.T) {
	ts, ada, _, src := semanticRepo(t, "big")
	rnd := rand.New(rand.NewPCG(1, 2))
	var refs []string
	for i := range 5 {
		// 3 MB of random letters: about 1.9 MB compressed and sealed.
		b := make([]byte, 3<<20)
		for j := range b {
			b[j] = 'a' + byte(rnd.IntN(26))
		}
		name := fmt.Sprintf("blob%d.txt", i)
		os.WriteFile(filepath.Join(src, name), b, 0o644)
		refs = append(refs, name)
	}
	indexJSON(t, ada, src, "--repo", "big", "--no-embeddings", "--max-file-size", "4000000")

	cl, cfg := clientFor(t, ada)
	ctx := context.Background()
	repo, err := cl.Repo(ctx, cfg.Workspace, "big")
	if err != nil {
		t.Fatal(err)
	}
	var req web.FilesRequest
	for _, p := range refs {
		req.Files = append(req.Files, web.FileRef{RepoID: repo.ID, Path: p})
	}
	var first web.FilesResponse
	if st, code := newHTTPCaller(t, ts, cfg.Token, false).json("POST", "/api/v1/workspaces/"+cfg.Workspace+"/files", req, &first); st != 200 {
		t.Fatalf("files: %d %s", st, code)
	}
	size := 0
	for _, f := range first.Files {
		size += len(f.Content)
	}
	if len(first.Files) == 0 || len(first.Omitted) == 0 || len(first.Files)+len(first.Omitted) != len(refs) || size > 8<<20 {
		t.Fatalf("one answer: %d files (%d bytes sealed), %d omitted", len(first.Files), size, len(first.Omitted))
	}
	all, err := cl.Files(ctx, cfg.Workspace, req.Files)
	if err != nil || len(all.Files) != len(refs) || len(all.Missing) != 0 {
		t.Fatalf("through the client: %d files, %d missing, %v", len(all.Files), len(all.Missing), err)
	}
}
