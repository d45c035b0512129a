package vector_test

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/optiq/optiq/search/vector"
)

// benchCorpus is n clustered 256-dimensional unit vectors (n/500
// clusters, fixed seed) in one partition, with queries and their exact
// float-cosine top 10. The first half of the queries are perturbed copies
// of indexed vectors ("near"); the second half are the normalised sums of
// two random indexed vectors ("mixed"), like a query that mentions two
// topics: their neighbours are less similar and harder to find.
type benchCorpus struct {
	ix          *vector.Index
	queries     [][]float32
	truth       []map[int64]bool
	bytesPerVec float64
	build       time.Duration
}

var (
	benchMu      sync.Mutex
	benchCorpora = map[int]*benchCorpus{}
)

const benchDims = 256

// streamVectors regenerates the corpus vector by vector, so the 1M case
// never holds float vectors in memory.
func streamVectors(n int, fn func(i int, v []float32)) {
	const seed = 99
	clusters := max(n/500, 10)
	crng := rand.New(rand.NewPCG(seed, 1))
	centres := make([]float32, clusters*benchDims)
	for i := range centres {
		centres[i] = float32(crng.NormFloat64())
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	v := make([]float32, benchDims)
	for i := range n {
		c := centres[rng.IntN(clusters)*benchDims:][:benchDims]
		for d := range v {
			v[d] = c[d] + float32(0.6*rng.NormFloat64())
		}
		fn(i, unit(v))
	}
}

func corpus(b *testing.B, n int) *benchCorpus {
	benchMu.Lock()
	defer benchMu.Unlock()
	if c := benchCorpora[n]; c != nil {
		return c
	}
	const nq = 100
	qrng := rand.New(rand.NewPCG(7, 7))
	base := map[int]int{} // vector index → near query index
	for len(base) < nq/2 {
		base[qrng.IntN(n)] = len(base)
	}
	mixed := map[int][]int{} // vector index → mixed query indexes
	for qi := nq / 2; qi < nq; qi++ {
		for range 2 {
			i := qrng.IntN(n)
			mixed[i] = append(mixed[i], qi)
		}
	}
	c := &benchCorpus{queries: make([][]float32, nq), truth: make([]map[int64]bool, nq)}
	for qi := nq / 2; qi < nq; qi++ {
		c.queries[qi] = make([]float32, benchDims)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	c.ix = vector.New(benchDims)
	streamVectors(n, func(i int, v []float32) {
		c.ix.Add("repo", int64(i), v)
		if qi, ok := base[i]; ok {
			q := make([]float32, benchDims)
			for d := range q {
				q[d] = v[d] + float32(0.05*qrng.NormFloat64())
			}
			c.queries[qi] = unit(q)
		}
		for _, qi := range mixed[i] {
			for d, x := range v {
				c.queries[qi][d] += x
			}
		}
	})
	for qi := nq / 2; qi < nq; qi++ {
		unit(c.queries[qi])
	}
	c.build = time.Since(t0)
	runtime.GC()
	runtime.ReadMemStats(&after)
	c.bytesPerVec = float64(after.HeapAlloc-before.HeapAlloc) / float64(n)

	// Exact top 10 by float cosine.
	type scored struct {
		id int64
		s  float64
	}
	tops := make([][]scored, nq)
	streamVectors(n, func(i int, v []float32) {
		for qi, q := range c.queries {
			s := dot(q, v)
			t := tops[qi]
			if len(t) == 10 && s <= t[9].s {
				continue
			}
			t = append(t, scored{int64(i), s})
			sort.Slice(t, func(a, b int) bool { return t[a].s > t[b].s })
			tops[qi] = t[:min(len(t), 10)]
		}
	})
	for qi, t := range tops {
		c.truth[qi] = map[int64]bool{}
		for _, s := range t {
			c.truth[qi][s.id] = true
		}
	}
	benchCorpora[n] = c
	return c
}

func benchSearch(b *testing.B, n int) {
	c := corpus(b, n)
	var found [2]int
	for qi, q := range c.queries {
		for _, h := range c.ix.Search("repo", q, 10) {
			if c.truth[qi][h.ID] {
				found[2*qi/len(c.queries)]++
			}
		}
	}
	near := float64(found[0]) / float64(5*len(c.queries))
	mix := float64(found[1]) / float64(5*len(c.queries))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	c0 := cpuTime()
	for i := range b.N {
		t0 := time.Now()
		c.ix.Search("repo", c.queries[i%len(c.queries)], 10)
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	cpu := cpuTime() - c0
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(near, "recall@10-near")
	b.ReportMetric(mix, "recall@10-mixed")
	b.ReportMetric(c.bytesPerVec, "B/vector")
	b.ReportMetric(c.build.Seconds(), "build-s")
}

// BenchmarkSearch100k: k=10 over 100,000 vectors of 256 dimensions.
func BenchmarkSearch100k(b *testing.B) { benchSearch(b, 100_000) }

// BenchmarkSearch1M: k=10 over 1,000,000 vectors of 256 dimensions.
func BenchmarkSearch1M(b *testing.B) { benchSearch(b, 1_000_000) }

// BenchmarkPersist100k writes and reads back the 100k-vector index file.
func BenchmarkPersist100k(b *testing.B) { benchPersist(b, 100_000) }

// BenchmarkPersist1M writes and reads back the 1M-vector index file.
func BenchmarkPersist1M(b *testing.B) { benchPersist(b, 1_000_000) }

func benchPersist(b *testing.B, n int) {
	c := corpus(b, n)
	var buf bytes.Buffer
	c.ix.WriteTo(&buf) // size the buffer: time encoding, not buffer growth
	b.ResetTimer()
	var wr, rd time.Duration
	for range b.N {
		buf.Reset()
		t0 := time.Now()
		if _, err := c.ix.WriteTo(&buf); err != nil {
			b.Fatal(err)
		}
		wr += time.Since(t0)
		t0 = time.Now()
		if _, err := vector.ReadFrom(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
		rd += time.Since(t0)
	}
	b.ReportMetric(float64(buf.Len())/1e6, "file-MB")
	b.ReportMetric(wr.Seconds()/float64(b.N), "write-s")
	b.ReportMetric(rd.Seconds()/float64(b.N), "read-s")
}

// BenchmarkAdd measures inserting (quantising and sign-coding) vectors.
func BenchmarkAdd(b *testing.B) {
	vecs := clustered(5, 10000, benchDims, 20, 0.6)
	ix := vector.New(benchDims)
	b.ResetTimer()
	for i := range b.N {
		ix.Add("repo", int64(i), vecs[i%len(vecs)])
	}
}

// BenchmarkRebuild100k loads 100,000 int8 vectors in batches of 10,000,
// as the server does when it rebuilds the index from the tenant database.
func BenchmarkRebuild100k(b *testing.B) {
	vecs := clustered(5, 10000, benchDims, 20, 0.6)
	codes := make([][]int8, len(vecs))
	for i, v := range vecs {
		codes[i] = vector.Quantize(v)
	}
	ids := make([]int64, len(codes))
	b.ResetTimer()
	for range b.N {
		ix := vector.New(benchDims)
		for batch := range 10 {
			for i := range ids {
				ids[i] = int64(batch*len(codes) + i)
			}
			ix.AddBatch("repo", ids, codes)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1e5, "µs/vector")
}
