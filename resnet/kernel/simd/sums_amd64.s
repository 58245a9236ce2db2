#include "textflag.h"

// func sumsAVX2(x *float32, n int) (sum, sumSq float64)
//
// Σx and Σx² in float64 over n values, n a multiple of 8: each float32 is
// widened exactly, squared exactly (24-bit mantissas), and added into four
// lanes of two accumulator pairs, which are added up at the end. The
// order is fixed, so the result is the same on every run.
TEXT ·sumsAVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPD Y0, Y0, Y0 // Σx, lanes of the low half
	VXORPD Y1, Y1, Y1 // Σx, high half
	VXORPD Y2, Y2, Y2 // Σx²
	VXORPD Y3, Y3, Y3

sloop:
	TESTQ CX, CX
	JZ    sdone
	VCVTPS2PD (SI), Y4
	VCVTPS2PD 16(SI), Y5
	VADDPD    Y4, Y0, Y0
	VADDPD    Y5, Y1, Y1
	VFMADD231PD Y4, Y4, Y2
	VFMADD231PD Y5, Y5, Y3
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  sloop

sdone:
	VADDPD Y1, Y0, Y0
	VADDPD Y3, Y2, Y2
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VHADDPD X0, X0, X0
	VEXTRACTF128 $1, Y2, X3
	VADDPD X3, X2, X2
	VHADDPD X2, X2, X2
	VMOVSD X0, sum+16(FP)
	VMOVSD X2, sumSq+24(FP)
	VZEROUPPER
	RET

// func dotSumsAVX2(gp, xp, yp *float32, n int) (sumG, sumGX float64)
//
// Σg and Σg·x in float64 over n values, n a multiple of 8, with g masked
// where y (when not nil) is +0 (bit for bit, as maskedByReLU: the gradient
// through a ReLU read from its output).
TEXT ·dotSumsAVX2(SB), NOSPLIT, $0-48
	MOVQ gp+0(FP), SI
	MOVQ xp+8(FP), DI
	MOVQ yp+16(FP), DX
	MOVQ n+24(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VPXOR  Y15, Y15, Y15

dloop:
	TESTQ CX, CX
	JZ    ddone
	VMOVUPS (SI), Y8
	TESTQ   DX, DX
	JZ      nomask
	VMOVUPS (DX), Y9
	VPCMPEQD Y15, Y9, Y9 // all ones where y's bits are zero
	VANDNPS Y8, Y9, Y8   // g where y ≠ +0
	ADDQ    $32, DX

nomask:
	VCVTPS2PD X8, Y4
	VEXTRACTF128 $1, Y8, X8
	VCVTPS2PD X8, Y5
	VCVTPS2PD (DI), Y6
	VCVTPS2PD 16(DI), Y7
	VADDPD    Y4, Y0, Y0
	VADDPD    Y5, Y1, Y1
	VFMADD231PD Y4, Y6, Y2
	VFMADD231PD Y5, Y7, Y3
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  dloop

ddone:
	VADDPD Y1, Y0, Y0
	VADDPD Y3, Y2, Y2
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VHADDPD X0, X0, X0
	VEXTRACTF128 $1, Y2, X3
	VADDPD X3, X2, X2
	VHADDPD X2, X2, X2
	VMOVSD X0, sumG+32(FP)
	VMOVSD X2, sumGX+40(FP)
	VZEROUPPER
	RET

// func linear3AVX2(dst, gp, xp, yp *float32, n int, a, b, d float32)
//
// dst[i] = (a·g[i] + b·x[i]) + d over n values, n a multiple of 8, g
// masked where y (when not nil) is +0, in the Go loop's order of roundings.
TEXT ·linear3AVX2(SB), NOSPLIT, $0-52
	MOVQ dst+0(FP), R8
	MOVQ gp+8(FP), SI
	MOVQ xp+16(FP), DI
	MOVQ yp+24(FP), DX
	MOVQ n+32(FP), CX
	VBROADCASTSS a+40(FP), Y12
	VBROADCASTSS b+44(FP), Y13
	VBROADCASTSS d+48(FP), Y14
	VPXOR Y15, Y15, Y15

lloop:
	TESTQ CX, CX
	JZ    ldone
	VMOVUPS (SI), Y0
	TESTQ   DX, DX
	JZ      lnomask
	VMOVUPS (DX), Y1
	VPCMPEQD Y15, Y1, Y1
	VANDNPS Y0, Y1, Y0
	ADDQ    $32, DX

lnomask:
	VMULPS  Y12, Y0, Y0
	VMOVUPS (DI), Y2
	VMULPS  Y13, Y2, Y2
	VADDPS  Y2, Y0, Y0
	VADDPS  Y14, Y0, Y0
	VMOVUPS Y0, (R8)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	SUBQ $8, CX
	JMP  lloop

ldone:
	VZEROUPPER
	RET
