//go:build openblas

package kernel

// #cgo LDFLAGS: -lopenblas
// void openblas_set_num_threads(int);
import "C"

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// installBLAS routes gorgonia's and the tensor package's matrix products to
// OpenBLAS (Debian's libopenblas-dev).
//
// OpenBLAS runs single-threaded: the convolution kernels split their work
// over goroutines, one matrix product per core, which measured faster than
// letting OpenBLAS thread each product (its idle threads spin against the
// Go scheduler); see docs/performance.md.
// `reslab bench --blas-threads` changes it for a comparison.
func installBLAS() {
	G.Use(gorgoniaBLAS{})
	SetBLASThreads(1)
}

// The OpenBLAS build starts on OpenBLAS; reslab's own kernels (package
// simd) stay available to UseProduct for comparisons.
const (
	libraryName  = "openblas"
	libraryLabel = "openblas"
	buildLabel   = "openblas build"
	libraryFirst = true
)

func librarySgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	netlib.Implementation{}.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SetBLASThreads sets the number of threads OpenBLAS uses per call
// (process-wide; `reslab bench --blas-threads`).
func SetBLASThreads(n int) error {
	C.openblas_set_num_threads(C.int(n))
	return nil
}

// gorgoniaBLAS is OpenBLAS with sgemm spread over the cores (OpenBLAS itself
// runs one thread, see SetBLASThreads), for gorgonia's own products.
type gorgoniaBLAS struct{ netlib.Implementation }

func (gorgoniaBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	parallelSgemm(tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
