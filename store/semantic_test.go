package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/store"
)

// vsym is a symbol with a vector (8 dimensions in these tests).
type vsym struct {
	name string
	vec  []int8
}

const testDims = 8

func axis(i int) []int8 {
	v := make([]int8, testDims)
	v[i] = 127
	return v
}

func near(i, j int) []int8 {
	v := axis(i)
	v[j] = 40
	return v
}

// testKinds are the kinds of test symbols that are not functions.
var testKinds = map[string]string{"closeTimeout": "field"}

// indexVectors runs one index session whose symbols carry vectors.
func indexVectors(t *testing.T, tn app.Tenant, repoID string, files map[string][]vsym, version string, opts app.IndexOptions) (app.IndexPlan, error) {
	t.Helper()
	ctx := context.Background()
	var manifest []app.FileFingerprint
	for p := range files {
		manifest = append(manifest, app.FileFingerprint{Path: p, Fingerprint: fp(p + version)})
	}
	plan, err := tn.BeginIndex(ctx, repoID, manifest, opts)
	if err != nil {
		return plan, err
	}
	if opts.Model != "" {
		if err := tn.PutModel(ctx, repoID, plan.SessionID, []byte("sealed model "+opts.Model)); err != nil {
			return plan, err
		}
	}
	var ups []app.FileUpload
	for _, p := range plan.Need {
		up := app.FileUpload{Path: p, Fingerprint: fp(p + version), Language: "go", Size: 1, Content: []byte("sealed")}
		for i, s := range files[p] {
			kind := testKinds[s.name]
			if kind == "" {
				kind = "function"
			}
			up.Symbols = append(up.Symbols, app.EncryptedSymbol{Name: s.name, Kind: kind, Line: i + 1, EndLine: i + 1, Vector: s.vec})
		}
		ups = append(ups, up)
	}
	if err := tn.Upload(ctx, repoID, plan.SessionID, ups); err != nil {
		return plan, err
	}
	_, err = tn.CommitIndex(ctx, repoID, plan.SessionID)
	return plan, err
}

func semantic(t *testing.T, tn app.Tenant, mode, query string, vecs map[string][]float32) []string {
	t.Helper()
	q, err := app.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	q.Limit, q.Mode, q.Vectors = 3, mode, vecs
	res, err := tn.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range res {
		out = append(out, r.Name)
	}
	return out
}

func floatAxis(i int) []float32 {
	v := make([]float32, testDims)
	v[i] = 1
	return v
}

func TestSemanticAndHybridSearch(t *testing.T) {
	st, tn, repo := setup(t)
	ctx := context.Background()
	model := fp("model-1")
	files := map[string][]vsym{
		"net.go":   {{"OpenSocket", axis(0)}, {"CloseSocket", near(0, 1)}},
		"text.go":  {{"SplitWords", axis(2)}, {"JoinWords", near(2, 3)}},
		"plain.go": {{"NoVector", nil}},
		"lower.go": {{"opensocket", axis(5)}},
	}
	if _, err := indexVectors(t, tn, repo.ID, files, "v1", app.IndexOptions{Model: model, Dims: testDims}); err != nil {
		t.Fatal(err)
	}
	r, _ := tn.Repo(ctx, repo.ID)
	if r.ModelID != model || r.ModelDims != testDims {
		t.Fatalf("repo model after commit: %q/%d", r.ModelID, r.ModelDims)
	}
	if blob, id, err := tn.Model(ctx, repo.ID); err != nil || id != model || string(blob) != "sealed model "+model {
		t.Fatalf("model: %q %q %v", blob, id, err)
	}
	vecs := map[string][]float32{repo.ID: floatAxis(2)}
	if got := semantic(t, tn, app.ModeSemantic, "split text", vecs); !reflect.DeepEqual(got[:2], []string{"SplitWords", "JoinWords"}) {
		t.Errorf("semantic: %q", got)
	}
	q, _ := app.ParseQuery("OpenSocket")
	for mode, want := range map[string]string{app.ModeSemantic: "semantic similarity 1.000; function; source file", app.ModeHybrid: "hybrid: exact name (weight 0.55) + semantic similarity 0.000"} {
		q.Mode, q.Limit, q.Vectors = mode, 1, map[string][]float32{repo.ID: floatAxis(map[string]int{app.ModeSemantic: 0, app.ModeHybrid: 2}[mode])}
		res, err := tn.Search(ctx, q)
		if err != nil || len(res) != 1 || !strings.HasPrefix(res[0].Why, want) {
			t.Errorf("%s explanation: %+v %v, want %q…", mode, res, err, want)
		}
	}
	// Hybrid: an exact name match outranks a closer vector, and the same
	// case outranks another case.
	if got := semantic(t, tn, app.ModeHybrid, "OpenSocket", vecs); !reflect.DeepEqual(got, []string{"OpenSocket", "opensocket", "SplitWords"}) {
		t.Errorf("hybrid: %q", got)
	}
	// Filters apply to vector hits; vectors of other repos are ignored.
	if got := semantic(t, tn, app.ModeSemantic, "x -path:text.go", vecs); len(got) == 0 || got[0] != "OpenSocket" && got[0] != "CloseSocket" {
		t.Errorf("semantic with a path filter: %q", got)
	}
	if got := semantic(t, tn, app.ModeSemantic, "x", map[string][]float32{"r_other": floatAxis(2)}); len(got) != 0 {
		t.Errorf("another repo's vector found %q", got)
	}
	// Natural-language queries are hybrid by default; one word is not.
	if got := semantic(t, tn, app.ModeAuto, "split some words", vecs); len(got) == 0 || got[0] != "SplitWords" {
		t.Errorf("auto, natural language: %q", got)
	}

	// An incremental session reuses the model; the vectors of a removed
	// file go, a new file's come.
	files2 := map[string][]vsym{
		"text.go":  files["text.go"],
		"plain.go": files["plain.go"],
		"lower.go": files["lower.go"],
		"fs.go":    {{"OpenFile", axis(0)}},
	}
	plan, err := indexVectors(t, tn, repo.ID, files2, "v1", app.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Model != model || plan.Dims != testDims || !reflect.DeepEqual(plan.Need, []string{"fs.go"}) {
		t.Fatalf("incremental plan: %+v", plan)
	}
	if got := semantic(t, tn, app.ModeSemantic, "open", map[string][]float32{repo.ID: floatAxis(0)}); got[0] != "OpenFile" || contains(got, "OpenSocket") {
		t.Errorf("after incremental index: %q", got)
	}

	// The vector index is saved on close and loaded, not rebuilt, on reopen;
	// a damaged file is rebuilt from data.db.
	u, _ := st.Users(ctx)
	tn.Close()
	st.Close()
	files3, _ := filepath.Glob(filepath.Join(st.Dir(), "tenants", "*", "vectors-8.idx"))
	if len(files3) != 1 {
		t.Fatalf("vector index files: %v", files3)
	}
	for _, damage := range []bool{false, true} {
		if damage {
			if err := os.WriteFile(files3[0], []byte("garbage"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		st2 := openStore(t, st.Dir())
		ws, _ := st2.Workspaces(ctx, u[0].ID)
		tn2, err := st2.Open(ctx, app.Principal{UserID: u[0].ID}, ws[0].ID, app.PermIndex)
		if err != nil {
			t.Fatal(err)
		}
		if got := semantic(t, tn2, app.ModeSemantic, "open", map[string][]float32{repo.ID: floatAxis(0)}); got[0] != "OpenFile" || contains(got, "OpenSocket") {
			t.Errorf("reopened (damaged file: %v): %q", damage, got)
		}
		tn2.Close()
		st2.Close()
	}
}

// TestHybridWordsAndKinds: among symbols as near the query by vector,
// hybrid search puts those whose names hold the query's words (as stems:
// "closes" finds Close) first, and fields after types and functions.
func TestHybridWordsAndKinds(t *testing.T) {
	_, tn, repo := setup(t)
	files := map[string][]vsym{
		"net/conn.go":  {{"Shutdown", axis(0)}},
		"pool/pool.go": {{"CloseConn", axis(0)}, {"closeTimeout", axis(0)}},
	}
	if _, err := indexVectors(t, tn, repo.ID, files, "v1", app.IndexOptions{Model: fp("model-w"), Dims: testDims}); err != nil {
		t.Fatal(err)
	}
	vecs := map[string][]float32{repo.ID: floatAxis(0)}
	if got := semantic(t, tn, app.ModeHybrid, "closes the connection", vecs); !reflect.DeepEqual(got, []string{"CloseConn", "Shutdown", "closeTimeout"}) {
		t.Errorf("hybrid: %q", got)
	}
	// Semantic mode is by meaning alone: the words do not count, kinds do.
	if got := semantic(t, tn, app.ModeSemantic, "closes the connection", vecs); len(got) != 3 || got[2] != "closeTimeout" {
		t.Errorf("semantic: %q", got)
	}
	q, _ := app.ParseQuery("closes the connection")
	q.Mode, q.Limit, q.Vectors = app.ModeHybrid, 1, vecs
	if res, err := tn.Search(context.Background(), q); err != nil || len(res) != 1 || !strings.Contains(res[0].Why, "query words in name and path 1.00") {
		t.Errorf("hybrid explanation: %+v %v", res, err)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestEmbeddingsOffAndRefusals(t *testing.T) {
	_, tn, repo := setup(t)
	ctx := context.Background()
	model := fp("m")
	files := map[string][]vsym{"a.go": {{"Alpha", axis(1)}}, "b.go": {{"Beta", axis(2)}}}

	// Refused: vectors of the wrong length, vectors without a model, a
	// commit before the model is uploaded, bad options.
	bad := map[string][]vsym{"a.go": {{"Alpha", axis(1)[:4]}}}
	if _, err := indexVectors(t, tn, repo.ID, bad, "v1", app.IndexOptions{Model: model, Dims: testDims}); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("wrong vector length: %v", err)
	}
	if _, err := indexVectors(t, tn, repo.ID, files, "v1", app.IndexOptions{}); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("vectors without a model: %v", err)
	}
	plan, err := tn.BeginIndex(ctx, repo.ID, []app.FileFingerprint{{Path: "a.go", Fingerprint: fp("x")}}, app.IndexOptions{Model: model, Dims: testDims})
	if err != nil {
		t.Fatal(err)
	}
	if err := tn.Upload(ctx, repo.ID, plan.SessionID, []app.FileUpload{{Path: "a.go", Fingerprint: fp("x"), Content: []byte("c")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.CommitIndex(ctx, repo.ID, plan.SessionID); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("commit without the model: %v", err)
	}
	for _, o := range []app.IndexOptions{{Model: "nothex", Dims: 8}, {Model: model, Dims: 1}, {Model: model, Dims: 8, NoEmbeddings: true}, {Dims: 8}} {
		if _, err := tn.BeginIndex(ctx, repo.ID, nil, o); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("options %+v accepted: %v", o, err)
		}
	}
	if _, _, err := tn.Model(ctx, repo.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("model of a repo without one: %v", err)
	}

	if _, err := indexVectors(t, tn, repo.ID, files, "v1", app.IndexOptions{Model: model, Dims: testDims}); err != nil {
		t.Fatal(err)
	}
	if got := semantic(t, tn, app.ModeSemantic, "x", map[string][]float32{repo.ID: floatAxis(1)}); len(got) == 0 || got[0] != "Alpha" {
		t.Fatalf("semantic: %q", got)
	}
	// Turning embeddings off re-uploads every file and drops the model and
	// every vector.
	files["a.go"][0].vec, files["b.go"][0].vec = nil, nil
	plan, err = indexVectors(t, tn, repo.ID, files, "v1", app.IndexOptions{NoEmbeddings: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Need) != 2 || plan.Model != "" {
		t.Errorf("no-embeddings plan: %+v", plan)
	}
	r, _ := tn.Repo(ctx, repo.ID)
	if !r.NoEmbedding || r.ModelID != "" {
		t.Errorf("repo after turning embeddings off: %+v", r)
	}
	if got := semantic(t, tn, app.ModeSemantic, "x", map[string][]float32{repo.ID: floatAxis(1)}); len(got) != 0 {
		t.Errorf("vectors left after turning embeddings off: %q", got)
	}
	// Semantic search without query vectors says what to do.
	q, _ := app.ParseQuery("anything")
	q.Mode = app.ModeSemantic
	if _, err := tn.Search(ctx, q); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("semantic search without vectors: %v", err)
	}
}

// TestVectorIndexStaysCurrent: commits that change no vector (another
// repo indexed without embeddings, or opted out of them) leave the saved vector index current, so
// the next start loads it instead of rebuilding it.
func TestVectorIndexStaysCurrent(t *testing.T) {
	st, tn, repo := setup(t)
	ctx := context.Background()
	if _, err := indexVectors(t, tn, repo.ID, map[string][]vsym{"a.go": {{"Alpha", axis(1)}}}, "v1", app.IndexOptions{Model: fp("m"), Dims: testDims}); err != nil {
		t.Fatal(err)
	}
	users, _ := st.Users(ctx)
	reopen := func() (*store.Store, app.Tenant) {
		s := openStore(t, st.Dir())
		ws, _ := s.Workspaces(ctx, users[0].ID)
		h, err := s.Open(ctx, app.Principal{UserID: users[0].ID}, ws[0].ID, app.PermIndex)
		if err != nil {
			t.Fatal(err)
		}
		return s, h
	}
	tn.Close()
	st.Close()
	files, _ := filepath.Glob(filepath.Join(st.Dir(), "tenants", "*", "vectors-8.idx"))
	if len(files) != 1 {
		t.Fatalf("vector index files: %v", files)
	}
	before, _ := os.Stat(files[0])

	s2, tn2 := reopen()
	other, err := tn2.CreateRepo(ctx, "plain", make([]byte, 16), false)
	if err != nil {
		t.Fatal(err)
	}
	index(t, tn2, other.ID, map[string][]sym{"b.go": {{"Beta", "function"}}}, "v1")
	// A repo opted out of embeddings, which never had a model, changes no
	// vector either.
	if _, err := indexVectors(t, tn2, other.ID, map[string][]vsym{"c.go": {{"Gamma", nil}}}, "v2", app.IndexOptions{NoEmbeddings: true}); err != nil {
		t.Fatal(err)
	}
	tn2.Close()
	s2.Close()
	if mid, _ := os.Stat(files[0]); !mid.ModTime().Equal(before.ModTime()) {
		t.Error("commits that changed no vector rewrote the vector index")
	}

	s3, tn3 := reopen()
	if got := semantic(t, tn3, app.ModeSemantic, "x", map[string][]float32{repo.ID: floatAxis(1)}); len(got) == 0 || got[0] != "Alpha" {
		t.Errorf("semantic after reopening: %q", got)
	}
	tn3.Close()
	s3.Close()
	after, _ := os.Stat(files[0])
	if !after.ModTime().Equal(before.ModTime()) {
		t.Error("the vector index was rebuilt (and saved again) although no vector changed")
	}
}

// TestEvictionUnderConcurrency: with room for one open workspace, many
// goroutines using three workspaces evict and reopen them all the time;
// every open, index and search succeeds, and each workspace's vectors
// survive being closed (saved) and reopened.
func TestEvictionUnderConcurrency(t *testing.T) {
	st := openStoreWith(t, t.TempDir(), func(o *store.Options) { o.MaxOpenTenants = 1 })
	ctx := context.Background()
	type ws struct {
		p    app.Principal
		id   string
		repo string
	}
	var spaces []ws
	for i := range 3 {
		u, w, err := st.CreateUser(ctx, fmt.Sprintf("u%d@example.com", i), "a long passphrase", app.RoleMember)
		if err != nil {
			t.Fatal(err)
		}
		p := app.Principal{UserID: u.ID}
		tn, err := st.Open(ctx, p, w.ID, app.PermIndex)
		if err != nil {
			t.Fatal(err)
		}
		r, err := tn.CreateRepo(ctx, "r", make([]byte, 16), false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := indexVectors(t, tn, r.ID, map[string][]vsym{"a.go": {{fmt.Sprintf("Alpha%d", i), axis(i)}}}, "v1", app.IndexOptions{Model: fp("m"), Dims: testDims}); err != nil {
			t.Fatal(err)
		}
		tn.Close()
		spaces = append(spaces, ws{p, w.ID, r.ID})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 60)
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				s := spaces[(g+i)%len(spaces)]
				tn, err := st.Open(ctx, s.p, s.id, app.PermRead)
				if err != nil {
					errs <- err
					return
				}
				q, _ := app.ParseQuery("alpha")
				q.Mode, q.Limit, q.Vectors = app.ModeSemantic, 1, map[string][]float32{s.repo: floatAxis((g + i) % len(spaces))}
				res, err := tn.Search(ctx, q)
				tn.Close()
				if err != nil || len(res) != 1 || res[0].Name != fmt.Sprintf("Alpha%d", (g+i)%len(spaces)) {
					errs <- fmt.Errorf("search in workspace %d: %+v %v", (g+i)%len(spaces), res, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
