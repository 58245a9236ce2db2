//go:build !openblas

package engine

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BLAS names the matrix-product library in use: gonum's pure-Go BLAS, the
// default, which needs no C toolchain. Build with -tags openblas for OpenBLAS.
func BLAS() string { return "gonum (pure Go)" }

// sgemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices, op
// transposing when tA or tB is set; it is the one matrix product the
// convolution kernels use. gonum's Sgemm splits large products over
// goroutines itself.
func sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gonum.Implementation{}.Sgemm(trans(tA), trans(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// setBLASThreads does nothing: gonum sizes its own goroutines.
func setBLASThreads(int) {}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}
