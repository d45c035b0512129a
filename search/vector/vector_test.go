package vector_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/optiq/optiq/search/vector"
)

// clustered returns n unit vectors around c random centres (fixed seed),
// the shape real embeddings have: groups of related symbols.
func clustered(seed uint64, n, dims, c int, spread float64) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	centres := make([][]float64, c)
	for i := range centres {
		centres[i] = make([]float64, dims)
		for d := range dims {
			centres[i][d] = rng.NormFloat64()
		}
	}
	out := make([][]float32, n)
	for i := range out {
		ctr := centres[rng.IntN(c)]
		v := make([]float32, dims)
		for d := range dims {
			v[d] = float32(ctr[d] + spread*rng.NormFloat64())
		}
		out[i] = unit(v)
	}
	return out
}

func unit(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return v
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
	return v
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// recallAt10 compares the index with brute-force float cosine over the
// original vectors. A returned id counts as correct when it is in the
// exact top 10.
func recallAt10(t *testing.T, ix *vector.Index, part string, vecs [][]float32, ids []int64, queries [][]float32) float64 {
	t.Helper()
	const k = 10
	var found, total int
	for _, q := range queries {
		type scored struct {
			id int64
			s  float64
		}
		all := make([]scored, len(vecs))
		for i, v := range vecs {
			all[i] = scored{ids[i], dot(q, v)}
		}
		sort.Slice(all, func(i, j int) bool { return all[i].s > all[j].s })
		want := map[int64]bool{}
		for _, s := range all[:k] {
			want[s.id] = true
		}
		hits := ix.Search(part, q, k)
		if len(hits) != k {
			t.Fatalf("got %d hits", len(hits))
		}
		for i, h := range hits {
			if i > 0 && h.Score > hits[i-1].Score {
				t.Fatalf("hits out of order: %v", hits)
			}
			if want[h.ID] {
				found++
			}
		}
		total += k
	}
	return float64(found) / float64(total)
}

func TestQuantizeRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	for range 200 {
		v := make([]float32, 256)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * 0.01)
		}
		q := vector.Quantize(v)
		mx := 0
		for _, x := range q {
			mx = max(mx, int(x), -int(x))
		}
		if mx != 127 {
			t.Fatalf("largest component %d, want 127", mx)
		}
		if c := dot(unit(v), vector.Dequantize(q)); c < 0.999 {
			t.Fatalf("cosine after the round trip %.5f", c)
		}
		if !slices.Equal(vector.Quantize(vector.Dequantize(q)), q) {
			t.Fatal("Quantize(Dequantize(q)) != q")
		}
	}
	if q := vector.Quantize(make([]float32, 8)); slices.ContainsFunc(q, func(x int8) bool { return x != 0 }) {
		t.Errorf("zero vector quantised to %v", q)
	}
	nan := float32(math.NaN())
	if q := vector.Quantize([]float32{nan, 1, -0.5}); !slices.Equal(q, []int8{0, 127, -64}) {
		t.Errorf("Quantize with NaN = %v", q)
	}
	if v := vector.Dequantize(make([]int8, 4)); dot(v, v) != 0 {
		t.Errorf("Dequantize(0) = %v", v)
	}
}

func TestRecallClustered(t *testing.T) {
	const dims = 256
	n, shortlist := 30000, vector.DefaultShortlist
	if raceEnabled { // same shortlist-to-corpus ratio, a tenth of the work
		n, shortlist = 3000, vector.DefaultShortlist/10
	}
	vecs := clustered(11, n, dims, n/100, 0.6)
	ids := make([]int64, n)
	ix := vector.New(dims)
	ix.SetShortlist(shortlist)
	for i, v := range vecs {
		ids[i] = int64(i)*7 + 1
		ix.Add("repo", ids[i], v)
	}
	var queries [][]float32
	rng := rand.New(rand.NewPCG(13, 1))
	for range 100 { // perturbed copies of indexed vectors
		base := vecs[rng.IntN(n)]
		q := make([]float32, dims)
		for d := range q {
			q[d] = base[d] + float32(0.05*rng.NormFloat64())
		}
		queries = append(queries, unit(q))
	}
	r := recallAt10(t, ix, "repo", vecs, ids, queries)
	t.Logf("recall@10 = %.3f over %d vectors (shortlist %d)", r, n, shortlist)
	if r < 0.95 {
		t.Errorf("recall@10 = %.3f, want ≥ 0.95", r)
	}
	// Random queries (not near any indexed vector) are the hard case.
	rq := clustered(14, 20, dims, 20, 1)
	r = recallAt10(t, ix, "repo", vecs, ids, rq)
	t.Logf("recall@10 for unrelated queries = %.3f", r)
}

func TestDeleteAndReplace(t *testing.T) {
	const dims = 64
	vecs := clustered(21, 500, dims, 10, 0.5)
	ix := vector.New(dims)
	for i, v := range vecs {
		ix.Add("a", int64(i), v)
		ix.Add("b", int64(i), v)
	}
	if ix.Len("a") != 500 || ix.Len("b") != 500 || !slices.Equal(ix.Parts(), []string{"a", "b"}) {
		t.Fatalf("Len a=%d b=%d parts %v", ix.Len("a"), ix.Len("b"), ix.Parts())
	}
	// A vector finds itself first.
	if h := ix.Search("a", vecs[42], 1); len(h) != 1 || h[0].ID != 42 || h[0].Score < 0.999 {
		t.Fatalf("self search: %v", h)
	}
	ix.Delete("a", 42, 0, 499, 12345)
	if ix.Len("a") != 497 || ix.Len("b") != 500 {
		t.Fatalf("after delete: a=%d b=%d", ix.Len("a"), ix.Len("b"))
	}
	for _, h := range ix.Search("a", vecs[42], 500) {
		if h.ID == 42 || h.ID == 0 || h.ID == 499 {
			t.Fatalf("deleted id %d found", h.ID)
		}
	}
	if h := ix.Search("b", vecs[42], 1); h[0].ID != 42 {
		t.Fatal("delete in one partition touched another")
	}
	// The vector moved into a hole is still found under its id.
	if h := ix.Search("a", vecs[498], 1); h[0].ID != 498 {
		t.Fatalf("moved vector: %v", h)
	}
	// Replacing a vector.
	ix.Add("a", 7, vecs[100])
	if ix.Len("a") != 497 {
		t.Fatalf("replace changed Len to %d", ix.Len("a"))
	}
	h := ix.Search("a", vecs[100], 2)
	if got := []int64{h[0].ID, h[1].ID}; !slices.Contains(got, 7) || !slices.Contains(got, 100) {
		t.Fatalf("replaced vector: %v", h)
	}
	// A zero vector removes the id.
	ix.Add("a", 7, make([]float32, dims))
	if ix.Len("a") != 496 {
		t.Fatalf("zero vector: Len %d", ix.Len("a"))
	}
	ix.DeletePart("a")
	if ix.Len("a") != 0 || ix.Search("a", vecs[1], 5) != nil || !slices.Equal(ix.Parts(), []string{"b"}) {
		t.Fatal("DeletePart left vectors behind")
	}
	if h := ix.Search("b", vecs[0], 1<<40); len(h) != 500 {
		t.Errorf("huge k: %d hits", len(h))
	}
	ix.Delete("b", func() []int64 {
		var all []int64
		for i := range 500 {
			all = append(all, int64(i))
		}
		return all
	}()...)
	if len(ix.Parts()) != 0 {
		t.Fatal("emptied partition still listed")
	}
	if ix.Search("b", make([]float32, dims), 5) != nil || ix.Search("none", vecs[0], 0) != nil {
		t.Fatal("zero query or k=0 found something")
	}
	// Vectors come from clients: a wrong length is an error, not a panic.
	if err := ix.Add("c", 1, make([]float32, dims+1)); !errors.Is(err, vector.ErrDims) {
		t.Errorf("Add with the wrong dimension: %v", err)
	}
	if err := ix.AddBatch("c", []int64{1, 2}, [][]int8{make([]int8, dims), make([]int8, 3)}); !errors.Is(err, vector.ErrDims) || ix.Len("c") != 0 {
		t.Errorf("AddBatch with a wrong dimension: %v, Len %d", err, ix.Len("c"))
	}
	if err := ix.AddBatch("c", []int64{1}, nil); err == nil {
		t.Error("AddBatch with more ids than vectors succeeded")
	}
	if ix.Search("b", vecs[0][:dims-1], 5) != nil {
		t.Error("short query found something")
	}
}

func TestPersistRoundTripAndCorruption(t *testing.T) {
	const dims = 96 // not a power of two: padded rotation
	ix := vector.New(dims)
	vecs := clustered(31, 3000, dims, 20, 0.5)
	for i, v := range vecs {
		ix.Add([]string{"r1", "r2", ""}[i%3], int64(i)-1000, v)
	}
	ix.Delete("r1", 0, 3, 6)
	ix.SetGeneration(42)
	var buf bytes.Buffer
	n, err := ix.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo: n=%d len=%d err=%v", n, buf.Len(), err)
	}
	data := buf.Bytes()
	ix2, err := vector.ReadFrom(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if ix2.Dims() != dims || !slices.Equal(ix2.Parts(), ix.Parts()) || ix2.Generation() != 42 {
		t.Fatalf("dims %d parts %v generation %d", ix2.Dims(), ix2.Parts(), ix2.Generation())
	}
	ix.SetShortlist(100) // exercise the sign codes too
	ix2.SetShortlist(100)
	for _, q := range vecs[:50] {
		for _, part := range ix.Parts() {
			if a, b := ix.Search(part, q, 10), ix2.Search(part, q, 10); !slices.Equal(a, b) {
				t.Fatalf("search differs after the round trip:\n%v\n%v", a, b)
			}
		}
	}
	// From a file (size known) and from a plain stream (size unknown).
	dir := t.TempDir()
	path := filepath.Join(dir, "vectors.idx")
	if _, err := vector.Load(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing file: %v", err)
	}
	if err := ix.Save(path); err != nil {
		t.Fatal(err)
	}
	if saved, _ := os.ReadFile(path); !bytes.Equal(saved, data) {
		t.Fatal("Save wrote something else than WriteTo")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("Save left %d files behind", len(entries))
	}
	if l, err := vector.Load(path); err != nil || !slices.Equal(l.Parts(), ix.Parts()) {
		t.Fatalf("Load: %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, r := range []io.Reader{f, struct{ io.Reader }{bytes.NewReader(data)}} {
		ix3, err := vector.ReadFrom(r)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := ix.Search("r2", vecs[1], 10), ix3.Search("r2", vecs[1], 10); !slices.Equal(a, b) {
			t.Fatalf("search differs after reading %T", r)
		}
	}
	var again bytes.Buffer
	ix2.WriteTo(&again)
	if !bytes.Equal(again.Bytes(), data) {
		t.Fatal("re-encoding differs")
	}
	for _, i := range []int{0, 8, 12, 20, 30, len(data) / 3, len(data) / 2, len(data) - 5, len(data) - 1} {
		c := slices.Clone(data)
		c[i] ^= 0x04
		if _, err := vector.ReadFrom(bytes.NewReader(c)); !errors.Is(err, vector.ErrCorrupt) {
			t.Errorf("flipped byte %d: err = %v", i, err)
		}
	}
	for _, l := range []int{0, 7, 30, len(data) / 2, len(data) - 1} {
		if _, err := vector.ReadFrom(bytes.NewReader(data[:l])); !errors.Is(err, vector.ErrCorrupt) {
			t.Errorf("truncated to %d: err = %v", l, err)
		}
	}
	if _, err := vector.ReadFrom(bytes.NewReader(append(slices.Clone(data), 0))); !errors.Is(err, vector.ErrCorrupt) {
		t.Errorf("trailing byte: err = %v", err)
	}
	// An empty index round-trips too.
	buf.Reset()
	vector.New(8).WriteTo(&buf)
	if e, err := vector.ReadFrom(&buf); err != nil || e.Dims() != 8 || len(e.Parts()) != 0 {
		t.Fatalf("empty index: %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	const dims = 32
	vecs := clustered(41, 2000, dims, 10, 0.5)
	ix := vector.New(dims)
	ix.SetShortlist(200)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(vecs); i += 4 {
				ix.Add("p", int64(i), vecs[i])
				if i%10 == 0 {
					ix.Delete("p", int64(i-1))
				}
				ix.Search("p", vecs[(i*7)%len(vecs)], 5)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 5 {
			ix.WriteTo(&bytes.Buffer{})
		}
	}()
	wg.Wait()
	if n := ix.Len("p"); n < 1800 || n > 2000 {
		t.Fatalf("Len = %d", n)
	}
}

// FuzzReadFrom checks that no file makes ReadFrom panic or allocate
// without bound, and that whatever it accepts writes back identically.
func FuzzReadFrom(f *testing.F) {
	ix := vector.New(8)
	for i, v := range clustered(51, 20, 8, 3, 0.5) {
		ix.Add([]string{"a", "b"}[i%2], int64(i), v)
	}
	var buf bytes.Buffer
	ix.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:40])
	f.Add([]byte("OPTIQVEC\x01\x00\x00\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		ix, err := vector.ReadFrom(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if _, err := ix.WriteTo(&out); err != nil || !bytes.Equal(out.Bytes(), data) {
			t.Fatal("accepted file does not re-encode identically")
		}
		q := make([]float32, ix.Dims())
		q[0] = 1
		for _, p := range ix.Parts() {
			ix.Search(p, q, 3)
		}
	})
}

// pausedWriter blocks its first write until released, so a test can change
// an index while WriteTo is half-way.
type pausedWriter struct {
	buf      bytes.Buffer
	started  chan struct{}
	release  chan struct{}
	didPause bool
}

func (w *pausedWriter) Write(p []byte) (int, error) {
	if !w.didPause {
		w.didPause = true
		close(w.started)
		<-w.release
	}
	return w.buf.Write(p)
}

// TestWriteToDoesNotHoldWritesBack: while an index is being written out,
// changes and searches proceed, and the file holds the index as it was
// when the write began.
func TestWriteToDoesNotHoldWritesBack(t *testing.T) {
	const dims = 64
	ix := vector.New(dims)
	vecs := clustered(7, 2000, dims, 10, 0.5)
	for i, v := range vecs {
		ix.Add([]string{"a", "b"}[i%2], int64(i), v)
	}
	ix.SetGeneration(3)
	var before bytes.Buffer
	if _, err := ix.WriteTo(&before); err != nil {
		t.Fatal(err)
	}

	w := &pausedWriter{started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error)
	go func() {
		_, err := ix.WriteTo(w)
		done <- err
	}()
	<-w.started
	changed := make(chan struct{})
	go func() { // would block on the lock if WriteTo held it
		defer close(changed)
		ix.Add("a", 0, vecs[1])    // in place
		ix.Delete("a", 2, 4, 6)    // moves vectors into holes
		ix.Add("b", 5000, vecs[3]) // appends
		ix.Add("c", 1, vecs[5])    // new partition
		ix.DeletePart("b")         // drops one
		ix.SetGeneration(4)
		if hits := ix.Search("a", vecs[1], 1); len(hits) != 1 {
			t.Errorf("search during a write: %v", hits)
		}
	}()
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("changes waited for WriteTo")
	}
	close(w.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w.buf.Bytes(), before.Bytes()) {
		t.Fatal("the file written during changes is not the index as it was when the write began")
	}
	// The changes themselves took effect.
	var after bytes.Buffer
	ix.WriteTo(&after)
	ix2, err := vector.ReadFrom(&after)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ix2.Parts(), []string{"a", "c"}) || ix2.Len("a") != 997 || ix2.Generation() != 4 {
		t.Fatalf("after the changes: parts %v, %d in a, generation %d", ix2.Parts(), ix2.Len("a"), ix2.Generation())
	}
}
