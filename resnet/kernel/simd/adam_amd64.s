#include "textflag.h"

// func adamAVX2(wp, gp, mp, vp *float32, n int, c *AdamConsts) bool
//
// One Adam/AdamW update of n values (n a multiple of 8), eight at a time,
// with the same operations in the same order as adamGo (a multiply and an
// add each, no fused multiply-add), so both round alike. Zeroes g. Returns
// whether any updated weight is NaN or infinite (w−w is then NaN, whose
// bits are OR-ed together).
TEXT ·adamAVX2(SB), NOSPLIT, $0-49
	MOVQ wp+0(FP), DI
	MOVQ gp+8(FP), SI
	MOVQ mp+16(FP), R8
	MOVQ vp+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ c+40(FP), AX
	VBROADCASTSS 0(AX), Y8   // b1
	VBROADCASTSS 4(AX), Y9   // 1 − b1
	VBROADCASTSS 8(AX), Y10  // b2
	VBROADCASTSS 12(AX), Y11 // 1 − b2
	VBROADCASTSS 16(AX), Y12 // L2 decay
	VBROADCASTSS 20(AX), Y13 // shrink
	VBROADCASTSS 24(AX), Y14 // step size
	VBROADCASTSS 28(AX), Y15 // 1/√(bias correction 2)
	VBROADCASTSS 32(AX), Y7  // eps
	VXORPS Y5, Y5, Y5        // zero
	VXORPS Y6, Y6, Y6        // OR of w − w

loop:
	TESTQ CX, CX
	JZ    done
	VMOVUPS (SI), Y0      // g
	VMOVUPS (DI), Y1      // w
	VMULPS  Y12, Y1, Y2
	VADDPS  Y2, Y0, Y0    // g + l2·w
	VMOVUPS (R8), Y2
	VMULPS  Y8, Y2, Y2    // b1·m
	VMULPS  Y0, Y9, Y3    // (1−b1)·g
	VADDPS  Y3, Y2, Y2    // m
	VMOVUPS Y2, (R8)
	VMULPS  Y0, Y11, Y3   // (1−b2)·g
	VMULPS  Y0, Y3, Y3    // ·g
	VMOVUPS (R9), Y4
	VMULPS  Y10, Y4, Y4   // b2·v
	VADDPS  Y3, Y4, Y4    // v
	VMOVUPS Y4, (R9)
	VSQRTPS Y4, Y4
	VMULPS  Y15, Y4, Y4
	VADDPS  Y7, Y4, Y4    // √v/√c2 + eps
	VMULPS  Y14, Y2, Y3   // step·m
	VDIVPS  Y4, Y3, Y3    // step·m / (…)
	VMULPS  Y13, Y1, Y1   // shrink·w
	VSUBPS  Y3, Y1, Y1
	VMOVUPS Y1, (DI)
	VMOVUPS Y5, (SI)
	VSUBPS  Y1, Y1, Y3
	VORPS   Y3, Y6, Y6
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	SUBQ $8, CX
	JMP  loop

done:
	VPTEST Y6, Y6
	SETNE  ret+48(FP)
	VZEROUPPER
	RET
