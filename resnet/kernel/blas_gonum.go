//go:build !openblas

package kernel

import (
	"fmt"
	"strings"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
)

// BLAS names the matrix product in use: pure Go, the default, which needs
// no C toolchain: reslab's own kernel (AVX-512 or AVX2, the fastest the CPU
// has) for every float32 product and gonum for the rest of BLAS. Build with
// -tags openblas for OpenBLAS.
func BLAS() string {
	if mk := activeKernel.Load(); mk != nil {
		return "pure Go (reslab " + mk.label + " matrix products, gonum)"
	}
	return "gonum (pure Go)"
}

// activeKernel is the micro-kernel every float32 product runs on, nil for
// gonum's Sgemm. It starts as the fastest the CPU has; UseProduct changes it.
var activeKernel atomic.Pointer[microKernel]

func init() {
	if len(gemmKernels) > 0 {
		activeKernel.Store(gemmKernels[0])
	}
}

// Products names the matrix products this build can run on this CPU,
// fastest first: reslab's micro-kernels the CPU supports, then gonum's.
func Products() []string {
	var names []string
	for _, mk := range gemmKernels {
		names = append(names, mk.name)
	}
	return append(names, "gonum")
}

// Product is the name of the matrix product in use, one of Products.
func Product() string {
	if mk := activeKernel.Load(); mk != nil {
		return mk.name
	}
	return "gonum"
}

// UseProduct runs every float32 product on the named one of Products ("" is
// the fastest): a process-wide switch for `reslab bench --gemm` and the
// tests that compare the products, never to be flipped beside training.
func UseProduct(name string) error {
	if name == "" {
		name = Products()[0]
	}
	if name == "gonum" {
		activeKernel.Store(nil)
		return nil
	}
	for _, mk := range gemmKernels {
		if mk.name == name {
			activeKernel.Store(mk)
			return nil
		}
	}
	return fmt.Errorf("matrix product %q: this build on this CPU has %s", name, strings.Join(Products(), ", "))
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
	if mk := activeKernel.Load(); mk != nil {
		gemm(mk, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
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
