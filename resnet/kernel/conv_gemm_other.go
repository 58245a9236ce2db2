//go:build !amd64 || openblas

package kernel

// haveGemmKernel is false off amd64 and in the OpenBLAS build (a cgo
// package cannot hold Go assembly): sgemm uses the BLAS library instead.
var haveGemmKernel = false

func gemmKernel6x16(k int, a, b, c *float32, ldc int, accumulate bool) {
	panic("gemmKernel6x16: no kernel for this architecture")
}
