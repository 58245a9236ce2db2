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
