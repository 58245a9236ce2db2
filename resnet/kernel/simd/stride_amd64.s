#include "textflag.h"

// func evensAVX2(dst, src *float32, n int)
//
// dst[i] = src[2i] for i < n, n a multiple of 8, reading src[0, 2n): each
// pair of YMM loads is shuffled down to its even elements and put in order.
TEXT ·evensAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

loop:
	TESTQ CX, CX
	JZ    done
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VSHUFPS $0x88, Y1, Y0, Y2 // a0 a2 a8 a10 | a4 a6 a12 a14
	VPERMPD $0xD8, Y2, Y2     // a0 a2 a4 a6 a8 a10 a12 a14
	VMOVUPS Y2, (DI)
	ADDQ $64, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop

done:
	VZEROUPPER
	RET
