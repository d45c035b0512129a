package embed_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/optiq/optiq/search/embed"
)

func TestTokenize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"HTTPServer", []string{"http", "server"}},
		{"parseHTTPRequest", []string{"parse", "http", "request"}},
		{"snake_style_name", []string{"snake", "style", "name"}},
		{"utf8Decode", []string{"utf", "decode"}},
		{"sha256Sum", []string{"sha", "sum"}},
		{"XMLHttpRequest2", []string{"xml", "http", "request"}},
		{"getUserByID", []string{"get", "user", "id"}},
		{"x := a + b", nil},
		{"// ReadFile reads the named file and returns the contents.", []string{"read", "file", "reads", "named", "file", "contents"}},
		{"func (s *Server) Close() error { return nil }", []string{"server", "close", "error"}},
		{"0xdeadbeef 1024 v2", []string{"xdeadbeef"}},
		{"ÜberCafé naïveValue", []string{"über", "café", "naïve", "value"}},
		{"ALLCAPS CONST_VALUE", []string{"allcaps", "value"}}, // "const" is a keyword
		{"a_very_long_token_that_is_far_too_long_to_mean_anything_useful", []string{"long", "token", "far", "too", "long", "mean", "anything", "useful"}},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ok", []string{"ok"}},
	} {
		got := embed.Tokenize(tc.in)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Tokenize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// testDims is the default 256, or 64 under the race detector.
func testDims() int {
	if raceEnabled {
		return 64
	}
	return 256
}

// goSymbols returns one text per top-level declaration (doc comment and
// source) of the Go files in the named $GOROOT/src packages, the way the
// indexer hands symbols to the trainer.
func goSymbols(t testing.TB, pkgs ...string) []string {
	t.Helper()
	root := filepath.Join(build.Default.GOROOT, "src")
	var docs []string
	for _, pkg := range pkgs {
		files, _ := filepath.Glob(filepath.Join(root, pkg, "*.go"))
		if len(files) == 0 {
			t.Skipf("no Go sources under %s", filepath.Join(root, pkg))
		}
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			fset := token.NewFileSet()
			af, err := parser.ParseFile(fset, f, src, parser.ParseComments)
			if err != nil {
				continue
			}
			for _, d := range af.Decls {
				start := d.Pos()
				switch d := d.(type) {
				case *ast.FuncDecl:
					if d.Doc != nil {
						start = d.Doc.Pos()
					}
				case *ast.GenDecl:
					if d.Doc != nil {
						start = d.Doc.Pos()
					}
				}
				docs = append(docs, string(src[fset.Position(start).Offset:fset.Position(d.End()).Offset]))
			}
		}
	}
	return docs
}

var (
	smallOnce  sync.Once
	smallModel *embed.Model
	smallErr   error
)

// smallTrained trains once on a few standard-library packages.
func smallTrained(t testing.TB) *embed.Model {
	t.Helper()
	docs := goSymbols(t, "net/http", "bufio", "io", "strings", "sync", "compress/gzip", "compress/flate", "crypto/tls", "sort")
	smallOnce.Do(func() {
		tr := embed.NewTrainer(embed.Options{Seed: 1, Dims: testDims()})
		for _, d := range docs {
			tr.Add(d)
		}
		smallModel, smallErr = tr.Train(context.Background())
	})
	if smallErr != nil {
		t.Fatal(smallErr)
	}
	return smallModel
}

func cos(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// TestTrainRelatedCloser checks that identifiers used together in the
// corpus end up closer than unrelated ones. The pairs share no token, so
// any similarity was learned from co-occurrence. Single words are a noisy
// probe (TestDocToCodeRetrieval measures what search needs), so all but
// one triple must hold and the related pairs must be clearly closer on
// average.
func TestTrainRelatedCloser(t *testing.T) {
	m := smallTrained(t)
	if m.Dims() != testDims() {
		t.Fatalf("Dims = %d", m.Dims())
	}
	var failed, n int
	var sumR, sumU float64
	for _, tc := range []struct{ a, related, unrelated string }{
		{"Lock", "Unlock", "ParseMultipartForm"},
		{"sync.Mutex", "RWMutex", "gzip.Writer"},
		{"Reader", "Writer", "Cookie"},
		{"ReadString", "WriteString", "TLSHandshake"},
		{"Cookie", "SetCookie", "Huffman"},
		{"gzip", "compressed", "Cookie"},
		{"Certificate", "tls.Config", "strings.Builder"},
		{"Encrypt", "cipher", "ParseForm"},
		{"sort.Slice", "Less", "Handshake"},
		{"ServeHTTP", "ResponseWriter", "deflate"},
		{"Flush", "buffered", "certificate"},
		{"ContentLength", "header", "sort"},
	} {
		a := m.Embed(tc.a)
		r, u := cos(a, m.Embed(tc.related)), cos(a, m.Embed(tc.unrelated))
		t.Logf("%-14s %-16s %.3f  %-20s %.3f", tc.a, tc.related, r, tc.unrelated, u)
		if r <= u {
			failed++
		}
		sumR += r
		sumU += u
		n++
	}
	if failed > 1 {
		t.Errorf("%d of %d related pairs not closer than the unrelated ones", failed, n)
	}
	if meanR, meanU := sumR/float64(n), sumU/float64(n); meanR < meanU+0.2 {
		t.Errorf("mean similarity related %.3f, unrelated %.3f", meanR, meanU)
	}
}

func TestEmbedNormalisedAndOutOfVocabulary(t *testing.T) {
	m := smallTrained(t)
	v, ok := m.Vector("HandlerFunc serves an HTTP request")
	if !ok || math.Abs(cos(v, v)-1) > 1e-5 {
		t.Fatalf("ok=%v |v|²=%v", ok, cos(v, v))
	}
	v, ok = m.Vector("zzqxj qqqwv")
	if ok || cos(v, v) != 0 || len(v) != m.Dims() {
		t.Fatalf("out-of-vocabulary: ok=%v |v|²=%v len %d", ok, cos(v, v), len(v))
	}
}

func TestSymbolVector(t *testing.T) {
	m := smallTrained(t)
	head, body := "ServeHTTP handler request response", "w.WriteHeader(code); w.Write(body)"
	h, _ := m.Vector(head)
	b, _ := m.Vector(body)
	v, ok := m.SymbolVector(head, body)
	if !ok || math.Abs(cos(v, v)-1) > 1e-5 {
		t.Fatalf("ok=%v |v|²=%v", ok, cos(v, v))
	}
	// Half head, half body: as close to one as to the other.
	if ch, cb := cos(v, h), cos(v, b); math.Abs(ch-cb) > 1e-4 || ch < 0.5 {
		t.Errorf("cos to head %.4f, to body %.4f", ch, cb)
	}
	if only, ok := m.SymbolVector(head, "zzqxj"); !ok || math.Abs(cos(only, h)-1) > 1e-5 {
		t.Errorf("unknown body: ok=%v cos %.4f", ok, cos(only, h))
	}
	if _, ok := m.SymbolVector("zzqxj", "qqqwv"); ok {
		t.Error("nothing known, yet ok")
	}
}

func TestModelMarshalRoundTrip(t *testing.T) {
	m := smallTrained(t)
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d tokens, %d dims: %d bytes", m.Vocabulary(), m.Dims(), len(b))
	if max := m.Vocabulary() * (m.Dims() + 20); len(b) > max {
		t.Errorf("encoding %d bytes, want ≤ %d", len(b), max)
	}
	var m2 embed.Model
	if err := m2.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"http server", "ReadFile", "gzip.NewWriter"} {
		if !slices.Equal(m.Embed(q), m2.Embed(q)) {
			t.Errorf("%q embeds differently after the round trip", q)
		}
	}
	b2, _ := m2.MarshalBinary()
	if !bytes.Equal(b, b2) {
		t.Error("re-encoding differs")
	}
	for _, i := range []int{0, 9, len(b) / 2, len(b) - 1} {
		c := slices.Clone(b)
		c[i] ^= 0x10
		if err := new(embed.Model).UnmarshalBinary(c); !errors.Is(err, embed.ErrCorrupt) {
			t.Errorf("flipped byte %d: err = %v", i, err)
		}
	}
	if err := new(embed.Model).UnmarshalBinary(b[:len(b)-1]); !errors.Is(err, embed.ErrCorrupt) {
		t.Errorf("truncated: err = %v", err)
	}
}

func TestTrainDeterministic(t *testing.T) {
	docs := goSymbols(t, "bufio", "strings")
	train := func() []byte {
		tr := embed.NewTrainer(embed.Options{Seed: 7, Dims: 64})
		for _, d := range docs {
			tr.Add(d)
		}
		m, err := tr.Train(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := m.MarshalBinary()
		return b
	}
	if !bytes.Equal(train(), train()) {
		t.Fatal("same corpus and seed gave different models")
	}
}

func TestTrainConcurrentAddAndTinyCorpus(t *testing.T) {
	tr := embed.NewTrainer(embed.Options{Dims: 32, MinCount: 1})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				tr.Add("openFile readFile closeFile")
				tr.Add("parseCookie setCookie cookieJar")
				if i%2 == 0 {
					tr.Add("openSocket listen accept")
				}
			}
		}()
	}
	wg.Wait()
	if n := tr.Tokens(); n != 8*50*12+4*50*4 {
		t.Fatalf("Tokens = %d", n)
	}
	m, err := tr.Train(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if m.Dims() != 32 || len(m.Embed("file")) != 32 {
		t.Fatalf("dims %d", m.Dims())
	}
	if a, b := cos(m.Embed("open"), m.Embed("read")), cos(m.Embed("open"), m.Embed("cookie")); a <= b {
		t.Errorf("open~read %.3f ≤ open~cookie %.3f", a, b)
	}

	capped := embed.NewTrainer(embed.Options{MaxTokens: 10})
	for range 5 {
		capped.Add("openFile readFile closeFile") // 6 tokens
	}
	if n := capped.Tokens(); n != 6 {
		t.Errorf("MaxTokens 10: Tokens = %d, want 6", n)
	}

	empty := embed.NewTrainer(embed.Options{})
	empty.Add("x y z")
	if _, err := empty.Train(context.Background()); !errors.Is(err, embed.ErrEmptyCorpus) {
		t.Errorf("empty corpus: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tr.Train(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestLoadStatic(t *testing.T) {
	for _, name := range []string{"glove.txt", "word2vec.txt"} {
		f, err := os.Open(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		s, err := embed.LoadStatic(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var e embed.Embedder = s
		v := e.Embed("HTTPServer cookie")
		if len(v) != e.Dims() || math.Abs(cos(v, v)-1) > 1e-5 {
			t.Errorf("%s: len %d |v|²=%v", name, len(v), cos(v, v))
		}
		if _, ok := s.Vector("nothing known"); ok {
			t.Errorf("%s: unknown words embedded", name)
		}
	}
	f, _ := os.Open("testdata/glove.txt")
	defer f.Close()
	s, _ := embed.LoadStatic(f)
	if s.Dims() != 4 {
		t.Fatalf("Dims = %d", s.Dims())
	}
	// "Read" folds into "read", which comes first and is kept.
	if c := cos(s.Embed("read"), s.Embed("write")); c < 0.9 {
		t.Errorf("read~write = %.3f", c)
	}
	for _, bad := range []string{"", "2 3\nword 1 2\n", "w 1 x\n", "w 1 2\nv 1\n", "w NaN 1\n"} {
		if _, err := embed.LoadStatic(strings.NewReader(bad)); err == nil {
			t.Errorf("LoadStatic(%q) succeeded", bad)
		}
	}
}

// FuzzUnmarshalBinary checks that no input makes the decoder panic or
// allocate without bound, and that whatever it accepts re-encodes
// identically.
func FuzzUnmarshalBinary(f *testing.F) {
	tr := embed.NewTrainer(embed.Options{Dims: 8, MinCount: 1, Seed: 3})
	tr.Add("openFile readFile closeFile parseCookie setCookie")
	tr.Add("openSocket readSocket closeSocket")
	m, err := tr.Train(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	b, _ := m.MarshalBinary()
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte("OPTIQEMB"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var m embed.Model
		if err := m.UnmarshalBinary(data); err != nil {
			return
		}
		out, err := m.MarshalBinary()
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("accepted input does not re-encode identically")
		}
		m.Embed("open file")
	})
}

// TestTrainDegenerateCorpora checks that corpora with almost nothing to
// learn train without panicking and embed to unit or zero vectors.
func TestTrainDegenerateCorpora(t *testing.T) {
	for _, docs := range [][]string{
		{"alpha beta"},
		{"alpha", "beta", "gamma"}, // no pairs at all
		{"alpha beta", "alpha beta", "alpha beta"},
		{strings.Repeat("alpha beta gamma delta ", 200)},
	} {
		tr := embed.NewTrainer(embed.Options{MinCount: 1, Dims: 16})
		for _, d := range docs {
			tr.Add(d)
		}
		m, err := tr.Train(context.Background())
		if err != nil {
			if errors.Is(err, embed.ErrEmptyCorpus) {
				continue
			}
			t.Fatalf("%q: %v", docs, err)
		}
		v, ok := m.Vector("alpha beta")
		if n := cos(v, v); ok && math.Abs(n-1) > 1e-5 || !ok && n != 0 || len(v) != 16 {
			t.Errorf("%q: ok=%v |v|²=%v len %d", docs, ok, n, len(v))
		}
		if _, err := m.MarshalBinary(); err != nil {
			t.Error(err)
		}
	}
}

// TestDocToCodeRetrieval measures what semantic search is for: finding a
// function from a description. The model trains on whole declarations;
// the index holds each function's code without its doc comment, and the
// query is the first sentence of the doc comment without the function's
// name. It reports recall@10 and MRR over the functions of the corpus
// and guards against regressions with a floor well under the measured
// value.
func TestDocToCodeRetrieval(t *testing.T) {
	recall, mrr, n := docToCode(t, smallTrained(t))
	t.Logf("%d functions: doc sentence → code recall@10 %.3f, MRR %.3f (chance: recall@10 %.3f)", n, recall, mrr, 10/float64(n))
	if recall < 0.5 {
		t.Errorf("recall@10 = %.3f, want ≥ 0.5", recall)
	}
}

func docToCode(t testing.TB, m *embed.Model) (recall, mrr float64, n int) {
	root := filepath.Join(build.Default.GOROOT, "src")
	type fn struct{ query, code string }
	var fns []fn
	for _, pkg := range []string{"net/http", "bufio", "strings", "compress/gzip", "crypto/tls", "sort"} {
		files, _ := filepath.Glob(filepath.Join(root, pkg, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			fset := token.NewFileSet()
			af, err := parser.ParseFile(fset, f, src, parser.ParseComments)
			if err != nil {
				continue
			}
			for _, d := range af.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Doc == nil || fd.Body == nil {
					continue
				}
				doc := fd.Doc.Text()
				if i := strings.Index(doc, ". "); i > 0 {
					doc = doc[:i]
				}
				doc = strings.TrimPrefix(strings.TrimSpace(doc), fd.Name.Name)
				if len(embed.Tokenize(doc)) < 3 {
					continue
				}
				code := string(src[fset.Position(fd.Pos()).Offset:fset.Position(fd.End()).Offset])
				fns = append(fns, fn{doc, code})
			}
		}
	}
	vecs := make([][]float32, len(fns))
	for i, f := range fns {
		vecs[i] = m.Embed(f.code)
	}
	var hits10 int
	for i, f := range fns {
		q := m.Embed(f.query)
		self := cos(q, vecs[i])
		rank := 1
		for j, v := range vecs {
			if j != i && cos(q, v) > self {
				rank++
			}
		}
		if rank <= 10 {
			hits10++
		}
		mrr += 1 / float64(rank)
	}
	return float64(hits10) / float64(len(fns)), mrr / float64(len(fns)), len(fns)
}

// FuzzLoadStatic checks that no static embeddings file makes LoadStatic
// panic, and that what it accepts embeds to unit or zero vectors.
func FuzzLoadStatic(f *testing.F) {
	for _, name := range []string{"glove.txt", "word2vec.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("1 1\nx 1e39\n"))
	f.Add([]byte("a 0 0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := embed.LoadStatic(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, q := range []string{"read write", string(data[:min(len(data), 40)])} {
			v, ok := s.Vector(q)
			if n := cos(v, v); len(v) != s.Dims() || ok && math.Abs(n-1) > 1e-4 || !ok && n != 0 {
				t.Fatalf("Vector(%q): ok=%v |v|²=%v", q, ok, n)
			}
		}
	})
}

func TestStem(t *testing.T) {
	for in, want := range map[string]string{
		"close": "clos", "closes": "clos", "closed": "clos", "closing": "clos",
		"encode": "encod", "encodes": "encod", "encoded": "encod", "encoding": "encod",
		"reads": "read", "reading": "read", "entries": "entry", "copied": "copy",
		"setting": "set", "running": "run", "passes": "pass", "process": "process",
		"status": "status", "analysis": "analysis", "bytes": "byt", "buffered": "buffer",
		"call": "call", "calls": "call", "fill": "fill", "http2": "http2", "read": "read",
		// Short words meet their plurals.
		"file": "fil", "files": "fil", "name": "nam", "names": "nam", "type": "typ", "types": "typ",
		"byte": "byt", "size": "siz", "sizes": "siz", "set": "set", "sets": "set", "get": "get",
		"gets": "get", "key": "key", "keys": "key", "run": "run", "runs": "run", "add": "add",
		"adds": "add", "use": "use", "uses": "use", "used": "used", "tree": "tre", "trees": "tre",
		"line": "lin", "lines": "lin", "cities": "city", "dies": "die",
	} {
		if got := embed.Stem(in); got != want {
			t.Errorf("Stem(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRarity: a word's rarity follows its frequency in the training text
// (−log of its share), forms of a word share a stem's rarity, and a word
// the model does not know is at least as rare as the rarest it knows.
func TestRarity(t *testing.T) {
	m := smallTrained(t)
	common, rare, unknown := m.Rarity("request"), m.Rarity("gzip"), m.Rarity("zzqxjvolt")
	if !(0 < common && common < rare && rare <= unknown) {
		t.Fatalf("rarity: request %.2f, gzip %.2f, unknown %.2f", common, rare, unknown)
	}
	// A share of one in e^r: "request" is far from one in a handful.
	if common < 3 || unknown > 30 {
		t.Errorf("rarity out of scale: request %.2f, unknown %.2f", common, unknown)
	}
	if got := m.Rarity("requests"); got != common {
		t.Errorf("requests %.3f, request %.3f: forms of a word differ", got, common)
	}
}

// TestRarityOfSideLoadedModel: a static model's shares are estimated from
// word ranks (Zipf) with its own SIF constant; Rarity recovers them.
func TestRarityOfSideLoadedModel(t *testing.T) {
	var b strings.Builder
	words := []string{"request", "handler", "server", "cookie", "header", "zircon"}
	for i, w := range words {
		fmt.Fprintf(&b, "%s %d 0.5 0.25\n", w, i+1)
	}
	st, err := embed.LoadStatic(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	m := st.Model()
	h := math.Log(float64(len(words))) + 0.5772
	for i, w := range words {
		want := -math.Log(1 / (float64(i+1) * h))
		if got := m.Rarity(w); math.Abs(got-want) > 0.3 {
			t.Errorf("%s (rank %d): rarity %.2f, want about %.2f", w, i+1, got, want)
		}
	}
	if got, rarest := m.Rarity("unheardof"), m.Rarity("zircon"); got != rarest {
		t.Errorf("unknown word %.2f, rarest known %.2f", got, rarest)
	}
}
