package embed

import (
	"cmp"
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"sync"
)

// Options tune training. The zero value of a field means its default.
type Options struct {
	Dims        int     // vector dimensions (default 256); a model always embeds to this many, zero-padded when the corpus has less rank
	Window      int     // co-occurrence window, tokens on each side (default 5); pairs are weighted 1/distance
	MaxVocab    int     // tokens kept, most frequent first (default 30000, at most 65535)
	MinCount    int     // tokens seen fewer times are ignored (default 3)
	MinPair     float64 // weighted co-occurrence counts below this are dropped before PPMI (default 1)
	PowerIters  int     // power iterations of the randomised SVD (default 1)
	Oversample  int     // extra random directions of the randomised SVD (default 8)
	Workers     int     // parallelism (default GOMAXPROCS)
	Seed        uint64  // random seed; training is deterministic for the same documents added in the same order
	SmoothAlpha float64 // context-distribution smoothing exponent for PPMI (default 0.75)
	MaxTokens   int     // tokens kept for training (default 50M, about 600 MB of source); later documents are ignored, bounding memory on huge repositories
	Unstemmed   bool    // train on tokens as Tokenize returns them (a version 1 model) instead of their stems
	EigenPower  float64 // singular-value weighting of the token vectors, U·Σ^p (default 0: unweighted, which retrieves best; Levy, Goldberg and Dagan 2015 found the same)
}

func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Dims, 256)
	def(&o.Window, 5)
	def(&o.MaxVocab, 30000)
	def(&o.MinCount, 3)
	def(&o.PowerIters, 1)
	def(&o.Oversample, 8)
	def(&o.Workers, runtime.GOMAXPROCS(0))
	def(&o.MaxTokens, 50_000_000)
	if o.MaxVocab > maxVocab {
		o.MaxVocab = maxVocab
	}
	if o.MinPair <= 0 {
		o.MinPair = 1
	}
	if o.SmoothAlpha <= 0 {
		o.SmoothAlpha = 0.75
	}
	if o.EigenPower < 0 {
		o.EigenPower = 0
	}
	return o
}

// maxVocab keeps token ids in 16 bits, so a co-occurrence pair packs into
// one uint32 key.
const maxVocab = 65535

// docSep separates documents in the token stream.
const docSep = math.MaxUint32

// Trainer accumulates a repository's symbol texts and trains a Model from
// them. Add is safe for concurrent use; Train must not run concurrently
// with Add.
type Trainer struct {
	opts Options

	mu     sync.Mutex
	ids    map[string]uint32
	words  []string
	counts []uint64
	stream []uint32 // token ids of every document, each followed by docSep
	docs   int
}

// NewTrainer returns an empty trainer.
func NewTrainer(opts Options) *Trainer {
	return &Trainer{opts: opts.withDefaults(), ids: map[string]uint32{}}
}

// tokenScratch holds one document's tokens between tokenising (done
// without the lock) and interning (under it).
type tokenScratch struct {
	arena []byte
	ends  []int
	buf   []byte
}

var scratchPool = sync.Pool{New: func() any { return new(tokenScratch) }}

// Add adds one document: a symbol's text (name, container, signature,
// doc comment, body) or any other unit within which tokens are related.
// Co-occurrence windows never cross documents. Once Options.MaxTokens
// tokens are held, further documents are ignored.
func (t *Trainer) Add(doc string) {
	s := scratchPool.Get().(*tokenScratch)
	s.arena, s.ends = s.arena[:0], s.ends[:0]
	s.buf = tokenize(doc, s.buf, func(tok []byte) {
		if !t.opts.Unstemmed {
			tok = stem(tok)
		}
		s.arena = append(s.arena, tok...)
		s.ends = append(s.ends, len(s.arena))
	})
	t.mu.Lock()
	if len(t.stream)-t.docs+len(s.ends) > t.opts.MaxTokens {
		t.mu.Unlock()
		scratchPool.Put(s)
		return
	}
	start := 0
	for _, end := range s.ends {
		tok := s.arena[start:end]
		start = end
		id, ok := t.ids[string(tok)]
		if !ok {
			id = uint32(len(t.words))
			w := string(tok)
			t.ids[w] = id
			t.words = append(t.words, w)
			t.counts = append(t.counts, 0)
		}
		t.counts[id]++
		t.stream = append(t.stream, id)
	}
	t.stream = append(t.stream, docSep)
	t.docs++
	t.mu.Unlock()
	scratchPool.Put(s)
}

// Tokens reports how many tokens have been added.
func (t *Trainer) Tokens() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.stream) - t.docs
}

// ErrEmptyCorpus is returned by Train when too few tokens were added to
// learn anything.
var ErrEmptyCorpus = errors.New("embed: corpus too small to train a model")

// Train builds the model: vocabulary, windowed co-occurrence counts, PPMI
// weighting and a truncated SVD of the PPMI matrix. It checks ctx between
// stages.
func (t *Trainer) Train(ctx context.Context) (*Model, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	o := t.opts

	// Vocabulary: most frequent first, ties by word so the result does not
	// depend on the order documents arrived in.
	var cand []uint32
	for id, c := range t.counts {
		if c >= uint64(o.MinCount) {
			cand = append(cand, uint32(id))
		}
	}
	slices.SortFunc(cand, func(a, b uint32) int {
		if c := cmp.Compare(t.counts[b], t.counts[a]); c != 0 {
			return c
		}
		return cmp.Compare(t.words[a], t.words[b])
	})
	if len(cand) > o.MaxVocab {
		cand = cand[:o.MaxVocab]
	}
	if len(cand) < 2 {
		return nil, ErrEmptyCorpus
	}
	V := len(cand)
	remap := make([]int32, len(t.words))
	for i := range remap {
		remap[i] = -1
	}
	words := make([]string, V)
	freq := make([]float64, V)
	var total float64
	for n, id := range cand {
		remap[id] = int32(n)
		words[n] = t.words[id]
		freq[n] = float64(t.counts[id])
		total += freq[n]
	}
	// The stream in vocabulary ids; tokens outside the vocabulary are
	// removed, so the window spans the kept tokens.
	stream := make([]uint16, 0, len(t.stream))
	for _, id := range t.stream {
		switch {
		case id == docSep:
			if len(stream) > 0 && stream[len(stream)-1] != sep16 {
				stream = append(stream, sep16)
			}
		case remap[id] >= 0:
			stream = append(stream, uint16(remap[id]))
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	ppmi := cooccurrencePPMI(stream, V, o)
	if ppmi.rowPtr[V] == 0 { // no token pair co-occurs more than chance
		return nil, ErrEmptyCorpus
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	vecs, err := embedRows(ctx, ppmi, o)
	if err != nil {
		return nil, err
	}

	m := &Model{dims: o.Dims, stem: !o.Unstemmed, words: words, index: make(map[string]int32, V)}
	for i, w := range words {
		m.index[w] = int32(i)
	}
	// SIF weights (Arora et al. 2017): frequent tokens count for less in a
	// text's vector.
	m.weights = make([]float32, V)
	for i := range words {
		m.weights[i] = float32(trainSIF / (trainSIF + freq[i]/total))
	}
	m.setVectors(vecs)
	m.setRarity()
	return m, nil
}

// trainSIF is the a of the SIF weights a/(a+share) of trained models. Stop
// words are already gone, so a gentler weighting than the paper's 1e-3
// retrieves best (doc-sentence → code MRR 0.45 at 1e-3, 0.48 at 1e-2, no
// better beyond).
const trainSIF = 1e-2

const sep16 = math.MaxUint16

// csr is a sparse symmetric matrix in compressed rows.
type csr struct {
	n      int
	rowPtr []int64
	col    []uint16
	val    []float32
}

// cooccurrencePPMI counts weighted co-occurrences within the window and
// returns the positive PMI matrix. Counting is split across workers by a
// hash of the pair, so each worker owns a disjoint set of pairs and the
// counts do not depend on scheduling.
func cooccurrencePPMI(stream []uint16, V int, o Options) *csr {
	W := o.Workers
	tables := make([]*pairTable, W)
	var wg sync.WaitGroup
	for w := range W {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tab := newPairTable(1 << 16)
			var inv [64]float32
			for d := 1; d < len(inv); d++ {
				inv[d] = 1 / float32(d)
			}
			for p, a := range stream {
				if a == sep16 {
					continue
				}
				for d := 1; d <= o.Window && d <= p; d++ {
					b := stream[p-d]
					if b == sep16 {
						break
					}
					if a == b {
						continue
					}
					lo, hi := a, b
					if lo > hi {
						lo, hi = hi, lo
					}
					key := uint32(lo)<<16 | uint32(hi)
					if int(mix32(key)%uint32(W)) != w {
						continue
					}
					wt := float32(1) / float32(d)
					if d < len(inv) {
						wt = inv[d]
					}
					tab.add(key, wt)
				}
			}
			tables[w] = tab
		}()
	}
	wg.Wait()

	// Marginals over the kept pairs.
	rowSum := make([]float64, V)
	var total float64
	for _, tab := range tables {
		for i, k := range tab.keys {
			if k == 0 {
				continue
			}
			c := float64(tab.vals[i])
			if c < o.MinPair {
				continue
			}
			rowSum[k>>16] += c
			rowSum[k&0xffff] += c
			total += 2 * c
		}
	}
	// Symmetric PMI with context-distribution smoothing on one side,
	// averaged over both directions: log P(i,j) − g(i) − g(j) with
	// g = ½(log P + log Pα).
	var zAlpha float64
	for _, s := range rowSum {
		if s > 0 {
			zAlpha += math.Pow(s, o.SmoothAlpha)
		}
	}
	g := make([]float64, V)
	for i, s := range rowSum {
		if s > 0 {
			g[i] = 0.5*(math.Log(s/total)) + 0.5*(o.SmoothAlpha*math.Log(s)-math.Log(zAlpha))
		}
	}
	logTotal := math.Log(total)
	pmi := func(k uint32, c float32) float32 {
		return float32(math.Log(float64(c)) - logTotal - g[k>>16] - g[k&0xffff])
	}

	m := &csr{n: V, rowPtr: make([]int64, V+1)}
	for _, tab := range tables {
		for i, k := range tab.keys {
			if k == 0 || float64(tab.vals[i]) < o.MinPair {
				continue
			}
			if pmi(k, tab.vals[i]) > 0 {
				m.rowPtr[k>>16+1]++
				m.rowPtr[k&0xffff+1]++
			}
		}
	}
	for i := range V {
		m.rowPtr[i+1] += m.rowPtr[i]
	}
	nnz := m.rowPtr[V]
	m.col = make([]uint16, nnz)
	m.val = make([]float32, nnz)
	fill := slices.Clone(m.rowPtr[:V])
	for _, tab := range tables {
		for i, k := range tab.keys {
			if k == 0 || float64(tab.vals[i]) < o.MinPair {
				continue
			}
			v := pmi(k, tab.vals[i])
			if v <= 0 {
				continue
			}
			a, b := k>>16, k&0xffff
			m.col[fill[a]], m.val[fill[a]] = uint16(b), v
			fill[a]++
			m.col[fill[b]], m.val[fill[b]] = uint16(a), v
			fill[b]++
		}
	}
	return m
}

// pairTable is an open-addressing hash table from a packed token pair
// (never 0: the pair's two ids differ) to its weighted count.
type pairTable struct {
	keys  []uint32
	vals  []float32
	shift uint
	n     int
}

func newPairTable(size int) *pairTable {
	return &pairTable{keys: make([]uint32, size), vals: make([]float32, size), shift: uint(32 - log2(size))}
}

func log2(n int) int {
	l := 0
	for 1<<l < n {
		l++
	}
	return l
}

func mix32(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

func (t *pairTable) add(key uint32, w float32) {
	mask := uint32(len(t.keys) - 1)
	i := (key * 0x9E3779B1) >> t.shift
	for {
		k := t.keys[i]
		if k == key {
			t.vals[i] += w
			return
		}
		if k == 0 {
			t.keys[i], t.vals[i] = key, w
			t.n++
			if t.n*2 > len(t.keys) {
				t.grow()
			}
			return
		}
		i = (i + 1) & mask
	}
}

func (t *pairTable) grow() {
	old := *t
	*t = *newPairTable(len(old.keys) * 2)
	mask := uint32(len(t.keys) - 1)
	for j, k := range old.keys {
		if k == 0 {
			continue
		}
		i := (k * 0x9E3779B1) >> t.shift
		for t.keys[i] != 0 {
			i = (i + 1) & mask
		}
		t.keys[i], t.vals[i] = k, old.vals[j]
		t.n++
	}
}
