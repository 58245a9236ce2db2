//go:build !amd64 || openblas

package kernel

// gemmKernels is empty off amd64 and in the OpenBLAS build (a cgo package
// cannot hold Go assembly): sgemm uses gonum or the BLAS library instead.
var gemmKernels []*microKernel

func gemmKernel6x16(k int, a, b, c *float32, ldc int, accumulate bool) {
	panic("gemmKernel6x16: no kernel for this architecture")
}

func gemmKernel8x32(k int, a, b, c *float32, ldc int, accumulate bool) {
	panic("gemmKernel8x32: no kernel for this architecture")
}
