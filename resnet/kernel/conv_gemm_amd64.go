//go:build !openblas

package kernel

import "golang.org/x/sys/cpu"

// haveGemmKernel says whether gemmKernel6x16's AVX2 and FMA instructions
// run on this CPU.
var haveGemmKernel = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// gemmKernel6x16 is the assembly micro-kernel of gemm (conv_gemm_amd64.s):
// C[0:6, 0:16] (row stride ldc) = or += (packed A panel)·(packed B panel).
//
//go:noescape
func gemmKernel6x16(k int, a, b, c *float32, ldc int, accumulate bool)
