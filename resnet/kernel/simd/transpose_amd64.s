#include "textflag.h"

// func transpose8x8AVX(src *float32, lds int, dst *float32, ldd int)
//
// dst[j*ldd + i] = src[i*lds + j] for i, j < 8 (strides in floats): the
// unpack, shuffle and lane-permute transpose of eight YMM rows (AVX).
TEXT ·transpose8x8AVX(SB), NOSPLIT, $0-32
	MOVQ src+0(FP), SI
	MOVQ lds+8(FP), R8
	SHLQ $2, R8
	MOVQ dst+16(FP), DI
	MOVQ ldd+24(FP), R9
	SHLQ $2, R9

	VMOVUPS (SI), Y0
	ADDQ    R8, SI
	VMOVUPS (SI), Y1
	ADDQ    R8, SI
	VMOVUPS (SI), Y2
	ADDQ    R8, SI
	VMOVUPS (SI), Y3
	ADDQ    R8, SI
	VMOVUPS (SI), Y4
	ADDQ    R8, SI
	VMOVUPS (SI), Y5
	ADDQ    R8, SI
	VMOVUPS (SI), Y6
	ADDQ    R8, SI
	VMOVUPS (SI), Y7

	VUNPCKLPS Y1, Y0, Y8  // a0 b0 a1 b1 | a4 b4 a5 b5
	VUNPCKHPS Y1, Y0, Y9  // a2 b2 a3 b3 | a6 b6 a7 b7
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0 // a0 b0 c0 d0 | a4 b4 c4 d4
	VSHUFPS $0xEE, Y10, Y8, Y1 // a1 b1 c1 d1 | a5 …
	VSHUFPS $0x44, Y11, Y9, Y2 // a2 … | a6 …
	VSHUFPS $0xEE, Y11, Y9, Y3 // a3 … | a7 …
	VSHUFPS $0x44, Y14, Y12, Y4 // e0 f0 g0 h0 | e4 …
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8  // column 0
	VPERM2F128 $0x20, Y5, Y1, Y9  // column 1
	VPERM2F128 $0x20, Y6, Y2, Y10 // column 2
	VPERM2F128 $0x20, Y7, Y3, Y11 // column 3
	VPERM2F128 $0x31, Y4, Y0, Y12 // column 4
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	VMOVUPS Y8, (DI)
	ADDQ    R9, DI
	VMOVUPS Y9, (DI)
	ADDQ    R9, DI
	VMOVUPS Y10, (DI)
	ADDQ    R9, DI
	VMOVUPS Y11, (DI)
	ADDQ    R9, DI
	VMOVUPS Y12, (DI)
	ADDQ    R9, DI
	VMOVUPS Y13, (DI)
	ADDQ    R9, DI
	VMOVUPS Y14, (DI)
	ADDQ    R9, DI
	VMOVUPS Y15, (DI)
	VZEROUPPER
	RET

// func transpose6x8AVX(src *float32, lds int, dst *float32)
//
// dst[j*6 + i] = src[i*lds + j] for i < 6, j < 8: eight steps of a six-row
// panel (the AVX2 kernel's A) from six rows of a row-major matrix, the
// 8×8 transpose above with two zero rows. The columns are stored six floats
// apart, each store's two spare lanes overwritten by the next one, and the
// last column in a four-float and a two-float store, so nothing past
// dst[47] is written.
TEXT ·transpose6x8AVX(SB), NOSPLIT, $0-24
	MOVQ src+0(FP), SI
	MOVQ lds+8(FP), R8
	SHLQ $2, R8
	MOVQ dst+16(FP), DI

	VMOVUPS (SI), Y0
	ADDQ    R8, SI
	VMOVUPS (SI), Y1
	ADDQ    R8, SI
	VMOVUPS (SI), Y2
	ADDQ    R8, SI
	VMOVUPS (SI), Y3
	ADDQ    R8, SI
	VMOVUPS (SI), Y4
	ADDQ    R8, SI
	VMOVUPS (SI), Y5
	VXORPS  Y6, Y6, Y6

	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13

	VSHUFPS $0x44, Y10, Y8, Y0 // a0 b0 c0 d0 | a4 b4 c4 d4
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y6, Y12, Y4 // e0 f0 0 0 | e4 f4 0 0
	VSHUFPS $0xEE, Y6, Y12, Y5
	VSHUFPS $0x44, Y6, Y13, Y7
	VSHUFPS $0xEE, Y6, Y13, Y6

	VPERM2F128 $0x20, Y4, Y0, Y8  // column 0
	VPERM2F128 $0x20, Y5, Y1, Y9  // column 1
	VPERM2F128 $0x20, Y7, Y2, Y10 // column 2
	VPERM2F128 $0x20, Y6, Y3, Y11 // column 3
	VPERM2F128 $0x31, Y4, Y0, Y12 // column 4
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y7, Y2, Y14
	VPERM2F128 $0x31, Y6, Y3, Y15

	VMOVUPS Y8, (DI)
	VMOVUPS Y9, 24(DI)
	VMOVUPS Y10, 48(DI)
	VMOVUPS Y11, 72(DI)
	VMOVUPS Y12, 96(DI)
	VMOVUPS Y13, 120(DI)
	VMOVUPS Y14, 144(DI)
	VMOVUPS X15, 168(DI)
	VEXTRACTF128 $1, Y15, X15
	VMOVLPS X15, 184(DI)
	VZEROUPPER
	RET
