package embed

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
)

// dense is a row-major float32 matrix.
type dense struct {
	rows, cols int
	data       []float32
}

func newDense(rows, cols int) *dense {
	return &dense{rows: rows, cols: cols, data: make([]float32, rows*cols)}
}

func (d *dense) row(i int) []float32 { return d.data[i*d.cols : (i+1)*d.cols] }

// parallelRows runs fn over [0,n) split into contiguous ranges, one per
// worker. Each output row is written by exactly one worker, so results do
// not depend on scheduling.
func parallelRows(n, workers int, fn func(lo, hi int)) {
	if workers < 1 {
		workers = 1
	}
	if workers > n {
		workers = max(n, 1)
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}

// axpy computes y += a·x.
func axpy(y, x []float32, a float32) {
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		y[i] += a * x[i]
		y[i+1] += a * x[i+1]
		y[i+2] += a * x[i+2]
		y[i+3] += a * x[i+3]
	}
	for ; i < len(x); i++ {
		y[i] += a * x[i]
	}
}

// axpy64 computes y += a·x in float64.
func axpy64(y, x []float64, a float64) {
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		y[i] += a * x[i]
		y[i+1] += a * x[i+1]
		y[i+2] += a * x[i+2]
		y[i+3] += a * x[i+3]
	}
	for ; i < len(x); i++ {
		y[i] += a * x[i]
	}
}

// spmm returns M·X for the sparse M.
func spmm(m *csr, x *dense, workers int) *dense {
	y := newDense(m.n, x.cols)
	parallelRows(m.n, workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			yr := y.row(i)
			for p := m.rowPtr[i]; p < m.rowPtr[i+1]; p++ {
				axpy(yr, x.row(int(m.col[p])), m.val[p])
			}
		}
	})
	return y
}

// atb returns Aᵀ·B (a.cols × b.cols) in float64; with sym set the result
// is known to be symmetric (AᵀA, or QᵀMQ for a symmetric M), so only the
// upper triangle is accumulated, then mirrored.
func atb(a, b *dense, sym bool, workers int) []float64 {
	ca, cb := a.cols, b.cols
	var mu sync.Mutex
	type part struct {
		lo  int
		acc []float64
	}
	var parts []part
	parallelRows(a.rows, workers, func(lo, hi int) {
		acc := make([]float64, ca*cb)
		ra, rb := make([]float64, ca), make([]float64, cb)
		for i := lo; i < hi; i++ {
			for j, v := range a.row(i) {
				ra[j] = float64(v)
			}
			for j, v := range b.row(i) {
				rb[j] = float64(v)
			}
			for p, v := range ra {
				if v == 0 {
					continue
				}
				if sym {
					axpy64(acc[p*cb+p:(p+1)*cb], rb[p:], v)
				} else {
					axpy64(acc[p*cb:(p+1)*cb], rb, v)
				}
			}
		}
		mu.Lock()
		parts = append(parts, part{lo, acc})
		mu.Unlock()
	})
	out := make([]float64, ca*cb)
	// Sum in row order so the rounding does not depend on scheduling.
	slices.SortFunc(parts, func(x, y part) int { return x.lo - y.lo })
	for _, p := range parts {
		for i, v := range p.acc {
			out[i] += v
		}
	}
	if sym {
		for p := range ca {
			for q := p + 1; q < ca; q++ {
				out[q*cb+p] = out[p*cb+q]
			}
		}
	}
	return out
}

// mulSmall returns X·T for a small row-major T (x.cols × cols).
func mulSmall(x *dense, t []float32, cols, workers int) *dense {
	y := newDense(x.rows, cols)
	parallelRows(x.rows, workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			yr := y.row(i)
			for a, v := range x.row(i) {
				if v != 0 {
					axpy(yr, t[a*cols:(a+1)*cols], v)
				}
			}
		}
	})
	return y
}

// orthonormalize returns an orthonormal basis of X's column space by
// Cholesky QR: X = QR with RᵀR the Cholesky factor of the Gram matrix
// XᵀX, so Q = XR⁻¹. Columns that are numerically dependent on earlier
// ones are dropped (a small corpus has less rank than asked for).
func orthonormalize(x *dense, workers int) *dense {
	c := x.cols
	g := atb(x, x, true, workers)
	r := make([]float64, c*c) // upper triangular, row-major
	var keep []int
	for j := range c {
		d := g[j*c+j]
		for _, k := range keep {
			d -= r[k*c+j] * r[k*c+j]
		}
		// A column whose part independent of the earlier ones is below
		// float32 precision is noise, not a direction.
		if !(d > 1e-8*g[j*c+j]) || d <= 0 {
			continue
		}
		rjj := math.Sqrt(d)
		r[j*c+j] = rjj
		for m := j + 1; m < c; m++ {
			v := g[j*c+m]
			for _, k := range keep {
				v -= r[k*c+j] * r[k*c+m]
			}
			r[j*c+m] = v / rjj
		}
		keep = append(keep, j)
	}
	// Q = X·R⁻¹ over the kept columns, by forward substitution per row:
	// q_j = (x_j − Σ_{k<j} q_k R_kj) / R_jj.
	nk := len(keep)
	inv := make([]float64, nk)
	coef := make([]float32, nk*nk) // coef[a*nk+b] = R[keep[a], keep[b]], a < b
	for a, ka := range keep {
		inv[a] = 1 / r[ka*c+ka]
		for b := a + 1; b < nk; b++ {
			coef[a*nk+b] = float32(r[ka*c+keep[b]])
		}
	}
	q := newDense(x.rows, nk)
	parallelRows(x.rows, workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			xr, qr := x.row(i), q.row(i)
			for a, ka := range keep {
				qr[a] = xr[ka]
			}
			for a := range nk {
				qr[a] *= float32(inv[a])
				if v := qr[a]; v != 0 && a+1 < nk {
					axpy(qr[a+1:], coef[a*nk+a+1:(a+1)*nk], -v)
				}
			}
		}
	})
	return q
}

// symEigen diagonalises the symmetric n×n matrix a (row-major) by
// Householder reduction to tridiagonal form and the implicit QL method
// (tred2 and tql2 of EISPACK, as in JAMA). It returns the eigenvalues and
// the eigenvectors as the columns of a row-major n×n matrix.
func symEigen(a []float64, n int) ([]float64, []float64) {
	v := slices.Clone(a[:n*n])
	d, e := make([]float64, n), make([]float64, n)
	if n == 0 {
		return d, v
	}
	at := func(i, j int) *float64 { return &v[i*n+j] }
	tred2(v, d, e, n, at)
	tql2(v, d, e, n, at)
	return d, v
}

func tred2(v, d, e []float64, n int, at func(i, j int) *float64) {
	for j := range n {
		d[j] = *at(n-1, j)
	}
	for i := n - 1; i > 0; i-- {
		scale, h := 0.0, 0.0
		for k := range i {
			scale += math.Abs(d[k])
		}
		if scale == 0 {
			e[i] = d[i-1]
			for j := range i {
				d[j] = *at(i-1, j)
				*at(i, j) = 0
				*at(j, i) = 0
			}
		} else {
			for k := range i {
				d[k] /= scale
				h += d[k] * d[k]
			}
			f := d[i-1]
			g := math.Sqrt(h)
			if f > 0 {
				g = -g
			}
			e[i] = scale * g
			h -= f * g
			d[i-1] = f - g
			for j := range i {
				e[j] = 0
			}
			for j := range i {
				f = d[j]
				*at(j, i) = f
				g = e[j] + *at(j, j)*f
				for k := j + 1; k <= i-1; k++ {
					g += *at(k, j) * d[k]
					e[k] += *at(k, j) * f
				}
				e[j] = g
			}
			f = 0
			for j := range i {
				e[j] /= h
				f += e[j] * d[j]
			}
			hh := f / (h + h)
			for j := range i {
				e[j] -= hh * d[j]
			}
			for j := range i {
				f, g = d[j], e[j]
				for k := j; k <= i-1; k++ {
					*at(k, j) -= f*e[k] + g*d[k]
				}
				d[j] = *at(i-1, j)
				*at(i, j) = 0
			}
		}
		d[i] = h
	}
	for i := 0; i < n-1; i++ {
		*at(n-1, i) = *at(i, i)
		*at(i, i) = 1
		h := d[i+1]
		if h != 0 {
			for k := 0; k <= i; k++ {
				d[k] = *at(k, i+1) / h
			}
			for j := 0; j <= i; j++ {
				g := 0.0
				for k := 0; k <= i; k++ {
					g += *at(k, i+1) * *at(k, j)
				}
				for k := 0; k <= i; k++ {
					*at(k, j) -= g * d[k]
				}
			}
		}
		for k := 0; k <= i; k++ {
			*at(k, i+1) = 0
		}
	}
	for j := range n {
		d[j] = *at(n-1, j)
		*at(n-1, j) = 0
	}
	*at(n-1, n-1) = 1
	e[0] = 0
}

func tql2(v, d, e []float64, n int, at func(i, j int) *float64) {
	for i := 1; i < n; i++ {
		e[i-1] = e[i]
	}
	e[n-1] = 0
	f, tst1 := 0.0, 0.0
	const eps = 0x1p-52
	for l := range n {
		tst1 = math.Max(tst1, math.Abs(d[l])+math.Abs(e[l]))
		m := l
		for m < n-1 && math.Abs(e[m]) > eps*tst1 {
			m++
		}
		if m > l {
			for iter := 0; iter < 200; iter++ {
				g := d[l]
				p := (d[l+1] - g) / (2 * e[l])
				r := math.Hypot(p, 1)
				if p < 0 {
					r = -r
				}
				d[l] = e[l] / (p + r)
				d[l+1] = e[l] * (p + r)
				dl1 := d[l+1]
				h := g - d[l]
				for i := l + 2; i < n; i++ {
					d[i] -= h
				}
				f += h
				p = d[m]
				c, c2, c3 := 1.0, 1.0, 1.0
				el1 := e[l+1]
				s, s2 := 0.0, 0.0
				for i := m - 1; i >= l; i-- {
					c3 = c2
					c2 = c
					s2 = s
					g = c * e[i]
					h = c * p
					r = math.Hypot(p, e[i])
					e[i+1] = s * r
					s = e[i] / r
					c = p / r
					p = c*d[i] - s*g
					d[i+1] = h + s*(c*g+s*d[i])
					for k := range n {
						vk := v[k*n : (k+1)*n]
						h = vk[i+1]
						vk[i+1] = s*vk[i] + c*h
						vk[i] = c*vk[i] - s*h
					}
				}
				p = -s * s2 * c3 * el1 * e[l] / dl1
				e[l] = s * p
				d[l] = c * p
				if math.Abs(e[l]) <= eps*tst1 {
					break
				}
			}
		}
		d[l] += f
		e[l] = 0
	}
}

// embedRows returns token vectors (V × o.Dims, rows L2-normalised or zero)
// from a truncated eigen-decomposition of the symmetric PPMI matrix by
// randomised subspace iteration (Halko, Martinsson and Tropp 2011): the
// singular vectors of a symmetric matrix are its eigenvectors and the
// singular values the eigenvalues' magnitudes.
func embedRows(ctx context.Context, m *csr, o Options) (*dense, error) {
	V, W := m.n, o.Workers
	l := min(o.Dims+o.Oversample, V)
	rng := rand.New(rand.NewPCG(o.Seed, 0x6f707469712d656d))
	omega := newDense(V, l)
	for i := range omega.data {
		omega.data[i] = float32(rng.NormFloat64())
	}
	q := orthonormalize(spmm(m, omega, W), W)
	for range o.PowerIters {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		q = orthonormalize(spmm(m, q, W), W)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := q.cols
	b := atb(q, spmm(m, q, W), true, W)
	lam, wv := symEigen(b, r)
	order := make([]int, r)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		return -cmpFloat(math.Abs(lam[x]), math.Abs(lam[y]))
	})
	// Keep the rank well below the vocabulary: with (nearly) all
	// directions kept, unweighted token vectors are (nearly) orthogonal
	// rows of U and every similarity is zero. Small corpora get fewer
	// dimensions, zero-padded.
	k := min(o.Dims, r, max(V/4, 2))
	// Directions with a negligible eigenvalue are rounding noise, not
	// structure; unweighted they would count as much as the top one.
	if r > 0 {
		top := math.Abs(lam[order[0]])
		for k > 0 && !(math.Abs(lam[order[k-1]]) > 1e-6*top) {
			k--
		}
	}
	t := make([]float32, r*o.Dims)
	for a := range r {
		for n, j := range order[:k] {
			t[a*o.Dims+n] = float32(wv[a*r+j] * math.Pow(math.Abs(lam[j]), o.EigenPower))
		}
	}
	u := mulSmall(q, t, o.Dims, W)
	for i := range V {
		normalize(u.row(i))
	}
	return u, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// normalize scales v to unit length in place and reports its old length.
func normalize(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return 0
	}
	n := math.Sqrt(s)
	inv := float32(1 / n)
	for i := range v {
		v[i] *= inv
	}
	return n
}
