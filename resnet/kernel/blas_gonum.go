//go:build !openblas

package kernel

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
)

// The pure-Go build, the default, needs no C toolchain: its products run on
// reslab's own kernels (package simd) where the CPU has AVX-512 or AVX2, on
// gonum's Sgemm elsewhere, and gonum does the rest of BLAS. Build with
// -tags openblas for OpenBLAS.
const (
	libraryName  = "gonum"
	libraryLabel = "gonum (pure Go)"
	buildLabel   = "pure Go, gonum"
	libraryFirst = false
)

func librarySgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gonum.Implementation{}.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SetBLASThreads exists for the OpenBLAS build's comparison only: here
// every value but 1 is an error.
func SetBLASThreads(n int) error {
	if n == 1 {
		return nil
	}
	return fmt.Errorf("the matrix products' thread count is a setting of the OpenBLAS build (-tags openblas)")
}

// installBLAS routes gorgonia's float32 products to the product in use.
func installBLAS() { G.Use(gorgoniaBLAS{}) }

// gorgoniaBLAS is gonum's BLAS with sgemm on the product in use, spread
// over the cores, for gorgonia's own products.
type gorgoniaBLAS struct{ gonum.Implementation }

func (gorgoniaBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	parallelSgemm(tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
