package vector

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestNthSmallest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{1, 2, 3, 10, 100, 1001} {
		for _, distinct := range []int{2, 5, 1 << 30} {
			a := make([]float32, n)
			for i := range a {
				a[i] = float32(rng.IntN(distinct))
			}
			sorted := slices.Sorted(slices.Values(a))
			for _, k := range []int{0, n / 3, n / 2, n - 1} {
				if got := nthSmallest(slices.Clone(a), k); got != sorted[k] {
					t.Fatalf("n=%d k=%d: got %v want %v", n, k, got, sorted[k])
				}
			}
		}
	}
}
