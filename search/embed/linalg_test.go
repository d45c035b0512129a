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

// TestOrthonormalize checks QᵀQ = I and that Q spans X, with a dependent
// column dropped.
func TestOrthonormalize(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := newDense(500, 12)
	for i := range x.data {
		x.data[i] = float32(rng.NormFloat64())
	}
	for i := range x.rows { // column 5 = column 1 + 2·column 3
		r := x.row(i)
		r[5] = r[1] + 2*r[3]
	}
	q := orthonormalize(x, 2)
	if q.cols != 11 {
		t.Fatalf("%d columns, want 11", q.cols)
	}
	g := atb(q, q, true, 2)
	for i := range q.cols {
		for j := range q.cols {
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(g[i*q.cols+j]-want) > 1e-4 {
				t.Fatalf("QᵀQ[%d,%d] = %g", i, j, g[i*q.cols+j])
			}
		}
	}
	// X = Q(QᵀX): every column of X lies in Q's span.
	c := atb(q, x, false, 2)
	for i := range x.rows {
		for j := range x.cols {
			var v float64
			for k := range q.cols {
				v += float64(q.row(i)[k]) * c[k*x.cols+j]
			}
			if math.Abs(v-float64(x.row(i)[j])) > 1e-3 {
				t.Fatalf("X[%d,%d] = %g, projection %g", i, j, x.row(i)[j], v)
			}
		}
	}
}
