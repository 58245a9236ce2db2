//go:build !amd64

package simd

// kernels is empty off amd64: the products run on gonum or OpenBLAS.
var kernels []*Kernel

func gemmKernel6x16(k int, a, b, c *float32, ldc int, accumulate bool) {
	panic("gemmKernel6x16: no kernel for this architecture")
}

func gemmKernel8x32(k int, a, b, c *float32, ldc int, accumulate bool) {
	panic("gemmKernel8x32: no kernel for this architecture")
}
