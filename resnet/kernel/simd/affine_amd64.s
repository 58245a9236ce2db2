#include "textflag.h"

// func affineAVX2(dst, src, res *float32, n int, scale, shift float32, relu bool)
//
// dst[i] = scale·src[i] + shift (+ res[i] unless res is nil), then max(·, 0)
// when relu, for i < n, n a multiple of 8: a multiply and adds in the Go
// loop's order (no fused multiply-add), and the maximum taken as Go's max
// takes it for NaN and −0 (VMAXPS returns its second operand, the value,
// when either is NaN or both are zero; +0 is then added).
TEXT ·affineAVX2(SB), NOSPLIT, $0-41
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ res+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS scale+32(FP), Y14
	VBROADCASTSS shift+36(FP), Y15
	MOVBLZX relu+40(FP), AX
	VXORPS Y13, Y13, Y13

loop:
	TESTQ CX, CX
	JZ    done
	VMOVUPS (SI), Y0
	VMULPS  Y14, Y0, Y0
	VADDPS  Y15, Y0, Y0
	TESTQ   DX, DX
	JZ      nores
	VADDPS  (DX), Y0, Y0
	ADDQ    $32, DX

nores:
	TESTQ   AX, AX
	JZ      store
	VMAXPS  Y0, Y13, Y0 // max(0, v): v when v is NaN, −0 when v is −0 …
	VADDPS  Y13, Y0, Y0 // … which adding +0 makes +0, as Go's max does

store:
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop

done:
	VZEROUPPER
	RET

// func max3AVX(dst, a, b, c *float32, n int)
//
// dst[i] = max(a[i], b[i], c[i]) for i < n, n a multiple of 8.
TEXT ·max3AVX(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ c+24(FP), R8
	MOVQ n+32(FP), CX

loopmax:
	TESTQ CX, CX
	JZ    donemax
	VMOVUPS (SI), Y0
	VMAXPS  (DX), Y0, Y0
	VMAXPS  (R8), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, R8
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loopmax

donemax:
	VZEROUPPER
	RET
