package simd

import "golang.org/x/sys/cpu"

// kernels are the micro-kernels this CPU runs, fastest first: AVX-512
// where the CPU and the operating system support it (x/sys/cpu checks that
// the OS saves the ZMM registers), AVX2 with FMA where it has them.
var kernels = func() []*Kernel {
	var ks []*Kernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, &avx512Kernel)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, &avx2Kernel)
	}
	return ks
}()

// gemmKernel6x16 is the AVX2 micro-kernel (conv_gemm_amd64.s):
// C[0:6, 0:16] (row stride ldc) = or += (packed A panel)·(packed B panel).
//
//go:noescape
func gemmKernel6x16(k int, a, b, c *float32, ldc int, accumulate bool)

// gemmKernel8x32 is the AVX-512 micro-kernel (conv_gemm512_amd64.s):
// C[0:8, 0:32] (row stride ldc) = or += (packed A panel)·(packed B panel).
//
//go:noescape
func gemmKernel8x32(k int, a, b, c *float32, ldc int, accumulate bool)

// haveAVX2FMA says whether the AVX2 and FMA instructions of the vector
// loops (Axpy, Adam, Affine, the sums, the strided copies) run here.
var haveAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// axpyAVX2 is Axpy's loop (axpy_amd64.s): y[0:n] += alpha·x[0:n].
//
//go:noescape
func axpyAVX2(alpha float32, x, y *float32, n int)

// adamAVX2 is Adam's vector loop (adam_amd64.s) over n values, a multiple
// of 8.
//
//go:noescape
func adamAVX2(wp, gp, mp, vp *float32, n int, c *AdamConsts) bool

// haveTranspose says whether transpose8x8AVX's AVX instructions run here.
var haveTranspose = cpu.X86.HasAVX

// transpose8x8AVX (transpose_amd64.s): dst[j*ldd+i] = src[i*lds+j] for
// i, j < 8, strides in floats.
//
//go:noescape
func transpose8x8AVX(src *float32, lds int, dst *float32, ldd int)

// transpose6x8AVX (transpose_amd64.s): dst[j*6+i] = src[i*lds+j] for
// i < 6, j < 8, writing dst[0:48] only.
//
//go:noescape
func transpose6x8AVX(src *float32, lds int, dst *float32)

// gemmKernel8x32RowsA is gemmKernel8x32 with A's eight rows read in place,
// lda floats apart (gemm8x32_amd64.s).
//
//go:noescape
func gemmKernel8x32RowsA(k int, a *float32, lda int, b, c *float32, ldc int, accumulate bool)

// gemmKernel6x16RowsA is gemmKernel6x16 with A's six rows read in place,
// lda floats apart (gemm6x16_amd64.s).
//
//go:noescape
func gemmKernel6x16RowsA(k int, a *float32, lda int, b, c *float32, ldc int, accumulate bool)

// gemmKernel6x16OffsetB is gemmKernel6x16 with B's rows read in place, row
// p at b + offs[p] floats (gemm6x16_amd64.s).
//
//go:noescape
func gemmKernel6x16OffsetB(k int, a, b *float32, offs *int, c *float32, ldc int, accumulate bool)

// gemmKernel8x32OffsetB is gemmKernel8x32 with B's rows read in place, row
// p at b + offs[p] floats (gemm8x32_amd64.s).
//
//go:noescape
func gemmKernel8x32OffsetB(k int, a, b *float32, offs *int, c *float32, ldc int, accumulate bool)

// evensAVX2 (stride_amd64.s): dst[i] = src[2i] for i < n, n a multiple of 8.
//
//go:noescape
func evensAVX2(dst, src *float32, n int)

// addEvensAVX2 (stride_amd64.s): dst[2i] += src[i] for i < n, n a multiple
// of 8.
//
//go:noescape
func addEvensAVX2(dst, src *float32, n int)

// copyRows32AVX and copyRows16AVX (pack_amd64.s) pack a full B panel of
// rows floats: dst[r*w + j] = src[r*ld + j] for j < w (32 or 16).
//
//go:noescape
func copyRows32AVX(dst, src *float32, ld, rows int)

//go:noescape
func copyRows16AVX(dst, src *float32, ld, rows int)

// affineAVX2 is Affine's vector loop (affine_amd64.s) over n values, a
// multiple of 8; res may be nil.
//
//go:noescape
func affineAVX2(dst, src, res *float32, n int, scale, shift float32, relu bool)

// max3AVX is Max3's vector loop (affine_amd64.s) over n values, a
// multiple of 8.
//
//go:noescape
func max3AVX(dst, a, b, c *float32, n int)

// sumsAVX2 and dotSumsAVX2 (sums_amd64.s) are Sums' and DotSums' vector
// loops over n values, a multiple of 8; y may be nil.
//
//go:noescape
func sumsAVX2(x *float32, n int) (sum, sumSq float64)

//go:noescape
func dotSumsAVX2(gp, xp, yp *float32, n int) (sumG, sumGX float64)

// linear3AVX2 is Linear3's vector loop (sums_amd64.s) over n values, a
// multiple of 8; yp may be nil.
//
//go:noescape
func linear3AVX2(dst, gp, xp, yp *float32, n int, a, b, d float32)

// winogradInputRowAVX2 and winogradOutputRowAVX2 (winograd_amd64.s) are
// WinogradInputRow's and WinogradOutputRow's vector loops over 8·blocks
// tiles; stride is in floats.
//
//go:noescape
func winogradInputRowAVX2(p0, p1, p2, p3, v *float32, stride, blocks int)

//go:noescape
func winogradOutputRowAVX2(m *float32, stride int, y0, y1 *float32, blocks int)

// winogradGradientRowAVX2 (winograd_amd64.s) is WinogradGradientRow's
// vector loop over 8·blocks tiles; stride is in floats.
//
//go:noescape
func winogradGradientRowAVX2(y0, y1, m *float32, stride, blocks int)
