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

const haveAVX2FMA = false

func axpyAVX2(alpha float32, x, y *float32, n int) {
	panic("axpyAVX2: no kernel for this architecture")
}

func adamAVX2(w, g, m, v *float32, n int, c *AdamConsts) bool {
	panic("adamAVX2: no kernel for this architecture")
}

const haveTranspose = false

func transpose8x8AVX(src *float32, lds int, dst *float32, ldd int) {
	panic("transpose8x8AVX: no kernel for this architecture")
}

func transpose6x8AVX(src *float32, lds int, dst *float32) {
	panic("transpose6x8AVX: no kernel for this architecture")
}

func gemmKernel8x32RowsA(k int, a *float32, lda int, b, c *float32, ldc int, accumulate bool) {
	panic("gemmKernel8x32RowsA: no kernel for this architecture")
}

func gemmKernel6x16RowsA(k int, a *float32, lda int, b, c *float32, ldc int, accumulate bool) {
	panic("gemmKernel6x16RowsA: no kernel for this architecture")
}

func gemmKernel6x16OffsetB(k int, a, b *float32, offs *int, c *float32, ldc int, accumulate bool) {
	panic("gemmKernel6x16OffsetB: no kernel for this architecture")
}

func gemmKernel8x32OffsetB(k int, a, b *float32, offs *int, c *float32, ldc int, accumulate bool) {
	panic("gemmKernel8x32OffsetB: no kernel for this architecture")
}

func evensAVX2(dst, src *float32, n int) { panic("evensAVX2: no kernel for this architecture") }

func addEvensAVX2(dst, src *float32, n int) { panic("addEvensAVX2: no kernel for this architecture") }

func copyRows32AVX(dst, src *float32, ld, rows int) {
	panic("copyRows32AVX: no kernel for this architecture")
}

func copyRows16AVX(dst, src *float32, ld, rows int) {
	panic("copyRows16AVX: no kernel for this architecture")
}

func affineAVX2(dst, src, res *float32, n int, scale, shift float32, relu bool) {
	panic("affineAVX2: no kernel for this architecture")
}

func max3AVX(dst, a, b, c *float32, n int) { panic("max3AVX: no kernel for this architecture") }

func sumsAVX2(x *float32, n int) (sum, sumSq float64) {
	panic("sumsAVX2: no kernel for this architecture")
}

func dotSumsAVX2(g, x, y *float32, n int) (sumG, sumGX float64) {
	panic("dotSumsAVX2: no kernel for this architecture")
}

func linear3AVX2(dst, gp, xp, yp *float32, n int, a, b, d float32) {
	panic("linear3AVX2: no kernel for this architecture")
}

func winogradInputRowAVX2(p0, p1, p2, p3, v *float32, stride, blocks int) {
	panic("winogradInputRowAVX2: no kernel for this architecture")
}

func winogradOutputRowAVX2(m *float32, stride int, y0, y1 *float32, blocks int) {
	panic("winogradOutputRowAVX2: no kernel for this architecture")
}

func winogradGradientRowAVX2(y0, y1, m *float32, stride, blocks int) {
	panic("winogradGradientRowAVX2: no kernel for this architecture")
}
