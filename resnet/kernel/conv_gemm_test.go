package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/reslab/reslab/internal/gradcheck"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// TestGemmMatchesGonum compares the packed product on each micro-kernel the
// CPU runs with gonum's Sgemm, on shapes around both kernels' tile and block
// edges, every transpose, strides wider than the matrices, and several
// alphas and betas. A kernel the CPU lacks is named as skipped.
func TestGemmMatchesGonum(t *testing.T) {
	for _, mk := range []*microKernel{&avx512Kernel, &avx2Kernel} {
		t.Run(mk.name, func(t *testing.T) {
			if !slices.Contains(gemmKernels, mk) {
				t.Skipf("this build or CPU cannot run the %s kernel (it runs %v)", mk.label, Products())
			}
			gemmMatchesGonum(t, mk)
		})
	}
}

func gemmMatchesGonum(t *testing.T, mk *microKernel) {
	rng := rand.New(rand.NewPCG(1, 2))
	dims := [][3]int{
		{1, 1, 1}, {6, 16, 1}, {6, 16, 7}, {5, 15, 3}, {7, 17, 9}, {13, 33, 5},
		{8, 32, 1}, {8, 32, 6}, {7, 31, 5}, {9, 33, 7}, {17, 65, 11},
		{144, 64, 256}, {145, 80, 257}, {128, 96, 256}, {129, 100, 258}, {150, 4100, 20}, {20, 4097, 9},
		{64, 576, 300}, {300, 49, 600}, {2, 3, 1000},
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
					a := gradcheck.RandomValues(ar*lda, rng)
					b := gradcheck.RandomValues(br*ldb, rng)
					c := gradcheck.RandomValues(m*ldc, rng)
					want := append([]float32(nil), c...)
					gonum.Implementation{}.Sgemm(tr(tA), tr(tB), m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
					got := append([]float32(nil), c...)
					gemm(mk, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, got, ldc)
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
	gemm(&avx2Kernel, false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2)
}

func tr(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// TestParallelSgemm checks the split products against a plain triple loop
// for every transpose, column and row splits, odd sizes, leading dimensions
// wider than the matrices, and β = 0 and 1.
func TestParallelSgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sz := range [][3]int{{7, 300, 2050}, {300, 9, 2050}, {33, 40, 3000}, {4, 4, 4}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, beta := range []float32{0, 1} {
					rowsA, colsA := m, k
					if tA {
						rowsA, colsA = k, m
					}
					rowsB, colsB := k, n
					if tB {
						rowsB, colsB = n, k
					}
					lda, ldb, ldc := colsA+3, colsB+1, n+2
					a := gradcheck.RandomValues(rowsA*lda, rng)
					b := gradcheck.RandomValues(rowsB*ldb, rng)
					c := gradcheck.RandomValues(m*ldc, rng)
					want := append([]float32(nil), c...)
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							var sum float64
							for p := 0; p < k; p++ {
								ai, bi := i*lda+p, p*ldb+j
								if tA {
									ai = p*lda + i
								}
								if tB {
									bi = j*ldb + p
								}
								av, bv := a[ai], b[bi]
								sum += float64(av) * float64(bv)
							}
							want[i*ldc+j] = float32(0.5*sum) + beta*want[i*ldc+j]
						}
					}
					parallelSgemm(tA, tB, m, n, k, 0.5, a, lda, b, ldb, beta, c, ldc)
					if d, at := closeTo(c, want); d > 1e-5 {
						t.Fatalf("%d×%d×%d tA %v tB %v β %v: differs by %.3g at %d", m, n, k, tA, tB, beta, d, at)
					}
				}
			}
		}
	}
}
