package embed

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
)

// Embedder turns text into a vector. Vectors of different embedders (or
// of models trained on different repositories) are not comparable.
type Embedder interface {
	Embed(text string) []float32
	Dims() int
}

// Model is a trained per-repository embedding model: a vocabulary with a
// SIF weight and an int8-quantised vector per token. It is safe for
// concurrent use.
type Model struct {
	dims    int
	stem    bool // tokens are stems (Stem): format version 2
	words   []string
	index   map[string]int32
	weights []float32 // SIF weight per token
	scales  []float32 // dequantisation scale per token vector
	vecs    []int8    // len(words) × dims

	// sif is the a of the weights a/(a+share) and rarest the largest
	// Rarity of the vocabulary (setRarity).
	sif, rarest float64
}

var _ Embedder = (*Model)(nil)

// Dims returns the vector dimension.
func (m *Model) Dims() int { return m.dims }

// Vocabulary returns the number of tokens the model knows.
func (m *Model) Vocabulary() int { return len(m.words) }

// Embed returns the L2-normalised, SIF-weighted mean of the vectors of
// text's tokens, or the zero vector when none of them is in the
// vocabulary.
func (m *Model) Embed(text string) []float32 {
	v, _ := m.Vector(text)
	return v
}

// Vector is Embed that also reports whether any token of text was in the
// vocabulary; when ok is false the vector is zero and should not be
// indexed or searched with.
func (m *Model) Vector(text string) (vec []float32, ok bool) {
	out := make([]float32, m.dims)
	// Gather token ids first: a symbol's body repeats its tokens, and each
	// distinct one then costs a single pass over the dimensions.
	var idsBuf [128]int32
	ids := idsBuf[:0]
	var buf [64]byte
	tokenize(text, buf[:0], func(tok []byte) {
		if m.stem {
			tok = stem(tok)
		}
		if i, found := m.index[string(tok)]; found {
			ids = append(ids, i)
		}
	})
	if len(ids) == 0 {
		return out, false
	}
	slices.Sort(ids)
	for s := 0; s < len(ids); {
		i, e := ids[s], s+1
		for e < len(ids) && ids[e] == i {
			e++
		}
		a := float32(e-s) * m.weights[i] * m.scales[i]
		s = e
		row := m.vecs[int(i)*m.dims : int(i+1)*m.dims]
		row = row[:len(out)]
		for d, q := range row {
			out[d] += a * float32(q)
		}
	}
	return out, normalize(out) != 0
}

// setVectors quantises unit-length token vectors to int8 with a scale per
// token.
func (m *Model) setVectors(u *dense) {
	V := len(m.words)
	m.vecs = make([]int8, V*m.dims)
	m.scales = make([]float32, V)
	for i := range V {
		row := u.row(i)
		var mx float32
		for _, x := range row {
			mx = max(mx, abs32(x))
		}
		if mx == 0 {
			continue
		}
		m.scales[i] = mx / 127
		inv := 127 / mx
		q := m.vecs[i*m.dims : (i+1)*m.dims]
		for d, x := range row {
			q[d] = int8(math.Round(float64(x * inv)))
		}
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// Binary format, little-endian:
//
//	"OPTIQEMB" | version u16 (1 or 2) | dims u32 | tokens u32 |
//	tokens × (len uvarint | token bytes | SIF weight f32 | scale f32 | dims × int8) |
//	CRC-32C (Castagnoli) of all preceding bytes u32
//
// Version 2 models hold stems: a text's tokens are stemmed (Stem) before
// they are looked up. Version 1 models hold tokens as Tokenize returns them.
//
// A second implementation (the web UI, to embed queries in the browser)
// would decode the same format;
// testdata/golden.json and golden-stemmed.json (small models of both
// versions, texts, their tokens and vectors) are the conformance fixtures
// for it.
const (
	modelMagic   = "OPTIQEMB"
	modelVersion = 1 // unstemmed tokens
	stemVersion  = 2 // stemmed tokens
	maxDims      = 4096
	maxTokenRaw  = 255
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MarshalBinary encodes the model compactly (about dims+14 bytes per
// token).
func (m *Model) MarshalBinary() ([]byte, error) {
	n := len(modelMagic) + 2 + 4 + 4 + 4
	for _, w := range m.words {
		n += binary.MaxVarintLen16 + len(w) + 8 + m.dims
	}
	b := make([]byte, 0, n)
	b = append(b, modelMagic...)
	version := uint16(modelVersion)
	if m.stem {
		version = stemVersion
	}
	b = binary.LittleEndian.AppendUint16(b, version)
	b = binary.LittleEndian.AppendUint32(b, uint32(m.dims))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.words)))
	for i, w := range m.words {
		b = binary.AppendUvarint(b, uint64(len(w)))
		b = append(b, w...)
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(m.weights[i]))
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(m.scales[i]))
		for _, q := range m.vecs[i*m.dims : (i+1)*m.dims] {
			b = append(b, byte(q))
		}
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	return b, nil
}

// ErrCorrupt reports a model or index encoding that fails its checks.
var ErrCorrupt = errors.New("embed: corrupt model encoding")

// UnmarshalBinary decodes a model written by MarshalBinary, checking the
// checksum and every length before trusting it.
func (m *Model) UnmarshalBinary(data []byte) error {
	corrupt := func(why string) error { return fmt.Errorf("%w: %s", ErrCorrupt, why) }
	head := len(modelMagic) + 2 + 4 + 4
	if len(data) < head+4 || string(data[:len(modelMagic)]) != modelMagic {
		return corrupt("not a model")
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return corrupt("checksum mismatch")
	}
	p := body[len(modelMagic):]
	version := binary.LittleEndian.Uint16(p)
	if version != modelVersion && version != stemVersion {
		return corrupt(fmt.Sprintf("unknown version %d", version))
	}
	dims := int(binary.LittleEndian.Uint32(p[2:]))
	V := int(binary.LittleEndian.Uint32(p[6:]))
	p = p[10:]
	if dims < 1 || dims > maxDims {
		return corrupt("bad dimension")
	}
	if V > len(p)/(dims+10) {
		return corrupt("token count exceeds data")
	}
	out := Model{
		dims:    dims,
		stem:    version == stemVersion,
		words:   make([]string, V),
		index:   make(map[string]int32, V),
		weights: make([]float32, V),
		scales:  make([]float32, V),
		vecs:    make([]int8, V*dims),
	}
	for i := range V {
		l, n := binary.Uvarint(p)
		if n <= 0 || l == 0 || l > maxTokenRaw || uint64(len(p)-n) < l+8+uint64(dims) {
			return corrupt("bad token")
		}
		p = p[n:]
		w := string(p[:l])
		p = p[l:]
		if _, dup := out.index[w]; dup {
			return corrupt("duplicate token")
		}
		out.words[i], out.index[w] = w, int32(i)
		out.weights[i] = math.Float32frombits(binary.LittleEndian.Uint32(p))
		out.scales[i] = math.Float32frombits(binary.LittleEndian.Uint32(p[4:]))
		if !finiteNonNeg(out.weights[i]) || !finiteNonNeg(out.scales[i]) {
			return corrupt("bad weight")
		}
		p = p[8:]
		for d := range dims {
			out.vecs[i*dims+d] = int8(p[d])
		}
		p = p[dims:]
	}
	if len(p) != 0 {
		return corrupt("trailing bytes")
	}
	out.setRarity()
	*m = out
	return nil
}

func finiteNonNeg(f float32) bool {
	return f >= 0 && !math.IsInf(float64(f), 0) && !math.IsNaN(float64(f))
}

// HeadWeight is the share of a symbol's vector that comes from its head
// (name, container, signature, doc comment) in SymbolVector; the rest comes
// from its body, whose many tokens would otherwise drown what the symbol
// says about itself.
const HeadWeight = 0.5

// SymbolVector embeds a symbol from its head and its body separately and
// mixes the two directions (HeadWeight), normalised. ok is false when
// neither has a word the model knows.
func (m *Model) SymbolVector(head, body string) (vec []float32, ok bool) {
	h, hok := m.Vector(head)
	b, bok := m.Vector(body)
	switch {
	case !hok && !bok:
		return h, false
	case !bok:
		return h, true
	case !hok:
		return b, true
	}
	var norm float64
	for i := range h {
		h[i] = HeadWeight*h[i] + (1-HeadWeight)*b[i]
		norm += float64(h[i]) * float64(h[i])
	}
	if norm > 0 {
		inv := float32(1 / math.Sqrt(norm))
		for i := range h {
			h[i] *= inv
		}
	}
	return h, true
}

// Rarity is how rare word is in the text the model's word frequencies
// come from, on the scale of BM25's inverse document frequency: −log of
// its share of all tokens, recovered from its SIF weight w = a/(a+share).
// A word the model does not know is rarer than any it knows and gets the
// vocabulary's largest rarity. word is a token as Tokenize returns it
// (stemmed here for a model of stems).
func (m *Model) Rarity(word string) float64 {
	if m.stem {
		word = Stem(word)
	}
	i, ok := m.index[word]
	if !ok {
		return m.rarest
	}
	return m.rarity(m.weights[i])
}

func (m *Model) rarity(w float32) float64 {
	if w <= 0 || m.sif <= 0 {
		return 0
	}
	w = min(w, math.Nextafter32(1, 0))
	return max(-math.Log(m.sif*(1/float64(w)-1)), 0)
}

// setRarity finds the a of the model's SIF weights: the shares a(1−w)/w of
// the vocabulary add up to about 1 (trained models count the vocabulary's
// tokens among all, side-loaded ones estimate shares that add up to 1), so
// a = 1/Σ(1−w)/w. The a used to make them is not stored in the model file.
func (m *Model) setRarity() {
	var sum float64
	var heaviest float32
	for _, w := range m.weights {
		if w > 0 && w < 1 {
			sum += (1 - float64(w)) / float64(w)
		}
		heaviest = max(heaviest, w)
	}
	m.sif = 0
	if sum > 0 {
		m.sif = 1 / sum
	}
	m.rarest = m.rarity(heaviest)
}
