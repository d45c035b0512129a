// Package vector is the per-workspace vector index for semantic search,
// in pure Go (no cgo, no FAISS).
//
// Vectors are partitioned by a string key, the repository id: every
// repository has its own embedding model, so only vectors of the same
// partition are comparable. Each vector is kept int8-quantised (the form
// the tenant database stores as the source of truth, see Quantize) plus a
// 1-bit sign code of a randomly rotated copy. A search scans the sign
// codes of the partition with popcount to keep the candidates nearest by
// Hamming distance (an estimate of the angle), narrows them to a shortlist
// of a few thousand with the asymmetric estimate (full-precision query
// against the sign bits, by table lookup), then rescores the shortlist
// with int8 dot products (cosine within about 0.005 of the float value).
// At 256 dimensions a vector costs 330–390 bytes in memory: 256 int8, 32
// bytes of sign code, the id, its norm and its slot in the id map.
//
// The index is derived: the server rebuilds it from the tenant database
// when its file is missing or corrupt (ReadFrom reports corruption).
package vector

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
)

// Hit is one search result: the vector's id and its cosine similarity to
// the query, in [-1, 1].
type Hit struct {
	ID    int64
	Score float32
}

// DefaultShortlist is how many candidates the sign-code scan passes to
// exact rescoring.
const DefaultShortlist = 3000

// maxDims bounds the dimension an index accepts (and a file may claim).
const maxDims = 4096

// defaultSeed fixes the random rotation of new indexes; it is written to
// the index file so that sign codes and queries always agree.
const defaultSeed = 0x6f70746971766563

// Index holds the vectors of one workspace. It is safe for concurrent
// use: searches run in parallel, writes are exclusive.
type Index struct {
	dims      int
	pdims     int // dims padded to a power of two (≥ 64) for the rotation
	words     int // uint64 words per sign code
	seed      uint64
	flips     [2][]float32 // random ±1 diagonals of the two Hadamard rounds
	scratch   sync.Pool    // *searchScratch
	mu        sync.RWMutex
	shortlist int
	gen       uint64
	parts     map[string]*partition
}

// Generation returns the number set by SetGeneration (0 for a new index).
func (ix *Index) Generation() uint64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.gen
}

// SetGeneration records which state of the tenant database the index
// reflects (for example a counter bumped by every commit that changes
// vectors). It is saved in the index file, so a server that finds an
// intact but older file can tell it is stale and rebuild.
func (ix *Index) SetGeneration(g uint64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.gen = g
}

type partition struct {
	ids   []int64
	pos   map[int64]int32
	codes []int8    // len(ids) × dims
	inorm []float32 // 1 / ‖code‖
	signs []uint64  // len(ids) × words
	// readers counts the WriteTo calls reading this partition without the
	// lock. While it is not zero the partition is not changed in place:
	// appends go past what they read, and any other change is made to a
	// copy (own).
	readers int
}

// own returns the partition of part, ready to be changed in place: p
// itself, or a copy that replaces it while a WriteTo reads p. The caller
// holds the write lock.
func (ix *Index) own(part string, p *partition) *partition {
	if p.readers == 0 {
		return p
	}
	// WriteTo never reads pos: hand it over instead of copying it.
	c := &partition{
		ids:   slices.Clone(p.ids),
		pos:   p.pos,
		codes: slices.Clone(p.codes),
		inorm: slices.Clone(p.inorm),
		signs: slices.Clone(p.signs),
	}
	p.pos = nil
	ix.parts[part] = c
	return c
}

// New returns an empty index for vectors of the given dimension.
func New(dims int) *Index {
	if dims < 1 || dims > maxDims {
		panic(fmt.Sprintf("vector: dimension %d out of range", dims))
	}
	return newIndex(dims, defaultSeed)
}

func newIndex(dims int, seed uint64) *Index {
	pd := 64
	for pd < dims {
		pd *= 2
	}
	ix := &Index{dims: dims, pdims: pd, words: pd / 64, seed: seed, shortlist: DefaultShortlist, parts: map[string]*partition{}}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for r := range ix.flips {
		ix.flips[r] = make([]float32, pd)
		for i := range pd {
			ix.flips[r][i] = 1
			if rng.Uint64()&1 == 1 {
				ix.flips[r][i] = -1
			}
		}
	}
	return ix
}

// Dims returns the vector dimension.
func (ix *Index) Dims() int { return ix.dims }

// SetShortlist sets how many candidates the sign-code scan keeps for exact
// rescoring (default DefaultShortlist). Larger is more accurate and slower.
func (ix *Index) SetShortlist(n int) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.shortlist = max(n, 1)
}

// Len returns the number of vectors in a partition.
func (ix *Index) Len(part string) int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if p := ix.parts[part]; p != nil {
		return len(p.ids)
	}
	return 0
}

// Parts returns the partition keys in order.
func (ix *Index) Parts() []string {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	keys := make([]string, 0, len(ix.parts))
	for k := range ix.parts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ErrDims reports a vector whose length is not the index's dimension.
// Vectors arrive from clients, so this is an input error, not a bug.
var ErrDims = errors.New("vector: wrong vector dimension")

// Add inserts or replaces the vector with the given id in a partition.
// Only the direction matters (similarity is cosine). A zero vector
// removes the id: it has no direction to be found by.
func (ix *Index) Add(part string, id int64, vec []float32) error {
	return ix.AddQuantized(part, id, Quantize(vec))
}

// AddQuantized is Add for a vector already in the int8 form of Quantize,
// as the tenant database stores it.
func (ix *Index) AddQuantized(part string, id int64, q []int8) error {
	return ix.AddBatch(part, []int64{id}, [][]int8{q})
}

// AddBatch adds many int8 vectors (as Quantize returns them) to a
// partition, computing their sign codes in parallel: rebuilding the index
// from the tenant database uses it. ids[i] gets vecs[i]; zero vectors
// remove their ids. Nothing is added if any vector has the wrong length.
func (ix *Index) AddBatch(part string, ids []int64, vecs [][]int8) error {
	if len(ids) != len(vecs) {
		return fmt.Errorf("vector: %d ids for %d vectors", len(ids), len(vecs))
	}
	for _, q := range vecs {
		if len(q) != ix.dims {
			return fmt.Errorf("%w: %d, the index has %d", ErrDims, len(q), ix.dims)
		}
	}
	w := ix.words
	signs := make([]uint64, len(vecs)*w)
	inorms := make([]float32, len(vecs))
	code := func(lo, hi int) {
		x := make([]float32, ix.pdims)
		for i := lo; i < hi; i++ {
			var sq int64
			for _, v := range vecs[i] {
				sq += int64(v) * int64(v)
			}
			if sq == 0 {
				continue
			}
			inorms[i] = float32(1 / math.Sqrt(float64(sq)))
			ix.signCode(signs[i*w:(i+1)*w], x, vecs[i], nil)
		}
	}
	if workers := min(runtime.GOMAXPROCS(0), len(vecs)/1024); workers > 1 {
		var wg sync.WaitGroup
		for k := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code(len(vecs)*k/workers, len(vecs)*(k+1)/workers)
			}()
		}
		wg.Wait()
	} else {
		code(0, len(vecs))
	}

	ix.mu.Lock()
	defer ix.mu.Unlock()
	if p := ix.parts[part]; p != nil && len(ids) > 1 { // grow once, not by doubling
		p.ids = slices.Grow(p.ids, len(ids))
		p.codes = slices.Grow(p.codes, len(ids)*ix.dims)
		p.inorm = slices.Grow(p.inorm, len(ids))
		p.signs = slices.Grow(p.signs, len(ids)*w)
	}
	for i, id := range ids {
		if inorms[i] == 0 {
			ix.deleteLocked(part, id)
			continue
		}
		p := ix.parts[part]
		if p == nil {
			p = &partition{pos: make(map[int64]int32, len(ids))}
			if len(ids) > 1 {
				p.ids = make([]int64, 0, len(ids))
				p.codes = make([]int8, 0, len(ids)*ix.dims)
				p.inorm = make([]float32, 0, len(ids))
				p.signs = make([]uint64, 0, len(ids)*w)
			}
			ix.parts[part] = p
		}
		sign := signs[i*w : (i+1)*w]
		j, ok := p.pos[id]
		if !ok {
			p.pos[id] = int32(len(p.ids))
			p.ids = append(p.ids, id)
			p.codes = append(p.codes, vecs[i]...)
			p.inorm = append(p.inorm, inorms[i])
			p.signs = append(p.signs, sign...)
			continue
		}
		p = ix.own(part, p)
		copy(p.codes[int(j)*ix.dims:], vecs[i])
		p.inorm[j] = inorms[i]
		copy(p.signs[int(j)*w:], sign)
	}
	return nil
}

// Delete removes ids from a partition; unknown ids are ignored.
func (ix *Index) Delete(part string, ids ...int64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.deleteLocked(part, ids...)
}

func (ix *Index) deleteLocked(part string, ids ...int64) {
	p := ix.parts[part]
	if p == nil {
		return
	}
	d, w := ix.dims, ix.words
	for _, id := range ids {
		i, ok := p.pos[id]
		if !ok {
			continue
		}
		p = ix.own(part, p)
		last := int32(len(p.ids) - 1)
		if i != last { // move the last vector into the hole
			p.ids[i] = p.ids[last]
			p.pos[p.ids[i]] = i
			copy(p.codes[int(i)*d:int(i+1)*d], p.codes[int(last)*d:])
			p.inorm[i] = p.inorm[last]
			copy(p.signs[int(i)*w:int(i+1)*w], p.signs[int(last)*w:])
		}
		delete(p.pos, id)
		p.ids = p.ids[:last]
		p.codes = p.codes[:int(last)*d]
		p.inorm = p.inorm[:last]
		p.signs = p.signs[:int(last)*w]
	}
	if len(p.ids) == 0 {
		delete(ix.parts, part)
	}
}

// DeletePart removes a whole partition (a deleted repository, or one
// re-indexed with a new model).
func (ix *Index) DeletePart(part string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	delete(ix.parts, part)
}

type searchScratch struct {
	dist          []uint16
	cand          []int32
	lut           []float32
	score, sorted []float32
}

// Search returns the k vectors of a partition most similar to q by
// cosine, best first (ties by id); k is capped at the shortlist size. A
// zero query, or one whose length is not Dims (check before, to tell the
// client), finds nothing.
func (ix *Index) Search(part string, q []float32, k int) []Hit {
	if len(q) != ix.dims {
		return nil
	}
	q8 := Quantize(q)
	var sq int64
	for _, x := range q8 {
		sq += int64(x) * int64(x)
	}
	if k <= 0 || sq == 0 {
		return nil
	}
	qinorm := 1 / math.Sqrt(float64(sq))
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	p := ix.parts[part]
	if p == nil {
		return nil
	}
	n := len(p.ids)
	s, _ := ix.scratch.Get().(*searchScratch)
	if s == nil {
		s = new(searchScratch)
	}
	defer ix.scratch.Put(s)

	cand := s.cand[:0]
	if n <= ix.shortlist {
		for i := range n {
			cand = append(cand, int32(i))
		}
	} else {
		qs, qrot := make([]uint64, ix.words), make([]float32, ix.pdims)
		ix.signCode(qs, qrot, nil, q)
		cand = ix.shortlistByHamming(p, qs, s, cand, min(n, widen*ix.shortlist))
		if len(cand) > ix.shortlist {
			cand = ix.refineAsymmetric(p, qrot, cand, s)
		}
	}
	s.cand = cand

	k = min(k, len(cand))
	top := make([]Hit, 0, k)
	d := ix.dims
	for _, i := range cand {
		code := p.codes[int(i)*d : int(i+1)*d]
		score := float32(float64(dot8(q8, code)) * qinorm * float64(p.inorm[i]))
		h := Hit{ID: p.ids[i], Score: score}
		if len(top) == k && !better(h, top[k-1]) {
			continue
		}
		// Insertion into the sorted top-k; k is small.
		j := len(top)
		if j == k {
			j--
		} else {
			top = append(top, Hit{})
		}
		for j > 0 && better(h, top[j-1]) {
			top[j] = top[j-1]
			j--
		}
		top[j] = h
	}
	return top
}

func better(a, b Hit) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.ID < b.ID
}

// widen is how many times the shortlist the Hamming scan keeps for the
// asymmetric estimate to narrow down.
const widen = 4

// shortlistByHamming returns the positions of the limit vectors whose
// sign codes are nearest to qs, using a histogram of distances to find the
// cut-off instead of sorting.
func (ix *Index) shortlistByHamming(p *partition, qs []uint64, s *searchScratch, cand []int32, limit int) []int32 {
	n := len(p.ids)
	if cap(s.dist) < n {
		s.dist = make([]uint16, n)
	}
	dist := s.dist[:n]
	hist := make([]int32, ix.pdims+1)
	switch ix.words {
	case 4:
		q0, q1, q2, q3 := qs[0], qs[1], qs[2], qs[3]
		signs := p.signs[:n*4]
		for i := range dist {
			c := signs[i*4 : i*4+4 : i*4+4]
			h := bits.OnesCount64(c[0]^q0) + bits.OnesCount64(c[1]^q1) + bits.OnesCount64(c[2]^q2) + bits.OnesCount64(c[3]^q3)
			dist[i] = uint16(h)
			hist[h]++
		}
	default:
		w := ix.words
		for i := range dist {
			h := 0
			for j, c := range p.signs[i*w : (i+1)*w] {
				h += bits.OnesCount64(c ^ qs[j])
			}
			dist[i] = uint16(h)
			hist[h]++
		}
	}
	// Everything below the cut-off distance, then as many at it as fit.
	var cut, below int32
	for cut = 0; int(cut) < len(hist); cut++ {
		if int(below+hist[cut]) >= limit {
			break
		}
		below += hist[cut]
	}
	room := int32(limit) - below
	for i, h := range dist {
		switch {
		case int32(h) < cut:
			cand = append(cand, int32(i))
		case int32(h) == cut && room > 0:
			cand = append(cand, int32(i))
			room--
		}
	}
	return cand
}

// refineAsymmetric narrows the candidates to ix.shortlist by the
// asymmetric estimate Σ q̃ⱼ·sign(x̃ⱼ): the rotated query at full precision
// against the stored sign bits, which is far less noisy than comparing
// sign bits with sign bits. Per-byte lookup tables make it 32 loads per
// candidate at 256 dimensions.
func (ix *Index) refineAsymmetric(p *partition, qrot []float32, cand []int32, s *searchScratch) []int32 {
	nb := ix.pdims / 8
	if cap(s.lut) < nb*256 {
		s.lut = make([]float32, nb*256)
	}
	lut := s.lut[:nb*256]
	for b := range nb {
		t, base := lut[b*256:(b+1)*256], qrot[b*8:b*8+8]
		t[0] = 0
		for v := 1; v < 256; v++ {
			t[v] = t[v&(v-1)] + base[bits.TrailingZeros8(uint8(v))]
		}
	}
	if cap(s.score) < len(cand) {
		s.score = make([]float32, len(cand))
	}
	score := s.score[:len(cand)]
	w := ix.words
	for c, i := range cand {
		var sum float32
		for j, word := range p.signs[int(i)*w : int(i+1)*w] {
			t := lut[j*8*256 : (j+1)*8*256 : (j+1)*8*256]
			sum += t[byte(word)] + t[256+int(byte(word>>8))] + t[512+int(byte(word>>16))] + t[768+int(byte(word>>24))] +
				t[1024+int(byte(word>>32))] + t[1280+int(byte(word>>40))] + t[1536+int(byte(word>>48))] + t[1792+int(byte(word>>56))]
		}
		score[c] = sum
	}
	// Cut-off: the ix.shortlist-th best estimate.
	if cap(s.sorted) < len(score) {
		s.sorted = make([]float32, len(score))
	}
	sorted := s.sorted[:len(score)]
	copy(sorted, score)
	cut := nthSmallest(sorted, len(sorted)-ix.shortlist)
	above := 0
	for _, v := range score {
		if v > cut {
			above++
		}
	}
	room := ix.shortlist - above
	out := cand[:0]
	for c, i := range cand {
		switch v := score[c]; {
		case v > cut:
			out = append(out, i)
		case v == cut && room > 0:
			out = append(out, i)
			room--
		}
	}
	return out
}

// nthSmallest returns the value that would be at index n if a were
// sorted (quickselect; a is reordered).
func nthSmallest(a []float32, n int) float32 {
	lo, hi := 0, len(a)-1
	for lo < hi {
		// Median of three as the pivot.
		mid := lo + (hi-lo)/2
		if a[mid] < a[lo] {
			a[mid], a[lo] = a[lo], a[mid]
		}
		if a[hi] < a[lo] {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if a[hi] < a[mid] {
			a[hi], a[mid] = a[mid], a[hi]
		}
		pivot := a[mid]
		i, j := lo, hi
		for i <= j {
			for a[i] < pivot {
				i++
			}
			for a[j] > pivot {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		switch {
		case n <= j:
			hi = j
		case n >= i:
			lo = i
		default:
			return a[n]
		}
	}
	return a[n]
}

// dot8 is the int8 dot product.
func dot8(a, b []int8) int32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 int32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += int32(a[i]) * int32(b[i])
		s1 += int32(a[i+1]) * int32(b[i+1])
		s2 += int32(a[i+2]) * int32(b[i+2])
		s3 += int32(a[i+3]) * int32(b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += int32(a[i]) * int32(b[i])
	}
	return s0 + s1 + s2 + s3
}

// signCode writes the sign bits of the randomly rotated vector (given as
// int8 q or float f), using x (ix.pdims long) as scratch. A random rotation spreads every direction's energy
// over all coordinates, so the fraction of differing bits estimates the
// angle between two vectors (as for random-hyperplane hashing), whatever
// the embedding's own coordinates look like.
func (ix *Index) signCode(dst []uint64, x []float32, q []int8, f []float32) {
	clear(x)
	if q != nil {
		for i, v := range q {
			x[i] = float32(v)
		}
	} else {
		copy(x, f)
	}
	for _, flip := range ix.flips {
		for i := range x {
			x[i] *= flip[i]
		}
		fwht(x)
	}
	clear(dst)
	for i, v := range x {
		if v > 0 {
			dst[i/64] |= 1 << (i % 64)
		}
	}
}

// fwht is the unnormalised fast Walsh–Hadamard transform in place;
// len(x) is a power of two.
func fwht(x []float32) {
	for h := 1; h < len(x); h *= 2 {
		for i := 0; i < len(x); i += 2 * h {
			a, b := x[i:i+h], x[i+h:i+2*h]
			for j := range a {
				a[j], b[j] = a[j]+b[j], a[j]-b[j]
			}
		}
	}
}

// Quantize returns vec scaled so that its largest component is ±127 and
// rounded to int8: the form the tenant database keeps as the source of
// truth. Cosine similarity ignores the scale, so no scale is kept; NaNs
// and infinities count as zero.
func Quantize(vec []float32) []int8 {
	var mx float64
	for _, x := range vec {
		if a := math.Abs(float64(x)); a > mx && !math.IsInf(a, 0) {
			mx = a
		}
	}
	q := make([]int8, len(vec))
	if mx == 0 {
		return q
	}
	s := 127 / mx
	for i, x := range vec {
		v := float64(x)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		q[i] = int8(math.Round(v * s))
	}
	return q
}

// Dequantize returns the unit-length float vector in the direction of q
// (the zero vector for a zero q).
func Dequantize(q []int8) []float32 {
	var sq float64
	for _, x := range q {
		sq += float64(x) * float64(x)
	}
	v := make([]float32, len(q))
	if sq == 0 {
		return v
	}
	inv := 1 / math.Sqrt(sq)
	for i, x := range q {
		v[i] = float32(float64(x) * inv)
	}
	return v
}
