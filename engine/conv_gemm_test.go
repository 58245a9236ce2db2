package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// TestGemmMatchesGonum compares the packed kernel with gonum's Sgemm on
// shapes around the tile and block edges, every transpose, strides wider
// than the matrices, and several alphas and betas.
func TestGemmMatchesGonum(t *testing.T) {
	if !haveGemmKernel {
		t.Skip("no AVX2/FMA kernel in this build or on this CPU")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	dims := [][3]int{
		{1, 1, 1}, {6, 16, 1}, {6, 16, 7}, {5, 15, 3}, {7, 17, 9}, {13, 33, 5},
		{144, 64, 256}, {145, 80, 257}, {150, 4100, 20}, {64, 576, 300}, {300, 49, 600}, {2, 3, 1000},
	}
	for _, d := range dims {
		m, n, k := d[0], d[1], d[2]
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, ab := range [][2]float32{{1, 0}, {1, 1}, {2, 0.5}} {
					alpha, beta := ab[0], ab[1]
					name := fmt.Sprintf("%dx%dx%d tA=%v tB=%v alpha=%v beta=%v", m, n, k, tA, tB, alpha, beta)
					ar, ac := m, k
					if tA {
						ar, ac = k, m
					}
					br, bc := k, n
					if tB {
						br, bc = n, k
					}
					lda, ldb, ldc := ac+3, bc+1, n+2
					a := randomValues(ar*lda, rng)
					b := randomValues(br*ldb, rng)
					c := randomValues(m*ldc, rng)
					want := append([]float32(nil), c...)
					gonum.Implementation{}.Sgemm(tr(tA), tr(tB), m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
					got := append([]float32(nil), c...)
					gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, got, ldc)
					for i := range got {
						if j := i % ldc; j >= n && got[i] != c[i] {
							t.Fatalf("%s: wrote outside C at %d", name, i)
						}
						if diff := math.Abs(float64(got[i] - want[i])); diff > 1e-4*math.Sqrt(float64(k))*(1+math.Abs(float64(want[i]))) {
							t.Fatalf("%s: C[%d] = %v, gonum %v", name, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

func TestGemmChecksLengths(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("short C accepted")
		}
	}()
	gemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2)
}

func tr(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}
