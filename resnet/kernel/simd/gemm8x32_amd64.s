#include "textflag.h"

// ZEROACC clears the accumulators.
#define ZEROACC \
	VPXORD Z0, Z0, Z0 \
	VPXORD Z1, Z1, Z1 \
	VPXORD Z2, Z2, Z2 \
	VPXORD Z3, Z3, Z3 \
	VPXORD Z4, Z4, Z4 \
	VPXORD Z5, Z5, Z5 \
	VPXORD Z6, Z6, Z6 \
	VPXORD Z7, Z7, Z7 \
	VPXORD Z8, Z8, Z8 \
	VPXORD Z9, Z9, Z9 \
	VPXORD Z10, Z10, Z10 \
	VPXORD Z11, Z11, Z11 \
	VPXORD Z12, Z12, Z12 \
	VPXORD Z13, Z13, Z13 \
	VPXORD Z14, Z14, Z14 \
	VPXORD Z15, Z15, Z15


// func gemmKernel8x32(k int, a, b, c *float32, ldc int, accumulate bool)
//
// C[0:8, 0:32] (row stride ldc floats) = or += A·B, where a is a packed
// panel of 8 rows (k steps of 8 floats) and b a packed panel of 32 columns
// (k steps of 32 floats). Sixteen ZMM accumulators (two per row), AVX-512F;
// k ≥ 1. Eight rows rather than the AVX2 kernel's six because every
// channel count of a ResNet is a multiple of eight, so no row panel is
// padded; thirty-two registers leave room for the B vectors and broadcasts.
TEXT ·gemmKernel8x32(SB), NOSPLIT, $0-41
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

// FMAS8x32 multiplies the B vectors of one step by the A panel's
// broadcasts at aoff(SI) into the accumulators.
#define FMAS8x32(aoff) \
	VBROADCASTSS aoff(SI), Z18 \
	VBROADCASTSS aoff+4(SI), Z19 \
	VBROADCASTSS aoff+8(SI), Z20 \
	VBROADCASTSS aoff+12(SI), Z21 \
	VFMADD231PS Z16, Z18, Z0 \
	VFMADD231PS Z17, Z18, Z1 \
	VFMADD231PS Z16, Z19, Z2 \
	VFMADD231PS Z17, Z19, Z3 \
	VBROADCASTSS aoff+16(SI), Z22 \
	VBROADCASTSS aoff+20(SI), Z23 \
	VFMADD231PS Z16, Z20, Z4 \
	VFMADD231PS Z17, Z20, Z5 \
	VFMADD231PS Z16, Z21, Z6 \
	VFMADD231PS Z17, Z21, Z7 \
	VBROADCASTSS aoff+24(SI), Z24 \
	VBROADCASTSS aoff+28(SI), Z25 \
	VFMADD231PS Z16, Z22, Z8 \
	VFMADD231PS Z17, Z22, Z9 \
	VFMADD231PS Z16, Z23, Z10 \
	VFMADD231PS Z17, Z23, Z11 \
	VFMADD231PS Z16, Z24, Z12 \
	VFMADD231PS Z17, Z24, Z13 \
	VFMADD231PS Z16, Z25, Z14 \
	VFMADD231PS Z17, Z25, Z15

#define STEP(aoff, boff) \
	VMOVUPS boff(DI), Z16 \
	VMOVUPS boff+64(DI), Z17 \
	FMAS8x32(aoff)

loop4:
	PREFETCHT0 1024(DI)
	STEP(0, 0)
	PREFETCHT0 1088(DI)
	STEP(32, 128)
	PREFETCHT0 1152(DI)
	STEP(64, 256)
	PREFETCHT0 1216(DI)
	STEP(96, 384)
	ADDQ $128, SI
	ADDQ $512, DI
	DECQ BX
	JNZ  loop4

tail:
	TESTQ CX, CX
	JZ    store

loop1:
	STEP(0, 0)
	ADDQ $32, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  loop1

store:
	MOVBLZX accumulate+40(FP), AX
	TESTQ   AX, AX
	JZ      overwrite

#define ADDROW(r0, r1) \
	VADDPS (DX), r0, r0 \
	VADDPS 64(DX), r1, r1 \
	VMOVUPS r0, (DX) \
	VMOVUPS r1, 64(DX) \
	ADDQ R8, DX

	ADDROW(Z0, Z1)
	ADDROW(Z2, Z3)
	ADDROW(Z4, Z5)
	ADDROW(Z6, Z7)
	ADDROW(Z8, Z9)
	ADDROW(Z10, Z11)
	ADDROW(Z12, Z13)
	ADDROW(Z14, Z15)
	VZEROUPPER
	RET

#define PUTROW(r0, r1) \
	VMOVUPS r0, (DX) \
	VMOVUPS r1, 64(DX) \
	ADDQ R8, DX

// ADDROWS and PUTROWS add or store every accumulator row.
#define ADDROWS \
	ADDROW(Z0, Z1) \
	ADDROW(Z2, Z3) \
	ADDROW(Z4, Z5) \
	ADDROW(Z6, Z7) \
	ADDROW(Z8, Z9) \
	ADDROW(Z10, Z11) \
	ADDROW(Z12, Z13) \
	ADDROW(Z14, Z15)

#define PUTROWS \
	PUTROW(Z0, Z1) \
	PUTROW(Z2, Z3) \
	PUTROW(Z4, Z5) \
	PUTROW(Z6, Z7) \
	PUTROW(Z8, Z9) \
	PUTROW(Z10, Z11) \
	PUTROW(Z12, Z13) \
	PUTROW(Z14, Z15)

overwrite:
	PUTROWS
	VZEROUPPER
	RET

// func gemmKernel8x32RowsA(k int, a *float32, lda int, b, c *float32, ldc int, accumulate bool)
//
// gemmKernel8x32 with A read in place, eight rows lda floats apart, instead
// of from a packed panel: for products with one or two panels of B, where
// each value of A is used once or twice and packing it would move it twice
// more (the late layers of small images, whose weights dwarf their
// activations).
TEXT ·gemmKernel8x32RowsA(SB), NOSPLIT, $0-49
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	SHLQ $2, R9        // R9: a row of A in bytes
	LEAQ (R9)(R9*2), R11 // R11: three rows
	LEAQ (SI)(R9*4), R10 // R10: row 4
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
	VMOVUPS boff(DI), Z16 \
	VMOVUPS boff+64(DI), Z17 \
	VBROADCASTSS aoff(SI), Z18 \
	VBROADCASTSS aoff(SI)(R9*1), Z19 \
	VBROADCASTSS aoff(SI)(R9*2), Z20 \
	VBROADCASTSS aoff(SI)(R11*1), Z21 \
	VFMADD231PS Z16, Z18, Z0 \
	VFMADD231PS Z17, Z18, Z1 \
	VFMADD231PS Z16, Z19, Z2 \
	VFMADD231PS Z17, Z19, Z3 \
	VBROADCASTSS aoff(R10), Z22 \
	VBROADCASTSS aoff(R10)(R9*1), Z23 \
	VFMADD231PS Z16, Z20, Z4 \
	VFMADD231PS Z17, Z20, Z5 \
	VFMADD231PS Z16, Z21, Z6 \
	VFMADD231PS Z17, Z21, Z7 \
	VBROADCASTSS aoff(R10)(R9*2), Z24 \
	VBROADCASTSS aoff(R10)(R11*1), Z25 \
	VFMADD231PS Z16, Z22, Z8 \
	VFMADD231PS Z17, Z22, Z9 \
	VFMADD231PS Z16, Z23, Z10 \
	VFMADD231PS Z17, Z23, Z11 \
	VFMADD231PS Z16, Z24, Z12 \
	VFMADD231PS Z17, Z24, Z13 \
	VFMADD231PS Z16, Z25, Z14 \
	VFMADD231PS Z17, Z25, Z15

loopr4:
	PREFETCHT0 1024(DI)
	STEPR(0, 0)
	PREFETCHT0 1088(DI)
	STEPR(4, 128)
	PREFETCHT0 1152(DI)
	STEPR(8, 256)
	PREFETCHT0 1216(DI)
	STEPR(12, 384)
	ADDQ $16, SI
	ADDQ $16, R10
	ADDQ $512, DI
	DECQ BX
	JNZ  loopr4

tailr:
	TESTQ CX, CX
	JZ    storer

loopr1:
	STEPR(0, 0)
	ADDQ $4, SI
	ADDQ $4, R10
	ADDQ $128, DI
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

// func gemmKernel8x32OffsetB(k int, a, b *float32, offs *int, c *float32, ldc int, accumulate bool)
//
// gemmKernel8x32 with B's k rows read in place, row p at b + offs[p]
// floats, instead of from a packed panel: a stride-1 convolution's rows of
// im2col are its zero-padded input shifted by an offset per (channel,
// kernel row, kernel column), so the product reads them where they are
// and neither im2col nor packing B moves them.
TEXT ·gemmKernel8x32OffsetB(SB), NOSPLIT, $0-49
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
	VMOVUPS (DI)(R10*4), Z16 \
	VMOVUPS 64(DI)(R10*4), Z17 \
	FMAS8x32(aoff)

oloop4:
	OSTEP(0, 0)
	OSTEP(32, 8)
	OSTEP(64, 16)
	OSTEP(96, 24)
	ADDQ $128, SI
	ADDQ $32, R9
	DECQ BX
	JNZ  oloop4

otail:
	TESTQ CX, CX
	JZ    ostore

oloop1:
	OSTEP(0, 0)
	ADDQ $32, SI
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
