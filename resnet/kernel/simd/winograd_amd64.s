#include "textflag.h"

// Winograd F(2×2, 3×3) transforms of one row of tiles, eight tiles a turn
// (winograd.go). The sums are added in the order the Go loops add them, so
// the two give the same bits.

// DEINTERLEAVE splits lo, hi (x0…x15) into evens (x0, x2, …, x14) and
// odds (x1, …, x15).
#define DEINTERLEAVE(lo, hi, ev, od) \
	VSHUFPS $0x88, hi, lo, ev \
	VSHUFPS $0xDD, hi, lo, od \
	VPERMPD $0xD8, ev, ev \
	VPERMPD $0xD8, od, od

// INPUTQ is one of Bᵀ·d's rows for eight tiles: (ra op rb) down the
// columns (op VSUBPS: ra−rb; VADDPS: ra+rb) over the block's 16 columns and
// again from two columns on, each split into evens and odds, then along
// the row e0−e1, o0+e1, e1−o0, o0−o1 (the evens and odds of the two
// windows) into base, base+stride, base+2·stride, base+3·stride.
#define INPUTQ(op, ra, rb, base) \
	VMOVUPS 0(ra), Y0 \
	VMOVUPS 32(ra), Y1 \
	op 0(rb), Y0, Y0 \
	op 32(rb), Y1, Y1 \
	DEINTERLEAVE(Y0, Y1, Y2, Y3) \
	VMOVUPS 8(ra), Y0 \
	VMOVUPS 40(ra), Y1 \
	op 8(rb), Y0, Y0 \
	op 40(rb), Y1, Y1 \
	DEINTERLEAVE(Y0, Y1, Y4, Y5) \
	VSUBPS Y4, Y2, Y6 \
	VADDPS Y4, Y3, Y7 \
	VSUBPS Y3, Y4, Y8 \
	VSUBPS Y5, Y3, Y9 \
	VMOVUPS Y6, (base) \
	VMOVUPS Y7, (base)(SI*1) \
	VMOVUPS Y8, (base)(SI*2) \
	VMOVUPS Y9, (base)(R10*1)

// func winogradInputRowAVX2(p0, p1, p2, p3, v *float32, stride, blocks int)
//
// For 8·blocks tiles: the four padded input rows p0…p3 (16 floats a block
// plus 2), down the columns d0−d2, d1+d2, d2−d1, d1−d3, then along the rows
// the same, into v + ξ·stride floats for ξ < 16.
TEXT ·winogradInputRowAVX2(SB), NOSPLIT, $0-56
	MOVQ p0+0(FP), AX
	MOVQ p1+8(FP), BX
	MOVQ p2+16(FP), CX
	MOVQ p3+24(FP), DX
	MOVQ v+32(FP), DI
	MOVQ stride+40(FP), SI
	SHLQ $2, SI
	MOVQ blocks+48(FP), R9
	LEAQ (SI)(SI*2), R10
	LEAQ (DI)(SI*4), R11
	LEAQ (R11)(SI*4), R12
	LEAQ (R12)(SI*4), R13

inloop:
	TESTQ R9, R9
	JZ    indone
	INPUTQ(VSUBPS, AX, CX, DI)
	INPUTQ(VADDPS, BX, CX, R11)
	INPUTQ(VSUBPS, CX, BX, R12)
	INPUTQ(VSUBPS, BX, DX, R13)
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $64, CX
	ADDQ $64, DX
	ADDQ $32, DI
	ADDQ $32, R11
	ADDQ $32, R12
	ADDQ $32, R13
	DECQ R9
	JMP  inloop

indone:
	VZEROUPPER
	RET

// OUTCOL is column j of Aᵀ·M for eight tiles: s = m_j + m_{4+j} + m_{8+j}
// and t = m_{4+j} − m_{8+j} − m_{12+j}, from the four operands given.
#define OUTCOL(mj, m4j, m8j, m12j, s, t) \
	VMOVUPS m4j, Y8 \
	VMOVUPS m8j, Y9 \
	VADDPS mj, Y8, s \
	VADDPS Y9, s, s \
	VSUBPS Y9, Y8, t \
	VSUBPS m12j, t, t

// OUTROW is one output row for eight tiles from its columns s0…s3 of
// Aᵀ·M: s0+s1+s2 and s1−s2−s3, interleaved into 16 floats at dst.
#define OUTROW(s0, s1, s2, s3, dst) \
	VADDPS s1, s0, Y8 \
	VADDPS s2, Y8, Y8 \
	VSUBPS s2, s1, Y9 \
	VSUBPS s3, Y9, Y9 \
	VUNPCKLPS Y9, Y8, Y10 \
	VUNPCKHPS Y9, Y8, Y11 \
	VPERM2F128 $0x20, Y11, Y10, Y12 \
	VPERM2F128 $0x31, Y11, Y10, Y13 \
	VMOVUPS Y12, (dst) \
	VMOVUPS Y13, 32(dst)

// func winogradOutputRowAVX2(m *float32, stride int, y0, y1 *float32, blocks int)
//
// For 8·blocks tiles: M_ξ at m + ξ·stride floats, down the columns rows
// 0+1+2 and 1−2−3, then along the rows the same, into the output rows y0 and
// y1 (16 floats a block), even and odd columns interleaved.
TEXT ·winogradOutputRowAVX2(SB), NOSPLIT, $0-40
	MOVQ m+0(FP), DI
	MOVQ stride+8(FP), SI
	SHLQ $2, SI
	MOVQ y0+16(FP), AX
	MOVQ y1+24(FP), BX
	MOVQ blocks+32(FP), R9
	LEAQ (SI)(SI*2), R10
	LEAQ (DI)(SI*4), R11
	LEAQ (R11)(SI*4), R12
	LEAQ (R12)(SI*4), R13

outloop:
	TESTQ R9, R9
	JZ    outdone
	OUTCOL((DI), (R11), (R12), (R13), Y0, Y4)
	OUTCOL((DI)(SI*1), (R11)(SI*1), (R12)(SI*1), (R13)(SI*1), Y1, Y5)
	OUTCOL((DI)(SI*2), (R11)(SI*2), (R12)(SI*2), (R13)(SI*2), Y2, Y6)
	OUTCOL((DI)(R10*1), (R11)(R10*1), (R12)(R10*1), (R13)(R10*1), Y3, Y7)
	OUTROW(Y0, Y1, Y2, Y3, AX)
	OUTROW(Y4, Y5, Y6, Y7, BX)
	ADDQ $32, DI
	ADDQ $32, R11
	ADDQ $32, R12
	ADDQ $32, R13
	ADDQ $64, AX
	ADDQ $64, BX
	DECQ R9
	JMP  outloop

outdone:
	VZEROUPPER
	RET

// ROWGRAD stores one row (p, q) of A·∂Y as p, p+q, p−q, −q into base,
// base+stride, base+2·stride, base+3·stride (Y15 holds the sign bits).
#define ROWGRAD(p, q, base) \
	VMOVUPS p, (base) \
	VADDPS q, p, Y8 \
	VMOVUPS Y8, (base)(SI*1) \
	VSUBPS q, p, Y9 \
	VMOVUPS Y9, (base)(SI*2) \
	VXORPS Y15, q, Y10 \
	VMOVUPS Y10, (base)(R10*1)

// func winogradGradientRowAVX2(y0, y1, m *float32, stride, blocks int)
//
// For 8·blocks tiles: the output gradients of rows y0 and y1 (16 floats a
// block, even and odd columns interleaved) into ∂M = A·∂Y·Aᵀ, ∂M_ξ at
// m + ξ·stride floats: down the columns rows 0, 0+1, 0−1, −1, then along
// the rows the same.
TEXT ·winogradGradientRowAVX2(SB), NOSPLIT, $0-40
	MOVQ y0+0(FP), AX
	MOVQ y1+8(FP), BX
	MOVQ m+16(FP), DI
	MOVQ stride+24(FP), SI
	SHLQ $2, SI
	MOVQ blocks+32(FP), R9
	LEAQ (SI)(SI*2), R10
	LEAQ (DI)(SI*4), R11
	LEAQ (R11)(SI*4), R12
	LEAQ (R12)(SI*4), R13
	VPCMPEQD Y15, Y15, Y15
	VPSLLD $31, Y15, Y15

gradloop:
	TESTQ R9, R9
	JZ    graddone
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	DEINTERLEAVE(Y0, Y1, Y2, Y3)
	VMOVUPS (BX), Y0
	VMOVUPS 32(BX), Y1
	DEINTERLEAVE(Y0, Y1, Y4, Y5)
	ROWGRAD(Y2, Y3, DI)
	VADDPS Y4, Y2, Y6
	VADDPS Y5, Y3, Y7
	ROWGRAD(Y6, Y7, R11)
	VSUBPS Y4, Y2, Y6
	VSUBPS Y5, Y3, Y7
	ROWGRAD(Y6, Y7, R12)
	VXORPS Y15, Y4, Y6
	VXORPS Y15, Y5, Y7
	ROWGRAD(Y6, Y7, R13)
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $32, DI
	ADDQ $32, R11
	ADDQ $32, R12
	ADDQ $32, R13
	DECQ R9
	JMP  gradloop

graddone:
	VZEROUPPER
	RET
