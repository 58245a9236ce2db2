package kernel

import (
	"math/rand/v2"
	"testing"

	"github.com/reslab/reslab/internal/gradcheck"
)

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
