#include "textflag.h"

// ZEROACC clears the accumulators.
#define ZEROACC \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3 \
	VXORPS Y4, Y4, Y4 \
	VXORPS Y5, Y5, Y5 \
	VXORPS Y6, Y6, Y6 \
	VXORPS Y7, Y7, Y7 \
	VXORPS Y8, Y8, Y8 \
	VXORPS Y9, Y9, Y9 \
	VXORPS Y10, Y10, Y10 \
	VXORPS Y11, Y11, Y11


// func gemmKernel6x16(k int, a, b, c *float32, ldc int, accumulate bool)
//
// C[0:6, 0:16] (row stride ldc floats) = or += A·B, where a is a packed
// panel of 6 rows (k steps of 6 floats) and b a packed panel of 16 columns
// (k steps of 16 floats). Twelve YMM accumulators, AVX2 and FMA; k ≥ 1.
TEXT ·gemmKernel6x16(SB), NOSPLIT, $0-41
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8

	ZEROACC

	MOVQ CX, BX
	SHRQ $2, BX // BX: groups of 4 steps
	ANDQ $3, CX // CX: remaining steps
	TESTQ BX, BX
	JZ   tail

// FMAS6x16 multiplies the B vectors of one step by the A panel's
// broadcasts at aoff(SI) into the accumulators.
#define FMAS6x16(aoff) \
	VBROADCASTSS aoff(SI), Y14 \
	VBROADCASTSS aoff+4(SI), Y15 \
	VFMADD231PS Y12, Y14, Y0 \
	VFMADD231PS Y13, Y14, Y1 \
	VFMADD231PS Y12, Y15, Y2 \
	VFMADD231PS Y13, Y15, Y3 \
	VBROADCASTSS aoff+8(SI), Y14 \
	VBROADCASTSS aoff+12(SI), Y15 \
	VFMADD231PS Y12, Y14, Y4 \
	VFMADD231PS Y13, Y14, Y5 \
	VFMADD231PS Y12, Y15, Y6 \
	VFMADD231PS Y13, Y15, Y7 \
	VBROADCASTSS aoff+16(SI), Y14 \
	VBROADCASTSS aoff+20(SI), Y15 \
	VFMADD231PS Y12, Y14, Y8 \
	VFMADD231PS Y13, Y14, Y9 \
	VFMADD231PS Y12, Y15, Y10 \
	VFMADD231PS Y13, Y15, Y11

#define STEP(aoff, boff) \
	VMOVUPS boff(DI), Y12 \
	VMOVUPS boff+32(DI), Y13 \
	FMAS6x16(aoff)

loop4:
	PREFETCHT0 512(DI)
	STEP(0, 0)
	STEP(24, 64)
	PREFETCHT0 576(DI)
	STEP(48, 128)
	STEP(72, 192)
	ADDQ $96, SI
	ADDQ $256, DI
	DECQ BX
	JNZ  loop4

tail:
	TESTQ CX, CX
	JZ    store

loop1:
	STEP(0, 0)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  loop1

store:
	MOVBLZX accumulate+40(FP), AX
	TESTQ   AX, AX
	JZ      overwrite

#define ADDROW(r0, r1) \
	VADDPS (DX), r0, r0 \
	VADDPS 32(DX), r1, r1 \
	VMOVUPS r0, (DX) \
	VMOVUPS r1, 32(DX) \
	ADDQ R8, DX

	ADDROW(Y0, Y1)
	ADDROW(Y2, Y3)
	ADDROW(Y4, Y5)
	ADDROW(Y6, Y7)
	ADDROW(Y8, Y9)
	ADDROW(Y10, Y11)
	VZEROUPPER
	RET

#define PUTROW(r0, r1) \
	VMOVUPS r0, (DX) \
	VMOVUPS r1, 32(DX) \
	ADDQ R8, DX

// ADDROWS and PUTROWS add or store every accumulator row.
#define ADDROWS \
	ADDROW(Y0, Y1) \
	ADDROW(Y2, Y3) \
	ADDROW(Y4, Y5) \
	ADDROW(Y6, Y7) \
	ADDROW(Y8, Y9) \
	ADDROW(Y10, Y11)

#define PUTROWS \
	PUTROW(Y0, Y1) \
	PUTROW(Y2, Y3) \
	PUTROW(Y4, Y5) \
	PUTROW(Y6, Y7) \
	PUTROW(Y8, Y9) \
	PUTROW(Y10, Y11)

overwrite:
	PUTROWS
	VZEROUPPER
	RET

// func gemmKernel6x16OffsetB(k int, a, b *float32, offs *int, c *float32, ldc int, accumulate bool)
//
// gemmKernel6x16 with B's k rows read in place, row p at b + offs[p]
// floats (the AVX2 counterpart of gemmKernel8x32OffsetB).
TEXT ·gemmKernel6x16OffsetB(SB), NOSPLIT, $0-49
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ offs+24(FP), R9
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R8

	ZEROACC

	MOVQ CX, BX
	SHRQ $2, BX // BX: groups of 4 steps
	ANDQ $3, CX // CX: remaining steps
	TESTQ BX, BX
	JZ   otail

#define OSTEP(aoff, ooff) \
	MOVQ ooff(R9), R10 \
	VMOVUPS (DI)(R10*4), Y12 \
	VMOVUPS 32(DI)(R10*4), Y13 \
	FMAS6x16(aoff)

oloop4:
	OSTEP(0, 0)
	OSTEP(24, 8)
	OSTEP(48, 16)
	OSTEP(72, 24)
	ADDQ $96, SI
	ADDQ $32, R9
	DECQ BX
	JNZ  oloop4

otail:
	TESTQ CX, CX
	JZ    ostore

oloop1:
	OSTEP(0, 0)
	ADDQ $24, SI
	ADDQ $8, R9
	DECQ CX
	JNZ  oloop1

ostore:
	MOVBLZX accumulate+48(FP), AX
	TESTQ   AX, AX
	JZ      ooverwrite
	ADDROWS
	VZEROUPPER
	RET

ooverwrite:
	PUTROWS
	VZEROUPPER
	RET

// func gemmKernel6x16RowsA(k int, a *float32, lda int, b, c *float32, ldc int, accumulate bool)
//
// gemmKernel6x16 with A read in place, six rows lda floats apart, instead
// of from a packed panel (the AVX2 counterpart of gemmKernel8x32RowsA): for
// products with one or two panels of B, whose A, used once or twice, packing
// would move twice more.
TEXT ·gemmKernel6x16RowsA(SB), NOSPLIT, $0-49
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	SHLQ $2, R9          // R9: a row of A in bytes
	LEAQ (R9)(R9*2), R11 // R11: three rows
	LEAQ (SI)(R11*1), R10 // R10: row 3
	MOVQ b+24(FP), DI
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R8

	ZEROACC

	MOVQ CX, BX
	SHRQ $2, BX // BX: groups of 4 steps
	ANDQ $3, CX // CX: remaining steps
	TESTQ BX, BX
	JZ   tailr

#define STEPR(aoff, boff) \
	VMOVUPS boff(DI), Y12 \
	VMOVUPS boff+32(DI), Y13 \
	VBROADCASTSS aoff(SI), Y14 \
	VBROADCASTSS aoff(SI)(R9*1), Y15 \
	VFMADD231PS Y12, Y14, Y0 \
	VFMADD231PS Y13, Y14, Y1 \
	VFMADD231PS Y12, Y15, Y2 \
	VFMADD231PS Y13, Y15, Y3 \
	VBROADCASTSS aoff(SI)(R9*2), Y14 \
	VBROADCASTSS aoff(R10), Y15 \
	VFMADD231PS Y12, Y14, Y4 \
	VFMADD231PS Y13, Y14, Y5 \
	VFMADD231PS Y12, Y15, Y6 \
	VFMADD231PS Y13, Y15, Y7 \
	VBROADCASTSS aoff(R10)(R9*1), Y14 \
	VBROADCASTSS aoff(R10)(R9*2), Y15 \
	VFMADD231PS Y12, Y14, Y8 \
	VFMADD231PS Y13, Y14, Y9 \
	VFMADD231PS Y12, Y15, Y10 \
	VFMADD231PS Y13, Y15, Y11

loopr4:
	PREFETCHT0 512(DI)
	STEPR(0, 0)
	STEPR(4, 64)
	PREFETCHT0 576(DI)
	STEPR(8, 128)
	STEPR(12, 192)
	ADDQ $16, SI
	ADDQ $16, R10
	ADDQ $256, DI
	DECQ BX
	JNZ  loopr4

tailr:
	TESTQ CX, CX
	JZ    storer

loopr1:
	STEPR(0, 0)
	ADDQ $4, SI
	ADDQ $4, R10
	ADDQ $64, DI
	DECQ CX
	JNZ  loopr1

storer:
	MOVBLZX accumulate+48(FP), AX
	TESTQ   AX, AX
	JZ      overwriter

	ADDROWS
	VZEROUPPER
	RET

overwriter:
	PUTROWS
	VZEROUPPER
	RET
