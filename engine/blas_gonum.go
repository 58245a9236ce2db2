//go:build !openblas

package engine

// BLAS names the matrix-product library in use: gonum's pure-Go BLAS, the
// default, which needs no C toolchain. Build with -tags openblas for OpenBLAS.
func BLAS() string { return "gonum (pure Go)" }
