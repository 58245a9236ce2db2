//go:build openblas

package kernel

// #cgo LDFLAGS: -lopenblas
// void openblas_set_num_threads(int);
import "C"

import (
	"fmt"

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

// BLAS names the matrix-product library in use.
func BLAS() string { return "openblas" }

// SetBLASThreads sets the number of threads OpenBLAS uses per call
// (process-wide; `reslab bench --blas-threads`).
func SetBLASThreads(n int) error {
	C.openblas_set_num_threads(C.int(n))
	return nil
}

// Products names the matrix products this build can run: OpenBLAS only.
func Products() []string { return []string{"openblas"} }

// Product is the name of the matrix product in use.
func Product() string { return "openblas" }

// UseProduct accepts only "openblas" (or "", the fastest): reslab's kernels
// and gonum's product are choices of the pure-Go build.
func UseProduct(name string) error {
	if name == "" || name == "openblas" {
		return nil
	}
	return fmt.Errorf("matrix product %q is a choice of the pure-Go build; this one uses OpenBLAS", name)
}

// sgemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices, op
// transposing when tA or tB is set; it is the one matrix product the
// convolution kernels use.
func sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	netlib.Implementation{}.Sgemm(trans(tA), trans(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// gorgoniaBLAS is OpenBLAS with sgemm spread over the cores (OpenBLAS itself
// runs one thread, see SetBLASThreads), for gorgonia's own products.
type gorgoniaBLAS struct{ netlib.Implementation }

func (gorgoniaBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	parallelSgemm(tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
