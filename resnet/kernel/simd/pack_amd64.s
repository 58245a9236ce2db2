#include "textflag.h"

// func copyRows32AVX(dst, src *float32, ld, rows int)
//
// dst[r*32 + j] = src[r*ld + j] for r < rows, j < 32: a full B panel of the
// AVX-512 kernel packed from rows ld floats apart, four YMM moves a row.
TEXT ·copyRows32AVX(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	SHLQ $2, R8
	MOVQ rows+24(FP), CX

loop32:
	TESTQ CX, CX
	JZ    done32
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ R8, SI
	ADDQ $128, DI
	DECQ CX
	JMP  loop32

done32:
	VZEROUPPER
	RET

// func copyRows16AVX(dst, src *float32, ld, rows int)
//
// The same for the AVX2 kernel's 16-column panels.
TEXT ·copyRows16AVX(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	SHLQ $2, R8
	MOVQ rows+24(FP), CX

loop16:
	TESTQ CX, CX
	JZ    done16
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ R8, SI
	ADDQ $64, DI
	DECQ CX
	JMP  loop16

done16:
	VZEROUPPER
	RET

// func maskedRows32AVX512(dst, src *float32, offs *int32, masks *uint32, rows int)
//
// dst[r*32 + j] = src[offs[r] + j] where bit j of masks[r] is set, else 0,
// for r < rows: a B panel row by row from anywhere in src, two zeroing
// masked ZMM loads a row. Masked-off lanes are neither read nor faulted
// on, so offs[r] + j may fall outside src where their bits are clear.
TEXT ·maskedRows32AVX512(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ offs+16(FP), R8
	MOVQ masks+24(FP), R9
	MOVQ rows+32(FP), CX

loopm:
	TESTQ   CX, CX
	JZ      donem
	MOVLQSX (R8), AX
	MOVL    (R9), DX
	KMOVW   DX, K1
	SHRL    $16, DX
	KMOVW   DX, K2
	LEAQ    (SI)(AX*4), BX
	VMOVUPS.Z (BX), K1, Z0
	VMOVUPS.Z 64(BX), K2, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ    $4, R8
	ADDQ    $4, R9
	ADDQ    $128, DI
	DECQ    CX
	JMP     loopm

donem:
	VZEROUPPER
	RET
