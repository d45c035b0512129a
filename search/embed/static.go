package embed

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Static is a side-loaded static embeddings model (word2vec or GloVe text
// format), for sites that have a better model than one trained on a
// single repository. It is safe for concurrent use.
type Static struct {
	m Model
}

var _ Embedder = (*Static)(nil)

// maxStaticDims bounds the vector size LoadStatic accepts.
const maxStaticDims = maxDims

// LoadStatic reads static embeddings in the word2vec text format (an
// optional "count dims" header line, then one "word v1 … vd" line per
// word) or the GloVe format (the same without the header). Words are
// lower-cased to match Tokenize; when two words fold to the same form the
// first is kept. Both formats list words most frequent first, so the
// rank stands in for the frequency in the SIF weights (a Zipf estimate).
// Vectors are stored int8-quantised.
func LoadStatic(r io.Reader) (*Static, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var (
		words []string
		rows  [][]float32
		seen  = map[string]bool{}
		dims  = -1
		line  int
	)
	for sc.Scan() {
		line++
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if line == 1 && len(fields) == 2 {
			if _, err := strconv.Atoi(fields[0]); err == nil {
				if d, err := strconv.Atoi(fields[1]); err == nil {
					if d < 1 || d > maxStaticDims {
						return nil, fmt.Errorf("embed: static embeddings header: bad dimension %d", d)
					}
					dims = d
					continue
				}
			}
		}
		if dims < 0 {
			dims = len(fields) - 1
			if dims < 1 || dims > maxStaticDims {
				return nil, fmt.Errorf("embed: static embeddings line %d: bad dimension %d", line, dims)
			}
		}
		if len(fields) != dims+1 {
			return nil, fmt.Errorf("embed: static embeddings line %d: %d values, want %d", line, len(fields)-1, dims)
		}
		w := string(appendLower(nil, fields[0]))
		if len(w) > maxTokenRaw || seen[w] {
			continue
		}
		row := make([]float32, dims)
		for i, f := range fields[1:] {
			v, err := strconv.ParseFloat(f, 32)
			if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
				return nil, fmt.Errorf("embed: static embeddings line %d: bad value %q", line, f)
			}
			row[i] = float32(v)
		}
		normalize(row)
		seen[w] = true
		words = append(words, w)
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("embed: reading static embeddings: %w", err)
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("embed: static embeddings: no vectors")
	}
	s := &Static{m: Model{dims: dims, words: words, index: make(map[string]int32, len(words))}}
	u := newDense(len(words), dims)
	h := math.Log(float64(len(words))) + 0.5772 // harmonic number: Zipf normaliser
	const sifA = 1e-3
	s.m.weights = make([]float32, len(words))
	for i, w := range words {
		s.m.index[w] = int32(i)
		copy(u.row(i), rows[i])
		p := 1 / (float64(i+1) * h)
		s.m.weights[i] = float32(sifA / (sifA + p))
	}
	s.m.setVectors(u)
	s.m.setRarity()
	return s, nil
}

// Dims returns the vector dimension.
func (s *Static) Dims() int { return s.m.dims }

// Embed returns the L2-normalised, SIF-weighted mean of the vectors of
// text's tokens, or the zero vector when none is known.
func (s *Static) Embed(text string) []float32 { return s.m.Embed(text) }

// Vector is Embed that also reports whether any token was known.
func (s *Static) Vector(text string) ([]float32, bool) { return s.m.Vector(text) }

// Model returns the static embeddings as a Model, which marshals, seals
// and embeds like a trained one (the CLI stores a side-loaded model on the
// server the same way).
func (s *Static) Model() *Model { return &s.m }
