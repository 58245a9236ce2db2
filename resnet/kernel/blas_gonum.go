//go:build !openblas

package kernel

import (
	"fmt"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
)

// BLAS names the matrix-product library in use: pure Go, the default, which
// needs no C toolchain: reslab's own kernel for convolutions (on CPUs with
// AVX2 and FMA) and gonum for the rest. Build with -tags openblas for
// OpenBLAS.
func BLAS() string {
	if useGoGemm() {
		return "pure Go (reslab AVX2 matrix products, gonum)"
	}
	return "gonum (pure Go)"
}

// useGoGemm selects reslab's own packed AVX2/FMA matrix product
// (conv_gemm.go) for every float32 product, the convolutions' and
// gorgonia's, where the CPU has it; gonum's Sgemm otherwise, or while a
// benchmark compares them (SetPlainGemm).
func useGoGemm() bool { return haveGemmKernel && !plainGemm.Load() }

// plainGemm is set only by SetPlainGemm, for `reslab bench --gemm gonum`.
var plainGemm atomic.Bool

// SetPlainGemm runs every product on gonum's Sgemm instead of reslab's AVX2
// kernel while on is set: a process-wide switch for `reslab bench --gemm
// gonum`, never to be flipped beside training.
func SetPlainGemm(on bool) error {
	plainGemm.Store(on)
	return nil
}

// SetBLASThreads exists for the OpenBLAS build's comparison only: here
// every value but 1 is an error.
func SetBLASThreads(n int) error {
	if n == 1 {
		return nil
	}
	return fmt.Errorf("the matrix products' thread count is a setting of the OpenBLAS build (-tags openblas)")
}

// sgemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices, op
// transposing when tA or tB is set; it is the one matrix product the
// convolution kernels use.
func sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if useGoGemm() {
		gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	gonum.Implementation{}.Sgemm(trans(tA), trans(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// installBLAS routes gorgonia's float32 products to reslab's kernel.
func installBLAS() { G.Use(gorgoniaBLAS{}) }

// gorgoniaBLAS is gonum's BLAS with sgemm running reslab's kernel (where the
// CPU has one) spread over the cores, for gorgonia's own products.
type gorgoniaBLAS struct{ gonum.Implementation }

func (gorgoniaBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	parallelSgemm(tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
