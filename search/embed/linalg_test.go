package embed

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSymEigen checks A·v = λ·v and orthonormality for random symmetric
// matrices, including a rank-deficient one.
func TestSymEigen(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 5, 40, 120} {
		for _, rank := range []int{n, (n + 1) / 2} {
			b := make([]float64, n*rank)
			for i := range b {
				b[i] = rng.NormFloat64()
			}
			a := make([]float64, n*n)
			for i := range n {
				for j := range n {
					for k := range rank {
						a[i*n+j] += b[i*rank+k] * b[j*rank+k]
					}
					if i == j {
						a[i*n+j] -= 3 // indefinite
					}
				}
			}
			vals, vecs := symEigen(a, n)
			for j := range n {
				for i := range n {
					var av float64
					for k := range n {
						av += a[i*n+k] * vecs[k*n+j]
					}
					if d := math.Abs(av - vals[j]*vecs[i*n+j]); d > 1e-8*float64(n) {
						t.Fatalf("n=%d rank=%d: residual %g", n, rank, d)
					}
				}
				for k := range n {
					var dot float64
					for i := range n {
						dot += vecs[i*n+j] * vecs[i*n+k]
					}
					want := 0.0
					if j == k {
						want = 1
					}
					if math.Abs(dot-want) > 1e-9 {
						t.Fatalf("n=%d: vectors %d,%d dot %g", n, j, k, dot)
					}
				}
			}
		}
	}
}
